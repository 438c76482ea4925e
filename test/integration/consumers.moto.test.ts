/**
 * The consumers end to end on moto: the ingest handler stores and publishes, SNS delivers to each
 * consumer's SQS queue (raw delivery, filter policies), and the Slack notifier and CRM updaters
 * (HubSpot, a signed forwarder) are driven from those queues as Lambda's event source mapping would,
 * with loopback servers standing in for Slack, HubSpot and the forwarder target.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { DynamoDbOrderingGuard } from '../../lambda/adapters/ordering-guard.ts';
import { staticSecret } from '../../lambda/adapters/secrets.ts';
import { SnsEventPublisher, snsMessageAttributes } from '../../lambda/adapters/sns-event-publisher.ts';
import { makeCrmHandler as makeCrmUpdater } from '../../lambda/consumers/crm.ts';
import { WebhookForwarder } from '../../lambda/consumers/forward/send.ts';
import { DEFAULT_HUBSPOT_MAPPING } from '../../lambda/consumers/hubspot/message.ts';
import { HubSpotTarget } from '../../lambda/consumers/hubspot/send.ts';
import { DEFAULT_RETRY_POLICY } from '../../lambda/consumers/runtime/schedule.ts';
import { makeHandler as makeSlackNotifier } from '../../lambda/consumers/slack/handler.ts';
import { SlackWebhook } from '../../lambda/consumers/slack/send.ts';
import { SIGNATURE_HEADER } from '../../lambda/contract.ts';
import { buildEnvelope, envelopeSchema } from '../../lambda/domain/envelope.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';
import { verifySignature } from '../../lambda/domain/signature.ts';
import { silentLogger } from '../support/logger.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import {
  consumerDeps,
  createConnectionsTable,
  createTopic,
  fixtureText as fixture,
  ingestHandler,
  randomEventIds,
  startMotoWithClients,
  subscribeConsumerQueues,
  webhookPost,
} from '../support/pipeline.ts';
import { type ConsumerHandler, drainQueue, takeAll } from '../support/sqs-driver.ts';
import { startTargetServer, type TargetServer } from '../support/target-server.ts';

const TOKEN = 'webhook-token-for-consumer-tests-0123456789';
const SIGNING_SECRET = 'whsec_consumers_0123456789';
const MAX_RECEIVE_COUNT = 3;

interface Consumer {
  name: string;
  queueUrl: string;
  dlqUrl: string;
  handler: ConsumerHandler;
}

describe.skipIf(!motoAvailable())('consumers end to end on moto', () => {
  let moto: MotoServer;
  let dynamo: DynamoDBClient;
  let sns: SNSClient;
  let sqs: SQSClient;
  let store: DynamoDbConnectionStore;
  let topicArn: string;
  let slackServer: TargetServer;
  let hubspotServer: TargetServer;
  let forwardServer: TargetServer;
  let slack: Consumer;
  let hubspot: Consumer;
  let forwarder: Consumer;
  const log = silentLogger();

  /** A consumer's queue and DLQ (redrive after MAX_RECEIVE_COUNT receives), subscribed with raw delivery. */
  const subscribeConsumer = (name: string, filterPolicy?: object) =>
    subscribeConsumerQueues({ sns, sqs }, topicArn, name, {
      maxReceiveCount: MAX_RECEIVE_COUNT,
      filterPolicy,
    });

  const ingest = async (body: string) => {
    const response = await ingestHandler({
      store,
      publisher: new SnsEventPublisher(sns, topicArn),
      webhookToken: staticSecret(TOKEN),
      log,
      newEventId: randomEventIds('01CONSUMERTEST'),
    })(webhookPost(body, { token: TOKEN }));
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body ?? '{}') as { eventId: string; duplicate: boolean };
  };

  const drainAll = () =>
    Promise.all([slack, hubspot, forwarder].map((c) => drainQueue(sqs, c.queueUrl, c.handler)));

  beforeAll(async () => {
    ({ moto, dynamo, sns, sqs } = await startMotoWithClients());
    [slackServer, hubspotServer, forwardServer] = await Promise.all([
      startTargetServer({ status: 200, body: 'ok' }),
      startTargetServer({ status: 200, body: '{"status":"COMPLETE","results":[]}' }),
      startTargetServer({ status: 200, body: '' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([slackServer?.close(), hubspotServer?.close(), forwardServer?.close()]);
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    for (const server of [slackServer, hubspotServer, forwardServer]) server.reset();
    store = await createConnectionsTable(dynamo);
    topicArn = await createTopic(sns);

    const slackQueues = await subscribeConsumer('slack', { isTest: ['false'] });
    slack = {
      name: 'slack',
      ...slackQueues,
      handler: makeSlackNotifier({
        ...consumerDeps(sqs, 'slack', slackQueues, log),
        slack: new SlackWebhook(staticSecret(`${slackServer.url}/services/T0/B0/secret`), 2_000),
      }),
    };
    const hubspotQueues = await subscribeConsumer('hubspot');
    hubspot = {
      name: 'hubspot',
      ...hubspotQueues,
      handler: makeCrmUpdater({
        ...consumerDeps(sqs, 'hubspot', hubspotQueues, log),
        target: new HubSpotTarget({
          token: staticSecret('pat-na1-consumers'),
          baseUrl: hubspotServer.url,
          objectType: 'contacts',
          idProperty: 'leadsie_user_id',
          mapping: DEFAULT_HUBSPOT_MAPPING,
          timeoutMs: 2_000,
        }),
        versions: store,
        ordering: new DynamoDbOrderingGuard(dynamo, 'connections'),
      }),
    };
    const forwardQueues = await subscribeConsumer('forward-zapier');
    forwarder = {
      name: 'forward-zapier',
      ...forwardQueues,
      handler: makeCrmUpdater({
        ...consumerDeps(sqs, 'forward-zapier', forwardQueues, log),
        target: new WebhookForwarder({
          name: 'forward-zapier',
          secret: staticSecret(
            JSON.stringify({ url: `${forwardServer.url}/hooks/catch`, signingSecret: SIGNING_SECRET }),
          ),
          format: 'flat',
          timeoutMs: 2_000,
        }),
        versions: store,
        ordering: new DynamoDbOrderingGuard(dynamo, 'connections'),
      }),
    };
  });

  it('delivers one published envelope exactly once to every consumer', async () => {
    const { eventId } = await ingest(fixture('v2-partial-multi-platform'));
    const results = await drainAll();
    expect(results.map((r) => r.failures)).toEqual([0, 0, 0]);

    expect(slackServer.requests).toHaveLength(1);
    const slackBody = JSON.parse(slackServer.requests[0]?.body ?? '{}');
    expect(slackServer.requests[0]?.path).toBe('/services/T0/B0/secret');
    expect(slackBody.text).toMatch(/Harbor Fitness/);
    expect(Array.isArray(slackBody.blocks)).toBe(true);

    expect(hubspotServer.requests).toHaveLength(1);
    const upsert = hubspotServer.requests[0];
    expect(upsert?.path).toBe('/crm/objects/2026-03/contacts/batch/upsert');
    expect(upsert?.headers.authorization).toBe('Bearer pat-na1-consumers');
    const input = JSON.parse(upsert?.body ?? '{}').inputs[0];
    expect(input).toMatchObject({ idProperty: 'leadsie_user_id', id: 'hubspot-company-99123' });
    expect(input.properties).toMatchObject({
      leadsie_user_id: 'hubspot-company-99123',
      leadsie_status: 'PARTIAL_SUCCESS',
    });

    expect(forwardServer.requests).toHaveLength(1);
    const forwarded = forwardServer.requests[0];
    expect(forwarded?.headers['x-leadsie-event-id']).toBe(eventId);
    expect(
      verifySignature(
        SIGNING_SECRET,
        String(forwarded?.headers[SIGNATURE_HEADER]),
        forwarded?.body ?? '',
        Date.now() / 1000,
      ),
    ).toBe(true);
    expect(JSON.parse(forwarded?.body ?? '{}')).toMatchObject({
      user_id: 'hubspot-company-99123',
      meta_ad_account_id: 'act_7788990011',
    });

    for (const consumer of [slack, hubspot, forwarder])
      expect(await takeAll(sqs, consumer.dlqUrl)).toEqual([]);
  });

  it('honours filter policies: Leadsie test payloads never reach the Slack queue', async () => {
    const testPayload = { ...JSON.parse(fixture('v1-failed')), user: 'test-user-123' };
    await ingest(JSON.stringify(testPayload));
    await drainAll();
    expect(slackServer.requests).toHaveLength(0);
    expect(hubspotServer.requests).toHaveLength(1);
    expect(forwardServer.requests).toHaveLength(1);
  });

  it('does not write events without a user to HubSpot, but forwards them', async () => {
    await ingest(fixture('v1-success-no-user'));
    const [, hubspotResult] = await drainAll();
    expect(hubspotResult?.failures).toBe(0);
    expect(hubspotServer.requests).toHaveLength(0);
    expect(forwardServer.requests).toHaveLength(1);
    expect(await takeAll(sqs, hubspot.dlqUrl)).toEqual([]);
  });

  it('retries a target answering 500 and then lands the message in its DLQ (max receive count)', async () => {
    slackServer.fallback = { status: 500, body: 'rollup_error' };
    try {
      await ingest(fixture('v1-failed'));
      const result = await drainQueue(sqs, slack.queueUrl, slack.handler, { deadlineMs: 30_000 });
      expect(result.failures).toBe(MAX_RECEIVE_COUNT);
      // Each receive tries 1 + 2 times in-process with backoff before handing back to the queue.
      expect(slackServer.requests).toHaveLength(MAX_RECEIVE_COUNT * 3);
      const dead = await takeAll(sqs, slack.dlqUrl);
      expect(dead).toHaveLength(1);
      expect(envelopeSchema.parse(JSON.parse(dead[0]?.Body ?? '')).status).toBe('FAILED');
    } finally {
      slackServer.fallback = { status: 200, body: 'ok' };
    }
  });

  it('sends a permanent 4xx to the DLQ at once, with the reason', async () => {
    slackServer.answer({ status: 404, body: 'channel_not_found' });
    await ingest(fixture('v1-failed'));
    const result = await drainQueue(sqs, slack.queueUrl, slack.handler);
    expect(result).toMatchObject({ records: 1, failures: 0 });
    expect(slackServer.requests).toHaveLength(1);
    const dead = await takeAll(sqs, slack.dlqUrl);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.MessageAttributes?.reason?.StringValue).toBe('Slack answered 404: channel_not_found');
    expect(dead[0]?.MessageAttributes?.consumer?.StringValue).toBe('slack');
    expect(dead[0]?.MessageAttributes?.reason?.StringValue).not.toContain('/services/');
  });

  it('retries a 429 after its Retry-After, through the queue', async () => {
    slackServer.answer({ status: 429, body: 'rate_limited', headers: { 'retry-after': '3' } });
    await ingest(fixture('v1-partial-success'));
    const started = Date.now();
    // In real time, with a 1 s backoff: the engine's delay is then the 3 s Retry-After.
    const realTime = makeSlackNotifier({
      ...consumerDeps(sqs, 'slack', slack, log),
      timeScale: 1,
      policy: { ...DEFAULT_RETRY_POLICY, baseSeconds: 1, minDelaySeconds: 1 },
      slack: new SlackWebhook(staticSecret(`${slackServer.url}/services/T0/B0/secret`), 2_000),
    });
    const result = await drainQueue(sqs, slack.queueUrl, realTime, { deadlineMs: 20_000 });
    expect(result).toMatchObject({ records: 2, failures: 1 });
    expect(slackServer.requests).toHaveLength(2);
    // The second attempt came only once the message was visible again (3 s), not after the 1 s timeout.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
    expect(await takeAll(sqs, slack.dlqUrl)).toEqual([]);
  });

  it('never lets one failing record block the rest of its batch', async () => {
    hubspotServer.respondWith((request) =>
      request.body.includes('lead-7731')
        ? {
            status: 400,
            body: JSON.stringify({
              status: 'error',
              message: 'Property values were not valid',
              category: 'VALIDATION_ERROR',
            }),
          }
        : { status: 200, body: '{"status":"COMPLETE","results":[]}' },
    );
    await ingest(fixture('v1-failed'));
    await ingest(fixture('v1-partial-success'));
    await ingest(fixture('v2-success-google'));
    const result = await drainQueue(sqs, hubspot.queueUrl, hubspot.handler);
    expect(result.failures).toBe(0);
    const users = hubspotServer.requests.map((r) => JSON.parse(r.body).inputs[0].id).sort();
    expect(users).toEqual(['crm-contact-48213', 'lead-7731', 'onboarding-5521']);
    const dead = await takeAll(sqs, hubspot.dlqUrl);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.MessageAttributes?.reason?.StringValue).toMatch(
      /VALIDATION_ERROR: Property values were not valid/,
    );
  });

  it('never overwrites the CRM with a stale event that arrives after a newer one', async () => {
    const older = JSON.parse(fixture('v1-partial-success'));
    const newer = { ...older, status: 'SUCCESS', connectionAssets: older.connectionAssets.slice(0, 1) };
    await ingest(JSON.stringify(older));
    await drainQueue(sqs, hubspot.queueUrl, hubspot.handler);
    await ingest(JSON.stringify(newer));
    await drainQueue(sqs, hubspot.queueUrl, hubspot.handler);
    expect(hubspotServer.requests.map((r) => JSON.parse(r.body).inputs[0].properties.leadsie_status)).toEqual(
      ['PARTIAL_SUCCESS', 'SUCCESS'],
    );

    // The older event arrives again (a delayed SNS delivery, or a replay): version 1 < latest 2.
    const first = (await store.history(older.user, older.requestUrl)).find(
      (d) => d.status === 'PARTIAL_SUCCESS',
    );
    const parsed = parsePayload(older);
    if (!first || !parsed.ok) throw new Error('the first delivery should be stored');
    const stale = buildEnvelope({ ...first, payload: parsed.payload, version: 1 });
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: JSON.stringify(stale),
        MessageAttributes: snsMessageAttributes(stale),
      }),
    );
    const result = await drainQueue(sqs, hubspot.queueUrl, hubspot.handler);
    expect(result).toMatchObject({ records: 1, failures: 0 });
    expect(hubspotServer.requests).toHaveLength(2);
  });

  it('dead-letters a poison message (not a connection event) at once', async () => {
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: '{"hello":"world"}' }));
    const result = await drainQueue(sqs, forwarder.queueUrl, forwarder.handler);
    expect(result).toMatchObject({ records: 1, failures: 0 });
    expect(forwardServer.requests).toHaveLength(0);
    const dead = await takeAll(sqs, forwarder.dlqUrl);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.MessageAttributes?.reason?.StringValue).toMatch(/not a connection event/);
  });
});
