/**
 * Stages: one cdk.json, several stacks with their own settings (a staging and a production stack),
 * selected with `-c stage=<name>`.
 *
 *   "context": {
 *     "throttleRateLimit": 10,                       shared by every stage unless a stage sets it
 *     "tags": { "owner": "ops" },                    on every stage's resources
 *     "stages": {
 *       "staging":    { "consumers": { "slack": { "secretName": "leadsie-webhooks/staging/slack" } } },
 *       "production": { "stackName": "LeadsieWebhooksProd", "consumers": { … } }
 *     }
 *   }
 *
 * A stage's settings win over the top-level ones. Its stack is its own `stackName`, else
 * `<stackName>-<stage>` (`LeadsieWebhooks-staging`); with no stage selected nothing changes, so an
 * existing `LeadsieWebhooks` stack is not orphaned. Each stage names its own consumer secrets: a
 * selected stage may not inherit `consumers` or `alarmSlack` from the top level, and two stages may
 * not name the same secret, so staging never posts into production's Slack. Every resource carries
 * the `project` tag, and the `stage` tag when a stage is selected.
 *
 * Pure (zod only): the CLI reads the same rules to find a stage's stack without loading the CDK.
 */
import { DEFAULT_STACK_NAME } from '../lambda/contract.ts';
import { type ContextKeyRules, contextKeyProblems, didYouMean } from './context-keys.ts';

/** The context keys this module reads; the configuration schema never sees them. */
export const STAGE_CONTEXT_KEYS = ['stage', 'stages', 'tags'] as const;

/** The tag every resource carries, and its value unless `tags.project` says otherwise. */
export const PROJECT_TAG = 'project';
export const PROJECT_TAG_VALUE = 'leadsie-webhooks';
/** The tag naming the selected stage. */
export const STAGE_TAG = 'stage';

/** A stage name: lower-case letters, digits and hyphens, so `<stack>-<stage>` is a valid stack name. */
export const STAGE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Settings a stage may not inherit: they name secrets, and each stage names its own. */
const SECRET_BEARING_KEYS = ['consumers', 'alarmSlack'] as const;

export interface StageSelection {
  /** The selected stage, if any. */
  readonly stage: string | undefined;
  /** The context with the stage's settings over the top-level ones, the stage keys taken out. */
  readonly context: Record<string, unknown>;
  /** The tags for every resource of the stack. */
  readonly tags: Record<string, string>;
  /** What is wrong, one line each (empty when nothing is). */
  readonly problems: string[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A value as `-c key='{…}'` gives it (a JSON string) or as cdk.json does (an object). */
const objectFrom = (value: unknown, key: string, problems: string[]): Json | undefined => {
  if (value === undefined) return undefined;
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      problems.push(`'${key}' = ${JSON.stringify(value)}: not valid JSON (${(error as Error).message})`);
      return undefined;
    }
  }
  if (!isObject(parsed)) {
    problems.push(`'${key}' = ${JSON.stringify(value)}: expected an object`);
    return undefined;
  }
  return parsed;
};

/** Tag keys and values as CloudFormation takes them; `aws:` is reserved for AWS. */
const tagProblems = (tags: Json, where: string): string[] =>
  Object.entries(tags).flatMap(([key, value]) => {
    const problems: string[] = [];
    if (key.length < 1 || key.length > 128 || key.toLowerCase().startsWith('aws:')) {
      problems.push(`'${where}.${key}': a tag key is 1 to 128 characters and does not start with aws:`);
    }
    if (key === STAGE_TAG) {
      problems.push(`'${where}.${key}': the stage tag is set from the selected stage (-c stage=<name>)`);
    }
    if (typeof value !== 'string' || value.length > 256) {
      problems.push(
        `'${where}.${key}' = ${JSON.stringify(value)}: a tag value is a string of at most 256 characters`,
      );
    }
    return problems;
  });

/** Every `secretName` under a stage's secret-bearing settings, with its path. */
const secretNames = (settings: Json, prefix: string): { path: string; name: string }[] => {
  const found: { path: string; name: string }[] = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, `${path}[${i}]`);
    } else if (isObject(value)) {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'secretName' && typeof inner === 'string')
          found.push({ path: `${path}.${key}`, name: inner });
        else walk(inner, `${path}.${key}`);
      }
    }
  };
  for (const key of SECRET_BEARING_KEYS) {
    let value = settings[key];
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch {
        continue;
      }
    }
    walk(value, `${prefix}.${key}`);
  }
  return found;
};

/**
 * The stack a stage deploys: its own `stackName`, else the top-level one (or `LeadsieWebhooks`)
 * followed by `-<stage>`; with no stage, the top-level one.
 */
export const stackNameFor = (context: Readonly<Json>, stage: string | undefined): string => {
  const base =
    typeof context.stackName === 'string' && context.stackName !== ''
      ? context.stackName
      : DEFAULT_STACK_NAME;
  if (stage === undefined) return base;
  const stages = isObject(context.stages) ? context.stages : {};
  const own = isObject(stages[stage]) ? stages[stage].stackName : undefined;
  return typeof own === 'string' && own !== '' ? own : `${base}-${stage}`;
};

/**
 * Selects the stage the context names (`stage`) and resolves its settings.
 *
 * @param rules the top-level keys the configuration reads, and the consumers' names, so a stage's
 *   misspelt key is named by its full path (`stages.staging.consumer`).
 */
export const selectStage = (raw: Readonly<Json>, rules: ContextKeyRules): StageSelection => {
  const problems: string[] = [];
  const shared: Json = Object.fromEntries(
    Object.entries(raw).filter(([key]) => !(STAGE_CONTEXT_KEYS as readonly string[]).includes(key)),
  );

  const stages = objectFrom(raw.stages, 'stages', problems) ?? {};
  const settingsKeys = rules.known.filter((key) => key !== 'stage' && key !== 'stages');
  const owners = new Map<string, string>();
  for (const [name, settings] of Object.entries(stages)) {
    if (!STAGE_NAME.test(name)) {
      problems.push(
        `'stages.${name}': a stage name is lower-case letters, digits and hyphens, starting with a letter (at most 32)`,
      );
    }
    if (!isObject(settings)) {
      problems.push(`'stages.${name}' = ${JSON.stringify(settings)}: expected an object of settings`);
      continue;
    }
    for (const problem of contextKeyProblems(settings, { ...rules, known: settingsKeys })) {
      problems.push(problem.replace(/^'/, `'stages.${name}.`));
    }
    if (settings.tags !== undefined) {
      const tags = objectFrom(settings.tags, `stages.${name}.tags`, problems);
      if (tags) problems.push(...tagProblems(tags, `stages.${name}.tags`));
    }
    for (const { path, name: secret } of secretNames(settings, `stages.${name}`)) {
      const owner = owners.get(secret);
      if (owner !== undefined && owner !== name) {
        problems.push(
          `'${path}' = ${JSON.stringify(secret)}: stage '${owner}' names the same secret; each stage names its own, so one stage never posts with another's`,
        );
      } else owners.set(secret, name);
    }
  }

  const sharedTags = objectFrom(raw.tags, 'tags', problems) ?? {};
  problems.push(...tagProblems(sharedTags, 'tags'));

  let stage: string | undefined;
  if (raw.stage !== undefined) {
    const names = Object.keys(stages);
    if (typeof raw.stage !== 'string' || raw.stage === '') {
      problems.push(`'stage' = ${JSON.stringify(raw.stage)}: expected the name of a stage of 'stages'`);
    } else if (!Object.hasOwn(stages, raw.stage)) {
      const guess = didYouMean(raw.stage, names);
      problems.push(
        `'stage' = ${JSON.stringify(raw.stage)}: no such stage in 'stages'${guess ? `, did you mean '${guess}'?` : ''} (${
          names.length > 0 ? `stages: ${names.join(', ')}` : 'cdk.json context has no stages'
        })`,
      );
    } else stage = raw.stage;
  }

  if (stage === undefined) {
    return {
      stage,
      context: shared,
      tags: { [PROJECT_TAG]: PROJECT_TAG_VALUE, ...(sharedTags as Record<string, string>) },
      problems,
    };
  }

  const own = (stages[stage] ?? {}) as Json;
  for (const key of SECRET_BEARING_KEYS) {
    if (shared[key] !== undefined && own[key] === undefined) {
      problems.push(
        `'${key}': set for every stage, but stage '${stage}' must name its own secrets: move it into 'stages.${stage}.${key}' (and each other stage's)`,
      );
    }
  }
  const { tags: ownTags, ...ownSettings } = own;
  return {
    stage,
    context: { ...shared, ...ownSettings, stackName: stackNameFor({ ...raw, stages }, stage) },
    tags: {
      [PROJECT_TAG]: PROJECT_TAG_VALUE,
      ...(sharedTags as Record<string, string>),
      ...((objectFrom(ownTags, `stages.${stage}.tags`, []) ?? {}) as Record<string, string>),
      [STAGE_TAG]: stage,
    },
    problems,
  };
};
