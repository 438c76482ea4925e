/**
 * What the code really sends to AWS per webhook, counted: the real handlers, wired as their entries
 * wire them, with the real SDK clients against moto and a middleware on each client that records
 * every command. DynamoDB write and read units are counted from the items each request touched
 * (read back before and after it with a separate client), the way DynamoDB bills them
 * (`bench/dynamodb-capacity.ts`); log bytes are what the Powertools logger prints at the deployed
 * level (INFO) with a Lambda context.
 *
 * The cost model (`npm run bench`) reads these counts from `bench/sdk-calls.json`; this test
 * asserts that file equals what it counted, so the two cannot drift. After a deliberate change,
 * regenerate it: `BENCH_WRITE_SDK_CALLS=1 npx vitest run test/bench/sdk-calls.moto.test.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failedWriteUnits, type IndexKeys, readUnits, writeUnits } from '../../bench/dynamodb-capacity.ts';
import { connectionsTableDefinition } from '../../lambda/adapters/connections-table-definition.ts';
import { WebhookForwarder } from '../../lambda/adapters/crm/webhook-forwarder.ts';
import { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { PowertoolsMetrics } from '../../lambda/adapters/powertools-metrics.ts';
import { CachedSecret } from '../../lambda/adapters/secrets.ts';
import { SlackWebhook } from '../../lambda/adapters/slack-webhook.ts';
import { SnsEventPublisher } from '../../lambda/adapters/sns-event-publisher.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../lambda/adapters/sqs-queues.ts';
import { DEFAULTS, METRICS_NAMESPACE, TABLE } from '../../lambda/contract.ts';
import { makeHandler as makeCrmUpdater } from '../../lambda/handlers/crm-updater.ts';
import { makeHandler as makeIngest } from '../../lambda/handlers/ingest.ts';
import { makeHandler as makeSlackNotifier } from '../../lambda/handlers/slack-notifier.ts';
import type { HttpEvent, HttpResult } from '../../lambda/shared/http.ts';
import { withHttpMiddleware, withSqsMiddleware } from '../../lambda/shared/middleware.ts';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';
import { apiEvent } from '../support/api-event.ts';
import { type MotoServer, motoAvailable, startMoto, useMotoEnvironment } from '../support/moto.ts';
import { startTargetServer, type TargetServer } from '../support/target-server.ts';

const COUNTS_FILE = path.join(REPO_ROOT, 'bench', 'sdk-calls.json');
const FIXTURE = 'test/fixtures/payloads/v2-partial-multi-platform.json';
const TOKEN = 'webhook-token-0123456789abcdefghijklmnopqrstuvwxyz';
const INDEXES: IndexKeys[] = Object.values(TABLE.indexes);

type Item = Record<string, unknown>;

/** What one handler invocation sent. */
interface Tally {
  calls: Record<string, number>;
  dynamodb: { writeUnits: number; readUnits: number };
  logBytes: number;
}

const emptyTally = (): Tally => ({ calls: {}, dynamodb: { writeUnits: 0, readUnits: 0 }, logBytes: 0 });

/** A Lambda context like the one the runtime passes, with names as long as deployed ones. */
const lambdaContext = (name: string): Context =>
  ({
    functionName: `LeadsieWebhooks-${name}Function-AbCdEfGhIjKl`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:LeadsieWebhooks-${name}Function-AbCdEfGhIjKl`,
    memoryLimitInMB: '512',
    awsRequestId: '8f5e1d2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f',
    logGroupName: `/aws/lambda/LeadsieWebhooks-${name}`,
    logStreamName: '2026/03/02/[$LATEST]0123456789abcdef0123456789abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

describe.skipIf(!motoAvailable())('AWS calls per webhook (counted against moto)', () => {
  let moto: MotoServer;
  let target: TargetServer;
  let current: Tally = emptyTally();
  let plain: DynamoDBDocumentClient;
  const tableName = 'connections';
  const published: string[] = [];

  /** The middleware that records every command a client sends, with DynamoDB capacity. */
  const count = <C extends DynamoDBClient | SNSClient | SQSClient | SecretsManagerClient>(
    client: C,
    service: string,
  ): C => {
    (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
      (next, context) => async (args) => {
        const operation = String(context.commandName).replace(/Command$/, '');
        current.calls[`${service}.${operation}`] = (current.calls[`${service}.${operation}`] ?? 0) + 1;
        const input = args.input as Record<string, unknown>;
        if (service === 'SNS' && operation === 'Publish') published.push(String(input.Message));
        if (service !== 'DynamoDB') return next(args);
        const key = (input.Key ?? pick(input.Item as Item)) as Item | undefined;
        if (!key) throw new Error(`no key in a DynamoDB ${operation}`);
        const read = async () =>
          (
            await plain.send(
              new GetCommand({ TableName: tableName, Key: plainKey(key), ConsistentRead: true }),
            )
          ).Item;
        if (operation === 'GetItem') {
          const result = await next(args);
          current.dynamodb.readUnits += readUnits(await read(), input.ConsistentRead === true);
          return result;
        }
        const before = await read();
        try {
          const result = await next(args);
          const units = writeUnits(before, await read(), INDEXES);
          current.dynamodb.writeUnits +=
            units.table + Object.values(units.indexes).reduce((a, b) => a + b, 0);
          return result;
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException') {
            current.dynamodb.writeUnits += failedWriteUnits(before);
          }
          throw error;
        }
      },
      { step: 'initialize', name: 'benchCountCalls', override: true },
    );
    return client;
  };

  const pick = (item: Item | undefined) =>
    item
      ? { [TABLE.partitionKey]: item[TABLE.partitionKey], [TABLE.sortKey]: item[TABLE.sortKey] }
      : undefined;
  const plainKey = (key: Item): Item =>
    Object.fromEntries(
      Object.entries(key).map(([k, v]) => [
        k,
        typeof v === 'object' && v !== null && 'S' in v ? (v as { S: string }).S : v,
      ]),
    );

  /** Runs one invocation and returns what it sent and what its logs weigh. */
  const tally = async (invoke: () => Promise<unknown>): Promise<Tally> => {
    current = emptyTally();
    const write = process.stdout.write.bind(process.stdout);
    let logBytes = 0;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      return true;
    }) as typeof process.stdout.write;
    try {
      await invoke();
    } finally {
      process.stdout.write = write;
    }
    current.logBytes = logBytes;
    return current;
  };

  const logger = (service: string) =>
    new Logger({ serviceName: `leadsie-webhooks-${service}`, logLevel: 'INFO' });

  let ingest: (event: HttpEvent) => Promise<HttpResult>;
  let slack: (event: SQSEvent) => Promise<unknown>;
  let crm: (event: SQSEvent) => Promise<unknown>;
  const results: Record<string, Tally> = {};
  let payloadBytes = 0;

  beforeAll(async () => {
    moto = await startMoto();
    useMotoEnvironment(moto.endpoint);
    target = await startTargetServer({ status: 200, body: 'ok' });
    const config = { endpoint: moto.endpoint, region: 'us-east-1' };
    const admin = {
      dynamo: new DynamoDBClient(config),
      sns: new SNSClient(config),
      sqs: new SQSClient(config),
      secrets: new SecretsManagerClient(config),
    };
    plain = DynamoDBDocumentClient.from(admin.dynamo);
    await admin.dynamo.send(new CreateTableCommand(connectionsTableDefinition(tableName)));
    const topicArn = (await admin.sns.send(new CreateTopicCommand({ Name: 'events' }))).TopicArn ?? '';
    const queueUrl = (await admin.sqs.send(new CreateQueueCommand({ QueueName: 'consumer' }))).QueueUrl ?? '';
    const dlqUrl =
      (await admin.sqs.send(new CreateQueueCommand({ QueueName: 'consumer-dlq' }))).QueueUrl ?? '';
    const secret = async (name: string, value: string) =>
      (await admin.secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN ?? '';
    const webhookSecretArn = await secret('webhook-token', TOKEN);
    const slackSecretArn = await secret('slack', `${target.url}/services/T0/B0/X`);
    const forwardSecretArn = await secret(
      'forward',
      JSON.stringify({ url: `${target.url}/hook`, signingSecret: 'signing-secret-0123456789abcdef' }),
    );

    // Clients as the entries build them: one of each per container, here each one counted.
    const dynamo = count(new DynamoDBClient({}), 'DynamoDB');
    const sns = count(new SNSClient({}), 'SNS');
    const sqs = count(new SQSClient({}), 'SQS');
    const secrets = count(new SecretsManagerClient({}), 'SecretsManager');
    const maxAge = DEFAULTS.secretMaxAgeSeconds * 1000;
    const store = new DynamoDbConnectionStore(dynamo, tableName);
    let clock = Date.parse('2026-03-02T14:21:12.000Z');
    let id = 0;

    const ingestLog = logger('ingest');
    // As the entries wire them: the EMF lines each invocation writes count in its log bytes.
    const metricsFor = (log: Logger) =>
      new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, service: 'LeadsieWebhooks', log });
    const ingestMetrics = metricsFor(ingestLog);
    const ingestFn = withHttpMiddleware(
      makeIngest({
        store,
        quarantine: store,
        publisher: new SnsEventPublisher(sns, topicArn),
        webhookToken: new CachedSecret(secrets, webhookSecretArn, maxAge),
        maxBodyBytes: DEFAULTS.maxBodyBytes,
        log: ingestLog,
        now: () => {
          clock += 1000;
          return new Date(clock);
        },
        newEventId: () => `01KBENCHEVENT${String(++id).padStart(13, '0')}`,
        leaseMs: DEFAULTS.leaseMs,
        metrics: ingestMetrics,
      }),
      ingestLog,
      ingestMetrics,
    );
    ingest = (event) => ingestFn(event, lambdaContext('Ingest')) as Promise<HttpResult>;

    const queues = {
      deadLetters: new SqsDeadLetterQueue(sqs, dlqUrl),
      delayer: new SqsMessageDelayer(sqs, queueUrl),
    };
    const slackLog = logger('slack');
    const slackMetrics = metricsFor(slackLog);
    const slackFn = withSqsMiddleware(
      makeSlackNotifier({
        name: 'slack',
        slack: new SlackWebhook(new CachedSecret(secrets, slackSecretArn, maxAge), 5000),
        log: slackLog,
        metrics: slackMetrics,
        ...queues,
      }),
      slackLog,
      slackMetrics,
    );
    slack = (event) => slackFn(event, lambdaContext('Slack'));
    const crmLog = logger('forward');
    const crmMetrics = metricsFor(crmLog);
    const crmFn = withSqsMiddleware(
      makeCrmUpdater({
        name: 'forward-zapier',
        target: new WebhookForwarder({
          name: 'forward-zapier',
          secret: new CachedSecret(secrets, forwardSecretArn, maxAge),
          format: 'flat',
          timeoutMs: 5000,
        }),
        versions: store,
        log: crmLog,
        metrics: crmMetrics,
        ...queues,
      }),
      crmLog,
      crmMetrics,
    );
    crm = (event) => crmFn(event, lambdaContext('ForwardZapier'));

    const fixture = JSON.parse(readFileSync(path.join(REPO_ROOT, FIXTURE), 'utf8')) as Record<
      string,
      unknown
    >;
    // Each number a request of its own (so no event is stale for the CRM), of the fixture's size.
    const body = (n: number) =>
      JSON.stringify({
        ...fixture,
        requestUrl: `${fixture.requestUrl}-${n}`,
        requestName: `${fixture.requestName} #${n}`,
      });
    payloadBytes = Buffer.byteLength(body(2));
    const post = (n: number) => () =>
      ingest(
        apiEvent({ body: body(n), query: { token: TOKEN }, headers: { 'content-type': 'application/json' } }),
      );
    const sqsEvent = (message: string): SQSEvent => ({
      Records: [
        {
          messageId: `m-${published.length}`,
          receiptHandle: 'receipt',
          body: message,
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: '0',
            SenderId: 'x',
            ApproximateFirstReceiveTimestamp: '0',
          },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:consumer',
          awsRegion: 'us-east-1',
        },
      ],
    });

    // A cold container's first event, then a warm one, then the same payload again (a redelivery).
    results.ingestFirst = await tally(post(1));
    results.ingestNew = await tally(post(2));
    results.ingestDuplicate = await tally(post(2));
    const [first, second] = published;
    results.slackFirst = await tally(() => slack(sqsEvent(first as string)));
    results.slackNew = await tally(() => slack(sqsEvent(second as string)));
    results.crmFirst = await tally(() => crm(sqsEvent(first as string)));
    results.crmNew = await tally(() => crm(sqsEvent(second as string)));
  }, 120_000);

  afterAll(async () => {
    await target?.close();
    await moto?.stop();
  });

  /** Per container: what the first invocation sent beyond what a warm one sends. */
  const perContainer = (first: Tally, warm: Tally) =>
    Object.fromEntries(
      Object.entries(first.calls)
        .map(([call, n]) => [call, n - (warm.calls[call] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );

  const counted = () => ({
    about:
      'AWS requests per webhook, counted by test/bench/sdk-calls.moto.test.ts against moto (do not edit: regenerate with BENCH_WRITE_SDK_CALLS=1)',
    payload: { fixture: FIXTURE, bytes: payloadBytes },
    ingest: {
      newDelivery: results.ingestNew,
      duplicate: results.ingestDuplicate,
      perContainer: perContainer(results.ingestFirst as Tally, results.ingestNew as Tally),
    },
    slackNotifier: {
      perEvent: results.slackNew,
      perContainer: perContainer(results.slackFirst as Tally, results.slackNew as Tally),
    },
    crmUpdater: {
      perEvent: results.crmNew,
      perContainer: perContainer(results.crmFirst as Tally, results.crmNew as Tally),
    },
  });

  it('a new delivery: the body, one conditional put, the latest state and the published mark, one publish, no read', () => {
    expect(results.ingestNew?.calls).toEqual({
      'DynamoDB.PutItem': 2,
      'DynamoDB.UpdateItem': 2,
      'SNS.Publish': 1,
    });
  });

  it('a redelivery: the two failed conditional puts (body, delivery) and one consistent read, nothing published', () => {
    expect(results.ingestDuplicate?.calls).toEqual({ 'DynamoDB.PutItem': 2, 'DynamoDB.GetItem': 1 });
  });

  it('reads a secret once per container, not per event', () => {
    for (const warm of [results.ingestNew, results.slackNew, results.crmNew]) {
      expect(Object.keys(warm?.calls ?? {}).filter((c) => c.startsWith('SecretsManager'))).toEqual([]);
    }
    expect(counted().ingest.perContainer).toEqual({ 'SecretsManager.GetSecretValue': 1 });
  });

  it('matches bench/sdk-calls.json, which the cost model reads', () => {
    const now = counted();
    if (process.env.BENCH_WRITE_SDK_CALLS === '1')
      writeFileSync(COUNTS_FILE, `${JSON.stringify(now, null, 2)}\n`);
    expect(JSON.parse(readFileSync(COUNTS_FILE, 'utf8'))).toEqual(now);
  });
});
