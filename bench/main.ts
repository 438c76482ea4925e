/**
 * `npm run bench`: measures, on this machine, every figure of the "Performance and cost" section of
 * the README, and prints them (`-- --json`: the same figures as JSON on standard output; progress
 * goes to standard error either way). Not part of `npm test`, and it asserts nothing about speed:
 * it measures, and says against each target whether this run met it.
 *
 *   1. synthesize the app for real (cdk synth, every consumer on)   bench/synth.ts
 *   2. cold-start proxy per bundle vs its SDK-only baseline         bench/cold-start.ts
 *      Slack and the forwarders before and after the engine         bench/cold-start-dynamodb.ts
 *   3. per-event compute vs the reference script                    bench/per-event.ts
 *   4. the local pipeline end to end, in a child process            bench/local-e2e.ts
 *   5. cost per 1 million webhooks, memory sizes                    bench/cost.ts, bench/memory.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';
import { type ColdStartResult, measureColdStart } from './cold-start.ts';
import { type DynamoDbColdStartResult, measureDynamoDbColdStart } from './cold-start-dynamodb.ts';
import { costModel, loadPrices, loadSdkCalls } from './cost.ts';
import { type E2eResult, measureLocalE2e } from './local-e2e.ts';
import { memoryAdvice } from './memory.ts';
import { measurePerEvent, type PerEventResult } from './per-event.ts';
import { type BenchReport, human, LATEST_RESULTS, type Machine } from './report.ts';
import { round } from './stats.ts';
import { synthesize } from './synth.ts';

const USAGE = `Usage: npm run bench [-- --json] [-- --keep] [-- --no-save] [-- --render FILE]

Measures cold start (the AWS SDK external and bundled), per-event compute, the local pipeline and
the cost model (1, 10 and 100 assets; ingest apart from each consumer) on this machine (about 5
minutes on 2 cores). Saves the run to bench/results/latest.json (--no-save: don't), from which
\`npx tsx scripts/render-bench-docs.ts\` renders docs/performance.md. --json prints the figures as
JSON; --keep keeps the synthesized assembly (cdk.out/bench-*); --render FILE prints a saved run in
the human form, measuring nothing.
`;

const log = (line: string) => process.stderr.write(`${line}\n`);

const python = () => {
  const r = spawnSync(process.env.PYTHON ?? 'python3', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim() : 'not installed';
};

const machine = (): Machine => ({
  cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
  cores: os.cpus().length,
  memoryGb: round(os.totalmem() / 1024 ** 3, 1),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  python: python(),
  lambdaRuntime: 'nodejs24.x on arm64 (the functions run there; these figures come from the Node above)',
});

/** Raise the bench's priority (its children inherit it), so other work on a shared machine disturbs it less. */
const raisePriority = (): string => {
  try {
    os.setPriority(-10);
    return 'nice -10 (children inherit it)';
  } catch {
    return 'default (not allowed to raise it)';
  }
};

const main = async (): Promise<number> => {
  const args = parseArgs({
    options: {
      json: { type: 'boolean' },
      keep: { type: 'boolean' },
      render: { type: 'string' },
      'no-save': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.values.render) {
    const saved = JSON.parse(readFileSync(args.values.render, 'utf8')) as BenchReport;
    process.stdout.write(human(saved, saved.memory));
    return 0;
  }
  const started = performance.now();
  const priority = raisePriority();
  const loadBefore = os.loadavg().map((l) => round(l, 2));

  const synth = synthesize(log);
  log(`  synthesized in ${synth.seconds.toFixed(1)} s: ${synth.bundles.map((b) => b.handler).join(', ')}`);
  let coldStart: ColdStartResult;
  let dynamoDbColdStart: DynamoDbColdStartResult;
  let perEvent: PerEventResult;
  let e2e: E2eResult;
  try {
    log('cold start …');
    coldStart = await measureColdStart(synth, { rounds: 12, log });
    log('cold start before and after the delivery engine …');
    dynamoDbColdStart = await measureDynamoDbColdStart(synth, { rounds: 12, log });
    log('per event …');
    perEvent = await measurePerEvent({ workDir: synth.outdir, repeats: 15, log });
    log('local end to end …');
    e2e = await measureLocalE2e({ rounds: 3, requests: { 1: 100, 10: 300, 50: 500 }, log });
  } finally {
    if (!args.values.keep) rmSync(synth.outdir, { recursive: true, force: true });
  }
  const cost = costModel({ prices: loadPrices(), calls: loadSdkCalls(), synth, coldStart, perEvent });
  const memory = memoryAdvice(coldStart, cost);
  const seconds = (performance.now() - started) / 1000;

  const at10 = perEvent.rows.find((r) => r.assets === perEvent.target.assets);
  const targets = {
    coldStart: coldStart.rows.map((r) => ({
      handler: r.handler,
      ratio: round(r.ratio.median, 3),
      cpuRatio: round(r.cpuRatio.median, 3),
      limit: coldStart.target,
      met: r.ratio.median <= coldStart.target,
    })),
    perEvent: at10?.speedup
      ? {
          assets: 10,
          speedup: round(at10.speedup.median, 2),
          limit: perEvent.target.speedup,
          met: at10.speedup.median >= perEvent.target.speedup,
        }
      : { assets: 10, skipped: 'the reference script did not run' },
  };
  const report: BenchReport = {
    command: 'npm run bench',
    date: new Date().toISOString(),
    seconds: round(seconds, 1),
    machine: {
      ...machine(),
      priority,
      loadAverageBefore: loadBefore,
      loadAverageAfter: os.loadavg().map((l) => round(l, 2)),
    },
    synth: { seconds: round(synth.seconds, 1), notDeployed: synth.notDeployed },
    targets,
    coldStart,
    dynamoDbColdStart,
    perEvent,
    localE2e: e2e,
    cost,
    memory,
  };
  if (!args.values['no-save']) {
    mkdirSync(path.dirname(LATEST_RESULTS), { recursive: true });
    writeFileSync(LATEST_RESULTS, `${JSON.stringify(report, null, 2)}\n`);
    // Formatted as the linter wants it, so a committed run passes `npm run lint`.
    spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', LATEST_RESULTS], {
      cwd: REPO_ROOT,
    });
    log(
      `saved ${path.relative(REPO_ROOT, LATEST_RESULTS)}: npx tsx scripts/render-bench-docs.ts renders docs/performance.md from it`,
    );
  }
  process.stdout.write(args.values.json ? `${JSON.stringify(report, null, 2)}\n` : human(report, memory));
  return 0;
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
