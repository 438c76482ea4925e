/**
 * The CDK entry (`bin/leadsie-webhooks.ts`) run as the CLI runs it: a child process with the context
 * in CDK_CONTEXT_JSON and the assembly directory in CDK_OUTDIR. Bundling is skipped here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';
import { ALL_CONSUMERS, NO_BUNDLING, projectContext } from './support.ts';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

const runApp = (context: Record<string, unknown>) => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'leadsie-cdk-'));
  outdirs.push(outdir);
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'bin/leadsie-webhooks.ts')],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ ...projectContext(), ...NO_BUNDLING, ...context }),
        CDK_OUTDIR: outdir,
      },
    },
  );
  return { ...result, outdir };
};

describe('the CDK app entry', () => {
  it('synthesizes one environment-agnostic stack, LeadsieWebhooks by default (stackName overrides it)', () => {
    const { status, stderr, outdir } = runApp({});
    expect(stderr).not.toMatch(/error/i);
    expect(status).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; environment?: string }>;
    };
    const stacks = Object.entries(manifest.artifacts).filter(
      ([, a]) => a.type === 'aws:cloudformation:stack',
    );
    expect(stacks.map(([name]) => name)).toEqual(['LeadsieWebhooks']);
    expect(stacks[0]?.[1].environment).toBe('aws://unknown-account/unknown-region');
  });

  it('fails with a message naming the bad key and value, and no stack trace', () => {
    const { status, stderr, outdir } = runApp({ throttleRateLimit: '-1' });
    expect(status).toBe(1);
    expect(stderr).toContain(`'throttleRateLimit' = "-1"`);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(outdir, 'manifest.json'))).toBe(false);
  });

  it("takes consumers as the JSON string -c consumers='{…}' gives, and deploys them", () => {
    const { status, stderr, outdir } = runApp({ consumers: JSON.stringify(ALL_CONSUMERS) });
    expect(stderr).not.toMatch(/error/i);
    expect(status).toBe(0);
    const template = JSON.parse(readFileSync(path.join(outdir, 'LeadsieWebhooks.template.json'), 'utf8')) as {
      Outputs: Record<string, unknown>;
    };
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining(['SlackDeadLetterQueueUrl', 'HubspotDeadLetterQueueUrl']),
    );
  });

  it('fails on an unknown consumer with a message naming its path, and no stack trace', () => {
    const { status, stderr } = runApp({ consumers: JSON.stringify({ slak: { secretName: 'x' } }) });
    expect(status).toBe(1);
    expect(stderr).toContain(`'consumers.slak'`);
    expect(stderr).toContain("did you mean 'slack'?");
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
