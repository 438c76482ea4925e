/** A forwarder in local mode's dry run: the body and headers it would post, one outbox line per event. */
import type { ConnectionEvent } from '../../domain/envelope.ts';
import type { CrmTarget } from '../../use-cases/ports.ts';
import { type Append, describeEvent, type OutboxLine } from '../dry-run.ts';
import type { Say } from '../module.ts';
import type { ForwardFormat } from './send.ts';

export class OutboxForwarder implements CrmTarget {
  readonly requiresUser = false;

  constructor(
    private readonly format: ForwardFormat,
    readonly name: string,
    private readonly append: Append,
    private readonly say: Say,
  ) {}

  async upsert(event: ConnectionEvent): Promise<undefined> {
    const line: OutboxLine = {
      at: new Date().toISOString(),
      consumer: this.name,
      eventId: event.eventId,
      version: event.version,
      request: {
        method: 'POST',
        target: 'forwarder URL',
        body: this.format === 'flat' ? event.flat : event,
        headers: {
          'x-leadsie-event-id': event.eventId,
          'x-leadsie-event-version': String(event.version),
        },
      },
    };
    await this.append(JSON.stringify(line));
    this.say(`[outbox] ${this.name}: ${describeEvent(event)}`);
    return undefined;
  }
}
