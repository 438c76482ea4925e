/**
 * Publish failures, classified (issue 12, item 2), and the reconciler's backoff (item 3), with the
 * in-memory fakes: a failure the topic will never accept quarantines the delivery (422, out of the
 * pending index, an entry naming its fingerprint) instead of a 503 loop; a transient one answers 503
 * and stays pending; the reconciler backs a failing delivery off without blocking the others, and
 * quarantines it after its last attempt; `quarantine retry` resumes a quarantined delivery.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../lambda/domain/envelope.ts';
import { DependencyUnavailableError, UnpublishableEventError } from '../../lambda/domain/errors.ts';
import { backoffMs, type IngestDeps, ingestDelivery } from '../../lambda/use-cases/ingest-delivery.ts';
import { reconcilePending } from '../../lambda/use-cases/reconcile-pending.ts';
import { resumeQuarantinedDelivery } from '../../lambda/use-cases/resume-quarantined-delivery.ts';
import { rejection } from '../support/errors.ts';
import { InMemoryConnectionStore, InMemoryEventPublisher } from '../support/fakes.ts';
import { silentLogger } from '../support/logger.ts';
import { rawFixture } from '../unit/fixtures.ts';

const NOW = Date.parse('2026-11-26T10:00:00.000Z');
const RETRY = { maxAttempts: 3, firstDelayMs: 60_000, maxDelayMs: 3_600_000 };
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttled' });
const refused = () =>
  Object.assign(new Error('Invalid parameter: Message too long'), { name: 'InvalidParameterException' });

/** A publisher that fails for the events `failFor` picks (the others go through). */
class SelectivePublisher extends InMemoryEventPublisher {
  constructor(private readonly failFor: (event: ConnectionEvent) => Error | undefined) {
    super();
  }
  override async publish(event: ConnectionEvent): Promise<void> {
    const failure = this.failFor(event);
    if (failure) {
      this.attempts++;
      throw failure;
    }
    await super.publish(event);
  }
}

const setup = (publisher: InMemoryEventPublisher = new InMemoryEventPublisher()) => {
  const store = new InMemoryConnectionStore();
  let clock = NOW;
  let ids = 0;
  const deps: IngestDeps = {
    store,
    quarantine: store,
    publisher,
    log: silentLogger(),
    now: () => new Date(clock),
    newEventId: () => `01EVENT${String(++ids).padStart(6, '0')}`,
    leaseMs: 30_000,
  };
  const send = (name: string, change: (json: Record<string, unknown>) => void = () => undefined) => {
    const json = rawFixture(`${name}.json`) as Record<string, unknown>;
    change(json);
    return ingestDelivery(deps, { json, rawBody: JSON.stringify(json) });
  };
  const reconcile = () => reconcilePending({ ...deps, pending: store, quarantine: store, retry: RETRY }, 100);
  const advance = (ms: number) => {
    clock += ms;
  };
  return { store, publisher, deps, send, reconcile, advance };
};

describe('ingest: a publish the topic will never accept', () => {
  it('is quarantined (422 with its quarantineId), leaves the pending index, and is not published again on redelivery', async () => {
    const { store, publisher, send } = setup(
      new InMemoryEventPublisher().failWith(new URIError('URI malformed')),
    );
    const error = await rejection(send('v1-failed'));
    expect(error).toBeInstanceOf(UnpublishableEventError);
    const quarantineId = (error as UnpublishableEventError).quarantineId;
    expect(quarantineId).toMatch(/^[0-9a-f]{64}$/);

    expect(store.pending()).toEqual([]);
    const [delivery] = store.deliveries();
    expect(delivery).toMatchObject({ quarantineId, publishedAt: null, version: 1 });
    expect(store.quarantineEntries()).toMatchObject([
      {
        id: quarantineId,
        fingerprint: delivery?.fingerprint,
        resolvedAt: null,
        reason: { status: 422, kind: 'unpublishable-event', message: expect.stringContaining('URIError') },
      },
    ]);
    expect(await store.countQuarantined()).toBe(1);

    // Leadsie's redelivery: the same answer, without another publish.
    const attempts = publisher.attempts;
    const again = await rejection(send('v1-failed'));
    expect(again).toBeInstanceOf(UnpublishableEventError);
    expect((again as UnpublishableEventError).quarantineId).toBe(quarantineId);
    expect(publisher.attempts).toBe(attempts);
  });

  it('an SNS InvalidParameter is permanent too', async () => {
    const { store, send } = setup(new InMemoryEventPublisher().failWith(refused()));
    expect(await rejection(send('v1-failed'))).toBeInstanceOf(UnpublishableEventError);
    expect(store.pending()).toEqual([]);
  });

  it('a transient failure (throttling) answers 503 and the delivery stays pending', async () => {
    const { store, send } = setup(new InMemoryEventPublisher().failWith(throttled()));
    expect(await rejection(send('v1-failed'))).toBeInstanceOf(DependencyUnavailableError);
    expect(store.pending()).toHaveLength(1);
    expect(store.quarantineEntries()).toEqual([]);
  });
});

describe('the reconciler: no head-of-line blocking, backoff, quarantine after the last attempt', () => {
  it('publishes every good delivery behind failing ones, and backs each failing one off on its own', async () => {
    const failing = new Set(['01EVENT000001', '01EVENT000002']);
    const publisher = new SelectivePublisher((event) =>
      failing.has(event.eventId) ? throttled() : undefined,
    );
    const { store, send, reconcile, advance } = setup(publisher);
    publisher.failWith(throttled());
    for (const name of ['v1-failed', 'v1-partial-success', 'v1-success-no-user', 'v2-success-google']) {
      await rejection(send(name));
      advance(1_000);
    }
    publisher.heal();
    advance(60_000);

    expect(await reconcile()).toMatchObject({ found: 4, published: 2, failed: 2, backlog: 2 });
    expect(publisher.published.map((e) => e.eventId)).toEqual(['01EVENT000003', '01EVENT000004']);
    expect(store.pending().map((d) => d.publishAttempts)).toEqual([1, 1]);

    // In backoff: not read again before their next attempt time, still counted in the backlog.
    expect(await reconcile()).toMatchObject({ found: 0, backlog: 2 });
    advance(backoffMs(1, RETRY));
    expect(await reconcile()).toMatchObject({ found: 2, failed: 2, backlog: 2 });
    expect(store.pending().map((d) => d.publishAttempts)).toEqual([2, 2]);
    advance(backoffMs(2, RETRY));
    // The third attempt is the last: both are quarantined, the backlog is empty.
    expect(await reconcile()).toMatchObject({ found: 2, quarantinedNow: 2, backlog: 0, quarantined: 2 });
    expect(store.quarantineEntries().map((e) => e.reason.kind)).toEqual([
      'publish-attempts-exhausted',
      'publish-attempts-exhausted',
    ]);
  });

  it('quarantines at once a delivery the topic refuses, and goes on with the others', async () => {
    let refusing = false;
    const publisher = new SelectivePublisher((event) =>
      refusing && event.eventId === '01EVENT000001' ? refused() : undefined,
    );
    const { store, send, reconcile, advance } = setup(publisher);
    publisher.failWith(throttled());
    await rejection(send('v1-failed'));
    await rejection(send('v1-partial-success'));
    refusing = true;
    publisher.heal();
    advance(60_000);
    expect(await reconcile()).toMatchObject({
      found: 2,
      published: 1,
      quarantinedNow: 1,
      backlog: 0,
      quarantined: 1,
    });
    expect(store.deliveries().map((d) => d.quarantineId === null)).toEqual([false, true]);
  });

  it('backs off doubling from the first delay to the cap', () => {
    expect([1, 2, 3, 4, 10, 50].map((n) => backoffMs(n, RETRY))).toEqual([
      60_000, 120_000, 240_000, 480_000, 3_600_000, 3_600_000,
    ]);
  });
});

describe('quarantine retry of a delivery the topic refused', () => {
  it('resumes the stored delivery and publishes it, then resolves the entry', async () => {
    const publisher = new InMemoryEventPublisher().failWith(refused());
    const { store, deps, send } = setup(publisher);
    const error = (await rejection(send('v1-failed'))) as UnpublishableEventError;
    const [entry] = store.quarantineEntries();
    publisher.heal();

    const outcome = await resumeQuarantinedDelivery(
      { ...deps, quarantine: store },
      { id: entry?.id ?? '', fingerprint: entry?.fingerprint ?? '' },
    );
    expect(outcome).toEqual({ outcome: 'published', eventId: '01EVENT000001' });
    expect(error.quarantineId).toBe(entry?.id);
    expect(publisher.published.map((e) => [e.eventId, e.version])).toEqual([['01EVENT000001', 1]]);
    expect(store.deliveries()).toMatchObject([{ quarantineId: null, publishedAt: expect.any(String) }]);
    expect(await store.countQuarantined()).toBe(0);
    // A redelivery now is a plain duplicate.
    expect(await send('v1-failed')).toEqual({ eventId: '01EVENT000001', duplicate: true });
  });

  it('a refusal again quarantines it again (the same entry reopens); a transient failure leaves it pending', async () => {
    const publisher = new InMemoryEventPublisher().failWith(refused());
    const { store, deps, send } = setup(publisher);
    await rejection(send('v1-failed'));
    const [entry] = store.quarantineEntries();
    const ids = { id: entry?.id ?? '', fingerprint: entry?.fingerprint ?? '' };

    expect(await resumeQuarantinedDelivery({ ...deps, quarantine: store }, ids)).toMatchObject({
      outcome: 'still-refused',
      quarantineId: ids.id,
    });
    expect(store.quarantineEntries()).toMatchObject([{ id: ids.id, attempts: 2, resolvedAt: null }]);
    expect(store.pending()).toEqual([]);

    publisher.failWith(throttled());
    expect(await resumeQuarantinedDelivery({ ...deps, quarantine: store }, ids)).toMatchObject({
      outcome: 'pending',
    });
    expect(store.pending()).toHaveLength(1);
    expect(await store.countQuarantined()).toBe(0);
  });
});
