/**
 * docs/performance.md is the rendering of the committed bench run (bench/results/latest.json): a
 * new run without a new rendering, or a hand edit of the figures, fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLatest, PERFORMANCE_DOC, renderPerformanceDoc } from '../../bench/performance-doc.ts';

describe('docs/performance.md', () => {
  it('is rendered from bench/results/latest.json (npx tsx scripts/render-bench-docs.ts)', () => {
    expect(readFileSync(PERFORMANCE_DOC, 'utf8')).toBe(renderPerformanceDoc(loadLatest()));
  });

  it('states the date of the run its figures come from', () => {
    const run = loadLatest();
    expect(Number.isNaN(Date.parse(run.date))).toBe(false);
    expect(readFileSync(PERFORMANCE_DOC, 'utf8')).toContain(run.date.slice(0, 10));
  });
});
