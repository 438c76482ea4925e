/**
 * The delivery engine on a fake clock: a fake SQS queue that jumps to the next visible message, the
 * in-memory outcome ledger (the same contract as the DynamoDB one) and a target that is down for a
 * while. Hours of simulated outage run in milliseconds, and nothing here sleeps.
 */
import { ulid } from 'ulid';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type DeliveryResult,
  type EngineDeps,
  MAYBE_SENT_NOTE,
  makeDeliveryEngine,
  outcomeLine,
  poisonEventId,
  SENT_LOG_MESSAGE,
  SKIPPED_LOG_MESSAGE,
  skip,
} from '../../../lambda/consumers/runtime/engine.ts';
import { InMemoryOutcomeLedger } from '../../../lambda/consumers/runtime/memory-outcomes.ts';
import { DEFAULT_RETRY_POLICY } from '../../../lambda/consumers/runtime/schedule.ts';
import { METRIC_NAMES } from '../../../lambda/contract.ts';
import type { ConnectionEvent } from '../../../lambda/domain/envelope.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../../lambda/domain/errors.ts';
import type { OnceKey } from '../../../lambda/use-cases/ports.ts';
import { sampleEnvelope } from '../../support/envelopes.ts';
import { InMemoryMetrics } from '../../support/metrics.ts';
import { FakeClock, FakeDeadLetterQueue, FakeQueue, RecordingLog } from './fake-queue.ts';

/** The deliver function of the retired `makeSqsConsumer`. */
type Deliver = (
  event: ConnectionEvent,
  record: import('aws-lambda').SQSRecord,
) => Promise<string | undefined>;

const T0 = Date.parse('2026-11-02T10:00:00.000Z');
const HOUR = 3_600_000;
const CONSUMER = 'slack';

const envelope = (atMs = T0, version = 3): ConnectionEvent =>
  sampleEnvelope('v1-partial-success.json', {
    eventId: ulid(atMs),
    receivedAt: new Date(atMs).toISOString(),
    version,
  });

/** A target that fails while the clock is before `downUntil`, and records what reached it. */
class Target {
  downUntil = 0;
  calls = 0;
  readonly sent: string[] = [];
  /** Set to throw this instead of the outage's 503. */
  failWith: Error | undefined;
  constructor(private readonly clock: FakeClock) {}

  readonly deliver = async (event: ConnectionEvent): Promise<DeliveryResult> => {
    this.calls++;
    // Gives a concurrent copy of the same event its chance to interleave.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failWith) throw this.failWith;
    if (this.clock.nowMs < this.downUntil) throw new RetryableDeliveryError('Slack answered 503');
    this.sent.push(event.eventId);
    return 'posted 200';
  };
}

describe('the delivery engine on a fake clock', () => {
  let clock: FakeClock;
  let queue: FakeQueue;
  let dlq: FakeDeadLetterQueue;
  let outcomes: InMemoryOutcomeLedger;
  let log: RecordingLog;
  let metrics: InMemoryMetrics;
  let target: Target;

  const deps = (overrides: Partial<EngineDeps> = {}): EngineDeps => ({
    name: CONSUMER,
    deadLetters: dlq,
    delayer: queue,
    log,
    metrics,
    outcomes,
    now: clock.now,
    random: () => 0.75,
    ...overrides,
  });

  beforeEach(() => {
    clock = new FakeClock(T0);
    queue = new FakeQueue(clock);
    dlq = new FakeDeadLetterQueue();
    outcomes = new InMemoryOutcomeLedger(30);
    log = new RecordingLog();
    metrics = new InMemoryMetrics();
    target = new Target(clock);
  });

  it('survives a 6-hour outage: the message arrives exactly once after the target recovers', async () => {
    const event = envelope();
    target.downUntil = T0 + 6 * HOUR;
    queue.send(JSON.stringify(event));
    await queue.run(makeDeliveryEngine(deps(), target.deliver));

    expect(target.sent).toEqual([event.eventId]);
    expect(clock.nowMs).toBeGreaterThanOrEqual(T0 + 6 * HOUR);
    expect(clock.nowMs).toBeLessThanOrEqual(T0 + 6 * HOUR + DEFAULT_RETRY_POLICY.maxDelaySeconds * 1000);
    expect(dlq.letters).toEqual([]);

    const delays = queue.visibilityChanges.map((c) => c.seconds);
    expect(delays).toHaveLength(target.calls - 1);
    expect(target.calls).toBeGreaterThanOrEqual(8);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1] ?? 0);
    expect(delays.at(-1)).toBeGreaterThan(delays[0] ?? Infinity);

    const outcome = await outcomes.get({
      consumer: CONSUMER,
      eventId: event.eventId,
      version: event.version,
    });
    expect(outcome).toMatchObject({ state: 'done', attempts: target.calls, detail: 'posted 200' });
    expect(metrics.total(METRIC_NAMES.deliveriesRetried, { consumer: CONSUMER })).toBe(target.calls - 1);
    expect(metrics.total(METRIC_NAMES.deliveriesSucceeded, { consumer: CONSUMER })).toBe(1);
    expect(log.messages('delivery failed; will retry').map((l) => l.fields.attempt)).toEqual(
      Array.from({ length: target.calls - 1 }, (_, i) => i + 1),
    );
    expect(log.messages(SENT_LOG_MESSAGE)).toHaveLength(1);
  });

  it('sends once when two copies of one event reach two invocations at the same time', async () => {
    const body = JSON.stringify(envelope());
    queue.send(body);
    queue.send(body);
    const [first, second] = [queue.receive(1), queue.receive(1)];
    const engine = makeDeliveryEngine(deps(), target.deliver);
    const other = makeDeliveryEngine(deps(), target.deliver);
    const responses = await Promise.all([engine({ Records: first }), other({ Records: second })]);
    expect(target.sent).toHaveLength(1);
    // The loser waits out the winner's lease, then finds the event done.
    expect(responses.flatMap((r) => r.batchItemFailures)).toHaveLength(1);
    queue.settle(first, responses[0] ?? { batchItemFailures: [] });
    queue.settle(second, responses[1] ?? { batchItemFailures: [] });
    expect(queue.visibilityChanges.map((c) => c.seconds)).toEqual([15 * 60]);
    await queue.run(engine);
    expect(target.calls).toBe(1);
    expect(log.messages(SKIPPED_LOG_MESSAGE).map((l) => l.fields.reason)).toEqual(['already sent']);
  });

  it('sends once, without waiting, when two copies of one event arrive in one batch', async () => {
    const body = JSON.stringify(envelope());
    queue.send(body);
    queue.send(body);
    const response = await makeDeliveryEngine(deps(), target.deliver)({ Records: queue.receive() });
    expect(response.batchItemFailures).toEqual([]);
    expect(target.calls).toBe(1);
    expect(queue.visibilityChanges).toEqual([]);
    expect(log.messages(SKIPPED_LOG_MESSAGE).map((l) => l.fields.reason)).toEqual(['already sent']);
  });

  it('sends nothing again for a redelivery or a republish, and again when forced', async () => {
    const body = JSON.stringify(envelope());
    const engine = makeDeliveryEngine(deps(), target.deliver);
    queue.send(body);
    await queue.run(engine);
    queue.send(body);
    queue.send(body);
    await queue.run(engine);
    expect(target.sent).toHaveLength(1);

    queue.send(body, { force: true });
    await queue.run(engine);
    expect(target.sent).toHaveLength(2);
    expect(log.messages(SENT_LOG_MESSAGE).at(-1)?.fields.forced).toBe(true);
  });

  it('tries once per batch when two copies of one event arrive while the target is down', async () => {
    const event = envelope();
    target.downUntil = T0 + HOUR;
    queue.send(JSON.stringify(event));
    queue.send(JSON.stringify(event));
    const response = await makeDeliveryEngine(deps(), target.deliver)({ Records: queue.receive() });
    expect(response.batchItemFailures).toHaveLength(2);
    expect(target.calls).toBe(1);
    const [first, second] = queue.visibilityChanges.map((c) => c.seconds);
    expect(second).toBe(first);
    expect(
      (await outcomes.get({ consumer: CONSUMER, eventId: event.eventId, version: event.version }))?.attempts,
    ).toBe(1);
  });

  it('sends an event once although it comes back under another version (published again as superseded)', async () => {
    const first = envelope(T0, 3);
    const engine = makeDeliveryEngine(deps(), target.deliver);
    queue.send(JSON.stringify(first));
    await queue.run(engine);
    queue.send(JSON.stringify({ ...first, version: 0 }));
    await queue.run(engine);
    expect(target.sent).toHaveLength(1);
  });

  it('dead-letters a permanent refusal at once with its reason, lists it, and delivers it on redrive', async () => {
    const event = envelope();
    target.failWith = new PermanentDeliveryError('Slack answered 404 channel_not_found');
    queue.send(JSON.stringify(event));
    const engine = makeDeliveryEngine(deps(), target.deliver);
    await queue.run(engine);

    expect(target.calls).toBe(1);
    expect(dlq.letters).toMatchObject([
      { consumer: CONSUMER, reason: 'Slack answered 404 channel_not_found' },
    ]);
    const listed = [];
    for await (const o of outcomes.deadLetters(CONSUMER)) listed.push(o);
    expect(listed).toMatchObject([{ eventId: event.eventId, state: 'dead-lettered', expiresAt: null }]);
    expect(metrics.total(METRIC_NAMES.deliveriesDeadLettered, { consumer: CONSUMER })).toBe(1);

    // Redrive: the dead letter's body back on the work queue, the target fixed.
    target.failWith = undefined;
    queue.send(dlq.letters[0]?.body ?? '');
    await queue.run(engine);
    expect(target.sent).toEqual([event.eventId]);
    expect(await outcomes.countDeadLetters(CONSUMER)).toBe(0);
  });

  it('dead-letters by age once the horizon has passed, with the last error', async () => {
    const event = envelope();
    target.downUntil = T0 + 48 * HOUR;
    queue.send(JSON.stringify(event));
    await queue.run(makeDeliveryEngine(deps(), target.deliver));

    expect(target.sent).toEqual([]);
    expect(clock.nowMs).toBeGreaterThanOrEqual(T0 + 24 * HOUR);
    expect(clock.nowMs).toBeLessThan(T0 + 25 * HOUR);
    expect(dlq.letters).toHaveLength(1);
    expect(dlq.letters[0]?.reason).toMatch(
      /^still failing 24 h after the event was queued \(\d+ tries\); last error: Slack answered 503$/,
    );
    expect(
      await outcomes.get({ consumer: CONSUMER, eventId: event.eventId, version: event.version }),
    ).toMatchObject({
      state: 'dead-lettered',
      attempts: target.calls,
    });
  });

  it('waits at least as long as Retry-After asks', async () => {
    const event = envelope();
    let calls = 0;
    const deliver = async () => {
      calls++;
      if (calls === 1) throw new RetryableDeliveryError('Slack answered 429', 1800);
      return 'posted 200';
    };
    queue.send(JSON.stringify(event));
    await queue.run(makeDeliveryEngine(deps(), deliver));
    expect(queue.visibilityChanges.map((c) => c.seconds)).toEqual([1800]);
    expect(clock.nowMs).toBe(T0 + 1800_000);
  });

  it('records a timeout after the request went out as ambiguous, and retries it', async () => {
    const event = envelope();
    const timeout = new RetryableDeliveryError('Slack gave no answer within 8000 ms');
    timeout.name = 'TargetTimeoutError';
    let calls = 0;
    let seenAfterFailure: unknown;
    const ref = { consumer: CONSUMER, eventId: event.eventId, version: event.version };
    const deliver = async () => {
      calls++;
      if (calls === 1) throw timeout;
      seenAfterFailure = (await outcomes.get(ref))?.state;
      return 'posted 200';
    };
    queue.send(JSON.stringify(event));
    await queue.run(makeDeliveryEngine(deps(), deliver));
    expect(calls).toBe(2);
    expect(seenAfterFailure).toBe('claimed');
    expect(log.messages('delivery failed; will retry')[0]?.fields.ambiguous).toBe(true);
  });

  it('keeps the ambiguous state on the record until the retry', async () => {
    const event = envelope();
    const timeout = new RetryableDeliveryError('no answer');
    timeout.name = 'TargetTimeoutError';
    const engine = makeDeliveryEngine(deps(), async () => {
      throw timeout;
    });
    queue.send(JSON.stringify(event));
    await engine({ Records: queue.receive() });
    expect(
      await outcomes.get({ consumer: CONSUMER, eventId: event.eventId, version: event.version }),
    ).toMatchObject({
      state: 'ambiguous',
      lastError: 'no answer',
      attempts: 1,
    });
  });

  it('says a target may hold the event when a retry skips it after a try whose answer was lost', async () => {
    const event = envelope();
    const timeout = new RetryableDeliveryError('no answer');
    timeout.name = 'TargetTimeoutError';
    let calls = 0;
    const deliver = async () => {
      calls++;
      if (calls === 1) throw timeout;
      return skip('stale version');
    };
    queue.send(JSON.stringify(event));
    await queue.run(makeDeliveryEngine(deps(), deliver));
    expect(
      await outcomes.get({ consumer: CONSUMER, eventId: event.eventId, version: event.version }),
    ).toMatchObject({ state: 'skipped', reason: `stale version; ${MAYBE_SENT_NOTE}` });
  });

  it('says so too without a claim, when a stale skip may follow a send that left no record', async () => {
    const event = envelope();
    queue.send(JSON.stringify(event));
    await queue.run(
      makeDeliveryEngine(deps({ once: 'on-failure' }), async () =>
        skip('stale version', { mayFollowASend: true }),
      ),
    );
    expect(
      await outcomes.get({ consumer: CONSUMER, eventId: event.eventId, version: event.version }),
    ).toMatchObject({ state: 'skipped', reason: `stale version; ${MAYBE_SENT_NOTE}` });
  });

  it('records a skip the consumer decided with its reason, and logs it', async () => {
    const event = envelope();
    queue.send(JSON.stringify(event));
    await queue.run(makeDeliveryEngine(deps(), async () => skip('test payload')));
    expect(
      await outcomes.get({ consumer: CONSUMER, eventId: event.eventId, version: event.version }),
    ).toMatchObject({
      state: 'skipped',
      reason: 'test payload',
    });
    const line = log.messages(SKIPPED_LOG_MESSAGE)[0];
    expect(line?.fields).toMatchObject({ consumer: CONSUMER, reason: 'test payload' });
    expect(outcomeLine({ consumer: CONSUMER, outcome: 'skipped', reason: 'test payload' })).toBe(
      '[slack] skipped: test payload',
    );
    expect(outcomeLine({ consumer: CONSUMER, outcome: 'sent', detail: 'posted 200', durationMs: 180 })).toBe(
      '[slack] posted 200 in 180 ms',
    );
    expect(metrics.total(METRIC_NAMES.deliveriesSucceeded, { consumer: CONSUMER })).toBe(1);
  });

  it('dead-letters a message that is not a connection event, with the reason', async () => {
    queue.send('{"hello":');
    await queue.run(makeDeliveryEngine(deps(), target.deliver));
    expect(target.calls).toBe(0);
    expect(dlq.letters).toMatchObject([{ reason: 'the message is not JSON' }]);
    const listed = [];
    for await (const o of outcomes.deadLetters(CONSUMER)) listed.push(o);
    expect(listed).toMatchObject([
      {
        eventId: poisonEventId(dlq.letters[0]?.messageId ?? ''),
        reason: 'the message is not JSON',
        expiresAt: null,
      },
    ]);
  });

  it('gives the record back when the outcome table fails, without sending', async () => {
    const event = envelope();
    const broken = Object.create(outcomes) as InMemoryOutcomeLedger;
    broken.claim = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    queue.send(JSON.stringify(event));
    const response = await makeDeliveryEngine(
      deps({ outcomes: broken }),
      target.deliver,
    )({
      Records: queue.receive(),
    });
    expect(response.batchItemFailures).toHaveLength(1);
    expect(target.calls).toBe(0);
    expect(log.lines.at(-1)).toMatchObject({
      level: 'error',
      message: 'could not process the record; will retry',
    });
  });

  describe('a target idempotent by itself (claim skipped)', () => {
    it('writes no outcome when the first try works', async () => {
      const event = envelope();
      queue.send(JSON.stringify(event));
      await queue.run(makeDeliveryEngine(deps({ once: 'on-failure' }), target.deliver));
      expect(target.sent).toHaveLength(1);
      expect(outcomes.items.size).toBe(0);
    });

    it('records the failures and then the success when the first try fails', async () => {
      const event = envelope();
      target.downUntil = T0 + HOUR;
      queue.send(JSON.stringify(event));
      await queue.run(makeDeliveryEngine(deps({ once: 'on-failure' }), target.deliver));
      expect(target.sent).toHaveLength(1);
      expect(
        await outcomes.get({ consumer: CONSUMER, eventId: event.eventId, version: event.version }),
      ).toMatchObject({
        state: 'done',
        attempts: target.calls,
      });
    });
  });

  describe('the cut-over from the Sheets and email once-only records', () => {
    it('counts a done legacy record as done', async () => {
      const event = envelope();
      const row: OnceKey = {
        kind: 'sheet-row',
        spreadsheetId: 'abc',
        sheetName: 'Tab',
        eventId: event.eventId,
      };
      outcomes.legacy.add(InMemoryOutcomeLedger.legacyKey(row));
      queue.send(JSON.stringify(event));
      await queue.run(makeDeliveryEngine(deps({ name: 'sheets', legacy: () => [row] }), target.deliver));
      expect(target.calls).toBe(0);
      expect(
        await outcomes.get({ consumer: 'sheets', eventId: event.eventId, version: event.version }),
      ).toMatchObject({
        state: 'done',
        detail: 'sent before the cut-over',
      });
    });

    it('keeps a part sent before the cut-over from being sent again', async () => {
      const event = envelope();
      const key = (email: 'team' | 'client'): OnceKey => ({
        kind: 'email',
        consumer: 'email',
        email,
        eventId: event.eventId,
      });
      outcomes.legacy.add(InMemoryOutcomeLedger.legacyKey(key('team')));
      const sent: string[] = [];
      const deliver = async (
        _e: ConnectionEvent,
        _r: unknown,
        context: { step: <T>(n: string, f: () => Promise<T>) => Promise<T | undefined> },
      ) => {
        await context.step('team', async () => sent.push('team'));
        await context.step('client', async () => sent.push('client'));
        return 'sent';
      };
      queue.send(JSON.stringify(event));
      await queue.run(
        makeDeliveryEngine(deps({ name: 'email', legacy: () => [key('team'), key('client')] }), deliver),
      );
      expect(sent).toEqual(['client']);
    });
  });

  it('does not repeat a finished part of a multi-part send when a later part fails', async () => {
    const event = envelope();
    const sent: string[] = [];
    let clientFailures = 1;
    queue.send(JSON.stringify(event));
    await queue.run(
      makeDeliveryEngine(deps({ name: 'email' }), async (_event, _record, context) => {
        await context.step('team', async () => sent.push('team'));
        await context.step('client', async () => {
          if (clientFailures-- > 0) throw new RetryableDeliveryError('SES throttled');
          sent.push('client');
        });
        return 'sent team, client';
      }),
    );
    expect(sent).toEqual(['team', 'client']);
  });

  it('sends every part again when forced', async () => {
    const body = JSON.stringify(envelope());
    const sent: string[] = [];
    const engine = makeDeliveryEngine(deps({ name: 'email' }), async (_event, _record, context) => {
      await context.step('team', async () => sent.push('team'));
      await context.step('client', async () => sent.push('client'));
      return 'sent team, client';
    });
    queue.send(body);
    queue.send(body);
    await queue.run(engine);
    queue.send(body, { force: true });
    await queue.run(engine);
    expect(sent).toEqual(['team', 'client', 'team', 'client']);
  });

  it('scales delays, the horizon and Retry-After in local mode', async () => {
    const event = envelope();
    // One simulated hour is one second: an outage of 6 simulated hours lasts 6 seconds.
    target.downUntil = T0 + 6_000;
    queue.send(JSON.stringify(event));
    await queue.run(makeDeliveryEngine(deps({ timeScale: 1 / 3600 }), target.deliver));
    expect(target.sent).toHaveLength(1);
    expect(clock.nowMs).toBeLessThan(T0 + 6_000 + 60_000 + 4_000);
    expect(Math.max(...queue.visibilityChanges.map((c) => c.seconds))).toBeLessThanOrEqual(4);
  });

  it('takes the deliver function of makeSqsConsumer unchanged', async () => {
    const legacyDeliver: Deliver = async () => 'updated';
    queue.send(JSON.stringify(envelope()));
    await queue.run(makeDeliveryEngine(deps(), legacyDeliver));
    expect(log.messages(SENT_LOG_MESSAGE)[0]?.fields.detail).toBe('updated');
  });
});
