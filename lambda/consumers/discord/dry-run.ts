/** Discord in local mode's dry run: the embed message it would post, one outbox line each. */
import type { ConnectionEvent } from '../../domain/envelope.ts';
import type { Append, OutboxLine } from '../dry-run.ts';
import type { Say } from '../module.ts';
import { type DiscordMessage, summaryOf } from './message.ts';
import type { DiscordReceipt, DiscordSender } from './send.ts';

/** The receipt of a dry run: no HTTP call, so no status (0) and no message id. */
export const DRY_RUN_RECEIPT: DiscordReceipt = { status: 0, outcome: 'posted' };

export class OutboxDiscord implements DiscordSender {
  constructor(
    private readonly append: Append,
    private readonly say: Say,
    private readonly consumer = 'discord',
  ) {}

  async send(message: DiscordMessage, event?: ConnectionEvent): Promise<DiscordReceipt> {
    const line: OutboxLine = {
      at: new Date().toISOString(),
      consumer: this.consumer,
      eventId: event?.eventId ?? null,
      version: event?.version ?? null,
      request: { method: 'POST', target: 'Discord Execute Webhook', body: message },
    };
    await this.append(JSON.stringify(line));
    this.say(`[outbox] ${this.consumer}: ${summaryOf(message)}`);
    return DRY_RUN_RECEIPT;
  }
}
