/**
 * The pipeline pieces the moto suites set up again and again, each as small as the tests need it:
 * the sample payloads, SDK clients pointed at moto, the connections table, the topic, SQS queues
 * subscribed to it with raw delivery (a filter policy when given; consumer queues with a dead-letter
 * queue and redrive), a consumer's queue deps, and the ingest function as Lambda runs it (real
 * adapters behind `withHttpMiddleware`) with the webhook POST it receives.
 *
 * What a test checks stays in the test: the helpers take the token, the event ids, the clock and
 * the filter policy from it, and default only what no test here varies.
 */

import { readFileSync } from 'node:fs';
import type { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { connectionsTableDefinition } from '../../lambda/adapters/connections-table-definition.ts';
import { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../lambda/adapters/sqs-queues.ts';
import { InMemoryOutcomeLedger } from '../../lambda/consumers/runtime/memory-outcomes.ts';
import type { OutcomeLedger } from '../../lambda/consumers/runtime/outcomes.ts';
import { DEFAULT_OUTCOME_RETENTION_DAYS } from '../../lambda/contract.ts';
import { type IngestHandlerDeps, makeHandler as makeIngestHandler } from '../../lambda/handlers/ingest.ts';
import type { HttpEvent, HttpResult } from '../../lambda/shared/http.ts';
import { withHttpMiddleware } from '../../lambda/shared/middleware.ts';
import type { Log, QuarantineStore } from '../../lambda/use-cases/ports.ts';
import { apiEvent } from './api-event.ts';
import { type MotoServer, startMoto, useMotoEnvironment } from './moto.ts';
import { queueArnOf } from './sqs-driver.ts';

/** A sample payload (`test/fixtures/payloads/NAME.json`) as the exact text Leadsie would send. */
export const fixtureText = (name: string): string =>
  readFileSync(new URL(`../fixtures/payloads/${name}.json`, import.meta.url), 'utf8');

/** A sample payload parsed (a fresh copy on every call, so tests may change it). */
export const fixtureJson = (name: string): Record<string, unknown> => JSON.parse(fixtureText(name));

export interface MotoClients {
  config: { endpoint: string; region: string };
  dynamo: DynamoDBClient;
  sns: SNSClient;
  sqs: SQSClient;
}

/** DynamoDB, SNS and SQS clients on moto (`config` builds any other client the same way). */
export const motoClients = (endpoint: string): MotoClients => {
  const config = { endpoint, region: 'us-east-1' };
  return {
    config,
    dynamo: new DynamoDBClient(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
  };
};

/** moto started on a free port, the SDK environment pointed at it, and clients on it. */
export const startMotoWithClients = async (): Promise<MotoClients & { moto: MotoServer }> => {
  const moto = await startMoto();
  useMotoEnvironment(moto.endpoint);
  return { moto, ...motoClients(moto.endpoint) };
};

/** Creates the connections table (the stack's definition) and returns the store on it. */
export const createConnectionsTable = async (
  dynamo: DynamoDBClient,
  tableName = 'connections',
): Promise<DynamoDbConnectionStore> => {
  await dynamo.send(new CreateTableCommand(connectionsTableDefinition(tableName)));
  return new DynamoDbConnectionStore(dynamo, tableName);
};

/** Creates (or finds, as SNS does for an existing name) the topic; returns its ARN. */
export const createTopic = async (sns: SNSClient, name = 'connection-events'): Promise<string> =>
  (await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn ?? '';

/** Creates a queue; returns its URL. */
export const createQueue = async (
  sqs: SQSClient,
  name: string,
  attributes?: Record<string, string>,
): Promise<string> =>
  (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl ?? '';

type Aws = Pick<MotoClients, 'sns' | 'sqs'>;

/** Subscribes an existing queue to the topic with raw delivery, and `filterPolicy` when given. */
export const subscribeRaw = async (
  { sns, sqs }: Aws,
  topicArn: string,
  queueUrl: string,
  filterPolicy?: object,
): Promise<void> => {
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: await queueArnOf(sqs, queueUrl),
      Attributes: {
        RawMessageDelivery: 'true',
        ...(filterPolicy ? { FilterPolicy: JSON.stringify(filterPolicy) } : {}),
      },
    }),
  );
};

/** A new queue subscribed to the topic with raw delivery (and `filterPolicy` when given); its URL. */
export const subscribedQueue = async (
  aws: Aws,
  topicArn: string,
  name: string,
  filterPolicy?: object,
): Promise<string> => {
  const queueUrl = await createQueue(aws.sqs, name);
  await subscribeRaw(aws, topicArn, queueUrl, filterPolicy);
  return queueUrl;
};

export interface ConsumerQueues {
  queueUrl: string;
  dlqUrl: string;
}

/**
 * A consumer's queue and its dead-letter queue `NAME-dlq` (moved there after `maxReceiveCount`
 * receives), subscribed with raw delivery (and `filterPolicy` when given). The visibility timeout
 * is 1 s, so a failed message comes back quickly in a test (the stack uses 6 × the timeout).
 */
export const subscribeConsumerQueues = async (
  aws: Aws,
  topicArn: string,
  name: string,
  options: { maxReceiveCount: number; filterPolicy?: object },
): Promise<ConsumerQueues> => {
  const dlqUrl = await createQueue(aws.sqs, `${name}-dlq`);
  const queueUrl = await createQueue(aws.sqs, name, {
    VisibilityTimeout: '1',
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: await queueArnOf(aws.sqs, dlqUrl),
      maxReceiveCount: options.maxReceiveCount,
    }),
  });
  await subscribeRaw(aws, topicArn, queueUrl, options.filterPolicy);
  return { queueUrl, dlqUrl };
};

/** The queue part of a consumer's deps: its name, its dead-letter queue and its delayer, on SQS. */
/**
 * A consumer's engine deps on moto: its queues, and an outcome ledger (in memory unless the test
 * gives one on the table). Delays are scaled down so a retried message is back within a second or two.
 */
export const consumerDeps = (
  sqs: SQSClient,
  name: string,
  queues: ConsumerQueues,
  log: Log,
  outcomes: OutcomeLedger = new InMemoryOutcomeLedger(DEFAULT_OUTCOME_RETENTION_DAYS),
) => ({
  name,
  deadLetters: new SqsDeadLetterQueue(sqs, queues.dlqUrl),
  delayer: new SqsMessageDelayer(sqs, queues.queueUrl),
  log,
  outcomes,
  timeScale: TEST_TIME_SCALE,
});

/** Delays of the engine in moto tests: the smallest (10 s) becomes a second. */
export const TEST_TIME_SCALE = 1 / 1000;

export type HttpHandler = (event: HttpEvent) => Promise<HttpResult>;

/** The ingest deps a test gives: the handler's own, with defaults for the clock, body limit and lease. */
export type IngestSetup = Omit<IngestHandlerDeps, 'now' | 'maxBodyBytes' | 'leaseMs' | 'log' | 'quarantine'> &
  Partial<Pick<IngestHandlerDeps, 'now' | 'maxBodyBytes' | 'leaseMs' | 'quarantine'>> & {
    /** A Powertools logger: the HTTP middleware logs with it too. */
    log: Logger;
  };

/** The store's own quarantine, when the test did not give one (the DynamoDB store is both). */
const quarantineOf = (store: IngestSetup['store']): QuarantineStore => {
  if ('quarantine' in store && 'countQuarantined' in store) return store as unknown as QuarantineStore;
  throw new Error('ingestHandler: this store keeps no quarantine; pass `quarantine`');
};

/**
 * The ingest function as Lambda runs it: `makeHandler` with the given adapters, wrapped in the HTTP
 * middleware. Defaults: the real clock, a 256 KiB body limit and a 30 s lease.
 */
export const ingestHandler = (deps: IngestSetup): HttpHandler => {
  const handler = withHttpMiddleware(
    makeIngestHandler({
      now: () => new Date(),
      maxBodyBytes: 256 * 1024,
      leaseMs: 30_000,
      ...deps,
      quarantine: deps.quarantine ?? quarantineOf(deps.store),
    }),
    deps.log,
  );
  return (event) => handler(event, {} as never) as Promise<HttpResult>;
};

/** The webhook POST Leadsie sends: a JSON body, the token in the query string. */
export const webhookPost = (body: string, query: Record<string, string>): HttpEvent =>
  apiEvent({ body, query, headers: { 'content-type': 'application/json' } });

/** Event ids `PREFIX` + 1, 2, 3, … zero-padded to `digits`, counted across every call of the result. */
export const sequentialEventIds = (prefix: string, digits: number): (() => string) => {
  let counter = 0;
  return () => `${prefix}${String(++counter).padStart(digits, '0')}`;
};

/** Event ids `PREFIX` + ten random upper-case letters and digits. */
export const randomEventIds =
  (prefix: string): (() => string) =>
  () =>
    `${prefix}${Math.random().toString(36).slice(2, 12).toUpperCase()}`;

/** The reconciler's retry policy in tests: the production backoff, three attempts before quarantine. */
export const TEST_RETRY = { maxAttempts: 3, firstDelayMs: 60_000, maxDelayMs: 60 * 60_000 } as const;
