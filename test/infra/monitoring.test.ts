/**
 * Monitoring with every consumer on and alarm emails configured: the alarm topic (its own rotated key,
 * TLS only, CloudWatch of this stack's alarms only), its email subscriptions, one test per alarm kind
 * (metric, threshold, periods, comparison, missing data, ALARM and OK actions, a description that says
 * what to do), and the dashboard's widgets and their metrics.
 */
import { Topic } from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { deadLetterAgeAlarmSeconds } from '../../lambda/consumers/runtime/schedule.ts';
import { DEFAULTS, METRIC_NAMES, METRICS_NAMESPACE } from '../../lambda/contract.ts';
import {
  ALARM_PERIOD,
  Monitoring,
  QUEUE_AGE_ALARM_THRESHOLD,
  RECONCILER_BACKLOG_RUNS,
} from '../../lib/constructs/monitoring.ts';
import { Subscriber } from '../../lib/constructs/subscriber.ts';
import { MONITORING_OUTPUTS } from '../../lib/leadsie-webhooks-stack.ts';
import {
  ALL_CONSUMER_NAMES,
  ALL_CONSUMERS,
  arnOf,
  logicalId,
  ref,
  resourceById,
  type Statement,
  synthStack,
} from './support.ts';

const ALARM_EMAILS = ['ops@example.com', 'oncall@example.org'];
const { stack, template } = synthStack({ consumers: ALL_CONSUMERS, alarmEmails: ALARM_EMAILS });
const { monitoring, api, reconciler } = stack;
const json = (value: unknown) => JSON.stringify(value);

const ids = {
  topic: logicalId(stack, monitoring.alarmTopic),
  key: logicalId(stack, monitoring.alarmKey),
  eventsTopic: logicalId(stack, stack.events.topic),
  ingest: logicalId(stack, api.ingestFunction.function),
  httpApi: logicalId(stack, api.httpApi),
  reconciler: logicalId(stack, reconciler.fn.function),
  rule: logicalId(stack, reconciler.rule),
  dashboard: logicalId(stack, monitoring.dashboard),
};

type Props = Record<string, unknown>;
const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as { Properties: Props }[];

/** The alarm with this name after the stack name (`LeadsieWebhooks-<name>`). */
const alarmNamed = (name: string): Props => {
  const found = alarms.filter((a) => a.Properties.AlarmName === `LeadsieWebhooks-${name}`);
  expect(found).toHaveLength(1);
  return found[0]?.Properties as Props;
};

/** What every alarm has: its actions on ALARM and on OK, both the alarm topic. */
const NOTIFIES_THE_ALARM_TOPIC = {
  AlarmActions: [ref(ids.topic)],
  OKActions: [ref(ids.topic)],
};

/** The ARN pattern of this stack's alarms, as the topic and key policies condition on it. */
const alarmArnPattern = {
  'Fn::Join': [
    '',
    [
      'arn:',
      ref('AWS::Partition'),
      ':cloudwatch:',
      ref('AWS::Region'),
      ':',
      ref('AWS::AccountId'),
      ':alarm:LeadsieWebhooks-*',
    ],
  ],
};
const CLOUDWATCH_OF_THIS_STACK = {
  StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') },
  ArnLike: { 'aws:SourceArn': alarmArnPattern },
};

describe('the alarm topic', () => {
  const topic = resourceById(template, ids.topic).Properties;
  const policy = Object.values(template.findResources('AWS::SNS::TopicPolicy')).find(
    (p) => json(p.Properties.Topics) === json([ref(ids.topic)]),
  );
  const statements = (policy?.Properties.PolicyDocument.Statement ?? []) as Statement[];

  it('is encrypted with its own customer-managed key, not the events key', () => {
    expect(topic.KmsMasterKeyId).toEqual(arnOf(ids.key));
    expect(ids.key).not.toBe(logicalId(stack, stack.events.key));
  });

  it('denies publishing without TLS, to everyone', () => {
    expect(statements).toContainEqual({
      Sid: 'AllowPublishThroughSSLOnly',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: ref(ids.topic),
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it("lets CloudWatch publish to it for this stack's alarms in this account only, and nobody else", () => {
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([
      {
        Sid: 'AllowCloudWatchAlarmsOfThisStackToPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: ref(ids.topic),
        Condition: CLOUDWATCH_OF_THIS_STACK,
      },
    ]);
  });

  it('is the one every alarm name matches the allowed pattern of (a drifting name would notify nobody)', () => {
    for (const alarm of alarms) expect(alarm.Properties.AlarmName).toMatch(/^LeadsieWebhooks-/);
  });

  it(`is output as ${MONITORING_OUTPUTS.alarmTopicArn}`, () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs[MONITORING_OUTPUTS.alarmTopicArn]?.Value).toEqual(ref(ids.topic));
  });
});

describe('the alarm topic key', () => {
  const key = resourceById(template, ids.key);
  const statements = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement;

  it('is rotated and retained', () => {
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it("lets CloudWatch encrypt alarm notifications with it, for this stack's alarms in this account only", () => {
    const cloudWatch = statements.filter(
      (s) => json(s.Principal) === json({ Service: 'cloudwatch.amazonaws.com' }),
    );
    expect(cloudWatch).toEqual([
      {
        Sid: 'AllowCloudWatchAlarmsOfThisStackToPublishToTheAlarmTopic',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: CLOUDWATCH_OF_THIS_STACK,
      },
    ]);
  });

  it('grants no other service or account anything (the account root, for IAM, and CloudWatch)', () => {
    expect(statements).toHaveLength(2);
    expect(statements.filter((s) => json(s.Principal).includes(':root'))).toHaveLength(1);
  });
});

describe('the alarm email subscriptions', () => {
  const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).filter(
    (s) => json(s.Properties.TopicArn) === json(ref(ids.topic)),
  );

  it('are one per configured address, by email', () => {
    expect(
      subscriptions.map((s) => ({ Protocol: s.Properties.Protocol, Endpoint: s.Properties.Endpoint })),
    ).toEqual(ALARM_EMAILS.map((address) => ({ Protocol: 'email', Endpoint: address })));
  });

  it('are on the alarm topic only, never on the connection events topic', () => {
    const onEvents = Object.values(template.findResources('AWS::SNS::Subscription')).filter(
      (s) => json(s.Properties.TopicArn) === json(ref(ids.eventsTopic)),
    );
    expect(onEvents.map((s) => s.Properties.Protocol)).not.toContain('email');
  });
});

describe('the alarms', () => {
  it('are eight for the stack, two on the events topic and five per consumer, each notifying the alarm topic on ALARM and on OK', () => {
    expect(alarms).toHaveLength(8 + 2 + 5 * ALL_CONSUMER_NAMES.length);
    expect(monitoring.allAlarms).toHaveLength(alarms.length);
    for (const alarm of alarms) expect(alarm.Properties).toMatchObject(NOTIFIES_THE_ALARM_TOPIC);
  });

  it('each have a description saying what it means and what to do, within CloudWatch’s 1024 characters', () => {
    for (const alarm of alarms) {
      const description = json(alarm.Properties.AlarmDescription);
      expect(description).toContain('Do:');
      expect(description.length).toBeGreaterThan(150);
      expect(description.length).toBeLessThanOrEqual(1024);
    }
  });

  it('ingest-errors: the ingest function failed at least once in 5 minutes', () => {
    expect(alarmNamed('ingest-errors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: ref(ids.ingest) }],
      Statistic: 'Sum',
      Period: ALARM_PERIOD.toSeconds(),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('api-5xx: the $default stage answered at least one 5xx in 5 minutes', () => {
    expect(alarmNamed('api-5xx')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [
        { Name: 'ApiId', Value: ref(ids.httpApi) },
        { Name: 'Stage', Value: '$default' },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('api-throttled: at least one 429 in the access log in 5 minutes (HTTP APIs publish no throttle metric)', () => {
    expect(alarmNamed('api-throttled')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC_NAMES.apiThrottledRequests,
      Dimensions: [{ Name: 'ApiId', Value: ref(ids.httpApi) }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('api-throttled reads a metric filter on the access log that counts each 429, by API id', () => {
    const filter = resourceById(template, logicalId(stack, api.throttledRequestsFilter)).Properties;
    expect(filter).toMatchObject({
      LogGroupName: ref(logicalId(stack, api.accessLogGroup)),
      FilterPattern: '{ $.status = "429" }',
      MetricTransformations: [
        {
          MetricNamespace: METRICS_NAMESPACE,
          MetricName: METRIC_NAMES.apiThrottledRequests,
          MetricValue: '1',
          Unit: 'Count',
          Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }],
        },
      ],
    });
  });

  it('publish-failures: an event could not be published at least once in 5 minutes (the EMF count of ingest and the reconciler)', () => {
    expect(alarmNamed('publish-failures')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC_NAMES.publishFailures,
      Dimensions: [{ Name: 'service', Value: stack.stackName }],
      Statistic: 'Sum',
      Period: ALARM_PERIOD.toSeconds(),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      ...NOTIFIES_THE_ALARM_TOPIC,
    });
  });

  it('quarantined: a reconciler run counted at least one unresolved quarantined request', () => {
    expect(alarmNamed('quarantined')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC_NAMES.quarantinedRequests,
      Dimensions: [{ Name: 'service', Value: stack.stackName }],
      Statistic: 'Maximum',
      Period: DEFAULTS.reconcilerIntervalMinutes * 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      // Between runs (or when a run could not count) the alarm keeps its state.
      TreatMissingData: 'ignore',
      ...NOTIFIES_THE_ALARM_TOPIC,
    });
    expect(json(alarmNamed('quarantined').AlarmDescription)).toContain('cli quarantine retry');
  });

  it(`reconciler-backlog: every run of ${RECONCILER_BACKLOG_RUNS} periods in a row left a backlog`, () => {
    expect(alarmNamed('reconciler-backlog')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC_NAMES.reconcilerBacklog,
      // The EMF metric the reconciler writes each run, in this stack's series.
      Dimensions: [{ Name: 'service', Value: stack.stackName }],
      // The smallest backlog of a period of one run interval.
      Statistic: 'Minimum',
      Period: DEFAULTS.reconcilerIntervalMinutes * 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      // The three most recent runs, whatever the gaps between them.
      TreatMissingData: 'missing',
    });
  });

  it('reconciler-errors: a run failed at least once in 5 minutes', () => {
    expect(alarmNamed('reconciler-errors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: ref(ids.reconciler) }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('reconciler-schedule-failures: EventBridge gave up on a scheduled run at least once in 5 minutes', () => {
    expect(alarmNamed('reconciler-schedule-failures')).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [{ Name: 'RuleName', Value: ref(ids.rule) }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it.each([
    ['events-notifications-failed', 'NumberOfNotificationsFailed'],
    ['events-notifications-failed-to-redrive', 'NumberOfNotificationsFailedToRedriveToDlq'],
  ])('%s: the connection events topic reported %s at least once in 5 minutes', (name, metricName) => {
    expect(alarmNamed(name)).toMatchObject({
      Namespace: 'AWS/SNS',
      MetricName: metricName,
      Dimensions: [{ Name: 'TopicName', Value: { 'Fn::GetAtt': [ids.eventsTopic, 'TopicName'] } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      // SNS publishes these only when something failed.
      TreatMissingData: 'notBreaching',
      ...NOTIFIES_THE_ALARM_TOPIC,
    });
  });

  describe.each(ALL_CONSUMER_NAMES)('of the %s consumer', (name) => {
    const consumer = stack.consumers[name];
    if (consumer === undefined) throw new Error(`no consumer ${name}`);
    const queueId = logicalId(stack, consumer.queue);
    const deadLetterQueueId = logicalId(stack, consumer.deadLetterQueue);
    const subscriptionDeadLetterQueueId = logicalId(stack, consumer.subscriptionDeadLetterQueue);
    const DAY = 24 * 60 * 60;

    it(`${name}-dead-letter-age: its oldest dead letter has waited 14 days − the horizon's queue time − a margin (the schedule's)`, () => {
      const alarm = alarmNamed(`${name}-dead-letter-age`);
      expect(alarm).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterQueueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 300,
        Threshold: consumer.deadLetterAgeAlarmThreshold.toSeconds(),
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(consumer.retryHorizon.toSeconds()).toBe(consumer.retryPolicy.horizonSeconds);
      expect(alarm.Threshold).toBe(deadLetterAgeAlarmSeconds(consumer.retryPolicy));
      // A dead letter expires 14 days after it was first sent, and the horizon is spent before it
      // moves: the alarm leaves at least a day before that.
      expect((alarm.Threshold as number) + consumer.retryPolicy.horizonSeconds + DAY).toBeLessThanOrEqual(
        14 * DAY,
      );
      expect(monitoring.alarms.deadLetterAge[name]).toBeDefined();
    });

    it(`${name}-dead-letters-unresolved: a reconciler run counted an unresolved dead-lettered outcome record, and nothing but a count of 0 clears it`, () => {
      const alarm = alarmNamed(`${name}-dead-letters-unresolved`);
      expect(alarm).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC_NAMES.deadLettersUnresolved,
        Statistic: 'Maximum',
        Period: DEFAULTS.reconcilerIntervalMinutes * 60,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        // Not notBreaching: a missing count (an SQS expiry changes nothing in the table; a run that
        // could not count) must not read as a recovery.
        TreatMissingData: 'ignore',
        ...NOTIFIES_THE_ALARM_TOPIC,
      });
      expect(
        (alarm.Dimensions as { Name: string; Value: string }[]).sort((a, b) => a.Name.localeCompare(b.Name)),
      ).toEqual([
        { Name: 'consumer', Value: name },
        { Name: 'service', Value: stack.stackName },
      ]);
      expect(monitoring.alarms.deadLettersUnresolved[name]).toBeDefined();
    });

    it(`${name}-subscription-dead-letters: SNS put a message it could not deliver in the subscription's dead-letter queue`, () => {
      expect(alarmNamed(`${name}-subscription-dead-letters`)).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [subscriptionDeadLetterQueueId, 'QueueName'] } },
        ],
        Statistic: 'Maximum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'ignore',
      });
      expect(monitoring.alarms.subscriptionDeadLetters[name]).toBeDefined();
    });

    it(`${name}-dead-letters: its dead-letter queue holds a message`, () => {
      const alarm = alarmNamed(`${name}-dead-letters`);
      expect(alarm).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterQueueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        // An idle queue stops reporting: the alarm keeps its state until the queue says otherwise.
        TreatMissingData: 'ignore',
      });
      expect(monitoring.alarms.deadLetters[name]).toBeDefined();
    });

    it(`${name}-dead-letters names the dead-letter queue in its description`, () => {
      expect(json(alarmNamed(`${name}-dead-letters`).AlarmDescription)).toContain(
        json({ 'Fn::GetAtt': [deadLetterQueueId, 'QueueName'] }),
      );
    });

    it(`${name}-queue-age: its oldest queued message is ${QUEUE_AGE_ALARM_THRESHOLD.toMinutes()} minutes old`, () => {
      expect(alarmNamed(`${name}-queue-age`)).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 300,
        Threshold: 900,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(monitoring.alarms.queueAge[name]).toBeDefined();
    });
  });
});

/**
 * The dashboard body with every intrinsic replaced by a readable string (`ref:Id`, `Id.Attribute`),
 * so it parses as the JSON CloudWatch receives.
 */
const dashboardBody = (): { widgets: { type: string; properties: Props }[] } => {
  const body = resourceById(template, ids.dashboard).Properties.DashboardBody as {
    'Fn::Join': [string, unknown[]];
  };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const intrinsic = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (intrinsic.Ref !== undefined) return `ref:${intrinsic.Ref}`;
      if (intrinsic['Fn::GetAtt'] !== undefined) return intrinsic['Fn::GetAtt'].join('.');
      throw new Error(`unexpected intrinsic in the dashboard body: ${json(part)}`);
    })
    .join('');
  return JSON.parse(text);
};

/** `namespace/metricName` of each metric of a graph widget, with the value of its first dimension. */
const metricsOf = (properties: Props): string[] =>
  (properties.metrics as unknown[][]).map((m) => {
    const [namespace, name, , dimensionValue] = m as string[];
    return `${namespace}/${name} ${dimensionValue}`;
  });

describe('the dashboard', () => {
  const { widgets } = dashboardBody();
  const graphs = Object.fromEntries(
    widgets
      .filter((w) => w.type === 'metric' && w.properties.view === 'timeSeries')
      .map((w) => [w.properties.title as string, metricsOf(w.properties)]),
  );
  const queue = (
    name: (typeof ALL_CONSUMER_NAMES)[number],
    which: 'queue' | 'deadLetterQueue' | 'subscriptionDeadLetterQueue',
  ) => {
    const consumer = stack.consumers[name];
    if (consumer === undefined) throw new Error(`no consumer ${name}`);
    return `${logicalId(stack, consumer[which])}.QueueName`;
  };

  it('is named after the stack, and output as DashboardName', () => {
    const dashboard = resourceById(template, ids.dashboard).Properties;
    expect(dashboard.DashboardName).toBe('LeadsieWebhooks');
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs[MONITORING_OUTPUTS.dashboardName]?.Value).toEqual(ref(ids.dashboard));
  });

  it('shows the state of every alarm', () => {
    const status = widgets.filter((w) => w.type === 'alarm');
    expect(status).toHaveLength(1);
    const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    expect(status[0]?.properties.alarms).toEqual(alarmIds.map((id) => `${id}.Arn`));
  });

  it('has exactly these graphs', () => {
    expect(Object.keys(graphs).sort()).toEqual(
      [
        'Ingest function: invocations and errors',
        'Ingest function: duration p99',
        'API: 4xx, 5xx and throttled (429) requests',
        'API: latency p99',
        'Consumers: age of the oldest queued message (s)',
        'Consumers: messages in the dead-letter queue',
        'Reconciler: backlog and unresolved quarantined requests after each run',
        'Reconciler: errors and failed scheduled invocations',
        'Webhooks: received, duplicates, quarantined; events published and publish failures',
        'Webhooks rejected, by reason',
        'Consumers: events delivered',
        'Consumers: deliveries retried and dead-lettered',
        'Consumers: unresolved dead letters (outcome records, after each reconciler run)',
        'Consumers: age of the oldest dead letter (s)',
        'Consumers: messages SNS could not deliver (subscription dead-letter queues)',
        'Connection events topic: notifications failed, and failed to redrive to a dead-letter queue',
      ].sort(),
    );
  });

  it.each<[string, () => string[]]>([
    [
      'Ingest function: invocations and errors',
      () => [`AWS/Lambda/Invocations ref:${ids.ingest}`, `AWS/Lambda/Errors ref:${ids.ingest}`],
    ],
    ['Ingest function: duration p99', () => [`AWS/Lambda/Duration ref:${ids.ingest}`]],
    [
      'API: 4xx, 5xx and throttled (429) requests',
      () => [
        `AWS/ApiGateway/4xx ref:${ids.httpApi}`,
        `AWS/ApiGateway/5xx ref:${ids.httpApi}`,
        `LeadsieWebhooks/ApiThrottledRequests ref:${ids.httpApi}`,
      ],
    ],
    [
      'API: latency p99',
      () => [
        `AWS/ApiGateway/Latency ref:${ids.httpApi}`,
        `AWS/ApiGateway/IntegrationLatency ref:${ids.httpApi}`,
      ],
    ],
    [
      'Consumers: age of the oldest queued message (s)',
      () => ALL_CONSUMER_NAMES.map((n) => `AWS/SQS/ApproximateAgeOfOldestMessage ${queue(n, 'queue')}`),
    ],
    [
      'Consumers: messages in the dead-letter queue',
      () =>
        ALL_CONSUMER_NAMES.map(
          (n) => `AWS/SQS/ApproximateNumberOfMessagesVisible ${queue(n, 'deadLetterQueue')}`,
        ),
    ],
    [
      'Consumers: age of the oldest dead letter (s)',
      () =>
        ALL_CONSUMER_NAMES.map((n) => `AWS/SQS/ApproximateAgeOfOldestMessage ${queue(n, 'deadLetterQueue')}`),
    ],
    [
      'Consumers: messages SNS could not deliver (subscription dead-letter queues)',
      () =>
        ALL_CONSUMER_NAMES.map(
          (n) => `AWS/SQS/ApproximateNumberOfMessagesVisible ${queue(n, 'subscriptionDeadLetterQueue')}`,
        ),
    ],
    [
      'Connection events topic: notifications failed, and failed to redrive to a dead-letter queue',
      () => [
        `AWS/SNS/NumberOfNotificationsFailed ${ids.eventsTopic}.TopicName`,
        `AWS/SNS/NumberOfNotificationsFailedToRedriveToDlq ${ids.eventsTopic}.TopicName`,
      ],
    ],
    [
      'Reconciler: backlog and unresolved quarantined requests after each run',
      () => [
        `LeadsieWebhooks/ReconcilerBacklog ${stack.stackName}`,
        `LeadsieWebhooks/QuarantinedRequests ${stack.stackName}`,
      ],
    ],
    [
      'Reconciler: errors and failed scheduled invocations',
      () => [`AWS/Lambda/Errors ref:${ids.reconciler}`, `AWS/Events/FailedInvocations ref:${ids.rule}`],
    ],
  ])('"%s" plots its metrics', (title, expected) => {
    expect(graphs[title]).toEqual(expected());
  });
  /** Each metric of a graph as `name {dimension=value,…}` (dimensions sorted): the series it reads. */
  const seriesOf = (title: string): string[] => {
    const widget = widgets.find((w) => w.properties.title === title);
    return ((widget?.properties.metrics ?? []) as unknown[][]).map((m) => {
      const [, name, ...rest] = m.filter((part) => typeof part === 'string') as string[];
      const dims: string[] = [];
      for (let i = 0; i + 1 < rest.length; i += 2) dims.push(`${rest[i]}=${rest[i + 1]}`);
      return `${name} {${dims.sort().join(',')}}`;
    });
  };
  const service = `service=${stack.stackName}`;

  it('plots the webhook counts of this stack (EMF, dimension service = the stack name), publish failures on the right axis', () => {
    const title = 'Webhooks: received, duplicates, quarantined; events published and publish failures';
    expect(seriesOf(title)).toEqual([
      `${METRIC_NAMES.webhooksReceived} {${service}}`,
      `${METRIC_NAMES.webhooksDuplicate} {${service}}`,
      `${METRIC_NAMES.webhooksQuarantined} {${service}}`,
      `${METRIC_NAMES.eventsPublished} {${service}}`,
      `${METRIC_NAMES.publishFailures} {${service}}`,
    ]);
    const widget = widgets.find((w) => w.properties.title === title);
    const last = ((widget?.properties.metrics ?? []) as unknown[][]).at(-1)?.at(-1);
    expect(last).toMatchObject({ yAxis: 'right' });
  });

  it('plots the rejected webhooks with one line per reason, found by a SEARCH of this stack’s series', () => {
    const widget = widgets.find((w) => w.properties.title === 'Webhooks rejected, by reason');
    expect(widget?.properties.metrics).toEqual([
      [
        expect.objectContaining({
          expression: `SEARCH('{${METRICS_NAMESPACE},reason,service} MetricName="${METRIC_NAMES.webhooksRejected}" service="${stack.stackName}"', 'Sum', 300)`,
        }),
      ],
    ]);
  });

  it.each([
    ['Consumers: events delivered', [[METRIC_NAMES.deliveriesSucceeded]]],
    [
      'Consumers: deliveries retried and dead-lettered',
      [[METRIC_NAMES.deliveriesRetried], [METRIC_NAMES.deliveriesDeadLettered]],
    ],
    [
      'Consumers: unresolved dead letters (outcome records, after each reconciler run)',
      [[METRIC_NAMES.deadLettersUnresolved]],
    ],
  ] as const)('"%s" plots each consumer’s own series (dimensions service and consumer)', (title, names) => {
    expect(seriesOf(title)).toEqual(
      names.flatMap(([name]) => ALL_CONSUMER_NAMES.map((c) => `${name} {consumer=${c},${service}}`)),
    );
  });
});

describe('Monitoring of consumers on two topics', () => {
  it('is refused: its topic alarms watch the one connection events topic', () => {
    // Added after the template above was read, so they change nothing the other tests see.
    const elsewhere = new Subscriber(stack, 'ElsewhereConsumer', {
      topic: new Topic(stack, 'ElsewhereTopic'),
      consumerName: 'elsewhere',
      handler: { name: 'elsewhere', entry: 'lambda/consumers/slack/entry.ts' },
    });
    const slack = stack.consumers.slack;
    if (slack === undefined) throw new Error('no slack consumer');
    expect(
      () => new Monitoring(stack, 'TwoTopics', { api, reconciler, consumers: [slack, elsewhere] }),
    ).toThrow(/Monitoring: the consumers subscribe to 2 topics/);
  });
});
