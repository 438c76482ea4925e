/**
 * The simulation's kernel: a simulated clock, timers, and a cooperative scheduler. Every port call
 * of every actor (an ingest request, a reconciler run, a consumer invocation) first waits at a gate;
 * the kernel opens one waiting gate at a time, chosen by the seeded PRNG, so actors interleave at
 * every step and a seed fixes the interleaving. Between two gates an actor runs plain JavaScript
 * (microtasks only: no timers, no I/O), so the order of everything is a function of the seed.
 *
 * A crash is a gate that never opens: the actor stops between two steps, whatever its code would
 * have caught, exactly as a function that dies mid-way.
 */
import type { Rng } from './prng.ts';

export interface Actor {
  readonly id: number;
  readonly name: string;
  dead: boolean;
  done: boolean;
  /** Called once if the actor crashes (its caller never gets an answer). */
  onCrash?: () => void;
  /**
   * When the function is killed (Lambda's timeout): a step that would start at or after it is a
   * crash instead. Unset: no limit.
   */
  deadline?: number;
}

export type FaultKind =
  | 'fail-before'
  | 'fail-after'
  | 'timeout'
  | 'throttle'
  | 'crash-before'
  | 'crash-after'
  | 'topic-outage'
  | 'topic-delivery-delayed'
  | 'topic-delivery-duplicated'
  | 'queue-duplicate'
  | 'leadsie-redelivery'
  | 'leadsie-gave-up'
  | 'permanent-publish-refusal'
  | 'permanent-target-refusal';

export interface TraceEntry {
  seq: number;
  at: number;
  actor: string;
  what: string;
  fault?: FaultKind;
  /** eventIds, fingerprints and body ids this step touched (the trace of one failure keeps these). */
  subjects: string[];
}

interface Gate {
  actor: Actor;
  resolve: () => void;
}

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets every pending microtask run: nothing else is queued (no I/O, no timers), so this is deterministic. */
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Kernel {
  now: number;
  readonly trace: TraceEntry[] = [];
  readonly faultCounts: Partial<Record<FaultKind, number>> = {};
  private gates: Gate[] = [];
  private timers: Timer[] = [];
  private seq = 0;
  private actorIds = 0;
  /** Steps taken (gates opened), a bound against a run that never settles. */
  steps = 0;

  constructor(
    readonly rng: Rng,
    startMs: number,
    private readonly maxSteps = 200_000,
  ) {
    this.now = startMs;
  }

  record(actor: string, what: string, subjects: string[], fault?: FaultKind): void {
    this.trace.push({
      seq: this.seq++,
      at: this.now,
      actor,
      what,
      subjects,
      ...(fault === undefined ? {} : { fault }),
    });
    if (fault !== undefined) this.faultCounts[fault] = (this.faultCounts[fault] ?? 0) + 1;
  }

  /** Runs `fn` at `at` (ms) or, if that has passed, at the next step. */
  at(at: number, fn: () => void): void {
    this.timers.push({ at, seq: this.seq++, fn });
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  spawn(name: string, body: (actor: Actor) => Promise<void>): Actor {
    const actor: Actor = { id: ++this.actorIds, name: `${name}#${this.actorIds}`, dead: false, done: false };
    // The body starts at its first gate, like every later step.
    void body(actor).then(
      () => {
        actor.done = true;
      },
      (error: unknown) => {
        actor.done = true;
        this.record(
          actor.name,
          `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
          [],
        );
      },
    );
    return actor;
  }

  /**
   * Waits for the kernel to let `actor` take its next step; never returns for a crashed actor, nor
   * for one whose deadline passed while it waited (the function was killed).
   */
  async gate(actor: Actor): Promise<void> {
    if (actor.dead) return new Promise(() => undefined);
    await new Promise<void>((resolve) => this.gates.push({ actor, resolve }));
    if (actor.deadline !== undefined && this.now >= actor.deadline) {
      this.record(actor.name, 'killed at its function timeout', []);
      await this.crash(actor);
    }
  }

  crash(actor: Actor): Promise<never> {
    if (!actor.dead) {
      actor.dead = true;
      actor.onCrash?.();
    }
    return new Promise(() => undefined);
  }

  /** Moves the clock on (a slow call), never back. */
  elapse(ms: number): void {
    this.now += Math.max(0, Math.round(ms));
  }

  /**
   * Runs until nothing is left to do before `endMs`: opens gates one at a time, fires timers as the
   * clock reaches them; `poll` starts work that became possible (consumer invocations) and
   * `nextWake` says when such work is next possible. The clock ends at `endMs` at least.
   */
  async runUntil(endMs: number, poll: () => void, nextWake: () => number | undefined): Promise<void> {
    // Rounds in a row in which the clock could not move and nothing ran: a `nextWake` that lies.
    let stuck = 0;
    for (;;) {
      while (this.timers.length > 0 && (this.timers[0]?.at ?? Infinity) <= this.now) {
        this.timers.shift()?.fn();
      }
      poll();
      await drain();
      this.gates = this.gates.filter((gate) => !gate.actor.dead);
      if (this.gates.length > 0) {
        stuck = 0;
        if (++this.steps > this.maxSteps) throw new Error(`no end after ${this.maxSteps} steps`);
        const [gate] = this.gates.splice(this.rng.int(0, this.gates.length - 1), 1);
        // Each call takes a little time; now and then a long one, so leases can run out mid-flight.
        this.elapse(this.rng.chance(0.01) ? this.rng.int(5_000, 60_000) : this.rng.int(0, 40));
        gate?.resolve();
        continue;
      }
      const candidates = [this.timers[0]?.at, nextWake()].filter(
        (at): at is number => at !== undefined && Number.isFinite(at),
      );
      const next = candidates.length === 0 ? undefined : Math.min(...candidates);
      if (next === undefined || next > endMs) {
        this.now = Math.max(this.now, endMs);
        return;
      }
      if (next <= this.now && ++stuck > 1_000)
        throw new Error('the simulation is stuck: work is due but none starts');
      if (next > this.now) stuck = 0;
      this.now = Math.max(this.now, next);
    }
  }
}
