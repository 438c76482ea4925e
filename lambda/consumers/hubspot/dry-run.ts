/** HubSpot in local mode's dry run: HubSpot's exact upsert request, one outbox line per event. */
import type { ConnectionEvent } from '../../domain/envelope.ts';
import type { CrmTarget } from '../../use-cases/ports.ts';
import { type Append, describeEvent, type OutboxLine } from '../dry-run.ts';
import type { Say } from '../module.ts';
import type { HubSpotTarget } from './send.ts';

export class OutboxHubspot implements CrmTarget {
  readonly requiresUser = true;

  constructor(
    private readonly hubspot: HubSpotTarget,
    readonly objectType: string,
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
        target: `HubSpot ${this.hubspot.upsertPath()}`,
        body: this.hubspot.requestBody(event),
      },
    };
    await this.append(JSON.stringify(line));
    this.say(`[outbox] ${this.name}: ${describeEvent(event)}`);
    return undefined;
  }
}
