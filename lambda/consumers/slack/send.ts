/**
 * Posts messages to a Slack Incoming Webhook. The webhook URL is itself the credential, so it lives
 * in Secrets Manager and never appears in a log or an error (errors name the target "Slack").
 *
 * Slack answers 200 `ok`; 400 `invalid_payload`, 403 `invalid_token`/`action_prohibited`,
 * 404 `channel_not_found`, 410 `channel_is_archived` are permanent; 429 (with Retry-After) and 5xx
 * are retried.
 */

import { classifyResponse, post, withBackoff } from '../../adapters/http-target.ts';
import type { SecretSource } from '../../adapters/secrets.ts';
import type { ConnectionEvent } from '../../domain/envelope.ts';
import type { SlackMessage } from './message.ts';

/** What Slack answered to a post it took. */
export interface SlackReceipt {
  status: number;
}

export interface SlackSender {
  /**
   * Posts the message; `event` is what it was built from (for senders that record it, like local
   * mode's outbox). A real post says what Slack answered (for the log line); a dry run says nothing.
   */
  send(message: SlackMessage, event?: ConnectionEvent): Promise<SlackReceipt | undefined>;
}

export class SlackWebhook implements SlackSender {
  constructor(
    private readonly webhookUrl: SecretSource,
    private readonly timeoutMs: number,
  ) {}

  async send(message: SlackMessage): Promise<SlackReceipt> {
    const url = await this.webhookUrl.value();
    const body = JSON.stringify(message);
    return withBackoff(async () => {
      const response = await post({ target: 'Slack', url, body, timeoutMs: this.timeoutMs });
      classifyResponse('Slack', response);
      return { status: response.status };
    });
  }
}
