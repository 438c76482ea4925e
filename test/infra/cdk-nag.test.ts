/**
 * cdk-nag (AWS Solutions pack) as the CDK entry registers it: no unacknowledged finding, every
 * acknowledgement scoped to the construct concerned and explained, and proof that the check is live.
 */
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { LeadsieWebhooksStack } from '../../lib/leadsie-webhooks-stack.ts';
import { ALARM_SLACK, ALL_CONSUMER_NAMES, ALL_CONSUMERS, NO_BUNDLING, projectContext } from './support.ts';

/** The app of `bin/leadsie-webhooks.ts`, with `extra` resources added before the checks run. */
const buildApp = (extra?: (stack: Stack) => void, context: Record<string, unknown> = {}) => {
  const app = new App({ context: { ...projectContext(), ...NO_BUNDLING, ...context } });
  const config = loadConfig(app.node);
  const stack = new LeadsieWebhooksStack(app, config.stackName, { config });
  extra?.(stack);
  const checks = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(checks);
  return { app, stack, checks };
};

const findings = (checks: AwsSolutionsChecks, app: App) =>
  checks
    .validateScope(app)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}`),
    );

/** Every acknowledgement in the tree: where, which rule, why. */
const acknowledgements = (app: App) =>
  app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );

/** The acknowledgements of the default stack: authorization in the functions, manual token rotation. */
const EXPECTED_ACKNOWLEDGEMENTS = [
  'AwsSolutions-APIG4 at LeadsieWebhooks/IngestApi/HttpApi/POST--leadsie--webhook',
  'AwsSolutions-APIG4 at LeadsieWebhooks/IngestApi/HttpApi/GET--connections',
  'AwsSolutions-SMG4 at LeadsieWebhooks/IngestApi/WebhookTokenSecret',
  'AwsSolutions-SMG4 at LeadsieWebhooks/IngestApi/ReadTokenSecret',
].sort();

describe('cdk-nag AWS Solutions checks', () => {
  const { app, checks } = buildApp();

  it('report no unacknowledged error or warning', () => {
    expect(findings(checks, app)).toEqual([]);
  });

  it('let the app synthesize (CDK runs them, with its own template validation, at synth)', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it('are acknowledged only where expected: authorization in the functions, manual token rotation', () => {
    expect(
      acknowledgements(app)
        .map(({ path, id }) => `${id} at ${path}`)
        .sort(),
    ).toEqual(EXPECTED_ACKNOWLEDGEMENTS);
  });

  it('are acknowledged with a reason that explains, not a placeholder', () => {
    for (const { reason } of acknowledgements(app)) expect(reason.length).toBeGreaterThan(150);
  });

  it('are live: a resource added without an acknowledgement is reported and fails synthesis', () => {
    const broken = buildApp((stack) => new Secret(stack, 'UnacknowledgedSecret'));
    expect(findings(broken.checks, broken.app)).toEqual([
      'error AwsSolutions-SMG4 at LeadsieWebhooks/UnacknowledgedSecret/Resource',
    ]);
    expect(() => broken.app.synth()).toThrow(/AwsSolutions-SMG4/);
  });
});

describe('cdk-nag AWS Solutions checks with everything on (every consumer, Google Sheets and email included, alarm emails and Slack)', () => {
  const { app, stack, checks } = buildApp(undefined, {
    consumers: ALL_CONSUMERS,
    alarmEmails: ['ops@example.com'],
    alarmSlack: ALARM_SLACK,
  });

  it('check the consumers (Google Sheets and email too), the reconciler, the alarms and the alarm subscriptions (the stack has them)', () => {
    expect(Object.keys(stack.consumers).sort()).toEqual([...ALL_CONSUMER_NAMES].sort());
    expect(stack.consumers.sheets).toBeDefined();
    expect(stack.consumers.email).toBeDefined();
    expect(stack.reconciler.fn).toBeDefined();
    expect(stack.monitoring.alarmSlack).toBeDefined();
    expect(stack.monitoring.allAlarms).toHaveLength(8 + 2 + 5 * ALL_CONSUMER_NAMES.length + 1);
    expect(stack.monitoring.alarmTopic.node.findAll().some((c) => c.node.id === 'ops@example.com')).toBe(
      true,
    );
  });

  it('report no unacknowledged error or warning', () => {
    expect(findings(checks, app)).toEqual([]);
  });

  it("need no acknowledgement beyond those of the default stack but SQS3 on the alarm notifier's and the subscriptions' dead-letter queues (cdk-nag sees only queue redrive policies)", () => {
    const subscriptionDeadLetterQueues = Object.values(stack.consumers).map(
      (consumer) => `AwsSolutions-SQS3 at ${consumer.subscriptionDeadLetterQueue.node.path}`,
    );
    expect(subscriptionDeadLetterQueues).toHaveLength(ALL_CONSUMER_NAMES.length);
    expect(
      acknowledgements(app)
        .map(({ path, id }) => `${id} at ${path}`)
        .sort(),
    ).toEqual(
      [
        ...EXPECTED_ACKNOWLEDGEMENTS,
        'AwsSolutions-SQS3 at LeadsieWebhooks/Monitoring/AlarmSlack/DeadLetterQueue',
        ...subscriptionDeadLetterQueues,
      ].sort(),
    );
  });

  it('let the app synthesize', () => {
    expect(() => app.synth()).not.toThrow();
  });
});
