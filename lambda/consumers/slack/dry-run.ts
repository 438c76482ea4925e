/** Slack in local mode's dry run: the Block Kit message it would post, one outbox line each. */
import type { ConnectionEvent } from '../../domain/envelope.ts';
import type { Append, OutboxLine } from '../dry-run.ts';
import type { Say } from '../module.ts';
import type { SlackMessage } from './message.ts';
import type { SlackSender } from './send.ts';

export class OutboxSlack implements SlackSender {
  constructor(
    private readonly append: Append,
    private readonly say: Say,
    private readonly consumer = 'slack',
  ) {}

  async send(message: SlackMessage, event?: ConnectionEvent): Promise<undefined> {
    const line: OutboxLine = {
      at: new Date().toISOString(),
      consumer: this.consumer,
      eventId: event?.eventId ?? null,
      version: event?.version ?? null,
      request: { method: 'POST', target: 'Slack incoming webhook', body: message },
    };
    await this.append(JSON.stringify(line));
    this.say(`[outbox] ${this.consumer}: ${message.text.split('\n')[0]}`);
    return undefined;
  }
}
