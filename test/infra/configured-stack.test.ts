/**
 * Non-default configuration reaches the template: every context value, given as the strings
 * `-c key=value` produces, changes what it should. (Defaults are asserted in the other files.)
 */
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/contract.ts';
import { logicalId, ref, resourceById, synthStack } from './support.ts';

const { stack, template } = synthStack({
  stackName: 'LeadsieWebhooksStaging',
  throttleRateLimit: '25',
  throttleBurstLimit: '50',
  maxBodyBytes: '100000',
  historyRetentionDays: '90',
  secretMaxAgeSeconds: '60',
  tokenRotationGraceHours: '2',
  logRetentionDays: '30',
  tableDeletionProtection: 'false',
  removalPolicy: 'destroy',
  lambdaMemoryMb: '1024',
  backgroundMemoryMb: '384',
  reconcilerIntervalMinutes: '15',
  reconcilerBatchLimit: '200',
  alarmEmails: 'ops@example.com,oncall@example.org',
  // A consumer too, so the loops below cover its function and log group.
  consumers: JSON.stringify({ slack: { secretName: 'staging/slack' } }),
});

const functions = Object.values(template.findResources('AWS::Lambda::Function'));
const ingestEnv = resourceById(template, logicalId(stack, stack.api.ingestFunction.function)).Properties
  .Environment as {
  Variables: Record<string, unknown>;
};

describe('a stack configured from the context', () => {
  it('takes its name from stackName', () => {
    expect(stack.stackName).toBe('LeadsieWebhooksStaging');
  });

  it('throttles at throttleRateLimit and throttleBurstLimit', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 },
    });
  });

  it('passes maxBodyBytes and secretMaxAgeSeconds to the ingest function', () => {
    expect(ingestEnv.Variables[ENV.maxBodyBytes]).toBe('100000');
    expect(ingestEnv.Variables[ENV.secretMaxAgeSeconds]).toBe('60');
  });

  it('passes historyRetentionDays to the ingest function, the one writing deliveries', () => {
    expect(ingestEnv.Variables[ENV.historyRetentionDays]).toBe('90');
  });

  it('names the configured consumers to the reconciler, which counts their dead letters', () => {
    const env = resourceById(template, logicalId(stack, stack.reconciler.fn.function)).Properties
      .Environment as { Variables: Record<string, unknown> };
    expect(env.Variables[ENV.reconcilerConsumers]).toBe('slack');
  });

  it('passes tokenRotationGraceHours to both HTTP functions', () => {
    for (const fn of [stack.api.ingestFunction, stack.api.connectionsFunction]) {
      const env = resourceById(template, logicalId(stack, fn.function)).Properties.Environment as {
        Variables: Record<string, unknown>;
      };
      expect(env.Variables[ENV.tokenRotationGraceHours]).toBe('2');
    }
  });

  it('keeps logs for logRetentionDays', () => {
    for (const logGroup of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(logGroup.Properties.RetentionInDays).toBe(30);
    }
  });

  it('turns deletion protection off when tableDeletionProtection is false', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [
        {
          DeletionProtectionEnabled: false,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        },
      ],
    });
  });

  it.each([
    'AWS::DynamoDB::GlobalTable',
    'AWS::KMS::Key',
    'AWS::SecretsManager::Secret',
    'AWS::Logs::LogGroup',
  ])('deletes %s with the stack when removalPolicy is destroy', (type) => {
    const resources = Object.values(template.findResources(type));
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) expect(resource.DeletionPolicy).toBe('Delete');
  });

  it('gives the HTTP functions lambdaMemoryMb, the consumer and the reconciler backgroundMemoryMb', () => {
    expect(functions).toHaveLength(4);
    const sizes = functions.map((fn) => fn.Properties.MemorySize).sort();
    expect(sizes).toEqual([1024, 1024, 384, 384]);
  });

  it('passes secretMaxAgeSeconds to the consumer function', () => {
    const slack = stack.consumers.slack;
    if (slack === undefined) throw new Error('no slack consumer');
    const env = resourceById(template, logicalId(stack, slack.fn.function)).Properties.Environment as {
      Variables: Record<string, unknown>;
    };
    expect(env.Variables[ENV.secretMaxAgeSeconds]).toBe('60');
  });
});

describe('the reconciler of a stack configured from the context', () => {
  const { reconciler } = stack;
  const fnId = logicalId(stack, reconciler.fn.function);
  const rule = resourceById(template, logicalId(stack, reconciler.rule)).Properties;

  it('runs every reconcilerIntervalMinutes', () => {
    expect(rule.ScheduleExpression).toBe('rate(15 minutes)');
  });

  it('gives up on a scheduled event after one interval, at EventBridge and in Lambda', () => {
    expect((rule.Targets as { RetryPolicy: unknown }[])[0]?.RetryPolicy).toMatchObject({
      MaximumEventAgeInSeconds: 900,
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(fnId),
      MaximumEventAgeInSeconds: 900,
    });
  });

  it('passes reconcilerBatchLimit as ENV.reconcilerBatchLimit', () => {
    const env = resourceById(template, fnId).Properties.Environment as { Variables: Record<string, unknown> };
    expect(env.Variables[ENV.reconcilerBatchLimit]).toBe('200');
  });

  it('measures the backlog over periods of one interval, and alarms after three of them', () => {
    expect(reconciler.metricBacklog().period.toMinutes()).toBe(15);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'LeadsieWebhooksStaging-reconciler-backlog',
      Period: 900,
      EvaluationPeriods: 3,
    });
  });
});

describe('the monitoring of a stack configured from the context', () => {
  it('subscribes each of alarmEmails (given comma-separated) to the alarm topic', () => {
    const topicId = logicalId(stack, stack.monitoring.alarmTopic);
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription'))
      .filter((s) => JSON.stringify(s.Properties.TopicArn) === JSON.stringify(ref(topicId)))
      .map((s) => `${s.Properties.Protocol} ${s.Properties.Endpoint}`);
    expect(subscriptions).toEqual(['email ops@example.com', 'email oncall@example.org']);
  });

  it('names alarms and the dashboard after stackName, and lets only those alarms publish', () => {
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmName).toMatch(/^LeadsieWebhooksStaging-/);
    }
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'LeadsieWebhooksStaging' });
    expect(JSON.stringify(template.findResources('AWS::SNS::TopicPolicy'))).toContain(
      ':alarm:LeadsieWebhooksStaging-*',
    );
  });
});
