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
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  QueryCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  failedWriteUnits,
  layoutOf,
  queryReadUnits,
  readUnits,
  writeUnits,
} from '../../bench/dynamodb-capacity.ts';
import { v1Payload } from '../../bench/payloads.ts';
import { connectionsTableDefinition } from '../../lambda/adapters/connections-table-definition.ts';
import { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { DynamoDbOrderingGuard } from '../../lambda/adapters/ordering-guard.ts';
import { PowertoolsMetrics } from '../../lambda/adapters/powertools-metrics.ts';
import { CachedSecret } from '../../lambda/adapters/secrets.ts';
import { SnsEventPublisher } from '../../lambda/adapters/sns-event-publisher.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../lambda/adapters/sqs-queues.ts';
import { makeCrmHandler as makeCrmUpdater } from '../../lambda/consumers/crm.ts';
import { WebhookForwarder } from '../../lambda/consumers/forward/send.ts';
import { InMemoryOutcomeLedger } from '../../lambda/consumers/runtime/memory-outcomes.ts';
import { makeHandler as makeSlackNotifier } from '../../lambda/consumers/slack/handler.ts';
import { SlackWebhook } from '../../lambda/consumers/slack/send.ts';
import { DEFAULTS, METRICS_NAMESPACE, TABLE } from '../../lambda/contract.ts';
import { makeHandler as makeIngest } from '../../lambda/handlers/ingest.ts';
import type { HttpEvent, HttpResult } from '../../lambda/shared/http.ts';
import { withHttpMiddleware, withSqsMiddleware } from '../../lambda/shared/middleware.ts';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';
import { apiEvent } from '../support/api-event.ts';
import { type MotoServer, motoAvailable, startMoto, useMotoEnvironment } from '../support/moto.ts';
import { startTargetServer, type TargetServer } from '../support/target-server.ts';

const COUNTS_FILE = path.join(REPO_ROOT, 'bench', 'sdk-calls.json');
const TOKEN = 'webhook-token-0123456789abcdefghijklmnopqrstuvwxyz';
/** Assets per payload the cost model prices (its per-size table). */
const SIZES = [1, 10, 100] as const;
/** Whatever layout the stores create, the capacity model follows it (index projections included). */
const LAYOUT = layoutOf(connectionsTableDefinition('connections'));

type Item = Record<string, unknown>;

/** What one handler invocation sent; each DynamoDB write with its units, table and per index. */
interface Tally {
  calls: Record<string, number>;
  dynamodb: {
    writeUnits: number;
    readUnits: number;
    writes: { call: string; table: number; indexes: Record<string, number> }[];
  };
  logBytes: number;
}

const emptyTally = (): Tally => ({
  calls: {},
  dynamodb: { writeUnits: 0, readUnits: 0, writes: [] },
  logBytes: 0,
});

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
  let countedDynamo: DynamoDBClient;
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
        const read = async (key: Item) =>
          (
            await plain.send(
              new GetCommand({ TableName: tableName, Key: plainKey(key), ConsistentRead: true }),
            )
          ).Item;
        if (operation === 'GetItem' || operation === 'BatchGetItem') {
          const result = await next(args);
          for (const { key, consistent } of readTargets(operation, input)) {
            current.dynamodb.readUnits += readUnits(await read(key), consistent);
          }
          return result;
        }
        if (operation === 'Query') {
          const result = await next(args);
          const items = ((result.output as { Items?: Record<string, AttributeValue>[] }).Items ?? []).map(
            (i) => unmarshall(i),
          );
          current.dynamodb.readUnits += queryReadUnits(items, input.ConsistentRead === true);
          return result;
        }
        const targets = writeTargets(operation, input);
        // A transaction writes each item twice (prepare, commit); its index writes follow once.
        const factor = operation === 'TransactWriteItems' ? 2 : 1;
        const before = await Promise.all(targets.map((t) => read(t.key)));
        try {
          const result = await next(args);
          for (const [i, target] of targets.entries()) {
            if (target.check) {
              const units = factor * failedWriteUnits(before[i]);
              current.dynamodb.writeUnits += units;
              current.dynamodb.writes.push({
                call: `${operation} ConditionCheck`,
                table: units,
                indexes: {},
              });
              continue;
            }
            const units = writeUnits(before[i], await read(target.key), LAYOUT);
            current.dynamodb.writeUnits += units.total + (factor - 1) * units.table;
            current.dynamodb.writes.push({
              call: target.call,
              table: factor * units.table,
              indexes: units.indexes,
            });
          }
          return result;
        } catch (error) {
          const name = (error as Error).name;
          if (name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException') {
            for (const [i, target] of targets.entries()) {
              const units = factor * failedWriteUnits(before[i]);
              current.dynamodb.writeUnits += units;
              current.dynamodb.writes.push({
                call: `${target.call} (condition failed)`,
                table: units,
                indexes: {},
              });
            }
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

  /** The items a write request touches, by key: single writes, batches and transactions. */
  const writeTargets = (
    operation: string,
    input: Record<string, unknown>,
  ): { key: Item; call: string; check?: boolean }[] => {
    const keyOf = (part: { Key?: Item; Item?: Item }) => (part.Key ?? pick(part.Item)) as Item | undefined;
    let targets: { key: Item | undefined; call: string; check?: boolean }[];
    if (operation === 'TransactWriteItems') {
      targets = (input.TransactItems as Record<string, { Key?: Item; Item?: Item }>[]).map((action) => {
        const [kind, part] = Object.entries(action)[0] as [string, { Key?: Item; Item?: Item }];
        return { key: keyOf(part), call: `${operation} ${kind}`, check: kind === 'ConditionCheck' };
      });
    } else if (operation === 'BatchWriteItem') {
      targets = Object.values(
        input.RequestItems as Record<
          string,
          { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]
        >,
      )
        .flat()
        .map((r) => ({
          key: r.PutRequest ? pick(r.PutRequest.Item) : r.DeleteRequest?.Key,
          call: `${operation} ${r.PutRequest ? 'Put' : 'Delete'}`,
        }));
    } else {
      targets = [{ key: keyOf(input as { Key?: Item; Item?: Item }), call: operation }];
    }
    return targets.map((t) => {
      if (!t.key) throw new Error(`no key in a DynamoDB ${operation}`);
      return { ...t, key: t.key };
    });
  };

  /** The items a read request asks for, by key, and whether it reads them strongly consistent. */
  const readTargets = (
    operation: string,
    input: Record<string, unknown>,
  ): { key: Item; consistent: boolean }[] =>
    operation === 'GetItem'
      ? [{ key: input.Key as Item, consistent: input.ConsistentRead === true }]
      : Object.values(
          input.RequestItems as Record<string, { Keys: Item[]; ConsistentRead?: boolean }>,
        ).flatMap((request) =>
          request.Keys.map((key) => ({ key, consistent: request.ConsistentRead === true })),
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
  const bySize: Record<
    string,
    { payloadBytes: number; messageBytes: number; ingest: Tally; slack: Tally; forward: Tally }
  > = {};

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
    countedDynamo = dynamo;
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
      // The engine's outcome writes are not counted here yet (the bench's own follow-up).
      outcomes: new InMemoryOutcomeLedger(30),
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
        ordering: new DynamoDbOrderingGuard(dynamo, tableName),
        log: crmLog,
        metrics: crmMetrics,
        ...queues,
      }),
      crmLog,
      crmMetrics,
    );
    crm = (event) => crmFn(event, lambdaContext('ForwardZapier'));

    // Each variant a request of its own (so no event is stale for the CRM), of the size asked for.
    const body = (assets: number, variant: number) => JSON.stringify(v1Payload(assets, variant));
    const post = (assets: number, variant: number) => () =>
      ingest(
        apiEvent({
          body: body(assets, variant),
          query: { token: TOKEN },
          headers: { 'content-type': 'application/json' },
        }),
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

    // A cold container's first event, then a warm one per size, then the same payload again (a redelivery).
    results.ingestFirst = await tally(post(10, 1000));
    const first = published.at(-1) as string;
    results.slackFirst = await tally(() => slack(sqsEvent(first)));
    results.crmFirst = await tally(() => crm(sqsEvent(first)));
    for (const [i, assets] of SIZES.entries()) {
      const ingestTally = await tally(post(assets, i + 1));
      const message = published.at(-1) as string;
      bySize[assets] = {
        payloadBytes: Buffer.byteLength(body(assets, i + 1)),
        messageBytes: Buffer.byteLength(message),
        ingest: ingestTally,
        slack: await tally(() => slack(sqsEvent(message))),
        forward: await tally(() => crm(sqsEvent(message))),
      };
    }
    results.ingestNew = bySize[10]?.ingest as Tally;
    results.slackNew = bySize[10]?.slack as Tally;
    results.crmNew = bySize[10]?.forward as Tally;
    results.ingestDuplicate = await tally(post(10, 2));
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
    payload: "bench/payloads.ts v1Payload(assets): the shape of Leadsie's documented sample",
    indexes: LAYOUT.indexes.map(
      (i) =>
        `${i.name}: ${typeof i.projection === 'string' ? i.projection : `INCLUDE ${i.projection.join(' ')}`}`,
    ),
    sizes: bySize,
    duplicate: results.ingestDuplicate,
    perContainer: {
      ingest: perContainer(results.ingestFirst as Tally, results.ingestNew as Tally),
      slack: perContainer(results.slackFirst as Tally, results.slackNew as Tally),
      forward: perContainer(results.crmFirst as Tally, results.crmNew as Tally),
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

  it('counts transactions twice per item, batches once per item, and a query by its items', async () => {
    const small = (n: number) => ({ pk: { S: `BENCH#${n}` }, sk: { S: 'X' }, note: { S: 'small' } });
    const transaction = await tally(() =>
      countedDynamo.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: tableName, Item: small(1) } },
            { Put: { TableName: tableName, Item: small(2) } },
          ],
        }),
      ),
    );
    expect(transaction.dynamodb.writeUnits).toBe(4);
    const batch = await tally(() =>
      countedDynamo.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [tableName]: [
              { PutRequest: { Item: small(3) } },
              { DeleteRequest: { Key: { pk: small(1).pk, sk: small(1).sk } } },
            ],
          },
        }),
      ),
    );
    expect(batch.dynamodb.writeUnits).toBe(2);
    const query = await tally(() =>
      countedDynamo.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': small(2).pk },
        }),
      ),
    );
    expect(query.dynamodb.readUnits).toBe(0.5);
  });

  it('reads a secret once per container, not per event', () => {
    for (const warm of [results.ingestNew, results.slackNew, results.crmNew]) {
      expect(Object.keys(warm?.calls ?? {}).filter((c) => c.startsWith('SecretsManager'))).toEqual([]);
    }
    expect(counted().perContainer.ingest).toEqual({ 'SecretsManager.GetSecretValue': 1 });
  });

  it('matches bench/sdk-calls.json, which the cost model reads', () => {
    const now = counted();
    if (process.env.BENCH_WRITE_SDK_CALLS === '1')
      writeFileSync(COUNTS_FILE, `${JSON.stringify(now, null, 2)}\n`);
    const saved = JSON.parse(readFileSync(COUNTS_FILE, 'utf8')) as unknown;
    // Log lines carry durations ("in 9 ms", "in 10 ms"): their byte counts may differ by a few.
    const logBytes = (value: unknown, at = ''): [string, number][] =>
      typeof value !== 'object' || value === null
        ? []
        : Object.entries(value).flatMap(([key, inner]) =>
            key === 'logBytes' && typeof inner === 'number' ? [[at, inner]] : logBytes(inner, `${at}.${key}`),
          );
    const withoutLogBytes = (value: unknown) =>
      JSON.parse(JSON.stringify(value, (key, inner) => (key === 'logBytes' ? 0 : inner))) as unknown;
    expect(withoutLogBytes(saved)).toEqual(withoutLogBytes(now));
    const expected = logBytes(now);
    expect(logBytes(saved).map(([at]) => at)).toEqual(expected.map(([at]) => at));
    for (const [i, [at, bytes]] of logBytes(saved).entries()) {
      expect(Math.abs(bytes - (expected[i]?.[1] ?? 0)), at).toBeLessThanOrEqual(8);
    }
  });
});
