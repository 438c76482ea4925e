/**
 * The files a newcomer expects (issue 14, item 13) exist and agree with package.json and CI: the
 * licence package.json names, a Node.js version for nvm that satisfies `engines`, a changelog with
 * an Unreleased section, a contributing guide that says how to add a consumer, and a workflow that
 * runs .ci/run with its Python tools pinned.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { license: string; engines: { node: string } };

describe('the project files', () => {
  it('LICENSE is the licence package.json names', () => {
    expect(pkg.license).toBe('MIT');
    expect(read('LICENSE')).toMatch(/^MIT License\n/);
  });

  it('.nvmrc names a Node.js version that package.json engines accepts', () => {
    const parts = read('.nvmrc').trim().replace(/^v/, '').split('.').map(Number);
    const [, wantMajor = '0', wantMinor = '0'] = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node) ?? [];
    // A bare major ("20") makes nvm take the newest release of that line.
    const minor = parts.length === 1 ? Number.POSITIVE_INFINITY : (parts[1] ?? 0);
    const major = parts[0] ?? 0;
    expect(major).toBeGreaterThanOrEqual(Number(wantMajor));
    if (major === Number(wantMajor)) expect(minor).toBeGreaterThanOrEqual(Number(wantMinor));
  });

  it('CHANGELOG has an Unreleased section; CONTRIBUTING says how to add a consumer', () => {
    expect(read('CHANGELOG.md')).toContain('\n## [Unreleased]\n');
    expect(read('CONTRIBUTING.md')).toContain('\n## Add a consumer\n');
  });

  it('the CI workflow runs .ci/run with moto and cfn-lint pinned', () => {
    const workflow = read('.github/workflows/ci.yml');
    expect(workflow).toContain('run: bash .ci/run');
    expect(workflow).toMatch(/'moto\[server\]==\d+\.\d+\.\d+'/);
    expect(workflow).toMatch(/'cfn-lint==\d+\.\d+\.\d+'/);
  });
});
