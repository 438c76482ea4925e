/**
 * Per-event compute: JSON parse + validation + flattening of one payload with 1, 10 and 100 assets,
 * against the reference script (`<reference script> --bench N`, found by scripts/reference-script.ts: `json.loads` plus
 * Leadsie's flattening, timed in-process by python3) in the same run; fingerprint and envelope
 * building on their own. The project's side runs the bundled domain code (the functions' esbuild
 * options) in a fresh node process. The reference script is run where it is, never copied; where it
 * or python3 is missing, its rows say so and are skipped.
 *
 * Each repeat runs both sides back to back (a node process, then python3 per size), so a speed-up
 * is the ratio of two measurements taken under the same load on the machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';
import { DEFAULT_REFERENCE_SCRIPT, referenceScript } from '../scripts/reference-script.ts';
import { houseEsbuildOptions } from './esbuild-options.ts';
import { v1Payload } from './payloads.ts';
import { type Summary, summarize } from './stats.ts';

/** The reference script (LEADSIE_REFERENCE_SCRIPT, else next to the repository), or why it is missing. */
const REFERENCE = referenceScript();
export const REFERENCE_SCRIPT = 'path' in REFERENCE ? REFERENCE.path : DEFAULT_REFERENCE_SCRIPT;
const PYTHON = process.env.PYTHON ?? 'python3';

export interface PerEventRow {
  assets: number;
  payloadBytes: number;
  /** µs per payload: JSON.parse + validate (zod/mini, fast path) + flatten. */
  parseValidateFlattenUs: Summary;
  fingerprintUs: Summary;
  /** buildEnvelope + JSON.stringify (the SNS message body). */
  envelopeUs: Summary;
  /** A consumer reading one record: JSON.parse + envelope validation. */
  consumerReadUs: Summary;
  /** The reference script's µs per payload (json.loads + flattening), or why there is none. */
  reference: { us: Summary; runsPerRepeat: number } | { skipped: string };
  /** Reference ÷ ours (times faster): median, min and max of the ratios of each repeat's pair. */
  speedup?: Summary;
}

export interface PerEventResult {
  repeats: number;
  rows: PerEventRow[];
  referenceScript: string;
  python?: string;
  target: { assets: number; speedup: number };
}

const SIZES = [1, 10, 100];
/** Runs per timed line for the reference script: about 40 ms a line on this kind of machine. */
const REFERENCE_RUNS: Record<number, number> = { 1: 4000, 10: 1500, 100: 150 };

const referenceAvailability = (): { ok: true; version: string } | { ok: false; reason: string } => {
  if ('missing' in REFERENCE) return { ok: false, reason: REFERENCE.missing };
  const probe = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { ok: false, reason: `${PYTHON} is not installed` };
  return { ok: true, version: (probe.stdout || probe.stderr).trim() };
};

interface ChildResult {
  assets: number;
  bytes: number;
  parseValidateFlattenUs: number[];
  fingerprintUs: number[];
  envelopeUs: number[];
  consumerReadUs: number[];
}

export const measurePerEvent = async (options: {
  workDir: string;
  repeats: number;
  log: (line: string) => void;
}): Promise<PerEventResult> => {
  const dir = path.join(options.workDir, 'per-event');
  mkdirSync(dir, { recursive: true });
  await build(houseEsbuildOptions(path.join(REPO_ROOT, 'bench', 'per-event-child.ts'), dir, REPO_ROOT));
  const availability = referenceAvailability();

  const ours = new Map<number, ChildResult>();
  const reference = new Map<number, number[]>();
  let referenceFailure: string | undefined;
  for (let r = 0; r < options.repeats; r++) {
    const child = spawnSync(
      process.execPath,
      [path.join(dir, 'index.mjs'), JSON.stringify({ sizes: SIZES, repeats: 1, batchMs: 40 })],
      { encoding: 'utf8', cwd: REPO_ROOT },
    );
    if (child.status !== 0) throw new Error(`per-event child failed:\n${child.stderr}`);
    for (const result of (JSON.parse(child.stdout) as { results: ChildResult[] }).results) {
      const seen = ours.get(result.assets);
      if (!seen) ours.set(result.assets, result);
      else {
        seen.parseValidateFlattenUs.push(...result.parseValidateFlattenUs);
        seen.fingerprintUs.push(...result.fingerprintUs);
        seen.envelopeUs.push(...result.envelopeUs);
        seen.consumerReadUs.push(...result.consumerReadUs);
      }
    }
    if (availability.ok && referenceFailure === undefined) {
      for (const assets of SIZES) {
        const py = spawnSync(PYTHON, [REFERENCE_SCRIPT, '--bench', String(REFERENCE_RUNS[assets] ?? 500)], {
          input: `${JSON.stringify(v1Payload(assets))}\n`,
          encoding: 'utf8',
          cwd: REPO_ROOT,
        });
        if (py.status !== 0) {
          referenceFailure = `the reference script failed: ${py.stderr.trim().split('\n').pop()}`;
          break;
        }
        const line = JSON.parse(py.stdout.trim()) as { assets: number; us_per_payload: number };
        if (line.assets !== assets) throw new Error('the reference script read another payload');
        reference.set(assets, [...(reference.get(assets) ?? []), line.us_per_payload]);
      }
    }
    options.log(`  per event: repeat ${r + 1}/${options.repeats}`);
  }

  const rows: PerEventRow[] = SIZES.map((assets) => {
    const result = ours.get(assets) as ChildResult;
    const row: PerEventRow = {
      assets,
      payloadBytes: result.bytes,
      parseValidateFlattenUs: summarize(result.parseValidateFlattenUs),
      fingerprintUs: summarize(result.fingerprintUs),
      envelopeUs: summarize(result.envelopeUs),
      consumerReadUs: summarize(result.consumerReadUs),
      reference: { skipped: availability.ok ? (referenceFailure ?? '') : availability.reason },
    };
    const us = reference.get(assets);
    if (availability.ok && referenceFailure === undefined && us) {
      row.reference = { us: summarize(us), runsPerRepeat: REFERENCE_RUNS[assets] ?? 500 };
      row.speedup = summarize(us.map((ref, i) => ref / (result.parseValidateFlattenUs[i] as number)));
    }
    return row;
  });
  return {
    repeats: options.repeats,
    rows,
    referenceScript: path.relative(REPO_ROOT, REFERENCE_SCRIPT),
    ...(availability.ok ? { python: availability.version } : {}),
    target: { assets: 10, speedup: 2 },
  };
};
