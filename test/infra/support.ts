/**
 * Shared helpers of the infrastructure tests: synthesize the stack the way `bin/leadsie-webhooks.ts`
 * does (same `cdk.json` context, so the same feature flags), and read the template back by the
 * constructs' own logical ids rather than by hard-coded hashes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import * as z from 'zod/mini';
import type { AnyConsumerModule } from '../../lambda/consumers/module.ts';
import { CONSUMER_MODULES, CONSUMERS_EXAMPLE } from '../../lambda/consumers/registry.ts';
import { loadConfig } from '../../lib/config.ts';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';
import { LeadsieWebhooksStack } from '../../lib/leadsie-webhooks-stack.ts';

/** Context that skips asset bundling: templates only, in about a second. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

/** The `context` section of `cdk.json` (feature flags, any configured values). */
export const projectContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
    .context;

/** Options of {@link synthStack}. */
export interface SynthOptions {
  /** Bundle the functions for real (slow). Default: bundling skipped. */
  readonly bundling?: boolean;
  /** Where to write the cloud assembly. Default: a temporary directory. */
  readonly outdir?: string;
  /**
   * Run CDK's built-in CloudFormation validation at synthesis (about 5 s). Default: off, since these
   * tests read the template; `cdk-nag.test.ts` and `app-entry.test.ts` synthesize with it on.
   */
  readonly validation?: boolean;
}

/** Builds the app as the CDK entry does, with `context` on top of `cdk.json`'s, and returns its template. */
export const synthStack = (context: Record<string, unknown> = {}, options: SynthOptions = {}) => {
  const app = new App({
    context: { ...projectContext(), ...(options.bundling ? {} : NO_BUNDLING), ...context },
    ...(options.outdir ? { outdir: options.outdir } : {}),
    builtinCloudFormationValidation: options.validation ?? false,
  });
  const config = loadConfig(app.node);
  const stack = new LeadsieWebhooksStack(app, config.stackName, { config });
  return { app, config, stack, template: Template.fromStack(stack) };
};

/** The logical id of a construct's CloudFormation resource (its default child, or itself). */
export const logicalId = (stack: Stack, construct: IConstruct): string => {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.resolve(element.logicalId) as string;
};

export const ref = (id: string) => ({ Ref: id });
export const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** A statement of an IAM policy document, as synthesized. */
export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
  readonly Principal?: unknown;
  readonly Sid?: string;
}

type Resource = {
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of every `AWS::IAM::Policy` attached to the role with this logical id. */
export const statementsOfRole = (template: Template, roleId: string): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(ref(roleId))),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

/**
 * What a role may do, as `{ action: [resources] }`, one entry per action, resources as JSON:
 * `{ 'sns:Publish': ['{"Ref":"Topic…"}'] }`. Comparing this whole map with `toEqual` asserts the
 * exact action set and, for each action, the exact resources.
 */
export const permissionsOfRole = (template: Template, roleId: string): Record<string, string[]> => {
  const permissions: Record<string, string[]> = {};
  for (const statement of statementsOfRole(template, roleId)) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of asArray(statement.Action)) {
      const resources = asArray(statement.Resource).map((resource) => JSON.stringify(resource));
      permissions[action] = [...(permissions[action] ?? []), ...resources].sort();
    }
  }
  return permissions;
};

/** One resource of the template by logical id, with its properties. */
export const resourceById = (template: Template, id: string): Resource => {
  const resource = (template.toJSON() as { Resources: Record<string, Resource> }).Resources[id];
  if (resource === undefined) throw new Error(`no resource ${id} in the template`);
  return resource;
};

/** The client thank-you template fixture, relative to the repository root (as `templateFile` takes it). */
export const CLIENT_TEMPLATE_FIXTURE = 'test/infra/fixtures/client-thank-you.txt';

/**
 * Every consumer on, each with its module's example settings (`example` in each
 * `lambda/consumers/<name>/index.ts`): different filter policies and some knobs off their defaults.
 */
export const ALL_CONSUMERS = CONSUMERS_EXAMPLE;

/** An `alarmSlack` context value: the alarm notifier on, posting with this secret's webhook URL. */
export const ALARM_SLACK = { secretName: 'leadsie-webhooks/alarm-slack-webhook-url' } as const;

/** The consumer names {@link ALL_CONSUMERS} deploys, in the registry's order. */
export const ALL_CONSUMER_NAMES: readonly string[] = (
  CONSUMER_MODULES as readonly AnyConsumerModule[]
).flatMap((module) =>
  module
    .instances(z.parse(module.schema, (ALL_CONSUMERS as Record<string, unknown>)[module.contextKey]))
    .map((instance) => instance.name),
);
