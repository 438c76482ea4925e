/**
 * Alarms in Slack (`alarmSlack`): the alarm notifier function subscribed to the alarm topic, its
 * environment, exactly the IAM it needs (its secret by name, its dead-letter queue, its logs), the
 * dead-letter queue both SNS and Lambda send to (SSE-SQS, TLS only, SNS of the alarm topic only),
 * Lambda's retries and on-failure destination, the alarm on the queue, the output, and the stack
 * without `alarmSlack` (no function, no output).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, ENV, HANDLER_ENTRIES, METRICS_NAMESPACE } from '../../lambda/contract.ts';
import {
  ALARM_NOTIFIER_MAX_EVENT_AGE,
  ALARM_NOTIFIER_RETRY_ATTEMPTS,
} from '../../lib/constructs/alarm-slack-notifier.ts';
import { HouseFunction } from '../../lib/constructs/house-function.ts';
import { ALARM_PERIOD } from '../../lib/constructs/monitoring.ts';
import { DEAD_LETTER_RETENTION } from '../../lib/constructs/subscriber.ts';
import { ALARM_SLACK_OUTPUTS } from '../../lib/leadsie-webhooks-stack.ts';
import {
  ALARM_SLACK,
  ALL_CONSUMERS,
  arnOf,
  logicalId,
  permissionsOfRole,
  ref,
  resourceById,
  statementsOfRole,
  synthStack,
} from './support.ts';

const { stack, template } = synthStack({
  consumers: ALL_CONSUMERS,
  alarmEmails: ['ops@example.com'],
  alarmSlack: ALARM_SLACK,
});
const notifier = stack.monitoring.alarmSlack;
if (notifier === undefined) throw new Error('alarmSlack is set, but the stack has no alarm notifier');
const json = (value: unknown) => JSON.stringify(value);

const ids = {
  fn: logicalId(stack, notifier.fn.function),
  role: logicalId(stack, notifier.fn.role),
  logs: logicalId(stack, notifier.fn.logGroup),
  dlq: logicalId(stack, notifier.deadLetterQueue),
  topic: logicalId(stack, stack.monitoring.alarmTopic),
  key: logicalId(stack, stack.monitoring.alarmKey),
};
type Props = Record<string, unknown>;
const propsOf = (id: string) => resourceById(template, id).Properties as Props;
const resourcesOfType = (type: string) =>
  Object.entries(template.findResources(type)) as [string, { Properties: Props }][];

/** The secret's ARN pattern the function may read: its name and Secrets Manager's six random characters. */
const secretArnPattern = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':secretsmanager:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:secret:${ALARM_SLACK.secretName}-??????`,
    ],
  ],
};

describe('the alarm notifier function', () => {
  it('runs the alarmNotifier entry of the contract, as a house function', () => {
    expect(notifier.fn).toBeInstanceOf(HouseFunction);
    expect(notifier.fn.entry.endsWith(HANDLER_ENTRIES.alarmNotifier)).toBe(true);
  });

  it('runs on Node.js 24, arm64, with the background memory and a 30 s timeout', () => {
    expect(propsOf(ids.fn)).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 30,
    });
  });

  it('sets exactly the variables it reads: the secret by name, its cache age, the HTTP timeout', () => {
    expect((propsOf(ids.fn).Environment as { Variables: Props }).Variables).toEqual({
      POWERTOOLS_SERVICE_NAME: 'leadsie-webhooks-alarm-slack',
      NODE_OPTIONS: '--enable-source-maps',
      [ENV.metricsNamespace]: METRICS_NAMESPACE,
      [ENV.metricsService]: 'LeadsieWebhooks',
      [ENV.alarmSlackSecretId]: ALARM_SLACK.secretName,
      [ENV.secretMaxAgeSeconds]: String(DEFAULTS.secretMaxAgeSeconds),
      [ENV.httpTimeoutMs]: String(DEFAULTS.httpTimeoutMs),
    });
  });

  it('may read its one secret, send to its dead-letter queue and write its logs: nothing else', () => {
    expect(permissionsOfRole(template, ids.role)).toEqual({
      'logs:CreateLogStream': [json(arnOf(ids.logs))],
      'logs:PutLogEvents': [json(arnOf(ids.logs))],
      'secretsmanager:GetSecretValue': [json(secretArnPattern)],
      'sqs:SendMessage': [json(arnOf(ids.dlq))],
    });
    for (const statement of statementsOfRole(template, ids.role)) {
      expect([statement.Resource].flat()).not.toContain('*');
    }
  });

  it('needs no grant on the alarm key: SNS decrypts before it invokes', () => {
    expect(json(propsOf(ids.key).KeyPolicy)).not.toContain(ids.role);
    expect(json(permissionsOfRole(template, ids.role))).not.toContain('kms:');
  });

  it('is retried twice by Lambda, then sent to the dead-letter queue with its error', () => {
    const configs = resourcesOfType('AWS::Lambda::EventInvokeConfig').filter(
      ([, config]) => json(config.Properties.FunctionName) === json(ref(ids.fn)),
    );
    expect(configs).toHaveLength(1);
    expect(configs[0]?.[1].Properties).toEqual({
      FunctionName: ref(ids.fn),
      Qualifier: '$LATEST',
      MaximumRetryAttempts: ALARM_NOTIFIER_RETRY_ATTEMPTS,
      MaximumEventAgeInSeconds: ALARM_NOTIFIER_MAX_EVENT_AGE.toSeconds(),
      DestinationConfig: { OnFailure: { Destination: arnOf(ids.dlq) } },
    });
  });
});

describe('the subscription to the alarm topic', () => {
  it('delivers every notification (no filter policy) to the function, and what SNS cannot deliver to the dead-letter queue', () => {
    const subscriptions = resourcesOfType('AWS::SNS::Subscription').filter(
      ([, s]) => json(s.Properties.TopicArn) === json(ref(ids.topic)),
    );
    expect(subscriptions.map(([, s]) => s.Properties)).toEqual([
      { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: ref(ids.topic) },
      {
        Protocol: 'lambda',
        Endpoint: arnOf(ids.fn),
        TopicArn: ref(ids.topic),
        RedrivePolicy: { deadLetterTargetArn: arnOf(ids.dlq) },
      },
    ]);
  });

  it('lets SNS invoke the function for the alarm topic only', () => {
    const permissions = resourcesOfType('AWS::Lambda::Permission').filter(
      ([, p]) => json(p.Properties.FunctionName) === json(arnOf(ids.fn)),
    );
    expect(permissions.map(([, p]) => p.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(ids.fn),
        Principal: 'sns.amazonaws.com',
        SourceArn: ref(ids.topic),
      },
    ]);
  });
});

describe('the dead-letter queue', () => {
  it('is encrypted with SQS-managed keys and keeps notifications for 14 days', () => {
    expect(propsOf(ids.dlq)).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: DEAD_LETTER_RETENTION.toSeconds(),
    });
  });

  it('denies every request without TLS, and lets SNS send to it for the alarm topic only', () => {
    const policies = resourcesOfType('AWS::SQS::QueuePolicy').filter(
      ([, p]) => json(p.Properties.Queues) === json([ref(ids.dlq)]),
    );
    expect(policies).toHaveLength(1);
    expect(
      (policies[0]?.[1].Properties.PolicyDocument as { Statement: unknown[] } | undefined)?.Statement,
    ).toEqual([
      {
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Resource: arnOf(ids.dlq),
      },
      {
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': ref(ids.topic) } },
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Resource: arnOf(ids.dlq),
      },
    ]);
  });

  it('has its URL as the AlarmSlackDeadLetterQueueUrl output', () => {
    template.hasOutput(ALARM_SLACK_OUTPUTS.deadLetterQueueUrl, { Value: ref(ids.dlq) });
  });

  it('alarms while it holds a notification, on ALARM and OK, saying what to do', () => {
    const alarm = stack.monitoring.alarms.alarmSlackDeadLetters;
    expect(alarm).toBeDefined();
    expect(stack.monitoring.allAlarms).toContain(alarm);
    const props = propsOf(logicalId(stack, alarm as NonNullable<typeof alarm>));
    expect(props).toMatchObject({
      AlarmName: 'LeadsieWebhooks-alarm-slack-dead-letters',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.dlq, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: ALARM_PERIOD.toSeconds(),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'ignore',
      AlarmActions: [ref(ids.topic)],
      OKActions: [ref(ids.topic)],
    });
    const description = json(props.AlarmDescription);
    expect(description).toContain('Do: read the messages');
    expect(description).toContain(ALARM_SLACK_OUTPUTS.deadLetterQueueUrl);
    // CloudWatch takes at most 1024 characters; the queue's name (a token here) is at most 80.
    const fixed = (props.AlarmDescription as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
      .filter((part): part is string => typeof part === 'string')
      .join('');
    expect(fixed.length + 80).toBeLessThanOrEqual(1024);
  });
});

describe('without alarmSlack', () => {
  const plain = synthStack({ consumers: ALL_CONSUMERS, alarmEmails: ['ops@example.com'] });

  it('deploys no alarm notifier, no Lambda subscription, no extra queue or output', () => {
    expect(plain.stack.monitoring.alarmSlack).toBeUndefined();
    expect(plain.stack.monitoring.alarms.alarmSlackDeadLetters).toBeUndefined();
    const functions = Object.keys(plain.template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(Object.keys(template.findResources('AWS::Lambda::Function')).length - 1);
    expect(json(plain.template.findResources('AWS::SNS::Subscription'))).not.toContain('"lambda"');
    expect(Object.keys(plain.template.findResources('AWS::SQS::Queue'))).toHaveLength(
      Object.keys(template.findResources('AWS::SQS::Queue')).length - 1,
    );
    expect(Object.keys(plain.template.toJSON().Outputs)).not.toContain(
      ALARM_SLACK_OUTPUTS.deadLetterQueueUrl,
    );
    expect(json(plain.template.toJSON())).not.toContain(ENV.alarmSlackSecretId);
  });
});
