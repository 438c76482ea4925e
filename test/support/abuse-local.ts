/**
 * Local mode for the abuse suites: `startTestLocal` with the store in memory, every event the
 * ingest function publishes recorded on its way into the in-process topic, and readers for what
 * the run left behind (stored deliveries, outbox and dead-letter lines per consumer).
 */
import type { ConnectionEvent } from '../../lambda/domain/envelope.ts';
import type { StoredDelivery } from '../../lambda/use-cases/ports.ts';
import type { OutboxLine } from '../../local/outbox.ts';
import type { LocalOptions } from '../../local/server.ts';
import { paths } from '../../local/state.ts';
import { type Cleanup, readJsonl, startTestLocal, type TestLocal } from './local-harness.ts';

/** Consumers every local server runs (it may run more: `consumers` lists them all). */
export const KNOWN_CONSUMERS = ['slack', 'hubspot', 'forward', 'sheets', 'email'] as const;

export interface AbuseLocal extends TestLocal {
  /** Every consumer this server runs (dry run or live), from `server.live`. */
  consumers: string[];
  /** Every event handed to the topic (`publish` and the admin endpoint both go through `route`). */
  published: ConnectionEvent[];
  /** Every delivery in the store received since a day before the server started, whatever its state. */
  storedDeliveries(): Promise<StoredDelivery[]>;
  outbox(consumer: string): Promise<OutboxLine[]>;
  deadLetters(consumer: string): Promise<Record<string, unknown>[]>;
}

export const startAbuseLocal = async (
  cleanup: Cleanup,
  options: Partial<LocalOptions> = {},
): Promise<AbuseLocal> => {
  // A day of margin either side: every delivery of the run, without querying every month since 1970.
  const since = new Date(Date.now() - 86_400_000);
  const local = await startTestLocal(cleanup, { memory: true, ...options });
  const { topic, store } = local.server;
  const published: ConnectionEvent[] = [];
  const route = topic.route.bind(topic);
  topic.route = (event: ConnectionEvent) => {
    published.push(event);
    return route(event);
  };
  return {
    ...local,
    consumers: Object.keys(local.server.live).sort(),
    published,
    storedDeliveries: async () => {
      const deliveries: StoredDelivery[] = [];
      for await (const delivery of store.deliveriesBetween(since, new Date(Date.now() + 86_400_000))) {
        deliveries.push(delivery);
      }
      return deliveries;
    },
    outbox: (consumer) => readJsonl<OutboxLine>(paths(local.dataDir).outboxOf(consumer)),
    deadLetters: (consumer) => readJsonl(paths(local.dataDir).deadLettersOf(consumer)),
  };
};
