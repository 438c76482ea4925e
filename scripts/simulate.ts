/**
 * The deterministic fault simulation (docs/simulation.md):
 *
 *   npm run simulate -- --runs 1000 --seed 1          seeds 1..1000: summary, and the trace of the first failing seed
 *   npm run simulate -- --seed 42 --runs 1            replays seed 42 exactly
 *   npm run simulate -- --mutate no-once-claim        the same with a known-bad mutation
 *   npm run simulate -- --mutations [--write-docs]    the CI seeds against every mutation (and the doc's generated part)
 *
 * Exits 1 when a run fails an invariant (known issues count only with --strict), or when a mutation
 * is not caught.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type CampaignSummary,
  CI_SEEDS,
  catchAll,
  describeFailingRun,
  formatFaults,
  GENERATED_END,
  GENERATED_START,
  renderGenerated,
  runCampaign,
} from '../test/simulation/campaign.ts';
import { isMutation, MUTATIONS } from '../test/simulation/mutations.ts';

const USAGE = `usage: npm run simulate -- [--runs N] [--seed S] [--mutate NAME] [--strict] [--all-traces]
       npm run simulate -- --mutations [--write-docs]

  --runs N        runs to make (default 1000), seeds S, S+1, …
  --seed S        the first seed (default 1)
  --mutate NAME   run with a known-bad mutation: ${Object.keys(MUTATIONS).join(', ')}
  --strict        count the failures of known issues (test/simulation/known-issues.ts) too
  --all-traces    print every failing seed's trace, not only the first
  --mutations     run the CI seeds (${CI_SEEDS.first}..${CI_SEEDS.first + CI_SEEDS.runs - 1}) against each mutation until one fails
  --write-docs    with --mutations: rewrite the generated part of docs/simulation.md`;

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    seed: { type: 'string' },
    mutate: { type: 'string' },
    strict: { type: 'boolean', default: false },
    'all-traces': { type: 'boolean', default: false },
    mutations: { type: 'boolean', default: false },
    'write-docs': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const fail = (message: string): never => {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
};

const integer = (text: string | undefined, fallback: number, name: string): number => {
  if (text === undefined) return fallback;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : fail(`--${name} must be a whole number, got "${text}"`);
};

/** A progress line on a terminal (rewritten in place), a line every tenth otherwise. */
const progress = (total: number) => {
  const tty = process.stderr.isTTY;
  const started = Date.now();
  let lastTenth = -1;
  return (done: number, failing: number) => {
    const text = `  ${done}/${total} runs, ${failing} failing, ${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (tty) {
      if (done === total || done % 10 === 0) process.stderr.write(`\r${text}${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((done * 10) / total);
    if (total >= 50 && tenth !== lastTenth) {
      lastTenth = tenth;
      process.stderr.write(`${text}\n`);
    }
  };
};

const printSummary = (summary: CampaignSummary, allTraces: boolean): void => {
  const last = summary.first + summary.runs - 1;
  console.log(
    `simulate: ${summary.runs} run(s), seeds ${summary.first}..${last}${summary.mutation ? `, mutation ${summary.mutation}` : ''}, ${summary.steps} steps`,
  );
  console.log(`faults injected: ${formatFaults(summary.faults) || 'none'}`);
  const failures = summary.failing.reduce((n, run) => n + run.failures.length, 0);
  console.log(`invariant failures: ${failures} in ${summary.failing.length} run(s)`);
  for (const { issue, runs, first } of summary.known.values()) {
    console.log(
      `known issue ${issue.id}: in ${runs} run(s), first seed ${first.result.seed} (not counted; --strict counts it)`,
    );
  }
  const shown = allTraces ? summary.failing : summary.failing.slice(0, 1);
  for (const run of shown) console.log(`\n${describeFailingRun(run).join('\n')}`);
  if (summary.failing.length > shown.length) {
    console.log(
      `\nfailing seeds: ${summary.failing.map((run) => run.result.seed).join(', ')} (--all-traces prints each)`,
    );
  }
};

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

if (values.mutations) {
  const catches = await catchAll(CI_SEEDS.first, CI_SEEDS.runs);
  for (const c of catches) {
    console.log(
      c.seed === null
        ? `✗ ${c.mutation}: not caught in ${c.runs} runs`
        : `✓ ${c.mutation}: caught by seed ${c.seed} after ${c.runs} run(s) (${c.run?.failures[0]?.invariant})`,
    );
  }
  if (values['write-docs']) {
    const baseline = await runCampaign({ first: CI_SEEDS.first, runs: CI_SEEDS.runs });
    const path = new URL('../docs/simulation.md', import.meta.url);
    const doc = readFileSync(path, 'utf8');
    const start = doc.indexOf(GENERATED_START);
    const end = doc.indexOf(GENERATED_END);
    if (start < 0 || end < start) fail('docs/simulation.md has no generated part to rewrite');
    writeFileSync(
      path,
      `${doc.slice(0, start)}${await renderGenerated(catches, baseline)}${doc.slice(end + GENERATED_END.length)}`,
    );
    console.log('docs/simulation.md: generated part rewritten');
  }
  process.exit(catches.every((c) => c.seed !== null) ? 0 : 1);
}

const mutation = values.mutate;
if (mutation !== undefined && !isMutation(mutation)) fail(`unknown mutation "${mutation}"`);
const runs = integer(values.runs, 1000, 'runs');
const summary = await runCampaign({
  first: integer(values.seed, 1, 'seed'),
  runs,
  mutation: mutation as Parameters<typeof runCampaign>[0]['mutation'],
  strict: values.strict,
  onProgress: progress(runs),
});
printSummary(summary, values['all-traces']);
process.exit(summary.failing.length > 0 ? 1 : 0);
