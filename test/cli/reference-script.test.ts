/**
 * The reference flatten script lives outside the repository: the golden-file script and the bench
 * find it through an option or LEADSIE_REFERENCE_SCRIPT (default: ../shared/reference/… when it
 * exists), and no user-facing document sends anyone outside the repository.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';
import {
  DEFAULT_REFERENCE_SCRIPT,
  REFERENCE_SCRIPT_ENV,
  referenceScript,
} from '../../scripts/reference-script.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A repository root with (or without) a script at the default place beside it. */
const layout = (withDefault: boolean) => {
  const top = mkdtempSync(path.join(tmpdir(), 'leadsie-reference-'));
  dirs.push(top);
  const root = path.join(top, 'repo');
  mkdirSync(root);
  const fallback = path.resolve(root, DEFAULT_REFERENCE_SCRIPT);
  if (withDefault) {
    mkdirSync(path.dirname(fallback), { recursive: true });
    writeFileSync(fallback, '# reference\n');
  }
  const other = path.join(top, 'elsewhere.py');
  writeFileSync(other, '# reference\n');
  return { root, fallback, other };
};

describe('referenceScript', () => {
  it('takes the option first, then the environment variable, then the default place', () => {
    const { root, fallback, other } = layout(true);
    expect(referenceScript({ given: other, env: { [REFERENCE_SCRIPT_ENV]: fallback }, root })).toEqual({
      path: other,
    });
    expect(referenceScript({ env: { [REFERENCE_SCRIPT_ENV]: other }, root })).toEqual({ path: other });
    expect(referenceScript({ env: {}, root })).toEqual({ path: fallback });
  });

  it('says why when there is none, naming the option and the variable', () => {
    const { root } = layout(false);
    const found = referenceScript({ env: {}, root });
    expect(found).toEqual({
      missing: expect.stringContaining('pass --reference-script PATH or set LEADSIE_REFERENCE_SCRIPT'),
    });
    expect(referenceScript({ env: { [REFERENCE_SCRIPT_ENV]: '/no/such/script.py' }, root })).toEqual({
      missing: '/no/such/script.py (from LEADSIE_REFERENCE_SCRIPT) does not exist',
    });
  });
});

describe('scripts/make-golden.ts without the script', () => {
  it('stops with one line naming how to give it, and writes nothing', () => {
    const golden = path.join(REPO_ROOT, 'test/fixtures/golden');
    const before = Object.fromEntries(
      readdirSync(golden).map((f) => [f, readFileSync(path.join(golden, f), 'utf8')]),
    );
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/make-golden.ts', '--reference-script', '/no/such/zapier_flatten.py'],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'make-golden: /no/such/zapier_flatten.py (from --reference-script) does not exist',
    );
    const after = Object.fromEntries(
      readdirSync(golden).map((f) => [f, readFileSync(path.join(golden, f), 'utf8')]),
    );
    expect(after).toEqual(before);
  });
});

describe('documents', () => {
  it('the README, CONTRIBUTING and docs/ never point outside the repository (../shared)', () => {
    const docs = path.join(REPO_ROOT, 'docs');
    const files = [
      'README.md',
      'CONTRIBUTING.md',
      ...readdirSync(docs)
        .filter((f) => f.endsWith('.md'))
        .map((f) => path.join('docs', f)),
    ];
    for (const file of files) {
      expect(readFileSync(path.join(REPO_ROOT, file), 'utf8'), file).not.toContain('../shared');
    }
  });
});
