/**
 * Outcome records in a Map: the same rules as the DynamoDB ledger (one contract test runs against
 * both), for unit tests and dry runs. Single-threaded JavaScript makes each method atomic, as a
 * conditional write is.
 */
import type { OnceKey } from '../../use-cases/ports.ts';
import {
  type ClaimOptions,
  type ClaimResult,
  dayOf,
  daysBetween,
  eventIdTime,
  expiryOf,
  type FailureRecord,
  type Outcome,
  type OutcomeLedger,
  type OutcomeRef,
  outcomeKeys,
} from './outcomes.ts';

const keyOf = (ref: OutcomeRef) => `${outcomeKeys.pk(ref)}|${outcomeKeys.sk(ref)}`;

export class InMemoryOutcomeLedger implements OutcomeLedger {
  readonly items = new Map<string, Outcome & { deadLetteredAt: string | null }>();
  /** Legacy once-only records marked done (`kind:…` keys), for cut-over tests. */
  readonly legacy = new Set<string>();

  constructor(private readonly retentionDays: number) {}

  static legacyKey(key: OnceKey): string {
    return JSON.stringify(key);
  }

  async claim(ref: OutcomeRef, options: ClaimOptions): Promise<ClaimResult> {
    const before = this.items.get(keyOf(ref));
    if (before?.state === 'claimed' && (before.leaseUntil ?? 0) > options.nowMs) {
      return { outcome: 'busy', leaseUntil: before.leaseUntil ?? 0 };
    }
    if (before?.state === 'done' && !options.force) return { outcome: 'done', outcomeBefore: copy(before) };
    const attempts = (before?.attempts ?? 0) + 1;
    this.items.set(keyOf(ref), {
      ...(before ?? blank()),
      // Every write names the version it was made for, as the DynamoDB ledger's SET does.
      ...ref,
      state: 'claimed',
      attempts,
      leaseUntil: options.leaseUntil,
      updatedAt: iso(options.nowMs),
      expiresAt: expiryOf(options.nowMs, this.retentionDays),
      deadLetteredAt: null,
      steps: options.force ? {} : { ...(before?.steps ?? {}) },
    });
    return {
      outcome: 'claimed',
      previous: before?.state ?? null,
      recovering: before?.state === 'claimed',
      attempts,
      outcomeBefore: before ? copy(before) : null,
    };
  }

  async done(ref: OutcomeRef, nowMs: number, detail: string | null, attempts: number): Promise<void> {
    const before = this.items.get(keyOf(ref));
    this.items.set(keyOf(ref), {
      ...(before ?? blank()),
      // Every write names the version it was made for, as the DynamoDB ledger's SET does.
      ...ref,
      state: 'done',
      attempts,
      detail,
      leaseUntil: null,
      nextAttemptAt: null,
      updatedAt: iso(nowMs),
      expiresAt: expiryOf(nowMs, this.retentionDays),
      deadLetteredAt: null,
    });
  }

  async stepDone(ref: OutcomeRef, step: string, nowMs: number): Promise<void> {
    const before = this.items.get(keyOf(ref));
    if (!before) throw new Error(`no outcome record to add step ${step} to`);
    before.steps = { ...before.steps, [step]: iso(nowMs) };
  }

  async skipped(ref: OutcomeRef, nowMs: number, reason: string, attempts: number): Promise<void> {
    this.write(ref, nowMs, () => ({
      state: 'skipped',
      reason,
      attempts,
      leaseUntil: null,
      nextAttemptAt: null,
    }));
  }

  async failed(ref: OutcomeRef, failure: FailureRecord): Promise<void> {
    this.write(ref, failure.nowMs, () => ({
      state: failure.state,
      attempts: failure.attempts,
      lastError: failure.lastError,
      nextAttemptAt: failure.nextAttemptAt,
      lastDelaySeconds: failure.lastDelaySeconds,
      leaseUntil: null,
    }));
  }

  async deadLettered(ref: OutcomeRef, nowMs: number, reason: string, attempts: number): Promise<void> {
    this.write(ref, nowMs, () => ({
      state: 'dead-lettered',
      reason,
      lastError: reason,
      attempts,
      leaseUntil: null,
      nextAttemptAt: null,
      expiresAt: null,
      resolvedAt: null,
      deadLetteredAt: iso(nowMs),
    }));
  }

  async resolve(ref: OutcomeRef, nowMs: number, note: string): Promise<boolean> {
    const before = this.items.get(keyOf(ref));
    if (before?.state !== 'dead-lettered' || before.deadLetteredAt === null) return false;
    this.items.set(keyOf(ref), {
      ...before,
      resolvedAt: iso(nowMs),
      detail: note,
      deadLetteredAt: null,
      updatedAt: iso(nowMs),
      expiresAt: expiryOf(nowMs, this.retentionDays),
    });
    return true;
  }

  async get(ref: OutcomeRef): Promise<Outcome | null> {
    const item = this.items.get(keyOf(ref));
    return item ? copy(item) : null;
  }

  async *since(consumer: string, sinceMs: number, untilMs: number): AsyncGenerator<Outcome> {
    const floor = outcomeKeys.sortFloor(sinceMs);
    const ceiling = outcomeKeys.sortCeiling(untilMs);
    const days = daysBetween(sinceMs, untilMs);
    const order = (o: Outcome) => `${dayOf(eventIdTime(o.eventId, 0))}|${outcomeKeys.sk(o)}`;
    const found = [...this.items.values()]
      .filter((o) => {
        const day = dayOf(eventIdTime(o.eventId, 0));
        const sk = outcomeKeys.sk(o);
        return (
          o.consumer === consumer &&
          days.includes(day) &&
          (day !== days[0] || sk >= floor) &&
          (day !== days.at(-1) || sk <= ceiling)
        );
      })
      .sort((a, b) => compare(order(a), order(b)));
    for (const outcome of found) yield copy(outcome);
  }

  async *deadLetters(consumer: string): AsyncGenerator<Outcome> {
    const found = [...this.items.values()]
      .filter((o) => o.consumer === consumer && o.deadLetteredAt !== null)
      .sort((a, b) =>
        compare(
          outcomeKeys.deadLetterSort(a.deadLetteredAt ?? '', a),
          outcomeKeys.deadLetterSort(b.deadLetteredAt ?? '', b),
        ),
      );
    for (const outcome of found) yield copy(outcome);
  }

  async countDeadLetters(consumer: string): Promise<number> {
    return [...this.items.values()].filter((o) => o.consumer === consumer && o.deadLetteredAt !== null)
      .length;
  }

  async legacyDone(key: OnceKey): Promise<boolean> {
    return this.legacy.has(InMemoryOutcomeLedger.legacyKey(key));
  }

  /** A conditional write: applies unless the item is done. */
  private write(
    ref: OutcomeRef,
    nowMs: number,
    change: (before: Outcome | undefined) => Partial<Outcome & { deadLetteredAt: string | null }>,
  ): void {
    const before = this.items.get(keyOf(ref));
    if (before?.state === 'done') return;
    this.items.set(keyOf(ref), {
      ...(before ?? blank()),
      // Every write names the version it was made for, as the DynamoDB ledger's SET does.
      ...ref,
      deadLetteredAt: null,
      updatedAt: iso(nowMs),
      expiresAt: expiryOf(nowMs, this.retentionDays),
      ...change(before),
    });
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const blank = (): Omit<Outcome, keyof OutcomeRef> & { deadLetteredAt: string | null } => ({
  state: 'claimed',
  attempts: 0,
  updatedAt: '',
  leaseUntil: null,
  reason: null,
  lastError: null,
  nextAttemptAt: null,
  lastDelaySeconds: null,
  detail: null,
  steps: {},
  expiresAt: null,
  resolvedAt: null,
  deadLetteredAt: null,
});

const copy = (item: Outcome & { deadLetteredAt?: string | null }): Outcome => {
  const { deadLetteredAt: _, ...outcome } = item;
  return { ...outcome, steps: { ...outcome.steps } };
};
