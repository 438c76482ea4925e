/**
 * The in-memory fakes keep the store's documented semantics (lambda/use-cases/ports.ts and the
 * DynamoDB store): the handler tests mean something only if they do.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../lambda/domain/envelope.ts';
import type { LatestConnection, NewDelivery } from '../../lambda/use-cases/ports.ts';
import { InMemoryConnectionStore, InMemoryEventPublisher } from '../support/fakes.ts';

const delivery = (overrides: Partial<NewDelivery> = {}): NewDelivery => ({
  fingerprint: 'sha256:a',
  eventId: 'e1',
  receivedAt: '2026-11-26T10:00:00.000Z',
  user: 'u',
  requestUrl: 'https://app.leadsie.com/request/r',
  requestName: 'r',
  status: 'SUCCESS',
  apiVersion: 1,
  rawBody: '{}',
  leaseUntil: 1_000,
  ...overrides,
});

const latest = (
  eventId: string,
  receivedAt: string,
  overrides: Partial<LatestConnection> = {},
): LatestConnection => ({
  user: 'u',
  requestUrl: 'https://app.leadsie.com/request/r',
  requestName: 'r',
  clientName: null,
  status: 'SUCCESS',
  accessLevel: null,
  apiVersion: 1,
  isTest: false,
  eventId,
  fingerprint: `sha256:${eventId}`,
  receivedAt,
  flat: {},
  ...overrides,
});

describe('InMemoryConnectionStore', () => {
  it('creates a delivery once per fingerprint, returning the stored one (untouched) afterwards', async () => {
    const store = new InMemoryConnectionStore();
    expect(await store.createDelivery(delivery())).toEqual({ created: true });
    const again = await store.createDelivery(delivery({ eventId: 'e2', rawBody: 'other' }));
    expect(again).toEqual({
      created: false,
      existing: { ...delivery(), version: null, publishedAt: null, publishAttempts: 0, quarantineId: null },
    });
    expect(store.deliveries()).toHaveLength(1);
  });

  it('lets a delivery be claimed only when unpublished and its lease has run out', async () => {
    const store = new InMemoryConnectionStore();
    await store.createDelivery(delivery({ leaseUntil: 1_000 }));
    expect(await store.claimDelivery('sha256:a', 999, 5_000)).toBe(false);
    expect(await store.claimDelivery('sha256:a', 1_000, 5_000)).toBe(true);
    // Now held until 5 000.
    expect(await store.claimDelivery('sha256:a', 4_999, 9_000)).toBe(false);
    await store.markPublished('sha256:a', 1, '2026-11-26T10:00:01.000Z');
    expect(await store.claimDelivery('sha256:a', 10_000, 20_000)).toBe(false);
    expect(await store.claimDelivery('sha256:unknown', 10_000, 20_000)).toBe(false);
  });

  it('counts versions per (user, request), answers superseded for an older delivery, and repeats a version for the same one', async () => {
    const store = new InMemoryConnectionStore();
    expect(await store.advanceLatest(latest('e1', '2026-01-01T00:00:00.000Z'))).toEqual({ version: 1 });
    expect(await store.advanceLatest(latest('e3', '2026-03-01T00:00:00.000Z'))).toEqual({ version: 2 });
    expect(await store.advanceLatest(latest('e2', '2026-02-01T00:00:00.000Z'))).toEqual({ superseded: true });
    expect(await store.advanceLatest(latest('e3', '2026-03-01T00:00:00.000Z'))).toEqual({ version: 2 });
    // Another request, another user: counters of their own.
    expect(
      await store.advanceLatest(latest('e4', '2026-01-01T00:00:00.000Z', { requestUrl: 'https://other' })),
    ).toEqual({ version: 1 });
    expect(await store.advanceLatest(latest('e5', '2026-01-01T00:00:00.000Z', { user: null }))).toEqual({
      version: 1,
    });
    expect(await store.latestVersion('u', 'https://app.leadsie.com/request/r')).toBe(2);
    expect(await store.latestVersion('nobody', 'https://other')).toBeNull();
    expect((await store.latestForUser('u')).map((c) => c.eventId)).toEqual(['e3', 'e4']);
    expect((await store.latestForUser(null)).map((c) => c.eventId)).toEqual(['e5']);
  });

  it('keeps a delivery pending until marked published; a publish failure keeps the version and releases the lease', async () => {
    const store = new InMemoryConnectionStore();
    await store.createDelivery(delivery({ leaseUntil: 99_999 }));
    expect(store.pending()).toHaveLength(1);
    await store.recordPublishFailure({ fingerprint: 'sha256:a', eventId: 'e' }, 3);
    expect(store.pending()).toMatchObject([{ version: 3, leaseUntil: 0, publishedAt: null }]);
    await store.markPublished('sha256:a', 3, '2026-11-26T10:00:01.000Z');
    expect(store.pending()).toEqual([]);
    expect(store.deliveries()).toMatchObject([{ version: 3, publishedAt: '2026-11-26T10:00:01.000Z' }]);
    await expect(store.markPublished('sha256:unknown', 1, 'x')).rejects.toThrow();
    await expect(
      store.recordPublishFailure({ fingerprint: 'sha256:unknown', eventId: 'e' }, 1),
    ).rejects.toThrow();
  });

  it('hands out copies, records calls, and fails on demand', async () => {
    const store = new InMemoryConnectionStore();
    await store.advanceLatest(latest('e1', '2026-01-01T00:00:00.000Z'));
    const [got] = await store.latestForUser('u');
    if (got) got.status = 'CHANGED';
    expect((await store.latestForUser('u'))[0]?.status).toBe('SUCCESS');
    store.failOn('createDelivery', new Error('down'));
    await expect(store.createDelivery(delivery())).rejects.toThrow('down');
    store.heal();
    expect(await store.createDelivery(delivery())).toEqual({ created: true });
    expect(store.calls).toEqual([
      'advanceLatest',
      'latestForUser',
      'latestForUser',
      'createDelivery',
      'createDelivery',
    ]);
  });
});

describe('InMemoryEventPublisher', () => {
  it('keeps what it published, and fails on demand (counting attempts)', async () => {
    const publisher = new InMemoryEventPublisher();
    const event = { eventId: 'e1' } as ConnectionEvent;
    await publisher.publish(event);
    publisher.failWith(new Error('topic down'));
    await expect(publisher.publish(event)).rejects.toThrow('topic down');
    publisher.heal();
    await publisher.publish({ eventId: 'e2' } as ConnectionEvent);
    expect(publisher.published.map((e) => e.eventId)).toEqual(['e1', 'e2']);
    expect(publisher.attempts).toBe(3);
  });
});
