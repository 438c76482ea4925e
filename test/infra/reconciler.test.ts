/**
 * The reconciler, as the default stack deploys it: its schedule, its environment (names from the
 * contract), exactly the IAM permissions its store calls and publish need, no reserved concurrency, how a
 * failed scheduled invocation is handled, and the backlog metric (EMF) its alarm reads.
 * (A configured interval and batch limit are asserted in `configured-stack.test.ts`.)
 */
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  DEFAULTS,
  ENV,
  HANDLER_ENTRIES,
  METRIC_DIMENSIONS,
  METRIC_NAMES,
  METRICS_NAMESPACE,
  NEXT_TABLE_INDEXES,
} from '../../lambda/contract.ts';
import { ConnectionEvents } from '../../lib/constructs/connection-events.ts';
import { ConnectionStore } from '../../lib/constructs/connection-store.ts';
import { handlerEntryPath } from '../../lib/constructs/house-function.ts';
import { RECONCILER_RULE_RETRY_ATTEMPTS, Reconciler } from '../../lib/constructs/reconciler.ts';
import {
  arnOf,
  logicalId,
  NO_BUNDLING,
  permissionsOfRole,
  ref,
  resourceById,
  statementsOfRole,
  synthStack,
} from './support.ts';

const { stack, template } = synthStack();
const { reconciler } = stack;
const ids = {
  fn: logicalId(stack, reconciler.fn.function),
  role: logicalId(stack, reconciler.fn.role),
  logs: logicalId(stack, reconciler.fn.logGroup),
  rule: logicalId(stack, reconciler.rule),
  table: logicalId(stack, stack.store.table),
  topic: logicalId(stack, stack.events.topic),
  key: logicalId(stack, stack.events.key),
};
const json = (value: unknown) => JSON.stringify(value);
const fn = resourceById(template, ids.fn).Properties;
const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
const rule = resourceById(template, ids.rule).Properties;
const ruleTargets = rule.Targets as Record<string, unknown>[];

/** The byState index ARN, as the stack renders it. */
const byStateIndexArn = {
  'Fn::Join': ['', [arnOf(ids.table), `/index/${NEXT_TABLE_INDEXES.byState.name}`]],
};

describe('the reconciler function', () => {
  it(`runs the reconciler handler of the contract (${HANDLER_ENTRIES.reconciler})`, () => {
    expect(reconciler.fn.entry).toBe(handlerEntryPath('reconciler'));
  });

  it('has 60 s for a batch (ten times an API function) and the configured memory', () => {
    expect(fn.Timeout).toBe(60);
    expect(fn.MemorySize).toBe(256);
  });

  it('reserves no concurrency (a reservation fails the first deploy into a new account; its claims keep overlapping runs apart)', () => {
    expect(fn.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('is not the reason any function of the default stack reserves concurrency: none does', () => {
    const reserving = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([, resource]) => resource.Properties?.ReservedConcurrentExecutions !== undefined)
      .map(([id]) => id);
    expect(reserving).toEqual([]);
  });

  it('sets exactly the contract variables it reads', () => {
    expect(Object.keys(env).sort()).toEqual(
      [
        'NODE_OPTIONS',
        'POWERTOOLS_SERVICE_NAME',
        ENV.metricsNamespace,
        ENV.metricsService,
        ENV.tableName,
        ENV.topicArn,
        ENV.reconcilerBatchLimit,
        ENV.reconcilerMaxAttempts,
        ENV.reconcilerConsumers,
      ].sort(),
    );
  });

  it.each([
    [ENV.tableName, () => ref(ids.table)],
    [ENV.topicArn, () => ref(ids.topic)],
    [ENV.reconcilerBatchLimit, () => String(DEFAULTS.reconcilerBatchLimit)],
    [ENV.reconcilerMaxAttempts, () => String(DEFAULTS.reconcilerMaxAttempts)],
    // No consumer configured in this stack: none counted.
    [ENV.reconcilerConsumers, () => ''],
    ['POWERTOOLS_SERVICE_NAME', () => 'leadsie-webhooks-reconciler'],
  ])('sets %s to the right value', (name, expected) => {
    expect(env[name]).toEqual(expected());
  });

  it('may query the byState index (not the table, not another index), get, batch-get and update items, publish to the topic with its key, and write its logs: nothing else', () => {
    expect(permissionsOfRole(template, ids.role)).toEqual({
      'logs:CreateLogStream': [json(arnOf(ids.logs))],
      'logs:PutLogEvents': [json(arnOf(ids.logs))],
      'dynamodb:Query': [json(byStateIndexArn)],
      'dynamodb:GetItem': [json(arnOf(ids.table))],
      'dynamodb:UpdateItem': [json(arnOf(ids.table))],
      'dynamodb:BatchGetItem': [json(arnOf(ids.table))],
      'sns:Publish': [json(ref(ids.topic))],
      'kms:GenerateDataKey': [json(arnOf(ids.key))],
      'kms:Decrypt': [json(arnOf(ids.key))],
    });
  });

  it('cannot put, delete or scan, nor read a secret', () => {
    const statements = json(statementsOfRole(template, ids.role));
    expect(statements).not.toMatch(/dynamodb:(Put|Delete|Scan|BatchWrite)|secretsmanager:/);
  });

  it('is not retried by Lambda when a run fails (the next run is the retry), and drops a run that waited a whole interval', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(ids.fn),
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: DEFAULTS.reconcilerIntervalMinutes * 60,
    });
  });
});

describe('the reconciler schedule', () => {
  it(`runs the function every ${DEFAULTS.reconcilerIntervalMinutes} minutes by default`, () => {
    expect(rule.ScheduleExpression).toBe(`rate(${DEFAULTS.reconcilerIntervalMinutes} minutes)`);
    expect(rule.State).toBe('ENABLED');
  });

  it('targets the reconciler function only', () => {
    expect(ruleTargets).toHaveLength(1);
    expect(ruleTargets[0]?.Arn).toEqual(arnOf(ids.fn));
  });

  it('retries an event Lambda did not take for at most one interval, with no dead-letter queue (a tick holds nothing to replay; failures are alarmed)', () => {
    expect(ruleTargets[0]?.RetryPolicy).toEqual({
      MaximumRetryAttempts: RECONCILER_RULE_RETRY_ATTEMPTS,
      MaximumEventAgeInSeconds: DEFAULTS.reconcilerIntervalMinutes * 60,
    });
    expect(ruleTargets[0]?.DeadLetterConfig).toBeUndefined();
  });

  it('is the only principal allowed to invoke the function', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => json(p.Properties.FunctionName) === json(arnOf(ids.fn)),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: arnOf(ids.rule),
    });
  });
});

describe('the reconciler backlog metric', () => {
  it('is an EMF metric each run writes, so the stack makes no metric filter for it', () => {
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter'));
    expect(filters.map((f) => json(f.Properties.LogGroupName))).not.toContain(json(ref(ids.logs)));
  });

  it(`is what metricBacklog() reads: ${METRICS_NAMESPACE}/${METRIC_NAMES.reconcilerBacklog} of this stack, one run interval per period`, () => {
    const metric = reconciler.metricBacklog();
    expect(metric).toMatchObject({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC_NAMES.reconcilerBacklog,
      statistic: 'Maximum',
    });
    expect(metric.period.toMinutes()).toBe(DEFAULTS.reconcilerIntervalMinutes);
    // The dimension the function writes: service = the stack's name (ENV.metricsService).
    expect(stack.resolve(metric.dimensions)).toEqual({ [METRIC_DIMENSIONS.service]: stack.stackName });
    expect(env[ENV.metricsService]).toBe(stack.stackName);
    expect(env[ENV.metricsNamespace]).toBe(METRICS_NAMESPACE);
  });

  it('has the failed scheduled invocations of its rule next to it', () => {
    const metric = reconciler.metricFailedInvocations();
    expect(metric).toMatchObject({
      namespace: 'AWS/Events',
      metricName: 'FailedInvocations',
      statistic: 'Sum',
    });
    expect(stack.resolve(metric.dimensions)).toEqual({ RuleName: ref(ids.rule) });
  });
});

describe('a Reconciler with an interval outside 1 to 60 minutes', () => {
  it.each([0, 61, 2.5])('is refused at synth (%s)', (intervalMinutes) => {
    const scope = new Stack(new App({ context: NO_BUNDLING }), 'Refused');
    expect(
      () =>
        new Reconciler(scope, 'Reconciler', {
          store: new ConnectionStore(scope, 'Store'),
          events: new ConnectionEvents(scope, 'Events'),
          intervalMinutes,
        }),
    ).toThrow(`intervalMinutes must be a whole number from 1 to 60, got ${intervalMinutes}`);
  });
});
