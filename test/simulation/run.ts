/**
 * One seeded run, start to end:
 *
 *   faulty phase   webhooks arrive over 20 minutes; every port call may fail, time out, be throttled
 *                  or crash its caller; SNS delays and duplicates deliveries, SQS duplicates and
 *                  reorders messages; Leadsie retries, redelivers or gives up; the reconciler runs
 *                  every 5 minutes of simulated time
 *   healed         faults off; the clock runs past every lease and publish backoff with the reconciler
 *                  paused (Leadsie's retries still come)
 *   one run        one reconciler run: it must take every due delivery, not one page of them
 *   drain          the consumers run past their retry horizon
 *   count          a last reconciler run counts the backlog, quarantine and dead letters (the alarms)
 *
 * then the invariants (invariants.ts). The same seed gives the same run, fault for fault.
 */
import { FaultInjector } from './faults.ts';
import { checkInvariants, type InvariantFailure } from './invariants.ts';
import { type FaultKind, Kernel, type TraceEntry } from './kernel.ts';
import type { MutationName } from './mutations.ts';
import { makeRng } from './prng.ts';
import { type Scenario, scenarioOf } from './scenario.ts';
import { FAULTY_PHASE_MS, HOUR, RECONCILER_PERIOD_MS, RECONCILER_RETRY, World } from './world.ts';

/** Simulated time starts here (a fixed date keeps eventIds and traces the same on every replay). */
export const START_MS = Date.UTC(2026, 10, 26, 10);
/** Longer than the longest publish backoff and any lease, so every pending delivery is due. */
export const HEALED_PHASE_MS = RECONCILER_RETRY.maxDelayMs + HOUR;
/** Longer than the consumers' retry horizon (24 h) plus their longest delay. */
export const DRAIN_PHASE_MS = 29 * HOUR;

export interface RunOptions {
  seed: number;
  mutation?: MutationName | undefined;
}

export interface RunResult {
  seed: number;
  mutation: MutationName | undefined;
  scenario: Scenario;
  failures: InvariantFailure[];
  faults: Partial<Record<FaultKind, number>>;
  steps: number;
  trace: TraceEntry[];
}

export const runSeed = async ({ seed, mutation }: RunOptions): Promise<RunResult> => {
  const rng = makeRng(seed);
  const scenario = scenarioOf(rng.fork('scenario'));
  const kernel = new Kernel(rng.fork('schedule'), START_MS);
  const injector = new FaultInjector(kernel, rng.fork('faults'), scenario.rates);
  const world = new World({
    kernel,
    rng: rng.fork('world'),
    injector,
    mutation,
    pageSize: scenario.pageSize,
    consumerConcurrency: scenario.consumerConcurrency,
    leadsieRetries: scenario.leadsieRetries,
  });
  const outage = scenario.topicOutage;
  if (outage) {
    kernel.at(START_MS + outage.from, () => {
      world.topic.outage = true;
    });
    kernel.at(START_MS + outage.to, () => {
      world.topic.outage = false;
    });
  }
  for (const webhook of scenario.webhooks) kernel.at(START_MS + webhook.at, () => world.post(webhook, 1));
  const firstRun = rng.int(0, RECONCILER_PERIOD_MS);
  for (let at = START_MS + firstRun; at < START_MS + FAULTY_PHASE_MS; at += RECONCILER_PERIOD_MS) {
    kernel.at(at, () => world.reconcile());
  }
  const poll = () => world.poll();
  const wake = () => world.nextWake();

  let failures: InvariantFailure[];
  try {
    await kernel.runUntil(START_MS + FAULTY_PHASE_MS, poll, wake);
    injector.heal();
    kernel.record('sim', 'faults healed', []);
    await kernel.runUntil(kernel.now + HEALED_PHASE_MS, poll, wake);
    kernel.record('sim', 'one reconciler run', []);
    world.reconcile();
    await kernel.runUntil(kernel.now + DRAIN_PHASE_MS, poll, wake);
    kernel.record('sim', 'counting reconciler run', []);
    world.reconcile();
    await kernel.runUntil(kernel.now + HOUR, poll, wake);
    failures = await checkInvariants(world, scenario.webhooks);
  } catch (error) {
    // A run that never settles (an endless loop, work that never starts) is a failure of its own.
    failures = [
      { invariant: 'settles', detail: error instanceof Error ? error.message : String(error), subjects: [] },
    ];
  }
  return {
    seed,
    mutation,
    scenario,
    failures,
    faults: { ...kernel.faultCounts },
    steps: kernel.steps,
    trace: kernel.trace,
  };
};

/**
 * The trace of one failure: the steps that touched what it is about (its eventIds, fingerprints,
 * webhook), every fault among them, and the phase marks.
 */
export const traceOf = (result: RunResult, failure: InvariantFailure): TraceEntry[] => {
  const subjects = new Set(failure.subjects);
  // A webhook's answers name its eventId: follow that too.
  for (const entry of result.trace) {
    if (entry.subjects.some((s) => subjects.has(s)))
      for (const s of entry.subjects) if (s.startsWith('webhook#') || s.length === 26) subjects.add(s);
  }
  return result.trace.filter((entry) => entry.actor === 'sim' || entry.subjects.some((s) => subjects.has(s)));
};

export const formatTrace = (entries: readonly TraceEntry[]): string[] =>
  entries.map((entry) => {
    const t = `+${((entry.at - START_MS) / 1000).toFixed(3)}s`.padStart(13);
    return `  ${t}  ${entry.actor.padEnd(18)} ${entry.what}${entry.fault ? `  ⚡ ${entry.fault}` : ''}`;
  });
