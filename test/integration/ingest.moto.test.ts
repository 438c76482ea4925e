/**
 * The ingest and connections handlers driven through the real AWS SDK against a moto server:
 * conditional writes, duplicates, versions, SNS → SQS delivery with message attributes and filter
 * policies, and the publish-failure path (503, pending, published on redelivery).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { CachedSecret } from '../../lambda/adapters/secrets.ts';
import { SnsEventPublisher } from '../../lambda/adapters/sns-event-publisher.ts';
import { envelopeSchema } from '../../lambda/domain/envelope.ts';
import { makeHandler as makeConnectionsHandler } from '../../lambda/handlers/connections.ts';
import type { HttpResult } from '../../lambda/shared/http.ts';
import { withHttpMiddleware } from '../../lambda/shared/middleware.ts';
import { apiEvent } from '../support/api-event.ts';
import { silentLogger } from '../support/logger.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import {
  createConnectionsTable,
  createTopic,
  fixtureText as fixture,
  type IngestSetup,
  ingestHandler,
  sequentialEventIds,
  startMotoWithClients,
  subscribedQueue,
  webhookPost,
} from '../support/pipeline.ts';
import { receiveAll } from '../support/sqs-driver.ts';

const WEBHOOK_TOKEN = 'webhook-token-0123456789abcdefghijklmnopqrstuvwxyz';
const READ_TOKEN = 'read-token-0123456789abcdefghijklmnopqrstuvwxyz';

describe.skipIf(!motoAvailable())('ingest against moto', () => {
  let moto: MotoServer;
  let dynamo: DynamoDBClient;
  let sns: SNSClient;
  let sqs: SQSClient;
  let secrets: SecretsManagerClient;
  let store: DynamoDbConnectionStore;
  let topicArn: string;
  let allQueueUrl: string;
  let failedQueueUrl: string;
  let webhookSecretArn: string;
  let readSecretArn: string;
  const logger = silentLogger();
  const newEventId = sequentialEventIds('01TESTEVENT', 8);

  const ingest = (overrides: Partial<IngestSetup> = {}) =>
    ingestHandler({
      store,
      publisher: new SnsEventPublisher(sns, topicArn),
      webhookToken: new CachedSecret(secrets, webhookSecretArn, 60_000),
      log: logger,
      newEventId,
      ...overrides,
    });

  const post = (body: string, query: Record<string, string> = { token: WEBHOOK_TOKEN }) =>
    webhookPost(body, query);

  beforeAll(async () => {
    const clients = await startMotoWithClients();
    ({ moto, dynamo, sns, sqs } = clients);
    secrets = new SecretsManagerClient(clients.config);
  });

  afterAll(async () => {
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    store = await createConnectionsTable(dynamo);
    topicArn = await createTopic(sns);
    allQueueUrl = await subscribedQueue({ sns, sqs }, topicArn, 'all-events');
    failedQueueUrl = await subscribedQueue({ sns, sqs }, topicArn, 'failed-events', { status: ['FAILED'] });
    webhookSecretArn =
      (await secrets.send(new CreateSecretCommand({ Name: 'webhook-token', SecretString: WEBHOOK_TOKEN })))
        .ARN ?? '';
    readSecretArn =
      (await secrets.send(new CreateSecretCommand({ Name: 'read-token', SecretString: READ_TOKEN }))).ARN ??
      '';
  });

  it.each([
    ['v1-partial-success', 1, 'PARTIAL_SUCCESS'],
    ['v1-failed', 1, 'FAILED'],
    ['v1-success-no-user', 1, 'SUCCESS'],
    ['v2-partial-multi-platform', 2, 'PARTIAL_SUCCESS'],
    ['v2-success-google', 2, 'SUCCESS'],
  ])('stores and publishes %s with its message attributes', async (name, apiVersion, status) => {
    const body = fixture(name);
    const response = await ingest()(post(body));
    expect(response.statusCode).toBe(200);
    const answer = JSON.parse(response.body ?? '{}');
    expect(answer).toEqual({ eventId: expect.any(String), duplicate: false });

    const messages = await receiveAll(sqs, allQueueUrl);
    expect(messages).toHaveLength(1);
    const envelope = envelopeSchema.parse(JSON.parse(messages[0]?.Body ?? ''));
    expect(envelope.eventId).toBe(answer.eventId);
    expect(envelope.version).toBe(1);
    expect(envelope.apiVersion).toBe(apiVersion);
    const attributes = messages[0]?.MessageAttributes ?? {};
    expect(attributes.status?.StringValue).toBe(status);
    expect(attributes.apiVersion?.StringValue).toBe(String(apiVersion));
    expect(attributes.isTest?.StringValue).toBe('false');
    expect(attributes.hasUser?.StringValue).toBe(String(envelope.user !== null));
    expect(attributes.assetTypes?.DataType).toBe('String.Array');
    expect(JSON.parse(attributes.assetTypes?.StringValue ?? '[]')).toEqual([
      ...new Set(envelope.assets.map((a) => a.type)),
    ]);

    const failed = await receiveAll(sqs, failedQueueUrl);
    expect(failed).toHaveLength(status === 'FAILED' ? 1 : 0);

    const history = await store.history(envelope.user, envelope.request.url);
    expect(history).toHaveLength(1);
    expect(history[0]?.rawBody).toBe(body);
    expect(history[0]?.publishedAt).not.toBeNull();
    expect(await store.pendingDeliveries()).toEqual([]);
  });

  it('stores and publishes a redelivered payload once, answering duplicate: true', async () => {
    const handler = ingest();
    const body = fixture('v2-partial-multi-platform');
    const first = JSON.parse((await handler(post(body))).body ?? '{}');
    // Same payload, other key order and spacing: the same delivery.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(body)).reverse()), null, 4);
    const second = await handler(post(reordered));
    expect(second.statusCode).toBe(200);
    expect(JSON.parse(second.body ?? '{}')).toEqual({ eventId: first.eventId, duplicate: true });

    expect(await receiveAll(sqs, allQueueUrl)).toHaveLength(1);
    const user = 'hubspot-company-99123';
    const requestUrl = 'https://app.leadsie.com/request/harbor-fitness';
    expect(await store.history(user, requestUrl)).toHaveLength(1);
    const [latest] = await store.latestForUser(user);
    expect(latest?.version).toBe(1);
  });

  it('gives each new delivery of the same (user, request) the next version, newest first in history', async () => {
    const handler = ingest();
    const base = JSON.parse(fixture('v1-partial-success'));
    for (const status of ['FAILED', 'PARTIAL_SUCCESS', 'SUCCESS']) {
      const response = await handler(post(JSON.stringify({ ...base, status })));
      expect(response.statusCode).toBe(200);
    }
    const envelopes = (await receiveAll(sqs, allQueueUrl)).map((m) =>
      envelopeSchema.parse(JSON.parse(m.Body ?? '')),
    );
    expect(envelopes.map((e) => [e.status, e.version]).sort()).toEqual([
      ['FAILED', 1],
      ['PARTIAL_SUCCESS', 2],
      ['SUCCESS', 3],
    ]);
    const history = await store.history(base.user, base.requestUrl);
    expect(history.map((d) => d.status)).toEqual(['SUCCESS', 'PARTIAL_SUCCESS', 'FAILED']);
    const latest = await store.latestForUser(base.user);
    expect(latest).toHaveLength(1);
    expect(latest[0]).toMatchObject({ status: 'SUCCESS', version: 3 });
  });

  it('answers 503 when publishing fails, keeps the delivery pending, and publishes it on redelivery', async () => {
    const body = fixture('v1-failed');
    const brokenTopic = topicArn.replace('connection-events', 'no-such-topic');
    const broken = await ingest({ publisher: new SnsEventPublisher(sns, brokenTopic) })(post(body));
    expect(broken.statusCode).toBe(503);
    expect(broken.headers?.['retry-after']).toBeDefined();
    expect(JSON.parse(broken.body ?? '{}').error).toMatch(/stored but could not be published/);
    expect(await receiveAll(sqs, allQueueUrl)).toHaveLength(0);
    const pending = await store.pendingDeliveries();
    expect(pending).toHaveLength(1);
    expect(pending[0]?.version).toBe(1);

    const retried = await ingest()(post(body));
    expect(retried.statusCode).toBe(200);
    const answer = JSON.parse(retried.body ?? '{}');
    expect(answer).toEqual({ eventId: pending[0]?.eventId, duplicate: true });
    const messages = await receiveAll(sqs, allQueueUrl);
    expect(messages).toHaveLength(1);
    const envelope = envelopeSchema.parse(JSON.parse(messages[0]?.Body ?? ''));
    expect(envelope.eventId).toBe(pending[0]?.eventId);
    expect(envelope.version).toBe(1);
    expect(await store.pendingDeliveries()).toEqual([]);

    // And once published, a further redelivery publishes nothing.
    const again = await ingest()(post(body));
    expect(JSON.parse(again.body ?? '{}')).toEqual({ eventId: answer.eventId, duplicate: true });
    expect(await receiveAll(sqs, allQueueUrl)).toHaveLength(0);
  });

  it('refuses a lone surrogate in any field with 400 and quarantines it, where the real SNS client could never publish it', async () => {
    const base = JSON.parse(fixture('v2-partial-multi-platform')) as Record<string, unknown> & {
      connectionAssets: Record<string, unknown>[];
    };
    const asset = base.connectionAssets[0] as Record<string, unknown>;
    const variants: [string, Record<string, unknown>][] = [
      ['status', { ...base, status: 'SUCCESS\udc00' }],
      ['accessLevel', { ...base, accessLevel: '\ud800' }],
      ['connectionAssets[0].platform', { ...base, connectionAssets: [{ ...asset, platform: '\udfff' }] }],
      ['connectionAssets[0].type', { ...base, connectionAssets: [{ ...asset, type: 'Page \ud83d' }] }],
      ['requestName', { ...base, requestName: '\udc00' }],
      ['(root)', { ...base, 'key\udc00': true }],
    ];
    for (const [path, payload] of variants) {
      const response = await ingest()(post(JSON.stringify(payload)));
      expect(response.statusCode, path).toBe(400);
      expect(JSON.parse(response.body ?? '{}').details).toEqual([
        { path, message: expect.stringMatching(/not well-formed Unicode/) },
      ]);
    }
    expect(await store.pendingDeliveries()).toEqual([]);
    expect(await store.history(base.user as string, base.requestUrl as string)).toEqual([]);
    const kept = [];
    for await (const entry of store.quarantined()) kept.push(entry);
    expect(kept).toHaveLength(variants.length);
    expect(await receiveAll(sqs, allQueueUrl)).toHaveLength(0);

    // Why it must be refused before storing: the real client cannot send such an attribute at all.
    const good = await ingest()(post(JSON.stringify(base)));
    expect(good.statusCode).toBe(200);
    const [message] = await receiveAll(sqs, allQueueUrl);
    const envelope = envelopeSchema.parse(JSON.parse(message?.Body ?? ''));
    await expect(
      new SnsEventPublisher(sns, topicArn).publish({ ...envelope, status: 'SUCCESS\udc00' }),
    ).rejects.toThrow(URIError);
  });

  it('publishes every well-formed text through the real SNS client, attributes included, exactly as sent', async () => {
    const base = JSON.parse(fixture('v2-partial-multi-platform')) as Record<string, unknown> & {
      connectionAssets: Record<string, unknown>[];
    };
    const texts = [
      '😀 𝄞 𠀀',
      'Ünïcödé ß',
      '中文 日本語 한국어',
      'עברית العربية',
      '\ufffd\u2028\u2029',
      'a\u0000b\u001f',
      '"quoted" \\ / & = + %',
    ];
    for (const [i, text] of texts.entries()) {
      const payload = {
        ...base,
        requestName: `${text} ${i}`,
        status: text,
        accessLevel: text,
        clientName: text,
        connectionAssets: base.connectionAssets.map((asset) => ({
          ...asset,
          type: text,
          platform: text,
          name: text,
        })),
      };
      const body = JSON.stringify(payload);
      const response = await ingest()(post(body));
      expect(response.statusCode, `${JSON.stringify(text)}: ${response.body}`).toBe(200);
      const messages = await receiveAll(sqs, allQueueUrl);
      expect(messages).toHaveLength(1);
      const attributes = messages[0]?.MessageAttributes ?? {};
      expect(attributes.status?.StringValue).toBe(text);
      expect(attributes.accessLevel?.StringValue).toBe(text);
      expect(JSON.parse(attributes.assetTypes?.StringValue ?? '[]')).toEqual([text]);
      expect(JSON.parse(attributes.platforms?.StringValue ?? '[]')).toEqual([text]);
      const envelope = envelopeSchema.parse(JSON.parse(messages[0]?.Body ?? ''));
      expect(envelope.client?.name).toBe(text);
    }
    expect(await store.pendingDeliveries()).toEqual([]);
  });

  it('answers 409 while another request holds the same delivery, then resumes it once the lease runs out', async () => {
    const body = fixture('v1-failed');
    let now = Date.parse('2026-11-26T10:00:00.000Z');
    const clock = () => new Date(now);
    const brokenTopic = topicArn.replace('connection-events', 'no-such-topic');
    // A request that dies after recording: simulate with a publisher that never returns in time.
    const stuck = ingest({
      now: clock,
      publisher: new SnsEventPublisher(sns, brokenTopic),
      store: Object.assign(Object.create(store), { recordPublishFailure: async () => {} }),
    });
    expect((await stuck(post(body))).statusCode).toBe(503);

    const during = await ingest({ now: clock })(post(body));
    expect(during.statusCode).toBe(409);
    expect(JSON.parse(during.body ?? '{}').error).toMatch(/being processed/);

    now += 31_000;
    const after = await ingest({ now: clock })(post(body));
    expect(after.statusCode).toBe(200);
    expect(await receiveAll(sqs, allQueueUrl)).toHaveLength(1);
  });

  it.each([
    ['no token', post(fixture('v1-failed'), {}), 401],
    ['a wrong token', post(fixture('v1-failed'), { token: `${WEBHOOK_TOKEN}x` }), 401],
    ['invalid JSON', post('{"requestUrl": '), 400],
    ['a schema error', post(JSON.stringify({ requestUrl: 'x', connectionAssets: [] })), 400],
    [
      'a text body',
      apiEvent({ body: 'hello', query: { token: WEBHOOK_TOKEN }, headers: { 'content-type': 'text/plain' } }),
      415,
    ],
    ['a body over the limit', post(' '.repeat(256 * 1024 + 1)), 413],
  ])('rejects %s with its status, storing and publishing nothing', async (_name, event, status) => {
    const response = await ingest()(event);
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body ?? '{}').error).toEqual(expect.any(String));
    expect(await receiveAll(sqs, allQueueUrl)).toHaveLength(0);
    expect(await store.pendingDeliveries()).toEqual([]);
  });

  it('serves the latest connections of a user to the read token only', async () => {
    await ingest()(post(fixture('v2-success-google')));
    const connections = withHttpMiddleware(
      makeConnectionsHandler({ store, readToken: new CachedSecret(secrets, readSecretArn, 60_000) }),
      logger,
    );
    const get = (
      headers: Record<string, string>,
      query: Record<string, string> = { user: 'onboarding-5521' },
    ) =>
      connections(
        apiEvent({ method: 'GET', path: '/connections', headers, query }),
        {} as never,
      ) as Promise<HttpResult>;

    const ok = await get({ authorization: `Bearer ${READ_TOKEN}` });
    expect(ok.statusCode).toBe(200);
    const body = JSON.parse(ok.body ?? '{}');
    expect(body.user).toBe('onboarding-5521');
    expect(body.connections).toHaveLength(1);
    expect(body.connections[0]).toMatchObject({
      requestUrl: 'https://app.leadsie.com/request/kestrel-legal',
      clientName: 'Kestrel Legal Partners',
      status: 'SUCCESS',
      version: 1,
    });
    expect(body.connections[0].flat.google_business_profile_id).toBe('locations/99887766');

    expect((await get({ authorization: `Bearer ${WEBHOOK_TOKEN}` })).statusCode).toBe(401);
    expect((await get({})).statusCode).toBe(401);
    expect((await get({ authorization: `Bearer ${READ_TOKEN}` }, { user: '' })).statusCode).toBe(400);
    // Without a user: the recent connections of everyone, this one among them.
    const recent = await get({ authorization: `Bearer ${READ_TOKEN}` }, {});
    expect(recent.statusCode).toBe(200);
    expect(JSON.parse(recent.body ?? '{}').connections).toEqual(body.connections);
  });
});
