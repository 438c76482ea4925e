/**
 * Faults, with the real AWS SDK against moto and loopback servers standing in for the targets:
 *
 * - DynamoDB unreachable, its table gone, or throttled (briefly, for good, half-way through a
 *   delivery): the webhook answers 503 with Retry-After (Leadsie retries), nothing is published,
 *   and what was stored is completed by the retry or the reconciler;
 * - SNS killed mid-run (the topic deleted after some publishes of a batch): the rest answer 503,
 *   and once the topic is back the reconciler publishes every stored delivery exactly once;
 * - a consumer's target answering 500, 429 or hanging, and poison messages: retried through the
 *   queue, delivered, or moved to the dead-letter queue — never acknowledged and lost.
 */
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteTopicCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { DynamoDbOrderingGuard } from '../../lambda/adapters/ordering-guard.ts';
import { staticSecret } from '../../lambda/adapters/secrets.ts';
import { SnsEventPublisher } from '../../lambda/adapters/sns-event-publisher.ts';
import { makeCrmHandler as makeCrmUpdater } from '../../lambda/consumers/crm.ts';
import { WebhookForwarder } from '../../lambda/consumers/forward/send.ts';
import { DEFAULT_HUBSPOT_MAPPING } from '../../lambda/consumers/hubspot/message.ts';
import { HubSpotTarget } from '../../lambda/consumers/hubspot/send.ts';
import { makeHandler as makeSlackNotifier } from '../../lambda/consumers/slack/handler.ts';
import { SlackWebhook } from '../../lambda/consumers/slack/send.ts';
import type { ConnectionEvent } from '../../lambda/domain/envelope.ts';
import { envelopeSchema } from '../../lambda/domain/envelope.ts';
import { makeHandler as makeReconciler } from '../../lambda/handlers/reconciler.ts';
import type { HttpResult } from '../../lambda/shared/http.ts';
import type { EventPublisher, StoredDelivery } from '../../lambda/use-cases/ports.ts';
import { throttleDynamoDb, unreachableEndpoint } from '../support/abuse-aws.ts';
import { runPool, tally } from '../support/abuse-http.ts';
import { silentLogger } from '../support/logger.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import {
  consumerDeps,
  createConnectionsTable,
  createTopic,
  fixtureText as fixture,
  type IngestSetup,
  ingestHandler,
  sequentialEventIds,
  startMotoWithClients,
  subscribeConsumerQueues,
  subscribedQueue,
  subscribeRaw,
  TEST_RETRY,
  webhookPost,
} from '../support/pipeline.ts';
import { type ConsumerHandler, drainQueue, takeAll } from '../support/sqs-driver.ts';
import { startTargetServer, type TargetServer } from '../support/target-server.ts';

const V1 = JSON.parse(fixture('v1-partial-success')) as Record<string, unknown>;
/** The i-th of a batch of distinct deliveries (own user and request each). */
const distinct = (i: number): string =>
  JSON.stringify({
    ...V1,
    user: `fault-user-${i}`,
    requestUrl: `https://app.leadsie.com/request/fault-${i}`,
  });

const TOKEN = 'faults-webhook-token-0123456789abcdef';
const LEASE_MS = 30_000;
const MAX_RECEIVE_COUNT = 2;
const SIGNING_SECRET = 'whsec_faults_0123456789abcdef';
const HUBSPOT_OK = { status: 200, body: '{"status":"COMPLETE","results":[]}' };

/** Counts across the file, printed at the end. */
const seen = {
  ingest: [] as number[],
  delivered: 0,
  deadLettered: 0,
  scenarios: 0,
};

describe.skipIf(!motoAvailable())('faults (moto)', () => {
  let moto: MotoServer;
  let config: { endpoint: string; region: string };
  let dynamo: DynamoDBClient;
  let sns: SNSClient;
  let sqs: SQSClient;
  let store: DynamoDbConnectionStore;
  let topicArn: string;
  let allQueueUrl: string;
  const newEventId = sequentialEventIds('01FAULT', 12);
  const log = silentLogger();

  const createTable = () => createConnectionsTable(dynamo);
  /** Subscribes a queue to the topic (raw delivery), as the stack does. */
  const subscribe = (queueUrl: string) => subscribeRaw({ sns, sqs }, topicArn, queueUrl);

  /** The ingest function as Lambda runs it (middleware included), with moto behind it by default. */
  const ingest = async (body: string, overrides: Partial<IngestSetup> = {}): Promise<HttpResult> => {
    const result = await ingestHandler({
      store,
      publisher: new SnsEventPublisher(sns, topicArn),
      webhookToken: staticSecret(TOKEN),
      log,
      newEventId,
      leaseMs: LEASE_MS,
      ...overrides,
    })(webhookPost(body, { token: TOKEN }));
    seen.ingest.push(result.statusCode ?? 0);
    return result;
  };

  const reconcile = (now: () => Date = () => new Date()) =>
    makeReconciler({
      store,
      pending: store,
      quarantine: store,
      publisher: new SnsEventPublisher(sns, topicArn),
      log,
      now,
      leaseMs: LEASE_MS,
      limit: 100,
      retry: TEST_RETRY,
    })();

  const json = (result: HttpResult) => JSON.parse(result.body ?? '{}') as Record<string, unknown>;
  const envelopes = (messages: Message[]): ConnectionEvent[] =>
    messages.map((m) => envelopeSchema.parse(JSON.parse(m.Body ?? '')));
  const storedDeliveries = async (): Promise<StoredDelivery[]> => {
    const out: StoredDelivery[] = [];
    for await (const d of store.deliveriesBetween(
      new Date(Date.now() - 86_400_000),
      new Date(Date.now() + 60_000),
    ))
      out.push(d);
    return out;
  };

  /** A 503 that tells Leadsie to come back: Retry-After and a JSON error naming the dependency. */
  const expectRetryLater = (result: HttpResult, error: RegExp) => {
    expect(result.statusCode, result.body).toBe(503);
    expect(result.headers?.['retry-after']).toBe('5');
    expect(json(result).error).toMatch(error);
  };

  beforeAll(async () => {
    ({ moto, config, dynamo, sns, sqs } = await startMotoWithClients());
  });

  afterAll(async () => {
    await moto?.stop();
    const statuses = tally(seen.ingest);
    console.log(
      `faults: ${seen.scenarios} scenarios; ingest answers ${Object.entries(statuses)
        .map(([status, n]) => `${status}×${n}`)
        .join(', ')} (${seen.ingest.filter((s) => s === 500).length} answered 500); consumers: ` +
        `${seen.delivered} delivered, ${seen.deadLettered} dead-lettered, none lost (each asserted)`,
    );
  });

  beforeEach(async () => {
    await moto.reset();
    store = await createTable();
    topicArn = await createTopic(sns);
    allQueueUrl = await subscribedQueue({ sns, sqs }, topicArn, 'all-events');
    seen.scenarios++;
  });

  describe('DynamoDB', () => {
    it('unreachable: 503 with Retry-After, nothing published', async () => {
      const down = new DynamoDBClient({ ...config, endpoint: await unreachableEndpoint() });
      try {
        const result = await ingest(fixture('v1-failed'), {
          store: new DynamoDbConnectionStore(down, 'connections'),
        });
        expectRetryLater(result, /^The connection store is unavailable; retry later$/);
      } finally {
        down.destroy();
      }
      expect(await takeAll(sqs, allQueueUrl)).toEqual([]);
      expect(await storedDeliveries()).toEqual([]);
    });

    it('its table gone: 503, nothing published; once it is back, the retry is stored and published once', async () => {
      await dynamo.send(new DeleteTableCommand({ TableName: 'connections' }));
      const body = fixture('v2-success-google');
      expectRetryLater(await ingest(body), /connection store is unavailable/);
      expect(await takeAll(sqs, allQueueUrl)).toEqual([]);

      await createTable();
      const retried = await ingest(body);
      expect(retried.statusCode).toBe(200);
      expect(json(retried)).toEqual({ eventId: expect.any(String), duplicate: false });
      expect(envelopes(await takeAll(sqs, allQueueUrl)).map((e) => e.eventId)).toEqual([
        json(retried).eventId,
      ]);
    });

    it("throttled briefly: the SDK's own retries absorb it; 200, published once", async () => {
      const client = new DynamoDBClient(config);
      const throttle = throttleDynamoDb(client);
      throttle.next(2);
      const result = await ingest(fixture('v1-partial-success'), {
        store: new DynamoDbConnectionStore(client, 'connections'),
      });
      expect(result.statusCode, result.body).toBe(200);
      expect(throttle.total).toBe(2);
      expect(envelopes(await takeAll(sqs, allQueueUrl)).map((e) => e.eventId)).toEqual([
        json(result).eventId,
      ]);
      client.destroy();
    });

    it('throttled past the retries: 503, nothing stored or published; the retry then stores and publishes once', async () => {
      const client = new DynamoDBClient(config);
      const throttle = throttleDynamoDb(client);
      const throttledStore = new DynamoDbConnectionStore(client, 'connections');
      const body = fixture('v1-failed');
      throttle.always();
      expectRetryLater(await ingest(body, { store: throttledStore }), /connection store is unavailable/);
      // Every attempt the SDK made (its default for DynamoDB) was throttled; then it gave up.
      expect(throttle.thrown).toEqual({ PutItem: await client.config.maxAttempts() });
      expect(throttle.total).toBeGreaterThan(1);
      expect(await takeAll(sqs, allQueueUrl)).toEqual([]);
      expect(await storedDeliveries()).toEqual([]);

      throttle.heal();
      const retried = await ingest(body, { store: throttledStore });
      expect(json(retried)).toEqual({ eventId: expect.any(String), duplicate: false });
      expect(envelopes(await takeAll(sqs, allQueueUrl)).map((e) => e.eventId)).toEqual([
        json(retried).eventId,
      ]);
      client.destroy();
    });

    it('throttled half-way (recorded, then every update throttled): 503; redeliveries wait (409) out the lease; the reconciler publishes it once', async () => {
      // Two attempts per call instead of the SDK's default: the state left behind is the point here,
      // not the SDK's backoff (which the tests above wait through).
      const client = new DynamoDBClient({ ...config, maxAttempts: 2 });
      const throttle = throttleDynamoDb(client, ['UpdateItem']);
      const throttledStore = new DynamoDbConnectionStore(client, 'connections');
      const body = fixture('v2-partial-multi-platform');
      const startedAt = Date.now();
      throttle.always();
      expectRetryLater(await ingest(body, { store: throttledStore }), /connection store is unavailable/);
      expect(throttle.thrown).toEqual({ UpdateItem: 4 }); // advanceLatest, then releaseLease: 2 attempts each
      expect(await takeAll(sqs, allQueueUrl)).toEqual([]);
      const [pending] = await store.pendingDeliveries(10);
      expect(pending?.version).toBeNull();

      // The lease could not be released (that is an update too): a redelivery now is told to wait.
      const early = await ingest(body, { store: throttledStore });
      expect(early.statusCode).toBe(409);
      expect(early.headers?.['retry-after']).toBe('5');
      throttle.heal();

      // The reconciler, once the lease has run out, completes it with the eventId it was stored under.
      const later = () => new Date(startedAt + LEASE_MS + 1_000);
      expect(await reconcile(later)).toMatchObject({ found: 1, published: 1, failed: 0, backlog: 0 });
      const published = envelopes(await takeAll(sqs, allQueueUrl));
      expect(published.map((e) => [e.eventId, e.version])).toEqual([[pending?.eventId, 1]]);
      // And Leadsie's next retry is a plain duplicate of it, published no more.
      const retried = await ingest(body);
      expect(json(retried)).toEqual({ eventId: pending?.eventId, duplicate: true });
      expect(await takeAll(sqs, allQueueUrl)).toEqual([]);
      client.destroy();
    });
  });

  describe('SNS', () => {
    it('killed mid-run: the rest answer 503; with the topic back, the reconciler publishes every stored delivery exactly once', async () => {
      const WEBHOOKS = 40;
      const KILL_AFTER = 12;
      let publishes = 0;
      let killed = false;
      // Publishes through the real topic; right after the 12th, the topic is deleted ("SNS dies")
      // while the other requests of the batch are still in flight.
      const killing: EventPublisher = {
        publish: async (event) => {
          await new SnsEventPublisher(sns, topicArn).publish(event);
          if (++publishes === KILL_AFTER) {
            await sns.send(new DeleteTopicCommand({ TopicArn: topicArn }));
            killed = true;
          }
        },
      };
      const bodies = Array.from({ length: WEBHOOKS }, (_, i) => distinct(i));
      const answers = await runPool(bodies, 4, (body) => ingest(body, { publisher: killing }));
      expect(killed).toBe(true);

      const statuses = tally(answers.map((a) => a.statusCode ?? 0));
      expect(Object.keys(statuses).sort(), JSON.stringify(statuses)).toEqual(['200', '503']);
      for (const answer of answers.filter((a) => a.statusCode === 503)) {
        expectRetryLater(answer, /stored but could not be published/);
      }
      const acknowledged = answers.filter((a) => a.statusCode === 200).map((a) => String(json(a).eventId));
      expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
      const before = envelopes(await takeAll(sqs, allQueueUrl));
      expect(before.map((e) => e.eventId).sort()).toEqual([...acknowledged].sort());

      // Every request was stored (DynamoDB was fine); the ones answered 503 are pending.
      const stored = await storedDeliveries();
      expect(stored).toHaveLength(WEBHOOKS);
      const pending = await store.pendingDeliveries(100);
      expect(pending).toHaveLength(statuses['503'] ?? 0);

      // SNS comes back: the same topic (same ARN), subscribed again if the deletion took the
      // subscription with it.
      expect(await createTopic(sns)).toBe(topicArn);
      const subscriptions = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
      if ((subscriptions.Subscriptions ?? []).length === 0) await subscribe(allQueueUrl);

      const summary = await reconcile();
      expect(summary).toEqual({
        found: pending.length,
        published: pending.length,
        inFlight: 0,
        failed: 0,
        quarantinedNow: 0,
        backlog: 0,
        quarantined: 0,
      });
      expect(await store.pendingDeliveries(100)).toEqual([]);
      const after = envelopes(await takeAll(sqs, allQueueUrl));
      expect(after.map((e) => e.eventId).sort()).toEqual(pending.map((d) => d.eventId).sort());

      // Across the run: every stored delivery reached the topic exactly once, the acknowledged ones included.
      const all = [...before, ...after].map((e) => e.eventId);
      expect(new Set(all).size).toBe(all.length);
      expect(all.sort()).toEqual(stored.map((d) => d.eventId).sort());
      expect(all).toEqual(expect.arrayContaining(acknowledged));

      // Leadsie retries what answered 503: plain duplicates now, nothing published again.
      const failedBodies = bodies.filter((_, i) => answers[i]?.statusCode === 503);
      const retried = await runPool(failedBodies, 4, (body) => ingest(body));
      expect(retried.map((r) => [r.statusCode, json(r).duplicate])).toEqual(
        failedBodies.map(() => [200, true]),
      );
      expect(retried.map((r) => String(json(r).eventId)).sort()).toEqual(
        pending.map((d) => d.eventId).sort(),
      );
      expect(await takeAll(sqs, allQueueUrl)).toEqual([]);
      console.log(
        `faults: SNS killed after ${KILL_AFTER} publishes: ${WEBHOOKS} webhooks, ${statuses['200']} answered 200, ` +
          `${statuses['503']} answered 503; reconciler published ${summary.published}; ${stored.length} stored, ` +
          `${all.length} on the queue, each once`,
      );
    });
  });

  describe('consumers', () => {
    let target: TargetServer;

    beforeAll(async () => {
      target = await startTargetServer(HUBSPOT_OK);
    });
    afterAll(() => target?.close());
    beforeEach(() => {
      target.reset();
      target.fallback = HUBSPOT_OK;
    });

    /** A consumer's queue and dead-letter queue (moved after MAX_RECEIVE_COUNT receives), subscribed raw. */
    const consumerQueues = async (name: string) => {
      const queues = await subscribeConsumerQueues({ sns, sqs }, topicArn, name, {
        maxReceiveCount: MAX_RECEIVE_COUNT,
      });
      return { ...queues, queue: consumerDeps(sqs, name, queues, log) };
    };

    const slackConsumer = async (timeoutMs = 1_000) => {
      const queues = await consumerQueues('slack');
      const handler: ConsumerHandler = makeSlackNotifier({
        ...queues.queue,
        slack: new SlackWebhook(staticSecret(`${target.url}/services/T0/B0/x`), timeoutMs),
      });
      return { ...queues, handler };
    };
    const hubspotConsumer = async () => {
      const queues = await consumerQueues('hubspot');
      const handler: ConsumerHandler = makeCrmUpdater({
        ...queues.queue,
        target: new HubSpotTarget({
          token: staticSecret('pat-na1-faults'),
          baseUrl: target.url,
          objectType: 'contacts',
          idProperty: 'leadsie_user_id',
          mapping: DEFAULT_HUBSPOT_MAPPING,
          timeoutMs: 1_000,
        }),
        versions: store,
        ordering: new DynamoDbOrderingGuard(dynamo, 'connections'),
      });
      return { ...queues, handler };
    };
    const forwardConsumer = async (timeoutMs: number) => {
      const queues = await consumerQueues('forward-faults');
      const handler: ConsumerHandler = makeCrmUpdater({
        ...queues.queue,
        target: new WebhookForwarder({
          name: 'forward-faults',
          secret: staticSecret(JSON.stringify({ url: `${target.url}/hook`, signingSecret: SIGNING_SECRET })),
          format: 'flat',
          timeoutMs,
        }),
        versions: store,
        ordering: new DynamoDbOrderingGuard(dynamo, 'connections'),
      });
      return { ...queues, handler };
    };

    const ingested = async (body: string): Promise<string> => {
      const result = await ingest(body);
      expect(result.statusCode, result.body).toBe(200);
      return String(json(result).eventId);
    };
    const deadEventIds = async (dlqUrl: string) =>
      (await takeAll(sqs, dlqUrl)).map((m) => {
        let eventId: unknown;
        try {
          eventId = (JSON.parse(m.Body ?? '') as { eventId?: unknown }).eventId;
        } catch {
          eventId = undefined; // a poison message need not be JSON
        }
        return { eventId, body: m.Body, reason: m.MessageAttributes?.reason?.StringValue ?? '' };
      });

    it('a target answering 500: retried in the function and through the queue, then dead-lettered (not lost)', async () => {
      target.fallback = { status: 500, body: 'internal_error' };
      const slack = await slackConsumer();
      const eventId = await ingested(fixture('v1-failed'));
      const result = await drainQueue(sqs, slack.queueUrl, slack.handler, { deadlineMs: 30_000 });
      expect(result).toMatchObject({ records: MAX_RECEIVE_COUNT, failures: MAX_RECEIVE_COUNT });
      // Each receive: the first try and 2 in-function retries.
      expect(target.requests).toHaveLength(MAX_RECEIVE_COUNT * 3);
      expect((await deadEventIds(slack.dlqUrl)).map((d) => d.eventId)).toEqual([eventId]);
      seen.deadLettered++;
    });

    it('a target answering 429 with a short Retry-After: waited for, then delivered once', async () => {
      target.answer({ status: 429, body: 'rate limited', headers: { 'retry-after': '1' } });
      const hubspot = await hubspotConsumer();
      await ingested(fixture('v1-partial-success'));
      const started = Date.now();
      const result = await drainQueue(sqs, hubspot.queueUrl, hubspot.handler);
      expect(result).toMatchObject({ records: 1, failures: 0 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      // The same upsert twice: refused with 429, then accepted.
      expect(target.requests.map((r) => JSON.parse(r.body).inputs[0].id)).toEqual([
        'crm-contact-48213',
        'crm-contact-48213',
      ]);
      expect(await deadEventIds(hubspot.dlqUrl)).toEqual([]);
      seen.delivered++;
    });

    it('a target that hangs: timed out, retried through the queue, delivered once', async () => {
      target.answer({ hang: true });
      target.fallback = { status: 200, body: '' };
      const forward = await forwardConsumer(300);
      const eventId = await ingested(fixture('v2-success-google'));
      const result = await drainQueue(sqs, forward.queueUrl, forward.handler, { deadlineMs: 15_000 });
      // The timeout is not retried in the function (it would hold it); the queue brings it back.
      expect(result).toMatchObject({ records: 2, failures: 1 });
      expect(target.requests.map((r) => r.headers['x-leadsie-event-id'])).toEqual([eventId, eventId]);
      expect(await deadEventIds(forward.dlqUrl)).toEqual([]);
      seen.delivered++;
    });

    it('a target that never answers: timed out on every receive, then dead-lettered (not lost)', async () => {
      target.fallback = { hang: true };
      const forward = await forwardConsumer(200);
      const eventId = await ingested(fixture('v1-failed'));
      const result = await drainQueue(sqs, forward.queueUrl, forward.handler, { deadlineMs: 15_000 });
      expect(result).toMatchObject({ records: MAX_RECEIVE_COUNT, failures: MAX_RECEIVE_COUNT });
      expect(target.requests).toHaveLength(MAX_RECEIVE_COUNT);
      expect((await deadEventIds(forward.dlqUrl)).map((d) => d.eventId)).toEqual([eventId]);
      seen.deadLettered++;
    });

    it('poison messages: dead-lettered at once with the reason; the real event in the same batch is delivered', async () => {
      target.fallback = { status: 200, body: 'ok' };
      const slack = await slackConsumer();
      for (const message of ['not json at all', '{"hello":"world"}', '{"schemaVersion":1,"eventId":42}']) {
        await sns.send(new PublishCommand({ TopicArn: topicArn, Message: message }));
      }
      const eventId = await ingested(fixture('v1-partial-success'));
      const result = await drainQueue(sqs, slack.queueUrl, slack.handler);
      expect(result).toMatchObject({ records: 4, failures: 0 });
      expect(target.requests).toHaveLength(1);
      const dead = await deadEventIds(slack.dlqUrl);
      // Each poison message is kept whole in the dead-letter queue, for a human to look at.
      expect(dead.map((d) => d.body).sort()).toEqual(
        ['not json at all', '{"hello":"world"}', '{"schemaVersion":1,"eventId":42}'].sort(),
      );
      expect(dead.map((d) => d.reason).sort()).toEqual([
        'the message is not JSON',
        expect.stringMatching(/^the message is not a connection event \(/),
        expect.stringMatching(/^the message is not a connection event \(/),
      ]);
      expect(dead.map((d) => d.eventId)).not.toContain(eventId);
      expect(await takeAll(sqs, slack.queueUrl)).toEqual([]);
      seen.deadLettered += dead.length;
      seen.delivered++;
    });
  });
});
