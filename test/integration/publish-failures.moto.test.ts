/**
 * Publish failures with the real SNS client on moto (issue 12, items 2 and 3). Local mode's topic
 * never serialises a message, so only here does the SDK throw what it throws in Lambda:
 *
 * - a publish SNS refuses (InvalidParameter) is not a 503 loop: the stored delivery is quarantined
 *   (422 with its quarantineId, nothing pending, counted for the quarantined alarm), and
 *   `cli quarantine retry` publishes that delivery from the table once the topic takes it;
 *   (a body SNS can never carry, such as a lone surrogate, is refused by ingest's input checks
 *   before it is stored; a delivery stored before those checks is the reconciler's case below);
 * - poison deliveries padded to near the item size limit, ahead of good ones in the pending index,
 *   block nothing: every good one is published in one reconciler run.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { staticSecret } from '../../lambda/adapters/secrets.ts';
import { SnsEventPublisher } from '../../lambda/adapters/sns-event-publisher.ts';
import { envelopeSchema } from '../../lambda/domain/envelope.ts';
import { fingerprint } from '../../lambda/domain/fingerprint.ts';
import { makeHandler as makeReconciler } from '../../lambda/handlers/reconciler.ts';
import type { QuarantineEntry } from '../../lambda/use-cases/ports.ts';
import { lines, runCliCaptured } from '../support/cli-run.ts';
import { createFakeStack } from '../support/fake-deployment.ts';
import { silentLogger } from '../support/logger.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import {
  createConnectionsTable,
  createTopic,
  fixtureJson,
  fixtureText,
  ingestHandler,
  type MotoClients,
  sequentialEventIds,
  startMotoWithClients,
  subscribedQueue,
  TEST_RETRY,
  webhookPost,
} from '../support/pipeline.ts';
import { takeAll } from '../support/sqs-driver.ts';

const TOKEN = 'publish-failures-token-0123456789abcdef';
const log = silentLogger();

describe.skipIf(!motoAvailable())('publish failures with the real SNS client on moto', () => {
  let moto: MotoServer;
  let clients: MotoClients & { moto: MotoServer };
  let dynamo: DynamoDBClient;
  let sns: SNSClient;
  let sqs: SQSClient;
  let store: DynamoDbConnectionStore;
  let topicArn: string;
  let queueUrl: string;
  const newEventId = sequentialEventIds('01PUBFAIL', 8);

  const ingest = (body: string, topic = topicArn) =>
    ingestHandler({
      store,
      publisher: new SnsEventPublisher(sns, topic),
      webhookToken: staticSecret(TOKEN),
      log,
      newEventId,
    })(webhookPost(body, { token: TOKEN }));

  const reconcile = (now = () => new Date()) =>
    makeReconciler({
      store,
      pending: store,
      quarantine: store,
      publisher: new SnsEventPublisher(sns, topicArn),
      log,
      now,
      leaseMs: 30_000,
      limit: 100,
      retry: TEST_RETRY,
    })();

  const unresolved = async (): Promise<QuarantineEntry[]> => {
    const entries: QuarantineEntry[] = [];
    for await (const entry of store.quarantined()) entries.push(entry);
    return entries;
  };

  beforeAll(async () => {
    clients = await startMotoWithClients();
    ({ moto, dynamo, sns, sqs } = clients);
  });

  afterAll(async () => {
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    store = await createConnectionsTable(dynamo);
    topicArn = await createTopic(sns);
    queueUrl = await subscribedQueue({ sns, sqs }, topicArn, 'all');
  });

  it('a publish SNS refuses quarantines the stored delivery; cli quarantine retry publishes it from the table', async () => {
    // A FIFO topic refuses a publish without a message group id (a 400 MissingParameter on moto,
    // InvalidParameter on AWS), whatever the message: the topic will never take it as it is.
    const fifo =
      (await sns.send(new CreateTopicCommand({ Name: 'refusing.fifo', Attributes: { FifoTopic: 'true' } })))
        .TopicArn ?? '';
    const answer = await ingest(fixtureText('v1-partial-success'), fifo);
    expect(answer.statusCode).toBe(422);
    const { quarantineId, details } = JSON.parse(answer.body ?? '{}');
    const eventId = String(details?.eventId);
    expect(await store.pendingDeliveries()).toEqual([]);
    const [entry] = await unresolved();
    expect(entry).toMatchObject({
      id: quarantineId,
      fingerprint: fingerprint(fixtureJson('v1-partial-success')),
      reason: {
        status: 422,
        kind: 'unpublishable-event',
        message: expect.stringContaining('MessageGroupId'),
      },
    });
    // Leadsie's redelivery: the same answer, not a duplicate, not a 503.
    expect((await ingest(fixtureText('v1-partial-success'), fifo)).statusCode).toBe(422);
    // Nothing left for the reconciler; the entry keeps the quarantined alarm up.
    expect(await reconcile()).toMatchObject({ found: 0, backlog: 0, quarantined: 1 });

    const secrets = new SecretsManagerClient(clients.config);
    const secretArn =
      (await secrets.send(new CreateSecretCommand({ Name: 'webhook-token', SecretString: TOKEN }))).ARN ?? '';
    await createFakeStack(new CloudFormationClient(clients.config), 'LeadsieWebhooks', {
      WebhookUrl: 'http://127.0.0.1:9/leadsie/webhook',
      ConnectionsUrl: 'http://127.0.0.1:9/connections',
      ConnectionEventsTopicArn: topicArn,
      TableName: 'connections',
      WebhookTokenSecretArn: secretArn,
      ReadTokenSecretArn: secretArn,
    });
    const run = await runCliCaptured(['quarantine', 'retry', String(quarantineId)]);
    expect({ code: run.code, lines: lines(run.out) }).toEqual({
      code: 0,
      lines: [`${String(quarantineId).slice(0, 12)}\tresolved\teventId ${eventId} (published)`],
    });
    const [message, ...more] = await takeAll(sqs, queueUrl);
    expect(more).toEqual([]);
    expect(envelopeSchema.parse(JSON.parse(message?.Body ?? ''))).toMatchObject({
      eventId,
      version: 1,
      status: 'PARTIAL_SUCCESS',
    });
    expect(await unresolved()).toEqual([]);
    expect((await store.getDelivery(entry?.fingerprint ?? ''))?.publishedAt).toEqual(expect.any(String));
    expect(JSON.parse((await ingest(fixtureText('v1-partial-success'))).body ?? '{}')).toEqual({
      eventId,
      duplicate: true,
    });
  });

  it('poison deliveries near the item size limit ahead of good ones block nothing: every good one is published in one run', async () => {
    const base = fixtureJson('v2-success-google');
    const poisonCount = 6;
    for (let i = 0; i < poisonCount; i++) {
      // A lone surrogate the SDK cannot encode, and padding that fills the item.
      const payload = {
        ...base,
        requestUrl: `${base.requestUrl}-poison-${i}`,
        // In a String message attribute, where the SDK cannot encode it.
        accessLevel: `view \udc00 ${i}`,
      };
      const rawBody = JSON.stringify({ ...payload, padding: 'p'.repeat(370_000) });
      await store.createDelivery({
        fingerprint: fingerprint({ ...payload, i }),
        eventId: `01POISON${i}`,
        receivedAt: `2026-11-26T09:00:0${i}.000Z`,
        user: String(base.user),
        requestUrl: String(payload.requestUrl),
        requestName: String(base.requestName),
        status: 'SUCCESS',
        apiVersion: 2,
        rawBody,
        leaseUntil: 0,
      });
      // An earlier attempt gave it its version (so the run goes straight to the publish).
      await store.recordPublishFailure(
        { fingerprint: fingerprint({ ...payload, i }), eventId: `01POISON${i}` },
        1,
      );
    }
    const good = ['v1-failed', 'v1-partial-success', 'v1-success-no-user', 'v2-partial-multi-platform'];
    for (const [i, name] of good.entries()) {
      const payload = fixtureJson(name);
      await store.createDelivery({
        fingerprint: fingerprint(payload),
        eventId: `01GOOD${i}`,
        receivedAt: `2026-11-26T10:00:0${i}.000Z`,
        user: typeof payload.user === 'string' && payload.user !== '' ? payload.user : null,
        requestUrl: String(payload.requestUrl),
        requestName: String(payload.requestName),
        status: typeof payload.status === 'string' ? payload.status : null,
        apiVersion: typeof payload.apiVersion === 'number' ? payload.apiVersion : 1,
        rawBody: JSON.stringify(payload),
        leaseUntil: 0,
      });
    }

    const summary = await reconcile();
    expect(summary).toMatchObject({
      found: poisonCount + good.length,
      published: good.length,
      quarantinedNow: poisonCount,
      backlog: 0,
      quarantined: poisonCount,
    });
    const published = (await takeAll(sqs, queueUrl)).map(
      (m) => envelopeSchema.parse(JSON.parse(m.Body ?? '')).eventId,
    );
    expect(published.sort()).toEqual(['01GOOD0', '01GOOD1', '01GOOD2', '01GOOD3']);
    expect(await store.pendingDeliveries()).toEqual([]);
  });
});
