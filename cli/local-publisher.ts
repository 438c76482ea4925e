/**
 * Publishes envelopes to local mode's in-process topic through its admin endpoint (what SNS Publish
 * is when deployed): `POST <adminUrl>/publish`, `Authorization: Bearer <read token>`, the envelope as
 * the JSON body; the server answers 202 once the topic has it.
 */
import type { ConnectionEvent } from '../lambda/domain/envelope.ts';
import type { EventPublisher } from '../lambda/use-cases/ports.ts';

const TIMEOUT_MS = 10_000;

export class LocalAdminPublisher implements EventPublisher {
  private readonly url: string;

  constructor(
    adminUrl: string,
    private readonly readToken: string,
  ) {
    this.url = `${adminUrl.replace(/\/+$/, '')}/publish`;
  }

  async publish(event: ConnectionEvent): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.readToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new Error(`local admin endpoint ${this.url} unreachable${cause ? ` (${cause})` : ''}`);
    }
    if (response.status !== 202) {
      const text = (await response.text().catch(() => '')).slice(0, 200);
      throw new Error(`local admin endpoint answered ${response.status}${text ? `: ${text}` : ''}`);
    }
  }
}
