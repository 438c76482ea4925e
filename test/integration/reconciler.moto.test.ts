/**
 * The pending-publish reconciler against moto: deliveries stored but not published (the topic was
 * down, or a function died half-way) reach the topic on the next run, with the eventId and version
 * they would have had, exactly once; deliveries another request is still working on are left alone.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { staticSecret } from '../../lambda/adapters/secrets.ts';
import { SnsEventPublisher } from '../../lambda/adapters/sns-event-publisher.ts';
import { DynamoDbOutcomeLedger } from '../../lambda/consumers/runtime/dynamodb-outcomes.ts';
import { METRIC_NAMES, NEXT_TABLE_INDEXES } from '../../lambda/contract.ts';
import { envelopeSchema } from '../../lambda/domain/envelope.ts';
import { fingerprint } from '../../lambda/domain/fingerprint.ts';
import { makeHandler as makeReconciler } from '../../lambda/handlers/reconciler.ts';
import { silentLogger } from '../support/logger.ts';
import { InMemoryMetrics } from '../support/metrics.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import {
  createConnectionsTable,
  createTopic,
  fixtureText as fixture,
  ingestHandler,
  sequentialEventIds,
  startMotoWithClients,
  subscribedQueue,
  TEST_RETRY,
  webhookPost,
} from '../support/pipeline.ts';
import { takeAll } from '../support/sqs-driver.ts';

const TOKEN = 'reconciler-test-token-0123456789';

describe.skipIf(!motoAvailable())('reconciler against moto', () => {
  let moto: MotoServer;
  let dynamo: DynamoDBClient;
  let sns: SNSClient;
  let sqs: SQSClient;
  let store: DynamoDbConnectionStore;
  let topicArn: string;
  let queueUrl: string;
  const newEventId = sequentialEventIds('01RECONCILE', 8);
  const log = silentLogger();

  const ingest = (body: string, topic: string) =>
    ingestHandler({
      store,
      publisher: new SnsEventPublisher(sns, topic),
      webhookToken: staticSecret(TOKEN),
      log,
      newEventId,
    })(webhookPost(body, { token: TOKEN }));

  /** One reconciler run, publishing to `topic` (the live topic unless a test says otherwise). */
  const reconcile = (now = () => new Date(), topic = topicArn, metrics = new InMemoryMetrics()) =>
    makeReconciler({
      store,
      pending: store,
      quarantine: store,
      publisher: new SnsEventPublisher(sns, topic),
      log,
      now,
      leaseMs: 30_000,
      limit: 100,
      metrics,
      retry: TEST_RETRY,
    })();

  beforeAll(async () => {
    ({ moto, dynamo, sns, sqs } = await startMotoWithClients());
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

  it('publishes every delivery left pending while the topic was down, once, with its eventId and version', async () => {
    const down = topicArn.replace('connection-events', 'gone');
    const answers = [];
    for (const name of ['v1-failed', 'v1-partial-success', 'v2-success-google']) {
      answers.push(await ingest(fixture(name), down));
    }
    expect(answers.map((a) => a.statusCode)).toEqual([503, 503, 503]);
    expect(await store.pendingDeliveries(10)).toHaveLength(3);
    expect(await takeAll(sqs, queueUrl)).toEqual([]);

    const summary = await reconcile();
    expect(summary).toEqual({
      found: 3,
      published: 3,
      inFlight: 0,
      failed: 0,
      quarantinedNow: 0,
      backlog: 0,
      quarantined: 0,
    });
    const envelopes = (await takeAll(sqs, queueUrl)).map((m) =>
      envelopeSchema.parse(JSON.parse(m.Body ?? '')),
    );
    expect(envelopes.map((e) => e.eventId).sort()).toEqual([
      '01RECONCILE00000001',
      '01RECONCILE00000002',
      '01RECONCILE00000003',
    ]);
    expect(envelopes.map((e) => e.version)).toEqual([1, 1, 1]);
    expect(await store.pendingDeliveries(10)).toEqual([]);

    // A second run finds nothing; a redelivery now is a plain duplicate.
    expect(await reconcile()).toMatchObject({ found: 0, published: 0 });
    const again = await ingest(fixture('v1-failed'), topicArn);
    expect(JSON.parse(again.body ?? '{}')).toEqual({ eventId: '01RECONCILE00000001', duplicate: true });
    expect(await takeAll(sqs, queueUrl)).toEqual([]);
  });

  it("counts each configured consumer's unresolved dead letters from the outcome records, 0 included", async () => {
    const ledger = new DynamoDbOutcomeLedger(dynamo, {
      tableName: 'connections',
      deadLetterIndex: NEXT_TABLE_INDEXES.byState.name,
    });
    const at = Date.parse('2026-11-26T09:00:00.000Z');
    for (const eventId of ['01DL1', '01DL2', '01DL3']) {
      await ledger.deadLettered({ consumer: 'slack', eventId, version: 1 }, at, 'target gone', 5);
    }
    expect(await ledger.resolve({ consumer: 'slack', eventId: '01DL3', version: 1 }, at, 'discarded')).toBe(
      true,
    );
    const metrics = new InMemoryMetrics();
    const summary = await makeReconciler({
      store,
      pending: store,
      quarantine: store,
      publisher: new SnsEventPublisher(sns, topicArn),
      log,
      now: () => new Date(),
      leaseMs: 30_000,
      limit: 100,
      metrics,
      retry: TEST_RETRY,
      deadLetters: { consumers: ['slack', 'hubspot'], ledger },
    })();
    expect(summary.deadLetters).toEqual({ slack: 2, hubspot: 0 });
    expect(metrics.total(METRIC_NAMES.deadLettersUnresolved, { consumer: 'slack' })).toBe(2);
    expect(
      metrics.counted.filter((c) => c.name === METRIC_NAMES.deadLettersUnresolved).map((c) => c.dimensions),
    ).toEqual([{ consumer: 'slack' }, { consumer: 'hubspot' }]);
  });

  it('completes a delivery whose function died before it got a version', async () => {
    const payload = JSON.parse(fixture('v1-partial-success'));
    await store.createDelivery({
      fingerprint: fingerprint(payload),
      eventId: '01DIEDHALFWAY',
      receivedAt: '2026-11-26T10:00:00.000Z',
      user: payload.user,
      requestUrl: payload.requestUrl,
      requestName: payload.requestName,
      status: payload.status,
      apiVersion: 1,
      rawBody: JSON.stringify(payload),
      leaseUntil: Date.parse('2026-11-26T10:00:30.000Z'),
    });
    const summary = await reconcile();
    expect(summary).toMatchObject({ found: 1, published: 1, backlog: 0 });
    const [message] = await takeAll(sqs, queueUrl);
    const envelope = envelopeSchema.parse(JSON.parse(message?.Body ?? ''));
    expect(envelope).toMatchObject({ eventId: '01DIEDHALFWAY', version: 1, status: 'PARTIAL_SUCCESS' });
    expect(await store.latestVersion(payload.user, payload.requestUrl)).toBe(1);
  });

  it('leaves alone a delivery another request still holds, and takes it once the lease runs out', async () => {
    const payload = JSON.parse(fixture('v1-failed'));
    const now = Date.now();
    await store.createDelivery({
      fingerprint: fingerprint(payload),
      eventId: '01INFLIGHT',
      receivedAt: new Date(now).toISOString(),
      user: payload.user,
      requestUrl: payload.requestUrl,
      requestName: payload.requestName,
      status: payload.status,
      apiVersion: 1,
      rawBody: JSON.stringify(payload),
      leaseUntil: now + 30_000,
    });
    expect(await reconcile(() => new Date(now))).toMatchObject({
      found: 1,
      published: 0,
      inFlight: 1,
      backlog: 1,
    });
    expect(await takeAll(sqs, queueUrl)).toEqual([]);

    expect(await reconcile(() => new Date(now + 31_000))).toMatchObject({ published: 1, backlog: 0 });
    expect(await takeAll(sqs, queueUrl)).toHaveLength(1);
  });

  it('counts a failure and keeps the delivery pending, backed off, while the topic is still down', async () => {
    const down = topicArn.replace('connection-events', 'gone');
    await ingest(fixture('v1-failed'), down);
    const stillDown = await reconcile(() => new Date(), down);
    expect(stillDown).toMatchObject({ found: 1, published: 0, failed: 1, backlog: 1 });
    expect(await store.pendingDeliveries(10)).toMatchObject([{ publishAttempts: 1, leaseUntil: 0 }]);
    // It backs off: a run before its next attempt time does not read it (the backlog still counts it).
    expect(await reconcile()).toMatchObject({ found: 0, published: 0, backlog: 1 });
    // Once due, the next run (topic back) publishes it.
    const later = new Date(Date.now() + TEST_RETRY.firstDelayMs);
    expect(await reconcile(() => later)).toMatchObject({ published: 1, backlog: 0 });
  });

  it('counts the unresolved quarantined requests every run (the quarantined alarm reads it), 0 included', async () => {
    const counted = async () => {
      const metrics = new InMemoryMetrics();
      const summary = await reconcile(() => new Date(), topicArn, metrics);
      return { summary: summary.quarantined, metric: metrics.total(METRIC_NAMES.quarantinedRequests) };
    };
    expect(await counted()).toEqual({ summary: 0, metric: 0 });

    expect((await ingest('{"not": "a Leadsie payload"}', topicArn)).statusCode).toBe(400);
    expect((await ingest('not even JSON', topicArn)).statusCode).toBe(400);
    expect((await ingest('not even JSON', topicArn)).statusCode).toBe(400);
    expect(await counted()).toEqual({ summary: 2, metric: 2 });

    const { value: first } = await store.quarantined().next();
    expect(await store.resolveQuarantined(first?.id ?? '', '01RESOLVED', new Date().toISOString())).toBe(
      true,
    );
    expect(await counted()).toEqual({ summary: 1, metric: 1 });
    // Quarantined requests are not deliveries: nothing for the reconciler to publish.
    expect(await takeAll(sqs, queueUrl)).toEqual([]);
  });
});
