/**
 * The fault simulation's CI gate (docs/simulation.md): the fixed seed set passes every invariant, a
 * seed replays exactly, each known-bad mutation fails within the same seeds, and each known issue
 * still shows (so its entry goes when it is fixed).
 */
import { describe, expect, it } from 'vitest';
import { CI_SEEDS, describeFailingRun, findCatch, runCampaign } from './campaign.ts';
import { KNOWN_ISSUES } from './known-issues.ts';
import { MUTATIONS, type MutationName } from './mutations.ts';
import { runSeed } from './run.ts';

describe('the fault simulation', () => {
  it(`passes every invariant on seeds ${CI_SEEDS.first}..${CI_SEEDS.first + CI_SEEDS.runs - 1}, and still finds each known issue`, async () => {
    const summary = await runCampaign({ first: CI_SEEDS.first, runs: CI_SEEDS.runs });
    expect(summary.failing.flatMap((run) => describeFailingRun(run))).toEqual([]);
    // Faults of every kind were injected (a run with faults off would pass trivially).
    for (const kind of [
      'fail-before',
      'fail-after',
      'timeout',
      'throttle',
      'crash-before',
      'crash-after',
    ] as const) {
      expect(summary.faults[kind] ?? 0, kind).toBeGreaterThan(0);
    }
    for (const issue of KNOWN_ISSUES.filter((known) => known.example === undefined)) {
      expect(summary.known.has(issue.id), `${issue.id} no longer shows: remove its entry`).toBe(true);
    }
  });

  it.each(KNOWN_ISSUES.filter((issue) => issue.example !== undefined))(
    'still shows the known issue $id on its example seed',
    async (issue) => {
      const result = await runSeed({ seed: issue.example ?? 0 });
      expect(result.failures.some((failure) => issue.matches(failure))).toBe(true);
    },
  );

  it('replays a seed exactly: the same steps, faults and results', async () => {
    const first = await runSeed({ seed: 4 });
    const again = await runSeed({ seed: 4 });
    expect(again.trace).toEqual(first.trace);
    expect(again.failures).toEqual(first.failures);
    expect(first.trace.some((entry) => entry.fault !== undefined)).toBe(true);
  });

  it.each(Object.keys(MUTATIONS) as MutationName[])(
    'catches the mutation %s within the CI seeds',
    async (mutation) => {
      const caught = await findCatch(mutation, CI_SEEDS.first, CI_SEEDS.runs);
      expect(caught.seed, `${mutation} was not caught in ${caught.runs} runs`).not.toBeNull();
    },
  );
});
