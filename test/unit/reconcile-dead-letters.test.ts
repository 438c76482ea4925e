/**
 * Each reconciler run counts every configured consumer's unresolved dead letters as
 * `DeadLettersUnresolved` {consumer}, 0 included, from the outcome records (in-memory ledger here; the
 * DynamoDB ledger on moto in test/integration/reconciler.moto.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { InMemoryOutcomeLedger } from '../../lambda/consumers/runtime/memory-outcomes.ts';
import { ENV, METRIC_NAMES } from '../../lambda/contract.ts';
import { consumerNamesOf } from '../../lambda/handlers/reconciler.ts';
import { type ReconcileDeps, reconcilePending } from '../../lambda/use-cases/reconcile-pending.ts';
import { InMemoryConnectionStore, InMemoryEventPublisher } from '../support/fakes.ts';
import { silentLogger } from '../support/logger.ts';
import { InMemoryMetrics } from '../support/metrics.ts';
import { TEST_RETRY } from '../support/pipeline.ts';

const deps = (metrics: InMemoryMetrics, deadLetters?: ReconcileDeps['deadLetters']): ReconcileDeps => {
  const store = new InMemoryConnectionStore();
  return {
    store,
    pending: store,
    quarantine: store,
    publisher: new InMemoryEventPublisher(),
    log: silentLogger(),
    now: () => new Date('2026-11-26T10:00:00.000Z'),
    leaseMs: 30_000,
    metrics,
    retry: TEST_RETRY,
    ...(deadLetters ? { deadLetters } : {}),
  };
};

describe('the dead-letter count of a reconciler run', () => {
  it('counts each configured consumer, 0 included, and leaves resolved ones out', async () => {
    const ledger = new InMemoryOutcomeLedger(30);
    const now = Date.parse('2026-11-26T09:00:00.000Z');
    await ledger.deadLettered({ consumer: 'slack', eventId: 'E1', version: 1 }, now, 'gone', 3);
    await ledger.deadLettered({ consumer: 'slack', eventId: 'E2', version: 1 }, now, 'gone', 3);
    await ledger.deadLettered({ consumer: 'slack', eventId: 'E3', version: 1 }, now, 'gone', 3);
    await ledger.resolve({ consumer: 'slack', eventId: 'E3', version: 1 }, now, 'discarded');
    const metrics = new InMemoryMetrics();

    const summary = await reconcilePending(deps(metrics, { consumers: ['slack', 'hubspot'], ledger }), 10);

    expect(summary.deadLetters).toEqual({ slack: 2, hubspot: 0 });
    expect(metrics.total(METRIC_NAMES.deadLettersUnresolved, { consumer: 'slack' })).toBe(2);
    expect(metrics.total(METRIC_NAMES.deadLettersUnresolved, { consumer: 'hubspot' })).toBe(0);
    expect(
      metrics.counted.filter((c) => c.name === METRIC_NAMES.deadLettersUnresolved).map((c) => c.dimensions),
    ).toEqual([{ consumer: 'slack' }, { consumer: 'hubspot' }]);
  });

  it('goes on with the next consumer when one count fails, and emits nothing for it', async () => {
    const metrics = new InMemoryMetrics();
    const ledger = {
      countDeadLetters: async (consumer: string) => {
        if (consumer === 'slack') throw new Error('throttled');
        return 4;
      },
    };
    const summary = await reconcilePending(deps(metrics, { consumers: ['slack', 'hubspot'], ledger }), 10);
    expect(summary.deadLetters).toEqual({ hubspot: 4 });
    expect(metrics.counted.filter((c) => c.name === METRIC_NAMES.deadLettersUnresolved)).toEqual([
      { name: METRIC_NAMES.deadLettersUnresolved, value: 4, dimensions: { consumer: 'hubspot' } },
    ]);
  });

  it('counts nothing without a ledger', async () => {
    const metrics = new InMemoryMetrics();
    const summary = await reconcilePending(deps(metrics), 10);
    expect(summary.deadLetters).toBeUndefined();
    expect(metrics.total(METRIC_NAMES.deadLettersUnresolved, { consumer: 'slack' })).toBe(0);
  });

  it.each([
    [undefined, []],
    ['', []],
    ['slack', ['slack']],
    ['slack, hubspot,forward-zapier,', ['slack', 'hubspot', 'forward-zapier']],
  ])('reads the consumer names of %j', (value, names) => {
    expect(consumerNamesOf(value === undefined ? {} : { [ENV.reconcilerConsumers]: value })).toEqual(names);
  });
});
