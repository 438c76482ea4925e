/**
 * What the delivery engine cost Slack and the forwarders at cold start: since the engine they bundle
 * the DynamoDB client (their outcome records). Two comparisons, both measured the way
 * `cold-start.ts` measures (a fresh `node` process importing the bundle, minus a bare start, rounds
 * interleaved, on this machine's Node):
 *
 * - before / after: the function's entry as it was at `BEFORE_ENGINE` (the commit before the engine
 *   landed), bundled from that commit's `lambda/` with today's esbuild options, against the bundle
 *   the stack synthesizes now. It holds everything the engine brought, client and code.
 * - the client alone: the SDK-only baseline of the bundle now (every client it sends commands with),
 *   with and without the DynamoDB client and document client.
 *
 * Before the engine, the forwarders shared the CRM updater function with HubSpot, which already read
 * the table for its stale check: their "before" bundle holds the DynamoDB client too, so their
 * difference is the engine's code alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';
import {
  baselineSource,
  CHILD_REPORT,
  type ChildSample,
  importScript,
  lambdaEnvironment,
  runChild,
  sdkImportsOf,
  usedSdkPackages,
} from './cold-start.ts';
import { houseEsbuildOptions } from './esbuild-options.ts';
import { round, type Summary, summarize } from './stats.ts';
import type { Synthesized } from './synth.ts';

/** The commit before the delivery engine landed (its parent is "Consumers on the delivery engine"). */
export const BEFORE_ENGINE = 'bee3f52ec08cf58957f02942bdf77f1010cc45f2';

/** The bundles compared, and their entry at `BEFORE_ENGINE` (with what that entry needed to start). */
export const COMPARED: readonly { bundle: string; before: string; env: Record<string, string> }[] = [
  { bundle: 'slack', before: 'lambda/consumers/slack/entry.ts', env: {} },
  // The shared CRM updater of then, as a forwarder (its CRM_TARGET).
  { bundle: 'forward', before: 'lambda/entries/crm-updater.ts', env: { CRM_TARGET: 'webhook' } },
];

const DYNAMODB_PACKAGES = ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'];

export interface ImportCost {
  kb: number;
  /** Wall time over the round's bare node start, ms. */
  overBareMs: Summary;
  /** User + system CPU time over the bare start's, ms. */
  cpuOverBareMs: Summary;
  /** The AWS SDK packages the bundle imports. */
  sdk: string[];
}

export interface DynamoDbColdStartRow {
  bundle: string;
  beforeEntry: string;
  before: ImportCost;
  now: ImportCost;
  /** The SDK-only baseline of the bundle now, with and without the DynamoDB client. */
  clientsWith: ImportCost;
  clientsWithout: ImportCost;
}

export interface DynamoDbColdStartResult {
  beforeRef: string;
  rounds: number;
  bareNodeMs: Summary;
  rows: DynamoDbColdStartRow[];
  /** Why nothing was measured (the commit is not in this clone), when so. */
  skipped?: string;
}

const kb = (file: string) => round(statSync(file).size / 1024, 1);

/** `lambda/` as it was at `ref`, under `dir` (inside the repository, so node_modules resolves). */
const checkoutLambda = (ref: string, dir: string): string | undefined => {
  mkdirSync(dir, { recursive: true });
  const archive = spawnSync('git', ['archive', '--format=tar', ref, 'lambda'], {
    cwd: REPO_ROOT,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (archive.status !== 0) return `git archive ${ref} failed: ${archive.stderr.toString().trim()}`;
  const tar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (tar.status !== 0) return `tar failed: ${tar.stderr.toString().trim()}`;
  return undefined;
};

/** Bundles `source` (an entry file) with the house options, SDK external, to read its SDK imports. */
const sdkOf = async (entry: string, workDir: string, outdir: string): Promise<string[]> => {
  await build(houseEsbuildOptions(entry, outdir, workDir, 'external'));
  return sdkImportsOf(readFileSync(path.join(outdir, 'index.mjs'), 'utf8')).map((i) => i.pkg);
};

export const measureDynamoDbColdStart = async (
  synth: Synthesized,
  options: { rounds: number; log: (line: string) => void; ref?: string },
): Promise<DynamoDbColdStartResult> => {
  const ref = options.ref ?? BEFORE_ENGINE;
  const work = path.join(synth.outdir, 'bench-dynamodb');
  const beforeRoot = path.join(work, 'before');
  const failed = checkoutLambda(ref, beforeRoot);
  const empty = { median: 0, min: 0, max: 0, n: 0 };
  if (failed !== undefined)
    return { beforeRef: ref, rounds: 0, bareNodeMs: empty, rows: [], skipped: failed };

  const prepared = [];
  for (const compared of COMPARED) {
    const bundle = synth.bundles.find((b) => b.handler === compared.bundle);
    if (!bundle) continue;
    const beforeEntry = path.join(beforeRoot, compared.before);
    if (!existsSync(beforeEntry)) continue;
    const dir = (side: string) => path.join(work, `${side}-${compared.bundle}`);
    await build(houseEsbuildOptions(beforeEntry, dir('before'), beforeRoot));
    const nowFile = path.join(bundle.assetDir, 'index.mjs');
    const sdkNow = await sdkOf(path.join(REPO_ROOT, bundle.entry), REPO_ROOT, dir('now-external'));
    const sdkBefore = await sdkOf(beforeEntry, beforeRoot, dir('before-external'));

    // The SDK-only baselines of the bundle now, with and without the DynamoDB client.
    const { used } = usedSdkPackages(
      sdkImportsOf(readFileSync(path.join(dir('now-external'), 'index.mjs'), 'utf8')),
    );
    const baselines: Record<'with' | 'without', string> = { with: '', without: '' };
    for (const side of ['with', 'without'] as const) {
      const sources = side === 'with' ? used : used.filter((u) => !DYNAMODB_PACKAGES.includes(u.pkg));
      const entry = path.join(dir(`clients-${side}`), 'entry.mjs');
      mkdirSync(path.dirname(entry), { recursive: true });
      writeFileSync(entry, baselineSource(sources));
      await build(houseEsbuildOptions(entry, dir(`clients-${side}`), REPO_ROOT));
      baselines[side] = path.join(dir(`clients-${side}`), 'index.mjs');
    }
    const files = {
      before: path.join(dir('before'), 'index.mjs'),
      now: nowFile,
      clientsWith: baselines.with,
      clientsWithout: baselines.without,
    };
    prepared.push({
      compared,
      files,
      sdk: {
        before: sdkBefore,
        now: sdkNow,
        clientsWith: used.map((u) => u.pkg),
        clientsWithout: used.map((u) => u.pkg).filter((p) => !DYNAMODB_PACKAGES.includes(p)),
      },
      env: { ...lambdaEnvironment(bundle), ...compared.env },
      samples: { before: [], now: [], clientsWith: [], clientsWithout: [] } as Record<
        keyof typeof files,
        ChildSample[]
      >,
    });
  }

  const bare: ChildSample[] = [];
  const nodeOptions = prepared[0]?.env.NODE_OPTIONS ?? '';
  for (let r = 0; r < options.rounds; r++) {
    bare.push(runChild(CHILD_REPORT, { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptions }));
    for (const p of prepared) {
      const sides = Object.keys(p.files) as (keyof typeof p.files)[];
      // A different side first each round, so drift on the machine hits every side alike.
      for (const [i] of sides.entries()) {
        const side = sides[(i + r) % sides.length] as keyof typeof p.files;
        p.samples[side].push(runChild(importScript(pathToFileURL(p.files[side]).href), p.env));
      }
    }
    options.log(`  cold start before/after the engine: round ${r + 1}/${options.rounds}`);
  }

  const cost = (samples: ChildSample[], file: string, sdk: string[]): ImportCost => ({
    kb: kb(file),
    overBareMs: summarize(samples.map((s, i) => s.wallMs - (bare[i] as ChildSample).wallMs)),
    cpuOverBareMs: summarize(samples.map((s, i) => s.cpuMs - (bare[i] as ChildSample).cpuMs)),
    sdk,
  });
  return {
    beforeRef: ref,
    rounds: options.rounds,
    bareNodeMs: summarize(bare.map((s) => s.wallMs)),
    rows: prepared.map((p) => ({
      bundle: p.compared.bundle,
      beforeEntry: p.compared.before,
      before: cost(p.samples.before, p.files.before, p.sdk.before),
      now: cost(p.samples.now, p.files.now, p.sdk.now),
      clientsWith: cost(p.samples.clientsWith, p.files.clientsWith, p.sdk.clientsWith),
      clientsWithout: cost(p.samples.clientsWithout, p.files.clientsWithout, p.sdk.clientsWithout),
    })),
  };
};
