/**
 * The rules every `OutcomeLedger` keeps, run against the in-memory fake and against the DynamoDB
 * ledger on moto, so the fake the engine tests use cannot drift from the real one.
 */
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import type { OutcomeLedger, OutcomeRef } from '../../../lambda/consumers/runtime/outcomes.ts';
import type { OnceKey } from '../../../lambda/use-cases/ports.ts';

export interface LedgerUnderTest {
  ledger: OutcomeLedger;
  /** Writes a done once-only record in the pre-cut-over format. */
  markLegacyDone(key: OnceKey): Promise<void>;
}

const T0 = Date.parse('2026-11-02T10:00:00.000Z');
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const RETENTION_DAYS = 30;

let counter = 0;
/** A fresh consumer name per test, so tests sharing one table never see each other's items. */
const consumer = () => `consumer-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
const refAt = (name: string, ms: number, version = 1): OutcomeRef => ({
  consumer: name,
  eventId: ulid(ms),
  version,
});
const collect = async <T>(items: AsyncGenerator<T>): Promise<T[]> => {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
};

export const describeOutcomeLedgerContract = (
  label: string,
  /** A ledger with a retention of `RETENTION_DAYS`. */
  setup: () => LedgerUnderTest,
  /**
   * False where the store does not make concurrent conditional writes atomic: moto's threaded server
   * has no per-item lock (DynamoDB and dynalite have), so that one case runs elsewhere.
   */
  options: { atomicConcurrentWrites: boolean } = { atomicConcurrentWrites: true },
): void => {
  describe(`OutcomeLedger contract: ${label}`, () => {
    const claimAt = (ledger: OutcomeLedger, ref: OutcomeRef, nowMs: number, force = false) =>
      ledger.claim(ref, { nowMs, leaseUntil: nowMs + 15 * MIN, force });

    it('claims a new event once, with a lease and an expiry; a second claim meanwhile is busy', async () => {
      const { ledger } = setup();
      const ref = refAt(consumer(), T0);
      const first = await claimAt(ledger, ref, T0);
      expect(first).toMatchObject({ outcome: 'claimed', previous: null, recovering: false, attempts: 1 });
      expect(await claimAt(ledger, ref, T0 + MIN)).toEqual({ outcome: 'busy', leaseUntil: T0 + 15 * MIN });
      const stored = await ledger.get(ref);
      expect(stored).toMatchObject({
        ...ref,
        state: 'claimed',
        attempts: 1,
        leaseUntil: T0 + 15 * MIN,
        expiresAt: Math.floor(T0 / 1000) + RETENTION_DAYS * 86_400,
      });
    });

    it.runIf(options.atomicConcurrentWrites)(
      'lets exactly one of many simultaneous claims through',
      async () => {
        const { ledger } = setup();
        const ref = refAt(consumer(), T0);
        const claims = await Promise.all(Array.from({ length: 6 }, () => claimAt(ledger, ref, T0)));
        expect(claims.filter((c) => c.outcome === 'claimed')).toHaveLength(1);
        expect(claims.filter((c) => c.outcome === 'busy')).toHaveLength(5);
      },
    );

    it('blocks every claim once done, except a forced one; a late failure never undoes done', async () => {
      const { ledger } = setup();
      const ref = refAt(consumer(), T0);
      await claimAt(ledger, ref, T0);
      await ledger.done(ref, T0 + 1000, 'posted 200', 1);
      await ledger.failed(ref, {
        nowMs: T0 + 2000,
        state: 'retrying',
        attempts: 1,
        lastError: 'late copy failed',
        nextAttemptAt: new Date(T0).toISOString(),
        lastDelaySeconds: 30,
      });
      await ledger.deadLettered(ref, T0 + 3000, 'late copy', 1);
      await ledger.skipped(ref, T0 + 4000, 'late copy', 1);
      const again = await claimAt(ledger, ref, T0 + 20 * MIN);
      expect(again).toMatchObject({
        outcome: 'done',
        outcomeBefore: { state: 'done', detail: 'posted 200' },
      });
      expect(await ledger.countDeadLetters(ref.consumer)).toBe(0);
      const forced = await claimAt(ledger, ref, T0 + 20 * MIN, true);
      expect(forced).toMatchObject({ outcome: 'claimed', previous: 'done', attempts: 2 });
    });

    it('takes over a claim whose lease ran out (a crashed try), as recovering', async () => {
      const { ledger } = setup();
      const ref = refAt(consumer(), T0);
      await claimAt(ledger, ref, T0);
      const later = await claimAt(ledger, ref, T0 + 16 * MIN);
      expect(later).toMatchObject({ outcome: 'claimed', previous: 'claimed', recovering: true, attempts: 2 });
    });

    it('records retrying and ambiguous tries, which stay claimable', async () => {
      const { ledger } = setup();
      const ref = refAt(consumer(), T0);
      await claimAt(ledger, ref, T0);
      const next = new Date(T0 + 5 * MIN).toISOString();
      await ledger.failed(ref, {
        nowMs: T0 + 1000,
        state: 'ambiguous',
        attempts: 1,
        lastError: 'no answer within the timeout',
        nextAttemptAt: next,
        lastDelaySeconds: 300,
      });
      expect(await ledger.get(ref)).toMatchObject({
        state: 'ambiguous',
        attempts: 1,
        lastError: 'no answer within the timeout',
        nextAttemptAt: next,
        lastDelaySeconds: 300,
        leaseUntil: null,
      });
      const retry = await claimAt(ledger, ref, T0 + 5 * MIN);
      expect(retry).toMatchObject({
        outcome: 'claimed',
        previous: 'ambiguous',
        recovering: false,
        attempts: 2,
      });
      if (retry.outcome === 'claimed') expect(retry.outcomeBefore?.lastDelaySeconds).toBe(300);
    });

    it('records a skip with its reason; the consumer decides again on a redelivery', async () => {
      const { ledger } = setup();
      const ref = refAt(consumer(), T0);
      await claimAt(ledger, ref, T0);
      await ledger.skipped(ref, T0 + 1000, 'test payload', 1);
      expect(await ledger.get(ref)).toMatchObject({
        state: 'skipped',
        reason: 'test payload',
        leaseUntil: null,
      });
      expect(await claimAt(ledger, ref, T0 + 2000)).toMatchObject({
        outcome: 'claimed',
        previous: 'skipped',
      });
    });

    it('lists a dead letter without expiry until it is claimed again (redrive) or resolved', async () => {
      const { ledger } = setup();
      const name = consumer();
      const a = refAt(name, T0);
      const b = refAt(name, T0 + MIN);
      for (const [i, ref] of [a, b].entries()) {
        await claimAt(ledger, ref, T0 + i);
        await ledger.deadLettered(ref, T0 + 10 * MIN + i, `refused ${i}`, 3);
      }
      expect(await ledger.countDeadLetters(name)).toBe(2);
      expect(await ledger.countDeadLetters(consumer())).toBe(0);
      const listed = await collect(ledger.deadLetters(name));
      expect(listed.map((o) => [o.eventId, o.reason, o.attempts, o.expiresAt])).toEqual([
        [a.eventId, 'refused 0', 3, null],
        [b.eventId, 'refused 1', 3, null],
      ]);

      // Redrive: claimable again, and no longer listed while it is being delivered.
      expect(await claimAt(ledger, a, T0 + DAY)).toMatchObject({
        outcome: 'claimed',
        previous: 'dead-lettered',
      });
      await ledger.done(a, T0 + DAY + 1000, 'posted 200', 4);
      expect(await ledger.get(a)).toMatchObject({
        state: 'done',
        expiresAt: Math.floor((T0 + DAY + 1000) / 1000) + RETENTION_DAYS * 86_400,
      });

      // Resolved by the operator: leaves the list, may expire, and only once.
      expect(await ledger.resolve(b, T0 + DAY, 'discarded')).toBe(true);
      expect(await ledger.resolve(b, T0 + DAY, 'discarded')).toBe(false);
      expect(await ledger.resolve(a, T0 + DAY, 'discarded')).toBe(false);
      expect(await ledger.get(b)).toMatchObject({
        state: 'dead-lettered',
        resolvedAt: new Date(T0 + DAY).toISOString(),
      });
      expect((await ledger.get(b))?.expiresAt).toBeGreaterThan(0);
      expect(await collect(ledger.deadLetters(name))).toEqual([]);
      expect(await ledger.countDeadLetters(name)).toBe(0);
    });

    it('keeps the steps of a multi-part send across tries', async () => {
      const { ledger } = setup();
      const ref = refAt(consumer(), T0);
      await claimAt(ledger, ref, T0);
      await ledger.stepDone(ref, 'team', T0 + 1000);
      await ledger.failed(ref, {
        nowMs: T0 + 2000,
        state: 'retrying',
        attempts: 1,
        lastError: 'SES throttled',
        nextAttemptAt: new Date(T0 + MIN).toISOString(),
        lastDelaySeconds: 60,
      });
      const retry = await claimAt(ledger, ref, T0 + MIN);
      expect(retry.outcome === 'claimed' && retry.outcomeBefore?.steps).toEqual({
        team: new Date(T0 + 1000).toISOString(),
      });
      await ledger.done(ref, T0 + 2 * MIN, 'sent', 2);
      await claimAt(ledger, ref, T0 + 3 * MIN, true);
      expect((await ledger.get(ref))?.steps).toEqual({});
    });

    it('lists the outcomes of a consumer since a time, across day partitions, oldest first', async () => {
      const { ledger } = setup();
      const name = consumer();
      const times = [T0 - 2 * DAY, T0 - DAY - MIN, T0 - DAY + MIN, T0, T0 + 2 * MIN, T0 + 4 * MIN];
      const refs = times.map((t) => refAt(name, t));
      for (const ref of refs) await ledger.done(ref, T0 + 3 * MIN, 'ok', 1);
      await ledger.done(refAt(consumer(), T0), T0, 'other consumer', 1);
      const since = await collect(ledger.since(name, T0 - DAY, T0 + 3 * MIN));
      expect(since.map((o) => o.eventId)).toEqual([refs[2], refs[3], refs[4]].map((r) => r?.eventId));
      const all = await collect(ledger.since(name, T0 - 3 * DAY, T0 + 3 * MIN));
      expect(all).toHaveLength(5);
      const oneDay = await collect(ledger.since(name, T0 - MIN, T0 + 5 * MIN));
      expect(oneDay.map((o) => o.eventId)).toEqual([refs[3], refs[4], refs[5]].map((r) => r?.eventId));
    });

    it('keeps one record per event whatever its version, found by GetItem; nothing for an unknown one', async () => {
      const { ledger } = setup();
      const name = consumer();
      const v2 = refAt(name, T0, 2);
      await ledger.done(v2, T0, 'posted 200', 1);
      // The same event published again as version 0 (superseded on resume) finds the done record.
      const again = await ledger.claim(
        { ...v2, version: 0 },
        { nowMs: T0 + MIN, leaseUntil: T0 + 2 * MIN, force: false },
      );
      expect(again.outcome).toBe('done');
      expect(await ledger.get({ ...v2, version: 0 })).toMatchObject({
        state: 'done',
        version: 2,
        detail: 'posted 200',
      });
      expect(await ledger.get(refAt(name, T0 + MIN, 2))).toBeNull();
    });

    it('reads the once-only records of before the cut-over', async () => {
      const under = setup();
      const eventId = ulid(T0);
      const row: OnceKey = {
        kind: 'sheet-row',
        spreadsheetId: 'sheet123',
        sheetName: 'Connections',
        eventId,
      };
      const team: OnceKey = { kind: 'email', consumer: 'email', email: 'team', eventId };
      expect(await under.ledger.legacyDone(row)).toBe(false);
      await under.markLegacyDone(row);
      await under.markLegacyDone(team);
      expect(await under.ledger.legacyDone(row)).toBe(true);
      expect(await under.ledger.legacyDone(team)).toBe(true);
      expect(await under.ledger.legacyDone({ ...team, email: 'client' })).toBe(false);
    });
  });
};
