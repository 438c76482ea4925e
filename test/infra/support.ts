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

/** A customer-managed KMS key a consumer's secret is encrypted with. */
export const SECRETS_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * Every consumer on, each with a different filter policy and some non-default knobs: Slack with
 * statuses (default test events), HubSpot with a mapping and its default of no test events, one
 * forwarder with both filters, one with none; Google Sheets with its defaults; email with client
 * emails on (an address mapping and the template fixture) and the default sender identity. HubSpot
 * retries for 48 h with its own backstop; Sheets' secret is under a customer-managed KMS key.
 */
export const ALL_CONSUMERS = {
  slack: {
    secretName: 'leadsie-webhooks/slack-webhook-url',
    statuses: ['SUCCESS', 'PARTIAL_SUCCESS'],
  },
  hubspot: {
    secretName: 'leadsie-webhooks/hubspot-token',
    objectType: 'companies',
    idProperty: 'leadsie_company_user_id',
    propertyMapping: { status: 'leadsie_status', '<type>_id': 'leadsie_<type>_ids' },
    baseUrl: 'https://api.hubapi.com',
    retryHorizonHours: 48,
    maxReceiveCount: 40,
  },
  forwarders: [
    {
      name: 'zapier',
      secretName: 'leadsie-webhooks/forward-zapier',
      statuses: ['SUCCESS'],
      includeTestEvents: false,
    },
    {
      name: 'make-eu',
      secretName: 'leadsie-webhooks/forward-make-eu',
      format: 'envelope',
      maxConcurrency: 5,
      batchSize: 5,
    },
  ],
  sheets: {
    secretName: 'leadsie-webhooks/google-sheets-key',
    spreadsheetId: '1AbC-dEf_123xyz',
    secretKmsKeyArn: SECRETS_KEY_ARN,
  },
  email: {
    from: 'Agency Ops <ops@agency.example>',
    teamRecipients: ['team@agency.example', 'lead@agency.example'],
    client: {
      enabled: true,
      addresses: { 'acme-42': 'owner@acme.example' },
      templateFile: CLIENT_TEMPLATE_FIXTURE,
    },
  },
  teams: {
    secretName: 'leadsie-webhooks/teams-webhook-url',
    statuses: ['PARTIAL_SUCCESS', 'FAILED'],
    linkHosts: ['crm.agency.example'],
  },
  discord: {
    secretName: 'leadsie-webhooks/discord-webhook-url',
  },
} as const;

/** An `alarmSlack` context value: the alarm notifier on, posting with this secret's webhook URL. */
export const ALARM_SLACK = { secretName: 'leadsie-webhooks/alarm-slack-webhook-url' } as const;

/** The consumer names {@link ALL_CONSUMERS} deploys. */
export const ALL_CONSUMER_NAMES = [
  'slack',
  'hubspot',
  'forward-zapier',
  'forward-make-eu',
  'sheets',
  'email',
  'teams',
  'discord',
] as const;
