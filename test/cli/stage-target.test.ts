/**
 * The CLI's default stack follows the stage, as `cdk deploy -c stage=<name>` names it: `--stage`,
 * else cdk.json's own `stage`, else the stack with no stage. Same rule as the synth (lib/stages.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultStackName, targetChoice } from '../../cli/target.ts';
import { DEFAULT_STACK_NAME } from '../../lambda/contract.ts';
import { loadConfig } from '../../lib/config.ts';
import { runCliCaptured } from '../support/cli-run.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const STAGES = {
  staging: { consumers: { slack: { secretName: 'leadsie-webhooks/staging/slack' } } },
  production: { stackName: 'LeadsieWebhooksProduction' },
};

const cdkJson = (context: Record<string, unknown>): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'leadsie-cli-stage-'));
  dirs.push(dir);
  const file = path.join(dir, 'cdk.json');
  writeFileSync(file, JSON.stringify({ app: 'x', context }));
  return file;
};

describe('the CLI default stack and stages', () => {
  it('--stage NAME: the stack cdk deploy -c stage=NAME makes', () => {
    const file = cdkJson({ stages: STAGES });
    expect(targetChoice({ stage: 'staging' }, {}, file)).toMatchObject({
      stackName: 'LeadsieWebhooks-staging',
    });
    expect(targetChoice({ stage: 'production' }, {}, file)).toMatchObject({
      stackName: 'LeadsieWebhooksProduction',
    });
    expect(targetChoice({}, {}, file)).toMatchObject({ stackName: DEFAULT_STACK_NAME });
    for (const stage of ['staging', 'production']) {
      expect(defaultStackName(file, stage)).toBe(loadConfig({ stages: STAGES, stage }).stackName);
    }
  });

  it("cdk.json's own stage is the default, as it is for cdk deploy", () => {
    const file = cdkJson({ stackName: 'Agency', stage: 'staging', stages: STAGES });
    expect(defaultStackName(file)).toBe('Agency-staging');
    expect(defaultStackName(file, 'production')).toBe('LeadsieWebhooksProduction');
  });

  it.each<[Record<string, string | boolean>, RegExp]>([
    [{ stage: 'prod' }, /cdk\.json has no stage "prod" \(stages: staging, production\)/],
    [{ stage: 'staging', stack: 'X' }, /--stack and --stage name the stack twice/],
    [{ stage: 'staging', local: true }, /--local cannot be combined with --stage/],
    [{ stage: '' }, /--stage needs a stage name/],
  ])('refuses %j', (values, message) => {
    const file = cdkJson({ stages: STAGES });
    expect(() => targetChoice(values, {}, file)).toThrow(message);
  });

  it('commands take --stage (a usage error, exit 2, for a stage cdk.json lacks)', async () => {
    const run = await runCliCaptured(['url', '--stage', 'no-such-stage']);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^url: cdk\.json has no stage "no-such-stage"/);
  });
});
