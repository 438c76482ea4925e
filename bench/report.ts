/**
 * The human form of a bench run: the text `npm run bench` prints, also rendered into
 * docs/performance.md by `scripts/render-bench-docs.ts` from a saved run.
 */
import path from 'node:path';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';
import type { ColdStartResult } from './cold-start.ts';
import type { DynamoDbColdStartResult } from './cold-start-dynamodb.ts';
import type { CostResult } from './cost.ts';
import type { E2eResult } from './local-e2e.ts';
import type { MemoryRow } from './memory.ts';
import type { PerEventResult } from './per-event.ts';
import { formatSummary, type Summary } from './stats.ts';

/** Where a run is saved; `scripts/render-bench-docs.ts` renders docs/performance.md from it. */
export const LATEST_RESULTS = path.join(REPO_ROOT, 'bench', 'results', 'latest.json');

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  python: string;
  lambdaRuntime: string;
}

/** A saved run: what `npm run bench -- --json` prints and bench/results/latest.json holds. */
export interface BenchReport {
  command: string;
  date: string;
  seconds: number;
  machine: Machine & { priority: string; loadAverageBefore: number[]; loadAverageAfter: number[] };
  synth: { seconds: number; notDeployed: string[] };
  /** Each target of the README and the issues, met or not. */
  targets: Record<string, unknown>;
  coldStart: ColdStartResult;
  /** Slack and the forwarders before and after the delivery engine (absent from older runs). */
  dynamoDbColdStart?: DynamoDbColdStartResult;
  perEvent: PerEventResult;
  localE2e: E2eResult;
  cost: CostResult;
  memory: MemoryRow[];
}

/** Slack and the forwarders at cold start before and after the engine, and the DynamoDB client alone. */
export const dynamoDbColdStartSection = (d: DynamoDbColdStartResult): string[] => {
  const out: string[] = [];
  if (d.skipped !== undefined) {
    out.push(`   Before and after the delivery engine: not measured (${d.skipped}).`);
    return out;
  }
  out.push(
    `   Before and after the delivery engine (its outcome records need the DynamoDB client): each entry as it was at ${d.beforeRef.slice(0, 7)},`,
  );
  out.push(
    `   bundled with today's options, vs the bundle now; and the SDK-only baseline now with and without the DynamoDB client. ${d.rounds} rounds;`,
  );
  out.push(`   ms over a bare node start (${s(d.bareNodeMs)} ms), wall and CPU.`);
  out.push(
    table(
      [
        'function',
        'before KB',
        'before ms',
        'before CPU',
        'now KB',
        'now ms',
        'now CPU',
        'clients w/o DynamoDB',
        'clients with',
      ],
      d.rows.map((row) => [
        row.bundle,
        row.before.kb.toFixed(1),
        s(row.before.overBareMs),
        s(row.before.cpuOverBareMs),
        row.now.kb.toFixed(1),
        s(row.now.overBareMs),
        s(row.now.cpuOverBareMs),
        `${s(row.clientsWithout.overBareMs)} (CPU ${row.clientsWithout.cpuOverBareMs.median.toFixed(1)})`,
        `${s(row.clientsWith.overBareMs)} (CPU ${row.clientsWith.cpuOverBareMs.median.toFixed(1)})`,
      ]),
    ),
  );
  for (const row of d.rows) {
    const short = (list: string[]) => list.map((p) => p.replace('@aws-sdk/', '')).join(' + ') || 'none';
    out.push(
      `   ${row.bundle}: SDK before ${short(row.before.sdk)}; now ${short(row.now.sdk)} (before: ${row.beforeEntry})`,
    );
  }
  return out;
};

/** Each function's import with the AWS SDK external (runtime copy) and bundled in, against a bare node start. */
export const sdkWaysSection = (c: ColdStartResult): string => {
  const out: string[] = [];
  const deployed = c.rows[0]?.sdkWays.deployed ?? 'bundled';
  out.push(
    `   The AWS SDK both ways: external (resolved from node_modules, as from the runtime's copy) vs bundled in (tree-shaken, minified);`,
  );
  out.push(
    `   absolute = the whole process, node start included; over bare = minus the round's bare node start (${s(c.bareNodeMs)} ms). Deployed: ${deployed}.`,
  );
  out.push(
    `   Measured on this machine's ${c.nodeVersion}; Lambda's Node 24 runtime and its SDK copy may differ.`,
  );
  out.push(
    table(
      [
        'function',
        'external KB',
        'external ms',
        'over bare',
        'CPU over bare',
        'bundled KB',
        'bundled ms',
        'over bare',
        'CPU over bare',
        'faster',
      ],
      c.rows.map((row) => {
        const e = row.sdkWays.external;
        const b = row.sdkWays.bundled;
        return [
          row.handler,
          e.kb.toFixed(1),
          s(e.absoluteMs),
          s(e.overBareMs),
          e.cpuOverBareMs.median.toFixed(0),
          b.kb.toFixed(1),
          s(b.absoluteMs),
          s(b.overBareMs),
          b.cpuOverBareMs.median.toFixed(0),
          b.overBareMs.median < e.overBareMs.median ? 'bundled' : 'external',
        ];
      }),
    ),
  );
  return out.join('\n');
};

/** The cost section of the human form (also rendered into docs/performance.md). */
export const costSection = (k: CostResult): string => {
  const out: string[] = [];
  const headline = k.sizes.find((x) => x.assets === k.headlineAssets);
  out.push(
    `4. COST per ${k.webhooks.toLocaleString('en-US')} webhooks on AWS (${k.region}, prices compiled ${k.pricesCompiled}, ${k.pricesFile}; calls ${k.sdkCallsFile})`,
  );
  const parts = Object.keys(headline?.parts ?? {});
  out.push('   Per size: ingest, and what each consumer adds.');
  out.push(
    table(
      ['assets', 'payload B', 'message B', 'ingest WRU', ...parts.map((p) => `${p} $`), 'total $'],
      k.sizes.map((x) => [
        x.assets,
        x.payloadBytes,
        x.messageBytes,
        x.ingestWriteUnits,
        ...parts.map((p) => usd(x.parts[p] ?? 0)),
        usd(x.totalUsd),
      ]),
    ),
  );
  if (headline) {
    out.push(`   Itemised at ${headline.assets} assets:`);
    out.push(
      table(
        ['part', 'item', 'quantity', 'unit', 'cost', 'basis'],
        headline.lines.map((l) => [l.part, l.item, qty(l.quantity), l.unit, usd(l.usd), l.basis]),
      ),
    );
    out.push(
      `   TOTAL ${usd(headline.totalUsd)} per ${k.webhooks.toLocaleString('en-US')} webhooks at ${headline.assets} assets (${Object.entries(
        headline.parts,
      )
        .map(([p, v]) => `${p} ${usd(v)}`)
        .join(', ')}), plus ${usd(k.fixedMonthlyUsd)} a month whatever the traffic:`,
    );
  }
  for (const l of k.fixedMonthly)
    out.push(`     ${l.item}: ${qty(l.quantity)} ${l.unit}, ${usd(l.usd)} (${l.basis})`);
  out.push(
    `   Zapier, the same volume: ${k.zapier.tasks.toLocaleString('en-US')} tasks on ${k.zapier.plan}: ${usd(k.zapier.usdAtPlanRate)} at the plan's per-task rate, ${usd(k.zapier.usdAtOverageRate)} at its overage rate`,
  );
  out.push(`     (${k.zapier.note})`);
  out.push(
    `   a redelivery (duplicate): ${Object.entries(k.perDuplicate.calls)
      .map(([c, n]) => `${n}x ${c}`)
      .join(
        ', ',
      )}, ${k.perDuplicate.writeUnits} WRU + ${k.perDuplicate.readUnits} RRU: ${usd(k.perDuplicate.usdPerMillion)} per million, nothing published`,
  );
  if (headline) {
    out.push(`   Lambda durations at ${headline.assets} assets (assumed AWS latency + measured compute):`);
    for (const f of headline.functions)
      out.push(
        `     ${f.handler}: ${f.memoryMb} MB, ${f.warmMs} ms billed warm = ${f.warmBasis}; cold init ${f.initMs} ms (measured)`,
      );
  }
  out.push('   Assumptions:');
  for (const a of k.assumptions) out.push(`     - ${a}`);
  out.push('   Assumptions that changed:');
  for (const c of k.assumptionChanges) out.push(`     - ${c.what}: was ${c.before}; now ${c.now} (${c.why})`);
  return out.join('\n');
};

// ── the human form ────────────────────────────────────────────────────────────────────────────────

export const table = (head: string[], rows: (string | number)[][]): string => {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(fmt)].join('\n');
};

export const s = (x: Summary, digits = 1) => formatSummary(x, digits);
export const usd = (x: number) =>
  x >= 100 ? `$${x.toFixed(0)}` : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(4)}`;
export const qty = (x: number) =>
  x >= 1000 ? Math.round(x).toLocaleString('en-US') : x >= 1 ? x.toFixed(1) : x.toPrecision(3);

export const human = (
  r: {
    date: string;
    seconds: number;
    machine: Machine & {
      priority: string;
      loadAverageBefore: number[];
      loadAverageAfter: number[];
    };
    synth: { seconds: number; notDeployed: string[] };
    coldStart: ColdStartResult;
    dynamoDbColdStart?: DynamoDbColdStartResult;
    perEvent: PerEventResult;
    localE2e: E2eResult;
    cost: CostResult;
  },
  memory: MemoryRow[],
): string => {
  const out: string[] = [];
  const m = r.machine;
  out.push(`leadsie-webhooks benchmark, ${r.date} (${r.seconds.toFixed(0)} s)`);
  out.push(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}; ${m.node}; ${m.python}`);
  out.push(
    `         load average ${m.loadAverageBefore.join(' ')} before, ${m.loadAverageAfter.join(' ')} after; priority ${m.priority}`,
  );
  out.push(`Lambda runs ${m.lambdaRuntime}.`);
  out.push('Every figure: median (min, max) over the repeats shown.');

  const c = r.coldStart;
  out.push('');
  out.push(
    `1. COLD-START PROXY: the synthesized bundle imported in a fresh node process, minus a bare node start (${s(c.bareNodeMs)} ms),`,
  );
  out.push(
    `   against a bundle of only the AWS SDK clients the function sends commands with (same esbuild options); ${c.rounds} rounds, interleaved;`,
  );
  out.push(
    `   NODE_OPTIONS=${c.nodeOptions || '(none)'} as deployed. Target: bundle <= ${c.target}x baseline.`,
  );
  out.push(
    table(
      ['function', 'bundle KB', 'baseline KB', 'bundle ms', 'baseline ms', 'ratio', 'CPU ratio', 'target'],
      c.rows.map((row) => [
        row.handler,
        row.bundleKb.toFixed(1),
        row.baselineKb.toFixed(1),
        s(row.bundleMs),
        s(row.baselineMs),
        `${row.ratio.median.toFixed(2)} (${row.ratio.min.toFixed(2)}, ${row.ratio.max.toFixed(2)})`,
        row.cpuRatio.median.toFixed(2),
        row.ratio.median <= c.target ? 'met' : 'MISSED',
      ]),
    ),
  );
  for (const row of c.rows) {
    out.push(
      `   ${row.handler}: SDK ${row.sdkBaseline.map((p) => p.replace('@aws-sdk/', '')).join(' + ')}${row.sdkUnused.length ? `; imported but unused: ${row.sdkUnused.join(', ')}` : ''}; source map ${row.sourceMapKb} KB; ${row.sameBytesAsSynth ? 'baseline options rebuild the synthesized bundle byte for byte' : 'WARNING: the bench options do not rebuild the synthesized bundle'}`,
    );
  }
  out.push(
    '   ratio: median bundle ms / median baseline ms (min, max of the per-round ratios); CPU ratio: the same in user+system CPU time,',
  );
  out.push('   which other load on the machine disturbs far less than wall time.');
  out.push(sdkWaysSection(c));
  if (r.dynamoDbColdStart !== undefined) out.push(...dynamoDbColdStartSection(r.dynamoDbColdStart));
  if (c.notDeployed.length)
    out.push(`   not deployed by the synthesized stack (so not measured): ${c.notDeployed.join(', ')}`);

  const p = r.perEvent;
  out.push('');
  out.push(
    `2. PER EVENT: µs per payload (v1, N assets), bundled domain code in a fresh node process, vs the reference script, ${p.referenceScript.split('/').pop()} (${p.python ?? 'python3 missing'})`,
  );
  out.push(
    `   in the same run, ${p.repeats} repeats. Target: parse + validate + flatten >= ${p.target.speedup}x faster than the script at ${p.target.assets} assets.`,
  );
  out.push(
    table(
      [
        'assets',
        'bytes',
        'parse+validate+flatten',
        'reference script',
        'speed-up',
        'fingerprint',
        'envelope',
        'consumer read',
      ],
      p.rows.map((row) => [
        row.assets,
        row.payloadBytes,
        s(row.parseValidateFlattenUs, 2),
        'us' in row.reference ? s(row.reference.us, 2) : `skipped: ${row.reference.skipped}`,
        row.speedup
          ? `${row.speedup.median.toFixed(2)}x (${row.speedup.min.toFixed(2)}, ${row.speedup.max.toFixed(2)})`
          : '-',
        s(row.fingerprintUs, 2),
        s(row.envelopeUs, 2),
        s(row.consumerReadUs, 2),
      ]),
    ),
  );
  const t = p.rows.find((row) => row.assets === p.target.assets);
  out.push(
    `   target at ${p.target.assets} assets: ${t?.speedup ? (t.speedup.median >= p.target.speedup ? 'met' : 'MISSED') : 'not measured (no reference)'}; speed-up = script µs / ours, per repeat (both measured back to back).`,
  );
  out.push(
    '   fingerprint: SHA-256 of the canonical JSON; envelope: buildEnvelope + JSON.stringify; consumer read: JSON.parse + envelope validation.',
  );

  const e = r.localE2e;
  out.push('');
  out.push(
    `3. LOCAL END TO END: npm start -- --memory in a child process, POST-to-200 over loopback, each request a new delivery of a ${e.assetsPerPayload}-asset payload;`,
  );
  out.push(
    `   ${e.levels[0]?.rounds ?? 0} rounds per level. Server started in ${(e.startupMs / 1000).toFixed(1)} s.`,
  );
  out.push(
    table(
      ['concurrency', 'requests', 'p50 ms', 'p99 ms', 'requests/s', 'server CPU ms/request', 'errors'],
      e.levels.map((l) => [
        l.concurrency,
        l.requestsPerRound,
        s(l.p50Ms),
        s(l.p99Ms),
        s(l.requestsPerSecond),
        s(l.serverCpuMsPerRequest, 2),
        l.errors,
      ]),
    ),
  );
  out.push(
    `   server peak RSS (VmHWM): ${e.serverPeakRssMb?.toFixed(0) ?? 'n/a'} MB (after warm-up ${e.serverPeakRssAfterWarmupMb?.toFixed(0) ?? 'n/a'} MB): the whole pipeline, dynalite and tsx included, in one process.`,
  );

  const k = r.cost;
  out.push('');
  out.push(costSection(k));
  out.push('');
  out.push(
    '5. MEMORY per function (peak RSS of the fresh process that imported the bundle; init CPU on one full core; Lambda: 1 vCPU at 1,769 MB)',
  );
  out.push(
    table(
      [
        'function',
        'configured MB',
        'peak RSS MB',
        'init CPU ms',
        'init@128',
        'init@256',
        'init@512',
        'init@1024',
        'recommended MB',
      ],
      memory.map((row) => [
        row.handler,
        row.configuredMb.join('/'),
        row.peakRssAfterImportMb.toFixed(0),
        row.initCpuMs.toFixed(0),
        row.initMsAt[128] ?? '',
        row.initMsAt[256] ?? '',
        row.initMsAt[512] ?? '',
        row.initMsAt[1024] ?? '',
        row.recommendedMb,
      ]),
    ),
  );
  for (const row of memory) out.push(`   ${row.handler}: ${row.reason}`);
  out.push('');
  out.push(
    `Reproduce: npm ci && npm run bench   (npm run bench -- --json for the same figures as JSON). Synth took ${r.synth.seconds} s.`,
  );
  return `${out.join('\n')}\n`;
};
