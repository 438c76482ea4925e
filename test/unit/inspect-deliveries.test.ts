/**
 * The operator reads over the outcome records (`lambda/use-cases/inspect-deliveries.ts`) on the
 * in-memory ledger, which keeps the same rules as the DynamoDB one.
 */
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { consumerNameOf } from '../../cli/consumers.ts';
import { InMemoryOutcomeLedger } from '../../lambda/consumers/runtime/memory-outcomes.ts';
import type { Outcome } from '../../lambda/consumers/runtime/outcomes.ts';
import { FORCE_MESSAGE_ATTRIBUTE } from '../../lambda/contract.ts';
import { envelopeOfDelivery } from '../../lambda/use-cases/envelope-of-delivery.ts';
import {
  type ConsumerEndpoint,
  ConsumerQueuePublisher,
  chooseConsumers,
  eventOfDeadLetter,
  findDelivery,
  listOutcomes,
  type MessageAttributes,
  type RedriveStep,
  redriveDeadLetters,
  showEvent,
} from '../../lambda/use-cases/inspect-deliveries.ts';
import type { StoredDelivery } from '../../lambda/use-cases/ports.ts';
import { fixtureText } from '../support/pipeline.ts';

const AT = Date.parse('2026-03-02T10:00:00.000Z');

const stored = (eventId: string, fixture: string, version: number | null = 1): StoredDelivery => ({
  fingerprint: `sha256:${eventId}`,
  eventId,
  receivedAt: new Date(AT).toISOString(),
  user: 'lead-7731',
  requestUrl: 'https://app.leadsie.com/request/x',
  requestName: 'X',
  status: 'FAILED',
  apiVersion: 1,
  rawBody: fixtureText(fixture),
  leaseUntil: 0,
  version,
  publishedAt: null,
  publishAttempts: 0,
  quarantineId: null,
});

/** A store whose byTime index holds these deliveries. */
const storeOf = (deliveries: StoredDelivery[]) => ({
  async *deliveriesBetween(since: Date, until: Date) {
    for (const d of deliveries) {
      const t = Date.parse(d.receivedAt);
      if (t >= since.getTime() && t < until.getTime()) yield d;
    }
  },
});

const endpoint = (
  name: string,
  filterPolicy: ConsumerEndpoint['filterPolicy'],
  sent: { body: string; attributes: MessageAttributes }[] = [],
): ConsumerEndpoint => ({
  name,
  filterPolicy,
  enqueue: async (body, attributes) => {
    sent.push({ body, attributes });
  },
  redrive: async (onMoved) => {
    onMoved({ eventId: 'E', reason: 'r' });
    return 1;
  },
});

describe('events show', () => {
  it('finds the delivery by the time in its ULID, and says per consumer what happened', async () => {
    const eventId = ulid(AT);
    const ledger = new InMemoryOutcomeLedger(30);
    const ref = { consumer: 'slack', eventId, version: 1 };
    await ledger.claim(ref, { nowMs: AT, leaseUntil: AT + 1000, force: false });
    await ledger.done(ref, AT, 'posted 200', 1);
    const report = await showEvent({
      eventId,
      store: storeOf([stored(ulid(AT), 'v1-failed'), stored(eventId, 'v1-failed')]),
      ledger,
      consumers: [
        endpoint('slack', undefined),
        endpoint('sheets', { status: ['SUCCESS'] }),
        endpoint('hubspot', { status: ['FAILED'] }),
        endpoint('elsewhere', null),
      ],
    });
    expect(report?.delivery.eventId).toBe(eventId);
    expect(report?.flat).toEqual(report?.event?.flat);
    expect(report?.consumers).toEqual([
      {
        consumer: 'slack',
        kind: 'outcome',
        outcome: expect.objectContaining({ state: 'done', detail: 'posted 200' }),
      },
      { consumer: 'sheets', kind: 'filtered out' },
      { consumer: 'hubspot', kind: 'no outcome', passesFilter: true },
      { consumer: 'elsewhere', kind: 'no outcome', passesFilter: null },
    ]);
  });

  it('finds nothing for an id that is no ULID, or one not stored', async () => {
    const store = storeOf([stored(ulid(AT), 'v1-failed')]);
    expect(await findDelivery(store, 'not-a-ulid')).toBeNull();
    expect(await findDelivery(store, ulid(AT))).toBeNull();
    const none = await showEvent({
      eventId: ulid(AT),
      store: storeOf([]),
      ledger: new InMemoryOutcomeLedger(30),
      consumers: [],
    });
    expect(none).toBeNull();
  });
});

describe('deliveries', () => {
  it('lists the outcomes of the range, oldest event first, filtered by state', async () => {
    const ledger = new InMemoryOutcomeLedger(30);
    const [early, late, outside] = [ulid(AT), ulid(AT + 60_000), ulid(AT + 3 * 86_400_000)];
    await ledger.skipped({ consumer: 'hubspot', eventId: late, version: 1 }, AT, 'test payload', 1);
    await ledger.deadLettered({ consumer: 'slack', eventId: early, version: 1 }, AT, 'gone', 2);
    await ledger.skipped({ consumer: 'slack', eventId: outside, version: 1 }, AT, 'stale version', 1);
    const all = await listOutcomes({
      ledger,
      consumers: ['slack', 'hubspot'],
      sinceMs: AT,
      untilMs: AT + 86_400_000,
    });
    expect(all.map((o) => [o.eventId, o.consumer, o.state])).toEqual([
      [early, 'slack', 'dead-lettered'],
      [late, 'hubspot', 'skipped'],
    ]);
    const skipped = await listOutcomes({
      ledger,
      consumers: ['slack', 'hubspot'],
      sinceMs: AT,
      untilMs: AT + 5 * 86_400_000,
      states: ['skipped'],
    });
    expect(skipped.map((o) => o.reason)).toEqual(['test payload', 'stale version']);
  });

  it('refuses a consumer name the target does not have, naming those it has', () => {
    const all = [{ name: 'slack' }, { name: 'email' }];
    expect(chooseConsumers(all, [])).toEqual(all);
    expect(chooseConsumers(all, ['email'])).toEqual([{ name: 'email' }]);
    expect(() => chooseConsumers(all, ['elsewhere'])).toThrow(
      'no consumer named "elsewhere" (consumers: slack, email)',
    );
  });
});

describe('dead-letters redrive', () => {
  it('moves the queue back, resends from the store what SQS no longer has, and moves nothing in a dry run', async () => {
    const ledger = new InMemoryOutcomeLedger(30);
    const [inQueue, expired, poison, again] = [ulid(AT), ulid(AT + 1), 'poison:m-1', ulid(AT + 2)];
    for (const eventId of [inQueue, expired, poison]) {
      await ledger.deadLettered(
        { consumer: 'slack', eventId, version: eventId === poison ? 0 : 1 },
        AT,
        'gone',
        2,
      );
    }
    // Dead-lettered (again) after the redrive started: its message is in the queue for the next run.
    await ledger.deadLettered({ consumer: 'slack', eventId: again, version: 1 }, AT + 5_000, 'gone', 3);
    const startedAtMs = AT + 1_000;
    const sent: { body: string; attributes: MessageAttributes }[] = [];
    const slack: ConsumerEndpoint = {
      ...endpoint('slack', undefined, sent),
      redrive: async (onMoved) => {
        onMoved({ eventId: inQueue, reason: 'gone' });
        return 1;
      },
    };
    const consumers = [slack, endpoint('email', undefined)];
    const store = storeOf([stored(expired, 'v1-failed')]);
    const rebuild = (outcome: Outcome) => eventOfDeadLetter(store, outcome);

    const dry = await redriveDeadLetters({ ledger, consumers, dryRun: true, rebuild, startedAtMs });
    expect(dry.consumers).toEqual([
      { consumer: 'slack', unresolved: 4, moved: 0, resent: 0, unavailable: 0 },
      { consumer: 'email', unresolved: 0, moved: 0, resent: 0, unavailable: 0 },
    ]);
    expect(sent).toEqual([]);

    const steps: RedriveStep[] = [];
    const real = await redriveDeadLetters({
      ledger,
      consumers,
      dryRun: false,
      startedAtMs,
      rebuild,
      onStep: (s) => steps.push(s),
    });
    expect(real.consumers[0]).toEqual({
      consumer: 'slack',
      unresolved: 4,
      moved: 1,
      resent: 1,
      unavailable: 1,
    });
    expect(steps.map((s) => [s.kind, s.eventId])).toEqual([
      ['moved', inQueue],
      ['resent', expired],
      ['unavailable', poison],
      ['moved', 'E'],
    ]);
    expect(steps[2]).toMatchObject({ why: 'not a stored event' });
    expect(sent.map((m) => JSON.parse(m.body).eventId)).toEqual([expired]);
  });
});

describe('replay --consumer', () => {
  it('sends the envelope with its attributes to the queue, force only when asked, and honours the filter', async () => {
    const sent: { body: string; attributes: MessageAttributes }[] = [];
    const consumer = endpoint('hubspot', { isTest: ['false'] }, sent);
    const event = envelopeOfDelivery(stored(ulid(AT), 'v1-failed'));
    const plain = new ConsumerQueuePublisher(consumer, false);
    expect(plain.accepts(event)).toBe(true);
    expect(plain.accepts({ ...event, isTest: true })).toBe(false);
    await plain.publish(event);
    await new ConsumerQueuePublisher(consumer, true).publish(event);
    expect(JSON.parse(sent[0]?.body ?? '')).toEqual(event);
    expect(sent[0]?.attributes).toMatchObject({ status: { DataType: 'String', StringValue: 'FAILED' } });
    expect(sent[0]?.attributes[FORCE_MESSAGE_ATTRIBUTE.name]).toBeUndefined();
    expect(sent[1]?.attributes[FORCE_MESSAGE_ATTRIBUTE.name]).toEqual({
      DataType: FORCE_MESSAGE_ATTRIBUTE.dataType,
      StringValue: FORCE_MESSAGE_ATTRIBUTE.value,
    });
  });
});

describe('consumer names from stack outputs', () => {
  it.each([
    ['Slack', 'slack'],
    ['ForwardZapier', 'forward-zapier'],
    ['Email', 'email'],
  ])('%s → %s', (pascal, name) => expect(consumerNameOf(pascal)).toBe(name));
});
