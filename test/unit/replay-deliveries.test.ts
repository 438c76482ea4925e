/**
 * replayDeliveries and exportConnections with in-memory inputs: filters, dry run, counts, failures
 * that stay local to one delivery, ordering.
 */
import { describe, expect, it } from 'vitest';
import { buildEnvelope, type ConnectionEvent } from '../../lambda/domain/envelope.ts';
import { fingerprint } from '../../lambda/domain/fingerprint.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';
import { compareConnections, exportConnections } from '../../lambda/use-cases/export-connections.ts';
import type { EventPublisher, StoredDelivery, StoredLatestConnection } from '../../lambda/use-cases/ports.ts';
import {
  matchesFilter,
  type ReplayOutcome,
  replayDeliveries,
} from '../../lambda/use-cases/replay-deliveries.ts';
import { InMemoryEventPublisher } from '../support/fakes.ts';
import { rawFixture } from '../unit/fixtures.ts';

let sequence = 0;

/** A stored delivery of a fixture, as ingest records it. */
const delivery = (
  name: string,
  overrides: Partial<StoredDelivery> & { payload?: Record<string, unknown> } = {},
): StoredDelivery => {
  const { payload: payloadOverrides, ...rest } = overrides;
  const json = { ...rawFixture(`${name}.json`), ...payloadOverrides };
  const rawBody = JSON.stringify(json);
  sequence++;
  return {
    publishAttempts: 0,
    quarantineId: null,
    fingerprint: fingerprint(json),
    eventId: `01EVENT${String(sequence).padStart(6, '0')}`,
    receivedAt: new Date(Date.UTC(2026, 2, 1, 0, sequence)).toISOString(),
    user: typeof json.user === 'string' && json.user !== '' ? json.user : null,
    requestUrl: String(json.requestUrl),
    requestName: String(json.requestName),
    status: typeof json.status === 'string' ? json.status : null,
    apiVersion: typeof json.apiVersion === 'number' ? json.apiVersion : 1,
    rawBody,
    leaseUntil: 0,
    version: 1,
    publishedAt: '2026-03-01T00:00:00.000Z',
    ...rest,
  };
};

/** The envelope ingest published for a stored delivery (built independently of the use case). */
const original = (d: StoredDelivery): ConnectionEvent => {
  const parsed = parsePayload(JSON.parse(d.rawBody));
  if (!parsed.ok) throw new Error('fixture does not validate');
  return buildEnvelope({
    payload: parsed.payload,
    eventId: d.eventId,
    fingerprint: d.fingerprint,
    receivedAt: d.receivedAt,
    version: d.version ?? 0,
  });
};

async function* iterate<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

const sample = (): StoredDelivery[] => [
  delivery('v1-partial-success'), // crm-contact-48213, PARTIAL_SUCCESS
  delivery('v1-failed'), // lead-7731, FAILED
  delivery('v1-success-no-user'), // no user, SUCCESS
  delivery('v2-partial-multi-platform', { version: 2 }), // hubspot-company-99123, PARTIAL_SUCCESS
  delivery('v2-success-google'), // onboarding-5521, SUCCESS
  delivery('v1-failed', { payload: { requestName: 'Bluebird again' }, version: 0 }), // superseded: version 0
];

describe('replayDeliveries', () => {
  it('publishes every delivery, in order, with the envelope ingest published (version included)', async () => {
    const deliveries = sample();
    const publisher = new InMemoryEventPublisher();
    const summary = await replayDeliveries({ deliveries: iterate(deliveries), publisher });
    expect(publisher.published).toEqual(deliveries.map(original));
    expect(publisher.published.map((e) => e.version)).toEqual([1, 1, 1, 2, 1, 0]);
    expect(summary).toEqual({
      dryRun: false,
      examined: 6,
      sent: 6,
      skipped: 0,
      skippedByReason: { filtered: 0, incomplete: 0, 'not-subscribed': 0 },
      failed: 0,
    });
  });

  it('sends nothing in a dry run, and reports exactly the outcomes a real run then has', async () => {
    const deliveries = sample();
    const dryPublisher = new InMemoryEventPublisher();
    const dryOutcomes: ReplayOutcome[] = [];
    const dry = await replayDeliveries({
      deliveries: iterate(deliveries),
      publisher: dryPublisher,
      dryRun: true,
      filter: { statuses: ['partial_success', 'FAILED'] },
      onProgress: (outcome) => dryOutcomes.push(outcome),
    });
    expect(dryPublisher.attempts).toBe(0);
    expect(dry.dryRun).toBe(true);

    const realPublisher = new InMemoryEventPublisher();
    const realOutcomes: ReplayOutcome[] = [];
    const real = await replayDeliveries({
      deliveries: iterate(deliveries),
      publisher: realPublisher,
      filter: { statuses: ['partial_success', 'FAILED'] },
      onProgress: (outcome) => realOutcomes.push(outcome),
    });
    expect(realOutcomes).toEqual(dryOutcomes);
    expect({ ...real, dryRun: true }).toEqual(dry);
    const sentInDryRun = dryOutcomes.flatMap((o) => (o.kind === 'sent' ? [o.event] : []));
    expect(realPublisher.published).toEqual(sentInDryRun);
    expect(sentInDryRun.map((e) => e.status)).toEqual([
      'PARTIAL_SUCCESS',
      'FAILED',
      'PARTIAL_SUCCESS',
      'FAILED',
    ]);
  });

  it.each([
    ['one user', { users: ['lead-7731'] }, [1, 5]],
    ['two users', { users: ['lead-7731', 'onboarding-5521'] }, [1, 4, 5]],
    ['a status, case-insensitively', { statuses: ['success'] }, [2, 4]],
    ['user and status together', { users: ['lead-7731', 'crm-contact-48213'], statuses: ['FAILED'] }, [1, 5]],
    ['an unknown user', { users: ['nobody'] }, []],
    ['empty lists (no filter)', { users: [], statuses: [] }, [0, 1, 2, 3, 4, 5]],
  ])('filters by %s', async (_name, filter, expectedIndexes) => {
    const deliveries = sample();
    const publisher = new InMemoryEventPublisher();
    const summary = await replayDeliveries({ deliveries: iterate(deliveries), publisher, filter });
    expect(publisher.published.map((e) => e.eventId)).toEqual(
      expectedIndexes.map((i) => deliveries[i]?.eventId),
    );
    expect(summary.sent).toBe(expectedIndexes.length);
    expect(summary.skipped).toBe(deliveries.length - expectedIndexes.length);
    expect(summary.skippedByReason.filtered).toBe(deliveries.length - expectedIndexes.length);
  });

  it('never matches a delivery without a user when users are asked for', () => {
    const noUser = delivery('v1-success-no-user');
    expect(noUser.user).toBeNull();
    expect(matchesFilter(noUser, { users: ['null', ''] })).toBe(false);
    expect(matchesFilter(noUser, {})).toBe(true);
    expect(matchesFilter({ ...noUser, status: null }, { statuses: ['SUCCESS'] })).toBe(false);
  });

  it('skips a delivery that was never given a version, and counts it apart from the filtered ones', async () => {
    const deliveries = [
      delivery('v1-failed', { version: null, publishedAt: null }),
      delivery('v1-partial-success'),
    ];
    const publisher = new InMemoryEventPublisher();
    const outcomes: ReplayOutcome[] = [];
    const summary = await replayDeliveries({
      deliveries: iterate(deliveries),
      publisher,
      onProgress: (o) => outcomes.push(o),
    });
    expect(outcomes.map((o) => o.kind)).toEqual(['skipped', 'sent']);
    expect(outcomes[0]).toMatchObject({ kind: 'skipped', reason: 'incomplete' });
    expect(summary.skippedByReason).toEqual({ filtered: 0, incomplete: 1, 'not-subscribed': 0 });
    expect(publisher.published).toHaveLength(1);
  });

  it('sends a published-failed delivery (version kept, not yet published) like any other', async () => {
    const pending = delivery('v1-failed', { version: 4, publishedAt: null });
    const publisher = new InMemoryEventPublisher();
    await replayDeliveries({ deliveries: iterate([pending]), publisher });
    expect(publisher.published).toEqual([original(pending)]);
  });

  it('reports and counts a delivery it cannot rebuild or publish, and goes on with the rest', async () => {
    const deliveries = sample();
    const broken = { ...delivery('v1-failed'), rawBody: '{"requestUrl": ' };
    const invalid = { ...delivery('v1-failed'), rawBody: JSON.stringify({ requestUrl: 'x' }) };
    const unlucky = deliveries[3] as StoredDelivery;
    const inner = new InMemoryEventPublisher();
    const publisher: EventPublisher = {
      publish: async (event) => {
        if (event.eventId === unlucky.eventId) throw new Error('topic unavailable');
        await inner.publish(event);
      },
    };
    const input = [deliveries[0], broken, deliveries[1], invalid, ...deliveries.slice(2)] as StoredDelivery[];
    const outcomes: ReplayOutcome[] = [];
    const summary = await replayDeliveries({
      deliveries: iterate(input),
      publisher,
      onProgress: (o) => outcomes.push(o),
    });

    expect(summary).toMatchObject({ examined: 8, sent: 5, failed: 3, skipped: 0 });
    expect(inner.published.map((e) => e.eventId)).toEqual(
      deliveries.filter((d) => d !== unlucky).map((d) => d.eventId),
    );
    const failures = outcomes.filter((o) => o.kind === 'failed');
    expect(failures).toEqual([
      expect.objectContaining({ stage: 'rebuild', error: expect.stringMatching(/JSON/) }),
      expect.objectContaining({ stage: 'rebuild', error: expect.stringMatching(/no longer validates/) }),
      expect.objectContaining({ stage: 'publish', error: 'topic unavailable' }),
    ]);
    expect(failures.map((f) => f.delivery.eventId)).toEqual([
      broken.eventId,
      invalid.eventId,
      unlucky.eventId,
    ]);
  });

  it('calls onProgress once per delivery with the running counts', async () => {
    const deliveries = sample().slice(0, 3);
    const seen: string[] = [];
    await replayDeliveries({
      deliveries: iterate(deliveries),
      publisher: new InMemoryEventPublisher(),
      filter: { users: ['lead-7731'] },
      onProgress: (o, s) => seen.push(`${o.kind}:${s.examined}/${s.sent}/${s.skipped}`),
    });
    expect(seen).toEqual(['skipped:1/0/1', 'sent:2/1/1', 'skipped:3/1/2']);
  });

  it('returns zero counts for an empty range', async () => {
    const summary = await replayDeliveries({
      deliveries: iterate([]),
      publisher: new InMemoryEventPublisher(),
    });
    expect(summary).toMatchObject({ examined: 0, sent: 0, skipped: 0, failed: 0 });
  });
});

describe('exportConnections', () => {
  const latest = (user: string | null, requestUrl: string, receivedAt: string): StoredLatestConnection => ({
    user,
    requestUrl,
    requestName: requestUrl,
    clientName: null,
    status: 'SUCCESS',
    accessLevel: null,
    apiVersion: 1,
    isTest: false,
    eventId: `${user}-${requestUrl}`,
    fingerprint: 'sha256:x',
    receivedAt,
    flat: {},
    version: 1,
  });

  const items = [
    latest('b', 'https://x/2', '2026-03-05T00:00:00.000Z'),
    latest('a', 'https://x/9', '2026-03-01T00:00:00.000Z'),
    latest(null, 'https://x/5', '2026-03-03T00:00:00.000Z'),
    latest('B', 'https://x/1', '2026-03-04T00:00:00.000Z'),
    latest('b', 'https://x/10', '2026-02-28T23:59:59.999Z'),
    latest('a', 'https://x/1', '2026-03-02T00:00:00.000Z'),
  ];

  it('sorts by user (no user first, code-unit order) then request URL', async () => {
    const result = await exportConnections({ connections: iterate(items) });
    expect(result.connections.map((c) => `${c.user}|${c.requestUrl}`)).toEqual([
      'null|https://x/5',
      'B|https://x/1',
      'a|https://x/1',
      'a|https://x/9',
      'b|https://x/10',
      'b|https://x/2',
    ]);
    expect(result.read).toBe(6);
    expect([...items].sort(compareConnections)).toEqual(result.connections);
  });

  it('keeps those received at or after --since, and reports progress per connection read', async () => {
    const progress: string[] = [];
    const result = await exportConnections({
      connections: iterate(items),
      since: new Date('2026-03-03T00:00:00.000Z'),
      onProgress: (read, kept) => progress.push(`${read}/${kept}`),
    });
    expect(result.connections.map((c) => c.receivedAt)).toEqual([
      '2026-03-03T00:00:00.000Z',
      '2026-03-04T00:00:00.000Z',
      '2026-03-05T00:00:00.000Z',
    ]);
    expect(result.read).toBe(6);
    expect(progress).toEqual(['1/1', '2/1', '3/2', '4/3', '5/3', '6/3']);
  });
});
