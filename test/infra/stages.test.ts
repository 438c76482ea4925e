/**
 * Stages: `-c stage=staging` and `-c stage=production` from one fixture context give two differently
 * named stacks, each with its own consumer secrets, and every resource tagged with the project and
 * the stage; no stage keeps `LeadsieWebhooks`. The selection rules as a unit, and the app entry as
 * `cdk synth` runs it (a child process; bundling skipped).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CfnResource, type Stack, TagManager } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_STACK_NAME } from '../../lambda/contract.ts';
import { CONTEXT_KEY_RULES, ConfigError, loadConfig } from '../../lib/config.ts';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';
import { selectStage, stackNameFor } from '../../lib/stages.ts';
import { logicalId, NO_BUNDLING, projectContext, synthStack } from './support.ts';

/** Two stages, as docs/configuration.md shows them. */
const STAGES = {
  tags: { owner: 'ops' },
  throttleRateLimit: 10,
  stages: {
    staging: {
      throttleRateLimit: 2,
      tags: { environment: 'non-production' },
      consumers: { slack: { secretName: 'leadsie-webhooks/staging/slack-webhook-url' } },
    },
    production: {
      stackName: 'LeadsieWebhooksProduction',
      consumers: { slack: { secretName: 'leadsie-webhooks/production/slack-webhook-url' } },
    },
  },
};

const errorFor = (context: Record<string, unknown>): string => {
  try {
    loadConfig(context);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('selectStage', () => {
  it('no stage: nothing changes, the stack keeps its name, only the project tag (and shared tags)', () => {
    const selection = selectStage(STAGES, CONTEXT_KEY_RULES);
    expect(selection.problems).toEqual([]);
    expect(selection.stage).toBeUndefined();
    expect(selection.context).toEqual({ throttleRateLimit: 10 });
    expect(selection.tags).toEqual({ project: 'leadsie-webhooks', owner: 'ops' });
    expect(loadConfig(STAGES).stackName).toBe(DEFAULT_STACK_NAME);
  });

  it("a stage's settings win over the top-level ones; its stack is <stackName>-<stage> unless it names one", () => {
    const staging = loadConfig({ ...STAGES, stage: 'staging' });
    expect(staging.stackName).toBe('LeadsieWebhooks-staging');
    expect(staging.throttleRateLimit).toBe(2);
    expect(staging.consumers.slack?.secretName).toBe('leadsie-webhooks/staging/slack-webhook-url');
    const production = loadConfig({ ...STAGES, stage: 'production' });
    expect(production.stackName).toBe('LeadsieWebhooksProduction');
    expect(production.throttleRateLimit).toBe(10);
    expect(production.consumers.slack?.secretName).toBe('leadsie-webhooks/production/slack-webhook-url');
    expect(loadConfig({ ...STAGES, stackName: 'Acme', stage: 'staging' }).stackName).toBe('Acme-staging');
  });

  it('tags: project, the shared ones, the stage’s own, and the stage', () => {
    expect(selectStage({ ...STAGES, stage: 'staging' }, CONTEXT_KEY_RULES).tags).toEqual({
      project: 'leadsie-webhooks',
      owner: 'ops',
      environment: 'non-production',
      stage: 'staging',
    });
  });

  it('takes stages as the JSON string -c stages=… gives', () => {
    const config = loadConfig({ stages: JSON.stringify(STAGES.stages), stage: 'production' });
    expect(config.stackName).toBe('LeadsieWebhooksProduction');
  });

  it('the CLI and the synth agree on the stack of each stage', () => {
    for (const stage of [undefined, 'staging', 'production'] as const) {
      expect(stackNameFor(STAGES, stage)).toBe(
        loadConfig({ ...STAGES, ...(stage ? { stage } : {}) }).stackName,
      );
    }
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'an unknown stage',
      { ...STAGES, stage: 'stagin' },
      `'stage' = "stagin": no such stage in 'stages', did you mean 'staging'? (stages: staging, production)`,
    ],
    [
      'a stage with no stages',
      { stage: 'staging' },
      `'stage' = "staging": no such stage in 'stages' (cdk.json context has no stages)`,
    ],
    [
      'a misspelt key inside a stage',
      { stages: { staging: { consumer: {} } } },
      `'stages.staging.consumer': unknown key, did you mean 'consumers'?`,
    ],
    [
      'a consumer directly inside a stage',
      { stages: { staging: { slack: {} } } },
      `'stages.staging.slack': unknown key: a consumer's settings belong inside 'consumers'`,
    ],
    [
      'two stages naming the same secret',
      {
        stages: {
          staging: { consumers: { slack: { secretName: 'shared/slack' } } },
          production: { consumers: { slack: { secretName: 'shared/slack' } } },
        },
      },
      `'stages.production.consumers.slack.secretName' = "shared/slack": stage 'staging' names the same secret`,
    ],
    [
      'a selected stage inheriting top-level consumers',
      { consumers: { slack: { secretName: 'x' } }, stages: { staging: {} }, stage: 'staging' },
      `'consumers': set for every stage, but stage 'staging' must name its own secrets`,
    ],
    [
      'a bad stage name',
      { stages: { Staging_1: {} } },
      `'stages.Staging_1': a stage name is lower-case letters`,
    ],
    [
      'a reserved tag key',
      { tags: { 'aws:owner': 'x' } },
      `'tags.aws:owner': a tag key is 1 to 128 characters`,
    ],
    [
      'a stage tag set by hand',
      { tags: { stage: 'x' } },
      `'tags.stage': the stage tag is set from the selected stage`,
    ],
    ['stages that are not JSON', { stages: '{staging' }, `'stages' = "{staging": not valid JSON`],
  ])('refuses %s, naming it', (_case, context, expected) => {
    expect(errorFor(context)).toContain(expected);
  });

  it('a stage that sets its own consumers, even none, does not inherit the shared ones', () => {
    const config = loadConfig({
      consumers: { slack: { secretName: 'x' } },
      stages: { staging: { consumers: {} } },
      stage: 'staging',
    });
    expect(config.consumers.slack).toBeUndefined();
  });
});

interface Template {
  Resources: Record<string, { Type: string; Properties?: { Tags?: unknown } }>;
}

/** Tags of a resource as a record, from either of CloudFormation's two shapes. */
const tagsOf = (resource: Template['Resources'][string]): Record<string, string> => {
  const tags = resource.Properties?.Tags;
  if (Array.isArray(tags)) {
    return Object.fromEntries((tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));
  }
  return (tags ?? {}) as Record<string, string>;
};

/** The logical ids of the resources the CDK can tag in a template. */
const taggableIds = (stack: Stack): string[] =>
  stack.node
    .findAll()
    .filter((c): c is CfnResource => c instanceof CfnResource && TagManager.isTaggable(c))
    .map((r) => logicalId(stack, r));

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs the app entry as `cdk synth -c …` does, with the fixture context. */
const synthesize = (extra: Record<string, unknown>) => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'leadsie-cdk-stages-'));
  outdirs.push(outdir);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'bin/leadsie-webhooks.ts')],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ ...projectContext(), ...NO_BUNDLING, ...STAGES, ...extra }),
        CDK_OUTDIR: outdir,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise<{ status: number | null; stderr: string; outdir: string }>((resolve) =>
    child.once('close', (status) => resolve({ status, stderr, outdir })),
  );
};

const manifestStacks = (outdir: string) => {
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { tags?: Record<string, string> } }>;
  };
  return Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
};

describe('cdk synth -c stage=staging and -c stage=production', () => {
  it('give two differently named stacks, every taggable resource tagged with project and stage', async () => {
    const [staging, production] = await Promise.all([
      synthesize({ stage: 'staging' }),
      synthesize({ stage: 'production' }),
    ]);
    // Which resources the CDK can tag: from the same stack built in process (logical ids are stable).
    const taggable = taggableIds(synthStack({ ...STAGES, stage: 'staging' }).stack);
    expect(taggable.length).toBeGreaterThan(20);

    for (const [run, stage, name, secret] of [
      [staging, 'staging', 'LeadsieWebhooks-staging', 'leadsie-webhooks/staging/slack-webhook-url'],
      [
        production,
        'production',
        'LeadsieWebhooksProduction',
        'leadsie-webhooks/production/slack-webhook-url',
      ],
    ] as const) {
      expect(run.status, run.stderr).toBe(0);
      const stacks = manifestStacks(run.outdir);
      expect(stacks.map(([id]) => id)).toEqual([name]);
      expect(stacks[0]?.[1].properties?.tags).toMatchObject({ project: 'leadsie-webhooks', stage });
      const template = JSON.parse(
        readFileSync(path.join(run.outdir, `${name}.template.json`), 'utf8'),
      ) as Template;
      for (const id of taggable) {
        const resource = template.Resources[id];
        expect(resource, id).toBeDefined();
        expect(tagsOf(resource as Template['Resources'][string]), `${id} (${resource?.Type})`).toMatchObject({
          project: 'leadsie-webhooks',
          stage,
          owner: 'ops',
        });
      }
      expect(JSON.stringify(template)).toContain(secret);
    }
    expect(
      JSON.stringify(
        readFileSync(path.join(staging.outdir, 'LeadsieWebhooks-staging.template.json'), 'utf8'),
      ),
    ).not.toContain('production/slack-webhook-url');
  }, 240_000);
});
