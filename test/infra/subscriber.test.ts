/**
 * The Subscriber construct on its own, as aws-solutions-constructs test theirs: one stack holding a
 * subscriber with every default (but a secret), one with every prop set and one without a secret,
 * then one assertion per default and one per prop. Bundling skipped.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import {
  backstopMaxReceiveCount,
  DEFAULT_RETRY_POLICY,
  deadLetterAgeAlarmSeconds,
  minimumQueueRetentionSeconds,
  minReceivesForHorizon,
  policyWithHorizon,
} from '../../lambda/consumers/runtime/schedule.ts';
import {
  type ConsumerFilter,
  consumerFilterPolicy,
  DEFAULTS,
  ENV,
  MESSAGE_ATTRIBUTES,
} from '../../lambda/contract.ts';
import { handlerEntryPath } from '../../lib/constructs/house-function.ts';
import {
  DEAD_LETTER_RETENTION,
  Subscriber,
  type SubscriberProps,
  subscriptionFilterPolicy,
} from '../../lib/constructs/subscriber.ts';
import { arnOf, logicalId, NO_BUNDLING, permissionsOfRole, ref, resourceById } from './support.ts';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const DAY = 24 * 60 * 60;

const app = new App({ context: NO_BUNDLING });
const stack = new Stack(app, 'SubscriberTest');
/** Consumer entries to bundle: any module's does, the Subscriber knows none by name. */
const SLACK = { name: 'slack', entry: 'lambda/consumers/slack/entry.ts' };
const HUBSPOT = { name: 'hubspot', entry: 'lambda/consumers/hubspot/entry.ts' };
const EMAIL = { name: 'email', entry: 'lambda/consumers/email/entry.ts' };
const topic = new Topic(stack, 'Topic');

const defaults = new Subscriber(stack, 'Defaults', {
  topic,
  consumerName: 'defaults',
  handler: SLACK,
  secretName: 'defaults/secret',
});
const custom = new Subscriber(stack, 'Custom', {
  topic,
  consumerName: 'custom',
  handler: HUBSPOT,
  secretName: 'custom/secret',
  filterPolicy: subscriptionFilterPolicy({ statuses: ['FAILED'], includeTestEvents: false }),
  description: 'A custom consumer',
  timeout: Duration.seconds(45),
  retryHorizonHours: 48,
  retentionPeriod: Duration.days(4),
  maxReceiveCount: 30,
  batchSize: 4,
  maxBatchingWindow: Duration.seconds(5),
  secretKmsKeyArn: KEY_ARN,
  maxConcurrency: 7,
  httpTimeoutMs: 5000,
  secretMaxAgeSeconds: 60,
  memorySize: 256,
  logRetention: RetentionDays.ONE_WEEK,
  logRemovalPolicy: RemovalPolicy.DESTROY,
});
const noSecret = new Subscriber(stack, 'NoSecret', {
  topic,
  consumerName: 'no-secret',
  handler: EMAIL,
});
const template = Template.fromStack(stack);

const props = (id: string) => resourceById(template, id).Properties;
const ids = (subscriber: Subscriber) => ({
  queue: logicalId(stack, subscriber.queue),
  deadLetterQueue: logicalId(stack, subscriber.deadLetterQueue),
  fn: logicalId(stack, subscriber.fn.function),
  logs: logicalId(stack, subscriber.fn.logGroup),
  subscription: logicalId(stack, subscriber.subscription),
  subscriptionDeadLetterQueue: logicalId(stack, subscriber.subscriptionDeadLetterQueue),
});
const d = ids(defaults);
const c = ids(custom);
const n = ids(noSecret);
const roleId = (subscriber: Subscriber) => logicalId(stack, subscriber.fn.role);
const envOf = (fnId: string) => (props(fnId).Environment as { Variables: Record<string, unknown> }).Variables;
const eventSourceOf = (fnId: string) => {
  const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
    (m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify(ref(fnId)),
  );
  expect(mappings).toHaveLength(1);
  return mappings[0]?.Properties as Record<string, unknown>;
};

describe('a Subscriber with every default', () => {
  it('runs its function for 30 s', () => {
    expect(props(d.fn).Timeout).toBe(30);
  });

  it('hides a received message for 6 × 30 s plus the 2 s batching window', () => {
    expect(props(d.queue).VisibilityTimeout).toBe(182);
  });

  it("leaves dead-lettering to the function's horizon: SQS moves a message only after the schedule's backstop of receives", () => {
    expect(backstopMaxReceiveCount(DEFAULT_RETRY_POLICY)).toBe(100);
    expect(defaults.maxReceiveCount).toBe(100);
    expect(props(d.queue).RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(d.deadLetterQueue),
      maxReceiveCount: 100,
    });
  });

  it("retries for 24 hours (ENV.retryHorizonHours, the engine's default), the only horizon variable", () => {
    expect(DEFAULT_RETRY_POLICY.horizonSeconds).toBe(DAY);
    expect(envOf(d.fn)[ENV.retryHorizonHours]).toBe('24');
    expect(Object.keys(envOf(d.fn)).filter((name) => /HORIZON/.test(name))).toEqual([ENV.retryHorizonHours]);
    expect(defaults.retryHorizon.toSeconds()).toBe(DAY);
  });

  it("keeps messages in its queue 14 days (the SQS maximum), longer than the schedule's minimum retention", () => {
    expect(props(d.queue).MessageRetentionPeriod).toBe(14 * DAY);
    expect(props(d.queue).MessageRetentionPeriod as number).toBeGreaterThan(
      minimumQueueRetentionSeconds(DEFAULT_RETRY_POLICY),
    );
    expect(minimumQueueRetentionSeconds(DEFAULT_RETRY_POLICY)).toBeGreaterThan(DAY);
  });

  it("alarms on its oldest dead letter at the schedule's threshold: 14 days − the horizon's queue time − a margin", () => {
    expect(defaults.deadLetterAgeAlarmThreshold.toSeconds()).toBe(
      deadLetterAgeAlarmSeconds(DEFAULT_RETRY_POLICY),
    );
    expect(defaults.deadLetterAgeAlarmThreshold.toSeconds()).toBeLessThanOrEqual(14 * DAY - DAY - DAY);
  });

  it('reads batches of 10 within a 2 s batching window, at most 2 at once, reporting batch item failures', () => {
    expect(eventSourceOf(d.fn)).toMatchObject({
      EventSourceArn: arnOf(d.queue),
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 2,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('has no filter policy', () => {
    expect(props(d.subscription).FilterPolicy).toBeUndefined();
  });

  it('delivers raw messages to its queue', () => {
    expect(props(d.subscription)).toMatchObject({
      Protocol: 'sqs',
      TopicArn: ref(logicalId(stack, topic)),
      Endpoint: arnOf(d.queue),
      RawMessageDelivery: true,
    });
  });

  it('encrypts both queues with SQS-managed keys and keeps dead letters 14 days', () => {
    expect(props(d.queue).SqsManagedSseEnabled).toBe(true);
    expect(props(d.deadLetterQueue)).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
  });

  it('gives its subscription a redrive policy to its own subscription dead-letter queue, encrypted, 14 days', () => {
    expect(props(d.subscription).RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(d.subscriptionDeadLetterQueue),
    });
    expect(props(d.subscriptionDeadLetterQueue)).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
  });

  it('lets the topic, and only the topic, send to the subscription dead-letter queue', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(d.subscriptionDeadLetterQueue)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: arnOf(d.subscriptionDeadLetterQueue),
            Condition: { ArnEquals: { 'aws:SourceArn': ref(logicalId(stack, topic)) } },
          },
        ]),
      },
    });
  });

  it('may decrypt with no KMS key (a secret under aws/secretsmanager needs no grant)', () => {
    expect(
      Object.keys(permissionsOfRole(template, roleId(defaults))).filter((a) => a.startsWith('kms:')),
    ).toEqual([]);
  });

  it.each([
    ['queue', () => d.queue],
    ['dead-letter queue', () => d.deadLetterQueue],
    ['subscription dead-letter queue', () => d.subscriptionDeadLetterQueue],
  ])('denies requests to its %s without TLS', (_which, id) => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(id())],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Resource: arnOf(id()),
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('sets the HTTP timeout and the secret cache age to the contract defaults', () => {
    expect(envOf(d.fn)[ENV.httpTimeoutMs]).toBe(String(DEFAULTS.httpTimeoutMs));
    expect(envOf(d.fn)[ENV.secretMaxAgeSeconds]).toBe(String(DEFAULTS.secretMaxAgeSeconds));
  });

  it('has 512 MB, no description, and a log group kept for 90 days and retained', () => {
    expect(props(d.fn).MemorySize).toBe(512);
    expect(props(d.fn).Description).toBeUndefined();
    expect(props(d.logs).RetentionInDays).toBe(90);
    expect(resourceById(template, d.logs).DeletionPolicy).toBe('Retain');
  });

  it('reserves no concurrency', () => {
    expect(props(d.fn).ReservedConcurrentExecutions).toBeUndefined();
  });
});

describe('a Subscriber without a secret', () => {
  it('names no secret and sets no secret cache age', () => {
    expect(envOf(n.fn)).not.toHaveProperty(ENV.consumerSecretId);
    expect(envOf(n.fn)).not.toHaveProperty(ENV.secretMaxAgeSeconds);
    expect(noSecret.secret).toBeUndefined();
  });

  it('may read no secret at all', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(roleId(noSecret)),
    );
    expect(policies).toHaveLength(1);
    expect(JSON.stringify(policies)).not.toContain('secretsmanager:');
  });

  it('still gets its queues and the HTTP timeout', () => {
    expect(envOf(n.fn)).toMatchObject({
      [ENV.consumerName]: 'no-secret',
      [ENV.queueUrl]: ref(n.queue),
      [ENV.deadLetterQueueUrl]: ref(n.deadLetterQueue),
      [ENV.httpTimeoutMs]: String(DEFAULTS.httpTimeoutMs),
    });
  });
});

describe('a Subscriber with every prop set', () => {
  it('consumerName → ENV.consumerName', () => {
    expect(envOf(c.fn)[ENV.consumerName]).toBe('custom');
  });

  it('handler → the bundled entry', () => {
    expect(custom.fn.entry).toBe(handlerEntryPath(HUBSPOT));
  });

  it('secretName → ENV.consumerSecretId, the name itself (never a value)', () => {
    expect(envOf(c.fn)[ENV.consumerSecretId]).toBe('custom/secret');
  });

  it('filterPolicy → the subscription filter policy', () => {
    expect(props(c.subscription).FilterPolicy).toEqual({
      [MESSAGE_ATTRIBUTES.status.name]: ['FAILED'],
      [MESSAGE_ATTRIBUTES.isTest.name]: ['false'],
    });
  });

  it('description → the function description', () => {
    expect(props(c.fn).Description).toBe('A custom consumer');
  });

  it('timeout → the function timeout, and 6 × it plus the batching window the visibility timeout', () => {
    expect(props(c.fn).Timeout).toBe(45);
    expect(props(c.queue).VisibilityTimeout).toBe(275);
  });

  it('retryHorizonHours → ENV.retryHorizonHours, and the dead-letter age alarm threshold', () => {
    expect(envOf(c.fn)[ENV.retryHorizonHours]).toBe('48');
    expect(custom.retryHorizon.toSeconds()).toBe(2 * DAY);
    expect(custom.deadLetterAgeAlarmThreshold.toSeconds()).toBe(
      deadLetterAgeAlarmSeconds(policyWithHorizon(48)),
    );
    expect(custom.deadLetterAgeAlarmThreshold.toSeconds()).toBeLessThanOrEqual(14 * DAY - 2 * DAY - DAY);
  });

  it('retentionPeriod → the queue message retention (the dead-letter queues keep 14 days)', () => {
    expect(props(c.queue).MessageRetentionPeriod).toBe(4 * DAY);
    expect(props(c.deadLetterQueue).MessageRetentionPeriod).toBe(14 * DAY);
  });

  it('maxReceiveCount → the redrive policy', () => {
    expect(props(c.queue).RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(c.deadLetterQueue),
      maxReceiveCount: 30,
    });
  });

  it('batchSize → the event source batch size', () => {
    expect(eventSourceOf(c.fn).BatchSize).toBe(4);
  });

  it('maxBatchingWindow → the event source batching window', () => {
    expect(eventSourceOf(c.fn).MaximumBatchingWindowInSeconds).toBe(5);
  });

  it('secretKmsKeyArn → kms:Decrypt on that key, through Secrets Manager only', () => {
    const permissions = permissionsOfRole(template, roleId(custom));
    expect(permissions['kms:Decrypt']).toEqual([JSON.stringify(KEY_ARN)]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(roleId(custom))],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: KEY_ARN,
            Condition: {
              StringEquals: {
                'kms:ViaService': {
                  'Fn::Join': ['', ['secretsmanager.', ref('AWS::Region'), '.amazonaws.com']],
                },
              },
            },
          },
        ]),
      },
    });
  });

  it('maxConcurrency → the event source maximum concurrency', () => {
    expect(eventSourceOf(c.fn).ScalingConfig).toEqual({ MaximumConcurrency: 7 });
  });

  it('httpTimeoutMs → ENV.httpTimeoutMs', () => {
    expect(envOf(c.fn)[ENV.httpTimeoutMs]).toBe('5000');
  });

  it('secretMaxAgeSeconds → ENV.secretMaxAgeSeconds', () => {
    expect(envOf(c.fn)[ENV.secretMaxAgeSeconds]).toBe('60');
  });

  it('memorySize → the function memory', () => {
    expect(props(c.fn).MemorySize).toBe(256);
  });

  it('logRetention → the log group retention', () => {
    expect(props(c.logs).RetentionInDays).toBe(7);
  });

  it('logRemovalPolicy → the log group deletion policy', () => {
    expect(resourceById(template, c.logs).DeletionPolicy).toBe('Delete');
  });
});

describe('subscriptionFilterPolicy', () => {
  it('is undefined when every event is wanted', () => {
    expect(subscriptionFilterPolicy({ includeTestEvents: true })).toBeUndefined();
  });

  it("renders what the contract's consumerFilterPolicy (local mode's too) says, for each case", () => {
    const cases: ConsumerFilter[] = [
      { statuses: ['SUCCESS'], includeTestEvents: true },
      { includeTestEvents: false },
      { statuses: ['SUCCESS', 'FAILED'], includeTestEvents: false },
    ];
    for (const filter of cases) {
      const policy = subscriptionFilterPolicy(filter);
      expect(
        Object.fromEntries(Object.entries(policy ?? {}).map(([name, f]) => [name, f.conditions])),
      ).toEqual(consumerFilterPolicy(filter));
    }
  });
});

describe('a Subscriber whose function could not finish one HTTP call', () => {
  it('is refused at synth', () => {
    const scope = new Stack(new App({ context: NO_BUNDLING }), 'Refused');
    expect(
      () =>
        new Subscriber(scope, 'TooShort', {
          topic: new Topic(scope, 'Topic'),
          consumerName: 'too-short',
          handler: SLACK,
          secretName: 's',
          timeout: Duration.seconds(5),
        }),
    ).toThrow(/too-short.*timeout \(5 s\).*8000 ms/);
  });
});

describe("the numbers of the horizon, from the engine's schedule", () => {
  it.each([1, 24, 72, 24 * 7, 24 * 11])(
    'a %s h horizon: a positive alarm threshold at most 14 days − the horizon − a day, a retention within 14 days',
    (hours) => {
      const policy = policyWithHorizon(hours);
      const threshold = deadLetterAgeAlarmSeconds(policy);
      expect(threshold).toBeGreaterThan(0);
      expect(threshold).toBeLessThanOrEqual(DEAD_LETTER_RETENTION.toSeconds() - hours * 3600 - DAY);
      expect(minimumQueueRetentionSeconds(policy)).toBeGreaterThan(hours * 3600);
      expect(minimumQueueRetentionSeconds(policy)).toBeLessThan(14 * DAY);
    },
  );

  it.each([
    [1, 8],
    [24, 15],
    [48, 21],
    [72, 27],
  ])('a %s h horizon needs at least %s receives with every delay at its longest', (hours, receives) => {
    expect(minReceivesForHorizon(policyWithHorizon(hours))).toBe(receives);
    expect(backstopMaxReceiveCount(policyWithHorizon(hours))).toBeGreaterThanOrEqual(receives);
  });
});

describe('a Subscriber refused at synth', () => {
  const make = (extra: Partial<SubscriberProps>) => {
    const scope = new Stack(new App({ context: NO_BUNDLING }), 'Refused');
    return () =>
      new Subscriber(scope, 'Refused', {
        topic: new Topic(scope, 'Topic'),
        consumerName: 'refused',
        handler: SLACK,
        secretName: 's',
        ...extra,
      });
  };

  it.each<[string, Partial<SubscriberProps>, RegExp]>([
    [
      "a queue retention shorter than the horizon plus the schedule's longest delay",
      { retryHorizonHours: 48, retentionPeriod: Duration.hours(50) },
      /refused: the queue's retentionPeriod \(2 days 2 hours\) must be at least 2 days 4 hours: the retry horizon \(2 days\)/,
    ],
    [
      "a queue retention beyond SQS's 14 days",
      { retentionPeriod: Duration.days(15) },
      /refused: retentionPeriod can be at most 14 days/,
    ],
    [
      'a horizon the dead-letter age alarm has no room after',
      { retryHorizonHours: 13 * 24 },
      /refused: retryHorizonHours is too long: a dead letter must stay in its queue/,
    ],
    [
      'a horizon under an hour',
      { retryHorizonHours: 0.5 },
      /refused: retryHorizonHours must be at least 1, got 0.5/,
    ],
    [
      'a maxReceiveCount that dead-letters before the horizon even at the longest delays',
      { retryHorizonHours: 72, maxReceiveCount: 26 },
      /refused: maxReceiveCount 26 is below 27, the receives the retry schedule needs to reach its horizon of 72 h/,
    ],
    [
      "a maxReceiveCount beyond SQS's 1000",
      { maxReceiveCount: 1001 },
      /refused: maxReceiveCount must be a whole number from 15 to 1000, got 1001/,
    ],
    [
      'a KMS alias instead of a key ARN',
      { secretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/secrets' },
      /refused: secretKmsKeyArn must be a KMS key ARN/,
    ],
    [
      'a KMS key without a secret',
      { secretName: undefined, secretKmsKeyArn: KEY_ARN },
      /refused: secretKmsKeyArn is set but there is no secretName/,
    ],
  ])('%s', (_case, extra, message) => {
    expect(make(extra)).toThrow(message);
  });
});
