/**
 * Unknown top-level context keys fail the synth with what was probably meant; the CDK's own keys
 * (anything with a `:`, and what the CDK CLI keeps in the context) pass. Checked against the
 * repository's own cdk.json, and through the app entry as `cdk synth -c …` runs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEY_RULES, ConfigError, loadConfig } from '../../lib/config.ts';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';
import { contextKeyProblems, isCdkKey } from '../../lib/context-keys.ts';
import { NO_BUNDLING, projectContext } from './support.ts';

const errorFor = (context: Record<string, unknown>): string => {
  try {
    loadConfig(context);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('top-level context keys', () => {
  it("the repository's own cdk.json passes: every key is a CDK flag or one the app reads", () => {
    const context = projectContext();
    expect(Object.keys(context).length).toBeGreaterThan(50);
    expect(contextKeyProblems(context, CONTEXT_KEY_RULES)).toEqual([]);
    expect(() => loadConfig(context)).not.toThrow();
  });

  it.each([
    ['@aws-cdk/core:newStyleStackSynthesis'],
    ['@aws-cdk-containers/ecs-service-extensions:enableDefaultLogDriver'],
    ['aws:cdk:bundling-stacks'],
    ['aws:cdk:enable-path-metadata'],
    ['availability-zones:account=123456789012:region=eu-west-1'],
    ['acknowledged-issue-numbers'],
    ['cli-telemetry'],
  ])('%s is the CDK’s and passes', (key) => {
    expect(isCdkKey(key)).toBe(true);
    expect(contextKeyProblems({ [key]: true }, CONTEXT_KEY_RULES)).toEqual([]);
  });

  it.each([
    ['consumer', "'consumer': unknown key, did you mean 'consumers'?"],
    ['alarmEmail', "'alarmEmail': unknown key, did you mean 'alarmEmails'?"],
    ['throttleratelimit', "'throttleratelimit': unknown key, did you mean 'throttleRateLimit'?"],
    ['stack_name', "'stack_name': unknown key, did you mean 'stackName'?"],
  ])('a misspelt %s is refused with a did-you-mean', (key, expected) => {
    expect(errorFor({ [key]: 'x' })).toContain(expected);
  });

  it.each([['slack'], ['hubspot'], ['email'], ['sheets'], ['forwarders'], ['Slack']])(
    '%s placed directly under context is refused: it belongs inside consumers',
    (key) => {
      const message = errorFor({ [key]: { secretName: 'leadsie-webhooks/slack-webhook-url' } });
      expect(message).toContain(`'${key}': unknown key: a consumer's settings belong inside 'consumers'`);
      expect(message).toContain(`"consumers": { "${key.toLowerCase()}": { … } }`);
    },
  );

  it('a key like nothing known is refused with the list of known keys', () => {
    const message = errorFor({ frobnicate: 1 });
    expect(message).toContain("'frobnicate': unknown key (known: ");
    expect(message).toContain('consumers');
    expect(message).toContain('stages');
  });

  it('every unknown key is reported at once', () => {
    const message = errorFor({ consumer: '{}', alarmEmail: 'a@b.example', slack: {} });
    for (const key of ['consumer', 'alarmEmail', 'slack']) expect(message).toContain(`'${key}'`);
  });
});

describe('cdk synth -c with a misspelt key', () => {
  const outdirs: string[] = [];
  afterAll(() => {
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  it("-c consumer='{…}' fails with rc 1 and a did-you-mean, no stack trace, no template", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'leadsie-cdk-keys-'));
    outdirs.push(outdir);
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'bin/leadsie-webhooks.ts')],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: {
          ...process.env,
          CDK_CONTEXT_JSON: JSON.stringify({
            ...projectContext(),
            ...NO_BUNDLING,
            consumer: '{"slack":{"secretName":"x"}}',
          }),
          CDK_OUTDIR: outdir,
        },
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("'consumer': unknown key, did you mean 'consumers'?");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
