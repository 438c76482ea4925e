/** Teams in local mode's dry run: the Adaptive Card message it would post, one outbox line each. */
import type { ConnectionEvent } from '../../domain/envelope.ts';
import type { Append, OutboxLine } from '../dry-run.ts';
import type { Say } from '../module.ts';
import { summaryOf, type TeamsMessage } from './message.ts';
import type { TeamsReceipt, TeamsSender } from './send.ts';

/** The receipt of a dry run: nothing was posted, so no HTTP status (0) and only `accepted`. */
export const DRY_RUN_RECEIPT: TeamsReceipt = { status: 0, outcome: 'accepted' };

export class OutboxTeams implements TeamsSender {
  constructor(
    private readonly append: Append,
    private readonly say: Say,
    private readonly consumer = 'teams',
  ) {}

  async send(message: TeamsMessage, event?: ConnectionEvent): Promise<TeamsReceipt> {
    const line: OutboxLine = {
      at: new Date().toISOString(),
      consumer: this.consumer,
      eventId: event?.eventId ?? null,
      version: event?.version ?? null,
      request: { method: 'POST', target: 'Teams Workflows webhook', body: message },
    };
    await this.append(JSON.stringify(line));
    this.say(`[outbox] ${this.consumer}: ${summaryOf(message)}`);
    return DRY_RUN_RECEIPT;
  }
}
