/**
 * Renders docs/performance.md from the saved bench run (bench/results/latest.json, written by
 * `npm run bench`). `--check` renders without writing and fails when the committed file differs,
 * so the figures in the docs cannot go stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadLatest, PERFORMANCE_DOC, renderPerformanceDoc } from '../bench/performance-doc.ts';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';

const rendered = renderPerformanceDoc(loadLatest());
const target = path.relative(REPO_ROOT, PERFORMANCE_DOC);
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(PERFORMANCE_DOC, 'utf8');
  } catch {
    // missing: reported below
  }
  if (current !== rendered) {
    process.stderr.write(
      `${target} is not the rendering of bench/results/latest.json: run npx tsx scripts/render-bench-docs.ts\n`,
    );
    process.exitCode = 1;
  } else {
    process.stdout.write(`${target} is up to date\n`);
  }
} else {
  writeFileSync(PERFORMANCE_DOC, rendered);
  process.stdout.write(`wrote ${target}\n`);
}
