/**
 * docs/performance.md, rendered from a saved bench run (bench/results/latest.json) so its figures
 * are always those of a real run: `scripts/render-bench-docs.ts` writes it, and
 * `test/bench/performance-doc.test.ts` fails when the committed file differs from the rendering.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';
import { type BenchReport, human, LATEST_RESULTS, s, usd } from './report.ts';

export const PERFORMANCE_DOC = path.join(REPO_ROOT, 'docs', 'performance.md');

export const loadLatest = (file = LATEST_RESULTS): BenchReport =>
  JSON.parse(readFileSync(file, 'utf8')) as BenchReport;

const cell = (value: string | number) => String(value).replaceAll('|', '\\|');
const mdTable = (head: string[], rows: (string | number)[][]): string =>
  [
    `| ${head.map(cell).join(' | ')} |`,
    // Figures right-aligned, words left.
    `|${head.map((_, i) => (rows.every((r) => /^[\d$.(-]/.test(String(r[i] ?? ''))) ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');

export const renderPerformanceDoc = (r: BenchReport): string => {
  const k = r.cost;
  const c = r.coldStart;
  const m = r.machine;
  const headline = k.sizes.find((x) => x.assets === k.headlineAssets);
  const parts = Object.keys(headline?.parts ?? {});
  const out: string[] = [];
  out.push('# Performance and cost');
  out.push('');
  out.push(
    '<!-- Rendered by scripts/render-bench-docs.ts from bench/results/latest.json; do not edit by hand: run `npm run bench`, then `npx tsx scripts/render-bench-docs.ts`. -->',
  );
  out.push('');
  out.push(
    `Measured by \`npm run bench\` on ${r.date.slice(0, 10)} (${m.cpu}, ${m.cores} cores, ${m.node}; load average ${m.loadAverageBefore.join(' ')} before the run). Every figure comes from that run; the full output is at the end.`,
  );
  out.push('');
  out.push(`## Cost per ${k.webhooks.toLocaleString('en-US')} webhooks`);
  out.push('');
  out.push(
    `On-demand list prices in ${k.region} (\`${k.pricesFile}\`, compiled ${k.pricesCompiled}, each with its source). Ingest is what every installation pays; each consumer adds its own column.`,
  );
  out.push('');
  out.push(
    mdTable(
      ['assets per payload', 'payload bytes', 'message bytes', 'ingest WRU', ...parts, 'total'],
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
  out.push('');
  if (headline) {
    out.push(`Itemised at ${headline.assets} assets:`);
    out.push('');
    out.push(
      mdTable(
        ['part', 'item', 'cost', 'basis'],
        headline.lines.map((l) => [l.part, l.item, usd(l.usd), l.basis]),
      ),
    );
    out.push('');
  }
  out.push(`Fixed, whatever the traffic: ${usd(k.fixedMonthlyUsd)} a month.`);
  out.push('');
  for (const l of k.fixedMonthly)
    out.push(`- ${l.item}: ${l.quantity} ${l.unit}, ${usd(l.usd)} (${l.basis})`);
  out.push('');
  out.push('Assumptions:');
  out.push('');
  for (const a of k.assumptions) out.push(`- ${a}`);
  out.push('');
  out.push('Assumptions that changed in this model:');
  out.push('');
  for (const ch of k.assumptionChanges)
    out.push(`- **${ch.what}**: was ${ch.before}; now ${ch.now}. Why: ${ch.why}.`);
  out.push('');
  out.push('## Cold start: the AWS SDK external or bundled');
  out.push('');
  out.push(
    `Each function's bundle imported in a fresh \`node\` process, ${c.rounds} rounds; "over bare" subtracts a bare node start (${s(c.bareNodeMs)} ms) of the same round. External: the SDK resolved from node_modules, as a function resolves the runtime's copy. Bundled: the SDK clients tree-shaken and minified into the bundle. Median (min, max) ms.`,
  );
  out.push('');
  out.push(
    `**Measured on this machine's Node (${c.nodeVersion}); Lambda's Node 24 runtime and its SDK copy may differ.** The stack deploys: ${c.rows[0]?.sdkWays.deployed ?? 'n/a'}.`,
  );
  out.push('');
  out.push(
    mdTable(
      [
        'function',
        'external KB',
        'external ms',
        'over bare',
        'bundled KB',
        'bundled ms',
        'over bare',
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
          b.kb.toFixed(1),
          s(b.absoluteMs),
          s(b.overBareMs),
          b.overBareMs.median < e.overBareMs.median ? 'bundled' : 'external',
        ];
      }),
    ),
  );
  out.push('');
  const d = r.dynamoDbColdStart;
  if (d !== undefined && d.skipped === undefined) {
    out.push('## Cold start: Slack and the forwarders before and after the delivery engine');
    out.push('');
    out.push(
      `The engine's outcome records brought the DynamoDB client into the Slack and forwarder functions. "Before": each entry as it was at commit ${d.beforeRef.slice(0, 7)}, the one before the engine landed, bundled with today's esbuild options (the forwarders then ran in the CRM updater function HubSpot shared, which already read the table). "Now": the bundle the stack synthesizes. "Clients": the SDK-only baseline of the bundle now, without and with the DynamoDB client, so its own share shows apart from the engine's code. ${d.rounds} rounds, interleaved; ms over a bare node start (${s(d.bareNodeMs)} ms), median (min, max); CPU is user + system time, which other load disturbs less.`,
    );
    out.push('');
    out.push(
      mdTable(
        [
          'function',
          'before KB',
          'before ms',
          'before CPU ms',
          'now KB',
          'now ms',
          'now CPU ms',
          'clients without DynamoDB, CPU ms',
          'clients with DynamoDB, CPU ms',
        ],
        d.rows.map((row) => [
          row.bundle,
          row.before.kb.toFixed(1),
          s(row.before.overBareMs),
          s(row.before.cpuOverBareMs),
          row.now.kb.toFixed(1),
          s(row.now.overBareMs),
          s(row.now.cpuOverBareMs),
          s(row.clientsWithout.cpuOverBareMs),
          s(row.clientsWith.cpuOverBareMs),
        ]),
      ),
    );
    out.push('');
  }
  out.push('## The whole run');
  out.push('');
  out.push('```text');
  out.push(human(r, r.memory).trimEnd());
  out.push('```');
  return `${out.join('\n')}\n`;
};
