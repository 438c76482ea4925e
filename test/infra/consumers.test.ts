/**
 * The consumers of the connection events topic, all on (`ALL_CONSUMERS`): per consumer, its
 * subscription (raw delivery, its own filter policy), its queue and dead-letter queue (encrypted,
 * TLS only, redrive), its event source (partial batch failures, bounded concurrency), its
 * environment (names from the contract) and exactly the IAM permissions it needs. What only the
 * Google Sheets and email consumers have is in `sheets-and-email.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import type { AnyConsumerModule, TableAccess } from '../../lambda/consumers/module.ts';
import { CONSUMER_MODULES } from '../../lambda/consumers/registry.ts';
import { minimumQueueRetentionSeconds, policyWithHorizon } from '../../lambda/consumers/runtime/schedule.ts';
import { maxReceiveCountOf } from '../../lambda/consumers/settings.ts';
import {
  consumerFilterPolicy,
  DEFAULTS,
  ENV,
  type EnvName,
  MESSAGE_ATTRIBUTES,
} from '../../lambda/contract.ts';
import { handlerEntryPath } from '../../lib/constructs/house-function.ts';
import { MONITORING_OUTPUTS, pascalCase, STACK_OUTPUTS } from '../../lib/leadsie-webhooks-stack.ts';
import {
  ALL_CONSUMER_NAMES,
  ALL_CONSUMERS,
  arnOf,
  logicalId,
  permissionsOfRole,
  ref,
  resourceById,
  type Statement,
  statementsOfRole,
  synthStack,
} from './support.ts';

/**
 * What the delivery engine needs on the table, for every consumer: its outcome records (conditional
 * put, update, read of one item; Sheets' header lease too). The rest of its needs,
 * `sqs:ChangeMessageVisibility` on its own queue, is in every consumer's queue grants below.
 */
const ENGINE_TABLE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'];

const { stack, template } = synthStack({ consumers: ALL_CONSUMERS });
const topicId = logicalId(stack, stack.events.topic);
const tableId = logicalId(stack, stack.store.table);
const json = (value: unknown) => JSON.stringify(value);

type ConsumerName = string;

const consumer = (name: ConsumerName) => {
  const found = stack.consumers[name];
  if (found === undefined) throw new Error(`no consumer ${name}`);
  return found;
};

const idsOf = (name: ConsumerName) => {
  const c = consumer(name);
  return {
    queue: logicalId(stack, c.queue),
    deadLetterQueue: logicalId(stack, c.deadLetterQueue),
    fn: logicalId(stack, c.fn.function),
    role: logicalId(stack, c.fn.role),
    logs: logicalId(stack, c.fn.logGroup),
    subscription: logicalId(stack, c.subscription),
  };
};

/** What each consumer of `ALL_CONSUMERS` should be: the knobs its module's example sets, or their defaults. */
interface Expected {
  name: ConsumerName;
  output: string;
  /** Its module's entry file. */
  entry: string;
  /** Its secret's name; undefined: it has none. */
  secretName: string | undefined;
  /** The customer-managed key of its secret, when configured. */
  secretKmsKeyArn?: string | undefined;
  retryHorizonHours: number;
  maxReceiveCount: number;
  maxConcurrency: number;
  batchSize: number;
  /** Timeout of its function, in seconds. */
  timeout: number;
  /** What it may do on the table: a CRM's stale check reads, the once-only records write too. */
  tableActions: readonly string[];
  /** The SES identities it may send as. */
  sesIdentities: readonly string[];
}

const TABLE_ACTIONS_OF: Record<TableAccess, readonly string[]> = {
  none: [],
  'read-latest': ['dynamodb:GetItem'],
  'once-records': ENGINE_TABLE_ACTIONS,
};

const EXPECTED: readonly Expected[] = (CONSUMER_MODULES as readonly AnyConsumerModule[]).flatMap((module) =>
  module
    .instances(z.parse(module.schema, (ALL_CONSUMERS as Record<string, unknown>)[module.contextKey]))
    .map((instance): Expected => {
      const deployment = module.deploy(instance);
      const { settings } = instance;
      return {
        name: instance.name,
        output: `${pascalCase(instance.name)}DeadLetterQueueUrl`,
        entry: module.entry,
        secretName: deployment.secretName,
        secretKmsKeyArn: settings.secretKmsKeyArn,
        retryHorizonHours: settings.retryHorizonHours,
        maxReceiveCount: maxReceiveCountOf(settings).value,
        maxConcurrency: settings.maxConcurrency,
        batchSize: settings.batchSize,
        timeout: deployment.timeoutSeconds ?? 30,
        tableActions: TABLE_ACTIONS_OF[module.table],
        sesIdentities: (deployment.iam ?? [])
          .filter((need) => need.actions.includes('ses:SendEmail'))
          .flatMap((need) => need.resources.map((resource) => resource.resourceName)),
      };
    }),
);

describe('the expectations, read from the modules', () => {
  it('cover every consumer, with the defaults where an example sets nothing', () => {
    expect(EXPECTED.map((c) => c.name)).toEqual(ALL_CONSUMER_NAMES);
    const slack = EXPECTED.find((c) => c.name === 'slack');
    expect(slack).toMatchObject({
      retryHorizonHours: 24,
      maxReceiveCount: 100,
      maxConcurrency: 2,
      batchSize: 10,
      timeout: 30,
      sesIdentities: [],
    });
    expect(EXPECTED.find((c) => c.name === 'hubspot')).toMatchObject({
      retryHorizonHours: 48,
      maxReceiveCount: 40,
    });
    expect(EXPECTED.find((c) => c.name === 'forward-make-eu')).toMatchObject({
      maxConcurrency: 5,
      batchSize: 5,
    });
    expect(EXPECTED.find((c) => c.name === 'sheets')).toMatchObject({
      timeout: 60,
      secretKmsKeyArn: ALL_CONSUMERS.sheets.secretKmsKeyArn,
    });
    expect(EXPECTED.find((c) => c.name === 'email')).toMatchObject({
      secretName: undefined,
      // No identity configured: the From address and its domain.
      sesIdentities: expect.arrayContaining(['agency.example', 'ops@agency.example']),
    });
  });
});

const props = (id: string) => resourceById(template, id).Properties;
const envOf = (name: ConsumerName) =>
  (props(idsOf(name).fn).Environment as { Variables: Record<string, unknown> }).Variables;

/** The statements of the queue policy of the queue with this logical id. */
const queuePolicyOf = (queueId: string): Statement[] => {
  const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter(
    (policy) => json(policy.Properties.Queues) === json([ref(queueId)]),
  );
  expect(policies).toHaveLength(1);
  return policies[0]?.Properties.PolicyDocument.Statement as Statement[];
};

/** The ARN of an SES identity (a domain or an address) of the stack's account and region. */
const sesIdentityArn = (identity: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      ref('AWS::Partition'),
      ':ses:',
      ref('AWS::Region'),
      ':',
      ref('AWS::AccountId'),
      `:identity/${identity}`,
    ],
  ],
});

/** The ARN pattern IAM matches a secret by name with: `…:secret:NAME-??????`. */
const secretArnPattern = (secretName: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      ref('AWS::Partition'),
      ':secretsmanager:',
      ref('AWS::Region'),
      ':',
      ref('AWS::AccountId'),
      `:secret:${secretName}-??????`,
    ],
  ],
});

describe('the consumers, all on', () => {
  it('are exactly the configured ones, by consumer name', () => {
    expect(Object.keys(stack.consumers).sort()).toEqual([...ALL_CONSUMER_NAMES].sort());
  });

  it('each have a queue, a dead-letter queue and a subscription dead-letter queue, one subscription and one event source', () => {
    template.resourceCountIs('AWS::SQS::Queue', 3 * ALL_CONSUMER_NAMES.length);
    template.resourceCountIs('AWS::SNS::Subscription', ALL_CONSUMER_NAMES.length);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', ALL_CONSUMER_NAMES.length);
    // The two API functions, the reconciler and one function per consumer.
    template.resourceCountIs('AWS::Lambda::Function', 3 + ALL_CONSUMER_NAMES.length);
  });

  it('add one dead-letter queue URL output each, <PascalCase consumer name>DeadLetterQueueUrl', () => {
    const outputs = Object.keys(template.toJSON().Outputs as Record<string, unknown>);
    expect(outputs.sort()).toEqual(
      [
        ...Object.values(STACK_OUTPUTS),
        ...Object.values(MONITORING_OUTPUTS),
        ...EXPECTED.map((c) => c.output),
      ].sort(),
    );
  });
});

describe.each(EXPECTED)('the $name consumer', (expected) => {
  const ids = idsOf(expected.name);
  const queue = props(ids.queue);
  const deadLetterQueue = props(ids.deadLetterQueue);
  const fn = props(ids.fn);

  it('encrypts its queue with SQS-managed keys (SSE-SQS)', () => {
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.KmsMasterKeyId).toBeUndefined();
  });

  it('encrypts its dead-letter queue with SQS-managed keys (SSE-SQS)', () => {
    expect(deadLetterQueue.SqsManagedSseEnabled).toBe(true);
    expect(deadLetterQueue.KmsMasterKeyId).toBeUndefined();
  });

  it.each([
    ['queue', ids.queue],
    ['dead-letter queue', ids.deadLetterQueue],
  ])('denies every request to its %s without TLS', (_which, id) => {
    expect(queuePolicyOf(id)).toContainEqual({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sqs:*',
      Resource: arnOf(id),
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('lets SNS send to its queue for the connection events topic only', () => {
    const allows = queuePolicyOf(ids.queue).filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: arnOf(ids.queue),
        Condition: { ArnEquals: { 'aws:SourceArn': ref(topicId) } },
      },
    ]);
  });

  it('lets nobody else send to its dead-letter queue through a resource policy', () => {
    expect(queuePolicyOf(ids.deadLetterQueue).filter((s) => s.Effect === 'Allow')).toEqual([]);
  });

  it('keeps dead letters for 14 days', () => {
    expect(deadLetterQueue.MessageRetentionPeriod).toBe(14 * 24 * 60 * 60);
  });

  it(`moves a message to its own dead-letter queue after ${expected.maxReceiveCount} receives`, () => {
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(ids.deadLetterQueue),
      maxReceiveCount: expected.maxReceiveCount,
    });
  });

  it(`runs its function for up to ${expected.timeout} s`, () => {
    expect(fn.Timeout).toBe(expected.timeout);
  });

  it('hides a received message for six times the function timeout plus the batching window', () => {
    expect(queue.VisibilityTimeout).toBe(
      6 * (fn.Timeout as number) + DEFAULTS.consumerMaxBatchingWindowSeconds,
    );
  });

  it(`retries for ${expected.retryHorizonHours} h, and keeps messages 14 days, longer than the schedule's minimum`, () => {
    expect(envOf(expected.name)[ENV.retryHorizonHours]).toBe(String(expected.retryHorizonHours));
    expect(queue.MessageRetentionPeriod).toBe(14 * 24 * 60 * 60);
    expect(queue.MessageRetentionPeriod as number).toBeGreaterThan(
      minimumQueueRetentionSeconds(policyWithHorizon(expected.retryHorizonHours)),
    );
  });

  it('reserves no concurrency', () => {
    expect(fn).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('gives its subscription its own dead-letter queue: encrypted, TLS only, 14 days, only the topic may send', () => {
    const subscriptionDlq = logicalId(stack, consumer(expected.name).subscriptionDeadLetterQueue);
    expect(props(ids.subscription).RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(subscriptionDlq) });
    expect(props(subscriptionDlq)).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    const statements = queuePolicyOf(subscriptionDlq);
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: arnOf(subscriptionDlq),
        Condition: { ArnEquals: { 'aws:SourceArn': ref(topicId) } },
      },
    ]);
    expect(statements).toContainEqual({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sqs:*',
      Resource: arnOf(subscriptionDlq),
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('subscribes its queue to the connection events topic with raw message delivery', () => {
    expect(props(ids.subscription)).toMatchObject({
      Protocol: 'sqs',
      TopicArn: ref(topicId),
      Endpoint: arnOf(ids.queue),
      RawMessageDelivery: true,
    });
  });

  it(`feeds its function from its queue: batches of ${expected.batchSize} within a short window, partial batch failures, at most ${expected.maxConcurrency} at once`, () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(ids.queue),
      FunctionName: ref(ids.fn),
      BatchSize: expected.batchSize,
      MaximumBatchingWindowInSeconds: DEFAULTS.consumerMaxBatchingWindowSeconds,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: expected.maxConcurrency },
    });
  });

  it(`runs its module's entry, ${expected.entry}`, () => {
    expect(consumer(expected.name).fn.entry).toBe(
      handlerEntryPath({ name: expected.name, entry: expected.entry }),
    );
  });

  it('logs and measures under its own service name', () => {
    expect(envOf(expected.name).POWERTOOLS_SERVICE_NAME).toBe(`leadsie-webhooks-${expected.name}`);
  });

  it.each<[EnvName, () => unknown]>([
    [ENV.consumerName, () => expected.name],
    [ENV.queueUrl, () => ref(ids.queue)],
    [ENV.deadLetterQueueUrl, () => ref(ids.deadLetterQueue)],
    [ENV.httpTimeoutMs, () => String(DEFAULTS.httpTimeoutMs)],
  ])('sets %s', (name, value) => {
    expect(envOf(expected.name)[name]).toEqual(value());
  });

  if (expected.secretName === undefined) {
    it('names no secret and sets no secret cache age: it has no secret', () => {
      expect(envOf(expected.name)).not.toHaveProperty(ENV.consumerSecretId);
      expect(envOf(expected.name)).not.toHaveProperty(ENV.secretMaxAgeSeconds);
    });
  } else {
    it.each<[EnvName, () => unknown]>([
      [ENV.consumerSecretId, () => expected.secretName],
      [ENV.secretMaxAgeSeconds, () => String(DEFAULTS.secretMaxAgeSeconds)],
    ])('sets %s', (name, value) => {
      expect(envOf(expected.name)[name]).toEqual(value());
    });
  }

  it(`may work its own queue, send to its own dead-letter queue${
    expected.secretName === undefined ? '' : ', read its own secret'
  }${expected.tableActions.length > 0 ? `, ${expected.tableActions.join(' / ')} on the table` : ''}${
    expected.sesIdentities.length > 0 ? ', send email as its SES identity' : ''
  } and write its logs: nothing else`, () => {
    const own = {
      queue: [json(arnOf(ids.queue))],
      deadLetterQueue: [json(arnOf(ids.deadLetterQueue))],
      logs: [json(arnOf(ids.logs))],
    };
    expect(permissionsOfRole(template, ids.role)).toEqual({
      'logs:CreateLogStream': own.logs,
      'logs:PutLogEvents': own.logs,
      'sqs:ReceiveMessage': own.queue,
      'sqs:DeleteMessage': own.queue,
      'sqs:ChangeMessageVisibility': own.queue,
      'sqs:GetQueueAttributes': own.queue,
      'sqs:GetQueueUrl': own.queue,
      'sqs:SendMessage': own.deadLetterQueue,
      ...(expected.secretName === undefined
        ? {}
        : { 'secretsmanager:GetSecretValue': [json(secretArnPattern(expected.secretName))] }),
      ...(expected.secretKmsKeyArn === undefined ? {} : { 'kms:Decrypt': [json(expected.secretKmsKeyArn)] }),
      ...Object.fromEntries(expected.tableActions.map((action) => [action, [json(arnOf(tableId))]])),
      ...(expected.sesIdentities.length > 0
        ? { 'ses:SendEmail': [...expected.sesIdentities].map((i) => json(sesIdentityArn(i))).sort() }
        : {}),
    });
  });

  it("touches no other consumer's queues or secret", () => {
    const statements = json(statementsOfRole(template, ids.role));
    for (const other of EXPECTED.filter((c) => c.name !== expected.name)) {
      const otherIds = idsOf(other.name);
      expect(statements).not.toContain(otherIds.queue);
      expect(statements).not.toContain(otherIds.deadLetterQueue);
      if (other.secretName !== undefined) expect(statements).not.toContain(`:secret:${other.secretName}-`);
    }
  });

  it(`outputs its dead-letter queue URL as ${expected.output}`, () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
    expect(outputs[expected.output]?.Value).toEqual(ref(ids.deadLetterQueue));
    expect(outputs[expected.output]?.Description).toContain(expected.name);
  });

  it('alarms can watch its dead letters and its backlog', () => {
    const deadLetters = consumer(expected.name).metricDeadLetters();
    expect(deadLetters).toMatchObject({
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      statistic: 'Maximum',
    });
    expect(stack.resolve(deadLetters.dimensions)).toEqual({
      QueueName: { 'Fn::GetAtt': [ids.deadLetterQueue, 'QueueName'] },
    });
    const deadLetterAge = consumer(expected.name).metricDeadLetterAge();
    expect(deadLetterAge).toMatchObject({
      metricName: 'ApproximateAgeOfOldestMessage',
      statistic: 'Maximum',
    });
    expect(stack.resolve(deadLetterAge.dimensions)).toEqual({
      QueueName: { 'Fn::GetAtt': [ids.deadLetterQueue, 'QueueName'] },
    });
    const oldest = consumer(expected.name).metricOldestMessageAge();
    expect(oldest).toMatchObject({ namespace: 'AWS/SQS', metricName: 'ApproximateAgeOfOldestMessage' });
    expect(stack.resolve(oldest.dimensions)).toEqual({
      QueueName: { 'Fn::GetAtt': [ids.queue, 'QueueName'] },
    });
  });
});

describe('reserved concurrency', () => {
  it("is set on no function, every consumer on (a new account's quota of 10 makes any reservation fail the first deploy)", () => {
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(5);
    const reserving = functions
      .filter(([, fn]) => fn.Properties.ReservedConcurrentExecutions !== undefined)
      .map(([id]) => id);
    expect(reserving).toEqual([]);
  });
});

describe('filter policies', () => {
  const filterPolicyOf = (name: ConsumerName) => props(idsOf(name).subscription).FilterPolicy;
  const { status, isTest } = MESSAGE_ATTRIBUTES;

  it('statuses only (slack): those statuses, test events included', () => {
    expect(filterPolicyOf('slack')).toEqual({ [status.name]: ['SUCCESS', 'PARTIAL_SUCCESS'] });
  });

  it('includeTestEvents false only (hubspot, by default): every status, no test events', () => {
    expect(filterPolicyOf('hubspot')).toEqual({ [isTest.name]: ['false'] });
  });

  it('both (forward-zapier): those statuses and no test events', () => {
    expect(filterPolicyOf('forward-zapier')).toEqual({
      [status.name]: ['SUCCESS'],
      [isTest.name]: ['false'],
    });
  });

  it('none (forward-make-eu): no filter policy, every event', () => {
    expect(filterPolicyOf('forward-make-eu')).toBeUndefined();
    expect(props(idsOf('forward-make-eu').subscription).FilterPolicyScope).toBeUndefined();
  });

  it('includeTestEvents false only (sheets, by default): every status, no test events', () => {
    expect(filterPolicyOf('sheets')).toEqual({ [isTest.name]: ['false'] });
  });

  it('email with client emails on: the team statuses and SUCCESS, no test events (by default)', () => {
    expect(filterPolicyOf('email')).toEqual({
      [status.name]: [...DEFAULTS.emailTeamStatuses, 'SUCCESS'],
      [isTest.name]: ['false'],
    });
  });

  it.each(
    (CONSUMER_MODULES as readonly AnyConsumerModule[]).flatMap((module) =>
      module
        .instances(z.parse(module.schema, (ALL_CONSUMERS as Record<string, unknown>)[module.contextKey]))
        .map((instance) => [instance.name, module.deploy(instance).filter] as const),
    ),
  )(
    "%s: what the contract's consumerFilterPolicy gives local mode for its module's filter",
    (name, filter) => {
      expect(filterPolicyOf(name)).toEqual(consumerFilterPolicy(filter));
    },
  );
});

describe.each(EXPECTED.filter((c) => c.secretName !== undefined))(
  'the $name secret',
  ({ name, secretName }) => {
    it('no role but its own may read it', () => {
      const secret = `:secret:${secretName}-`;
      for (const other of ALL_CONSUMER_NAMES) {
        const statements = json(statementsOfRole(template, idsOf(other).role));
        expect(statements.includes(secret), `${other} reads the ${name} secret`).toBe(other === name);
      }
    });
  },
);

describe('the slack function', () => {
  it('sets exactly the contract variables it reads', () => {
    expect(Object.keys(envOf('slack')).sort()).toEqual(
      [
        'NODE_OPTIONS',
        'POWERTOOLS_SERVICE_NAME',
        ENV.metricsNamespace,
        ENV.metricsService,
        ENV.consumerName,
        ENV.queueUrl,
        ENV.deadLetterQueueUrl,
        ENV.retryHorizonHours,
        ENV.consumerSecretId,
        ENV.httpTimeoutMs,
        ENV.secretMaxAgeSeconds,
        ENV.tableName,
      ].sort(),
    );
  });

  it('reaches the table for its outcome records only: single-item writes and reads, no query, scan or delete', () => {
    const statements = json(statementsOfRole(template, idsOf('slack').role));
    for (const action of [
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ])
      expect(statements).not.toContain(action);
  });
});

const CONSUMER_ENV = [
  ENV.consumerName,
  ENV.queueUrl,
  ENV.deadLetterQueueUrl,
  ENV.retryHorizonHours,
  ENV.consumerSecretId,
  ENV.httpTimeoutMs,
  ENV.secretMaxAgeSeconds,
  ENV.tableName,
];

describe('the hubspot function', () => {
  it('sets exactly the contract variables it reads, the optional ones because they are configured', () => {
    expect(Object.keys(envOf('hubspot')).sort()).toEqual(
      [
        'NODE_OPTIONS',
        'POWERTOOLS_SERVICE_NAME',
        ENV.metricsNamespace,
        ENV.metricsService,
        ...CONSUMER_ENV,
        ENV.hubspotObjectType,
        ENV.hubspotIdProperty,
        ENV.hubspotPropertyMapping,
        ENV.hubspotBaseUrl,
      ].sort(),
    );
  });

  it.each<[EnvName, () => unknown]>([
    [ENV.tableName, () => ref(tableId)],
    [ENV.hubspotObjectType, () => 'companies'],
    [ENV.hubspotIdProperty, () => 'leadsie_company_user_id'],
    [ENV.hubspotBaseUrl, () => 'https://api.hubapi.com'],
  ])('sets %s', (name, value) => {
    expect(envOf('hubspot')[name]).toEqual(value());
  });

  it('passes the property mapping as JSON', () => {
    expect(JSON.parse(envOf('hubspot')[ENV.hubspotPropertyMapping] as string)).toEqual(
      ALL_CONSUMERS.hubspot.propertyMapping,
    );
  });
});

describe.each([
  ['forward-zapier', 'flat'],
  ['forward-make-eu', 'envelope'],
] as const)('the %s function', (name, format) => {
  it('sets exactly the contract variables it reads', () => {
    expect(Object.keys(envOf(name)).sort()).toEqual(
      [
        'NODE_OPTIONS',
        'POWERTOOLS_SERVICE_NAME',
        ENV.metricsNamespace,
        ENV.metricsService,
        ...CONSUMER_ENV,
        ENV.forwardFormat,
      ].sort(),
    );
  });

  it.each<[EnvName, () => unknown]>([
    [ENV.tableName, () => ref(tableId)],
    [ENV.forwardFormat, () => format],
  ])('sets %s', (envName, value) => {
    expect(envOf(name)[envName]).toEqual(value());
  });
});
