/**
 * Outcome records: what one consumer did with one event. The same item is the once-only
 * claim (a conditional write before the send) and the answer to "what happened to this event?"
 * (`events show`, `deliveries`, `dead-letters list`).
 *
 *   pk = OUTCOME#<consumer>#<yyyy-mm-dd of the eventId's time>   sk = <eventId>
 *
 * The key holds no version: an event keeps its version for good except in one case, a delivery
 * resumed after its "published" mark was lost while a newer one became the latest, which is
 * published again as version 0 (superseded). Keyed by eventId alone, that second copy still finds
 * the first one's record, so nothing is sent twice; the item's `version` says which one was sent.
 *
 * eventIds are ULIDs, so the day comes from the id itself: a reader that knows the eventId finds the
 * item with one GetItem, and a day of one consumer is one Query, without any index. Unresolved dead
 * letters also carry `statePk = DEADLETTERED#<consumer>` for the sparse `byState` index.
 *
 * States and who may claim over them:
 *
 *   (none) ─claim─▶ claimed ─▶ done                       blocks every later claim (except force)
 *                     │    ├─▶ skipped (reason)           claimable: the consumer decides again
 *                     │    ├─▶ retrying / ambiguous       claimable once the message is back
 *                     │    └─▶ dead-lettered (reason)     claimable again on redrive
 *                     └─ lease expired (a crash) ─▶ claimable, reported as `recovering`
 */
import { decodeTime, encodeTime, isValid } from 'ulid';
import { STATE_PARTITIONS } from '../../contract.ts';
import type { OnceKey } from '../../use-cases/ports.ts';

export type OutcomeState = 'claimed' | 'done' | 'skipped' | 'retrying' | 'ambiguous' | 'dead-lettered';

/** One consumer's outcome of one event; `version` is the one it was last tried with. */
export interface OutcomeRef {
  consumer: string;
  eventId: string;
  version: number;
}

export interface Outcome extends OutcomeRef {
  state: OutcomeState;
  /** Tries so far (each claim counts one). */
  attempts: number;
  /** ISO time of the last write. */
  updatedAt: string;
  /** Epoch ms until which a `claimed` item belongs to the attempt that claimed it. */
  leaseUntil: number | null;
  /** Why it was skipped or dead-lettered. */
  reason: string | null;
  /** The last failure (retrying, ambiguous, dead-lettered). */
  lastError: string | null;
  /** ISO time the message comes back (retrying, ambiguous). */
  nextAttemptAt: string | null;
  /** The delay last set on the message, in seconds (decorrelated jitter grows from it). */
  lastDelaySeconds: number | null;
  /** What the send said (`posted 200`, `updated`), when done. */
  detail: string | null;
  /** Steps of a multi-part send already done (email: `team`, `client`), by name, with their time. */
  steps: Record<string, string>;
  /** Epoch seconds when the table may delete the item; null for an unresolved dead letter. */
  expiresAt: number | null;
  /** ISO time a dead letter was resolved (redriven and delivered, or discarded). */
  resolvedAt: string | null;
}

export type ClaimResult =
  /** This attempt sends. `previous`: the state it claimed over (null: first try); `recovering` when
   *  an earlier attempt claimed and never wrote back (a crash: its send may or may not have happened). */
  | {
      outcome: 'claimed';
      previous: OutcomeState | null;
      recovering: boolean;
      attempts: number;
      outcomeBefore: Outcome | null;
    }
  /** Sent already (a redelivery, a republish, a replay without force). */
  | { outcome: 'done'; outcomeBefore: Outcome }
  /** Another attempt holds the claim until `leaseUntil` (epoch ms): two copies arrived together. */
  | { outcome: 'busy'; leaseUntil: number };

export interface ClaimOptions {
  nowMs: number;
  /** Epoch ms until which this attempt owns the item (longer than one invocation may run). */
  leaseUntil: number;
  /** Send again even when done (`replay --force`), every part anew; an active lease still wins. */
  force: boolean;
}

export interface FailureRecord {
  nowMs: number;
  state: 'retrying' | 'ambiguous';
  attempts: number;
  lastError: string;
  nextAttemptAt: string;
  lastDelaySeconds: number;
}

/**
 * Where outcome records live. `lambda/consumers/runtime/dynamodb-outcomes.ts` keeps them in the
 * connections table; `memory-outcomes.ts` in a Map (tests, dry runs). Both pass one contract test.
 */
export interface OutcomeLedger {
  /** Claims the send with one conditional write, unless it is done (and not forced) or leased. */
  claim(ref: OutcomeRef, options: ClaimOptions): Promise<ClaimResult>;
  /** Marks the send done (the second write of the success path). */
  done(ref: OutcomeRef, nowMs: number, detail: string | null, attempts: number): Promise<void>;
  /** Records a step of a multi-part send done, so a retry does not repeat it. */
  stepDone(ref: OutcomeRef, step: string, nowMs: number): Promise<void>;
  /** Records a skip the consumer decided, with its reason; never overwrites a done item. */
  skipped(ref: OutcomeRef, nowMs: number, reason: string, attempts: number): Promise<void>;
  /** Records a failed try that will be retried; never overwrites a done item. */
  failed(ref: OutcomeRef, failure: FailureRecord): Promise<void>;
  /** Records a dead letter (listed until resolved, never expires meanwhile); never overwrites a done item. */
  deadLettered(ref: OutcomeRef, nowMs: number, reason: string, attempts: number): Promise<void>;
  /** Resolves a dead letter without delivering it (discarded by the operator): it leaves the list and may expire. */
  resolve(ref: OutcomeRef, nowMs: number, note: string): Promise<boolean>;
  /** One outcome; null when the consumer has none for this event (the ref's version is not part of the key). */
  get(ref: OutcomeRef): Promise<Outcome | null>;
  /** Every outcome of one consumer for events whose id time is in [sinceMs, untilMs], oldest first. */
  since(consumer: string, sinceMs: number, untilMs: number): AsyncGenerator<Outcome>;
  /** Unresolved dead letters of one consumer, oldest first. */
  deadLetters(consumer: string): AsyncGenerator<Outcome>;
  /** How many dead letters of one consumer are unresolved. */
  countDeadLetters(consumer: string): Promise<number>;
  /** True when the Sheets/email once-only record of before the cut-over says this was done. */
  legacyDone(key: OnceKey): Promise<boolean>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The time an eventId stands for: its ULID time; an id that is no ULID falls back to `fallbackMs`. */
export const eventIdTime = (eventId: string, fallbackMs: number): number =>
  isValid(eventId) ? decodeTime(eventId) : fallbackMs;

/** `yyyy-mm-dd` (UTC) of an epoch ms. */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Key builders: the only place the outcome key formats are spelled out. An eventId that is not a
 * ULID (hand-made test ids) files under day 1970-01-01, so it is still found by GetItem.
 */
export const outcomeKeys = {
  partition: (consumer: string, day: string) => `OUTCOME#${consumer}#${day}`,
  pk: (ref: OutcomeRef) => outcomeKeys.partition(ref.consumer, dayOf(eventIdTime(ref.eventId, 0))),
  sk: (ref: Pick<OutcomeRef, 'eventId'>) => ref.eventId,
  deadLetterPartition: (consumer: string) => STATE_PARTITIONS.deadLettered(consumer),
  deadLetterSort: (deadLetteredAt: string, ref: OutcomeRef) =>
    `${deadLetteredAt}#${ref.eventId}#${ref.version}`,
  /** The smallest sort key of events at or after `ms` (a ULID's first 10 characters are its time). */
  sortFloor: (ms: number) => encodeTime(ms, 10),
  /** A sort key above those of every event at or before `ms` (`~` sorts after the ULID alphabet). */
  sortCeiling: (ms: number) => `${encodeTime(ms, 10)}~`,
};

/** The day partitions holding [sinceMs, untilMs], oldest first. */
export const daysBetween = (sinceMs: number, untilMs: number): string[] => {
  const days: string[] = [];
  for (let day = Math.floor(sinceMs / DAY_MS) * DAY_MS; day <= untilMs; day += DAY_MS) days.push(dayOf(day));
  return days;
};

/** Epoch seconds `retentionDays` after `nowMs`: the `expiresAt` of a record written now. */
export const expiryOf = (nowMs: number, retentionDays: number): number =>
  Math.floor(nowMs / 1000) + Math.round(retentionDays * 24 * 60 * 60);

/** A step name of the legacy email record, so a team email sent before the cut-over is not sent again. */
export const legacyStepOf = (key: OnceKey): string => (key.kind === 'email' ? key.email : 'row');

/** What every consumer did with one event version (`events show`): one GetItem per consumer. */
export const outcomesOfEvent = (
  ledger: OutcomeLedger,
  consumers: readonly string[],
  eventId: string,
  version: number,
): Promise<{ consumer: string; outcome: Outcome | null }[]> =>
  Promise.all(
    consumers.map(async (consumer) => ({
      consumer,
      outcome: await ledger.get({ consumer, eventId, version }),
    })),
  );
