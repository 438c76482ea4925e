/**
 * The console's data access against a "deployed" stack on moto: the target found as the CLI finds it
 * (DescribeStacks outputs, the SDK's default chain pointed at moto by AWS_ENDPOINT_URL), the real
 * SDK on the real table, topic, queues and subscriptions, the engine delivering to a loopback target,
 * and the alarm states read with cloudwatch:DescribeAlarms. The pages are loaded over HTTP from the
 * console server on top of it, and its actions (replay to one consumer, redrive, quarantine retry)
 * are posted as the browser posts them.
 */

import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTarget } from '../../cli/target.ts';
import { CloudWatchAlarms } from '../../console/alarms.ts';
import { ConsoleData } from '../../console/data.ts';
import { type ConsoleServer, startConsole } from '../../console/server.ts';
import type { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { classifyResponse, post } from '../../lambda/adapters/http-target.ts';
import { CachedSecret } from '../../lambda/adapters/secrets.ts';
import { SnsEventPublisher } from '../../lambda/adapters/sns-event-publisher.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../lambda/adapters/sqs-queues.ts';
import { DynamoDbOutcomeLedger } from '../../lambda/consumers/runtime/dynamodb-outcomes.ts';
import { makeDeliveryEngine } from '../../lambda/consumers/runtime/engine.ts';
import { createFakeStack, type ServedHandler, serveHandler } from '../support/fake-deployment.ts';
import { silentLogger } from '../support/logger.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import {
  createConnectionsTable,
  createTopic,
  fixtureJson,
  type HttpHandler,
  ingestHandler,
  type MotoClients,
  startMotoWithClients,
  subscribeConsumerQueues,
  webhookPost,
} from '../support/pipeline.ts';
import { drainQueue } from '../support/sqs-driver.ts';
import { startTargetServer, type TargetServer } from '../support/target-server.ts';

const STACK = 'ConsoleOnMoto';
const TABLE_NAME = 'console-connections';
const WEBHOOK_TOKEN = 'console-webhook-token-0123456789abcdefghij';

describe.skipIf(!motoAvailable())('console data access against a stack on moto', () => {
  let moto: MotoServer;
  let aws: MotoClients;
  let target: TargetServer;
  let ingest: HttpHandler;
  let served: ServedHandler;
  let store: DynamoDbConnectionStore;
  let data: ConsoleData;
  let server: ConsoleServer;
  let cookie = '';
  const drains: Record<string, () => Promise<unknown>> = {};
  const ids: Record<string, string> = {};
  const startedAt = new Date(Date.now() - 60_000);
  const range = () => ({ since: startedAt.toISOString(), until: new Date().toISOString() });

  const drainAll = async () => {
    for (const drain of Object.values(drains)) await drain();
  };
  const deliver = async (payload: Record<string, unknown>): Promise<string> => {
    const response = await ingest(webhookPost(JSON.stringify(payload), { token: WEBHOOK_TOKEN }));
    expect(response.statusCode).toBe(200);
    await drainAll();
    return JSON.parse(response.body ?? '{}').eventId as string;
  };
  const sentTo = (consumer: string, eventId: string) =>
    target.requests.filter((r) => {
      const body = JSON.parse(r.body) as { consumer: string; eventId: string };
      return body.consumer === consumer && body.eventId === eventId;
    }).length;
  const page = async (path: string) => {
    const response = await fetch(`${server.origin}${path}`, { headers: { cookie } });
    return { status: response.status, text: await response.text() };
  };
  const act = async (path: string, form: Record<string, string>) => {
    const response = await fetch(`${server.origin}${path}`, {
      method: 'POST',
      headers: { cookie, origin: server.origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    const location = response.headers.get('location') ?? '';
    const landed = await page(location);
    return /<p class="notice (ok|error)" role="status">([^<]*)<\/p>/.exec(landed.text)?.slice(1) ?? [];
  };

  beforeAll(async () => {
    aws = await startMotoWithClients();
    moto = (aws as MotoClients & { moto: MotoServer }).moto;
    target = await startTargetServer();
    target.respondWith((request) =>
      JSON.parse(request.body).consumer === 'slack' && request.body.includes('"FAILED"')
        ? { status: 404, body: 'channel_not_found' }
        : { status: 200 },
    );
    store = await createConnectionsTable(aws.dynamo, TABLE_NAME);
    const ledger = new DynamoDbOutcomeLedger(aws.dynamo, { tableName: TABLE_NAME });
    const topicArn = await createTopic(aws.sns, 'console-events');
    const secrets = new SecretsManagerClient(aws.config);
    const secretArn =
      (await secrets.send(new CreateSecretCommand({ Name: 'console-webhook', SecretString: WEBHOOK_TOKEN })))
        .ARN ?? '';
    ingest = ingestHandler({
      store,
      publisher: new SnsEventPublisher(aws.sns, topicArn),
      webhookToken: new CachedSecret(secrets, secretArn, 60_000),
      log: silentLogger(),
      newEventId: () => ulid(),
    });
    served = await serveHandler(ingest);
    const outputs: Record<string, string> = {
      WebhookUrl: `${served.baseUrl}/leadsie/webhook`,
      ConnectionEventsTopicArn: topicArn,
      TableName: TABLE_NAME,
      WebhookTokenSecretArn: secretArn,
      ReadTokenSecretArn: secretArn,
    };
    for (const [name, pascal, filterPolicy] of [
      ['slack', 'Slack', undefined],
      ['forward-zapier', 'ForwardZapier', { status: ['FAILED'] }],
    ] as const) {
      const queues = await subscribeConsumerQueues(aws, topicArn, name, {
        maxReceiveCount: 100,
        filterPolicy,
      });
      const handler = makeDeliveryEngine(
        {
          name,
          deadLetters: new SqsDeadLetterQueue(aws.sqs, queues.dlqUrl),
          delayer: new SqsMessageDelayer(aws.sqs, queues.queueUrl),
          log: silentLogger(),
          outcomes: ledger,
        },
        async (event) => {
          const response = await post({
            target: 'the target',
            url: `${target.url}/hook`,
            body: JSON.stringify({ consumer: name, eventId: event.eventId, status: event.status }),
            timeoutMs: 2_000,
          });
          classifyResponse('the target', response);
          return `posted ${response.status}`;
        },
      );
      drains[name] = () => drainQueue(aws.sqs, queues.queueUrl, handler);
      outputs[`${pascal}DeadLetterQueueUrl`] = queues.dlqUrl;
    }
    await createFakeStack(new CloudFormationClient(aws.config), STACK, outputs);

    // One alarm of the stack in ALARM, one of another stack that the page must not show.
    const cloudWatch = new CloudWatchClient(aws.config);
    for (const name of [`${STACK}-quarantined`, 'SomeOtherStack-backlog']) {
      await cloudWatch.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          MetricName: 'QuarantinedRequests',
          Namespace: 'LeadsieWebhooks',
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        }),
      );
    }
    await cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: `${STACK}-quarantined`,
        StateValue: 'ALARM',
        StateReason: 'Threshold crossed: 1 datapoint [2.0] >= 1.0',
      }),
    );

    // The target as `npm run console -- --stack ConsoleOnMoto` builds it.
    const deployed = await connectTarget({ kind: 'deployed', stackName: STACK, region: undefined });
    if (deployed.kind !== 'deployed') throw new Error('expected a deployed target');
    data = new ConsoleData(deployed, {
      alarms: new CloudWatchAlarms(deployed.clients.cloudWatch),
    });
    server = await startConsole({ data, port: 0 });
    const first = await fetch(server.url, { redirect: 'manual' });
    cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

    ids.failed = await deliver(fixtureJson('v1-failed'));
    ids.partial = await deliver(fixtureJson('v1-partial-success'));
    ids.harbor = await deliver(fixtureJson('v2-partial-multi-platform'));
  });

  afterAll(async () => {
    await server?.close();
    await served?.close();
    await target?.close();
    await moto?.stop();
  });

  it('lists events newest first through the time index, filtered and paged', async () => {
    const all = await data.events({ ...range(), filter: {}, limit: 50 });
    expect(all.events.map((e) => e.eventId)).toEqual([ids.harbor, ids.partial, ids.failed]);
    expect(all.next).toBeNull();
    expect(all.events[0]).toMatchObject({
      clientName: 'Harbor Fitness LLC',
      isTest: false,
      status: 'PARTIAL_SUCCESS',
      platforms: expect.arrayContaining(['Google', 'Meta']),
    });

    const ofFilter = async (filter: object) =>
      (await data.events({ ...range(), filter, limit: 50 })).events.map((e) => e.eventId);
    expect(await ofFilter({ statuses: ['FAILED'] })).toEqual([ids.failed]);
    expect(await ofFilter({ statuses: ['FAILED', 'PARTIAL_SUCCESS'] })).toHaveLength(3);
    expect(await ofFilter({ platform: 'Google' })).toEqual([ids.harbor]);
    expect(await ofFilter({ assetType: 'Google Ads Account' })).toEqual([ids.harbor]);
    expect(await ofFilter({ text: 'Harbor' })).toEqual([ids.harbor]);
    expect(await ofFilter({ isTest: true })).toEqual([]);
    expect(await ofFilter({ isTest: false })).toHaveLength(3);
    const user = all.events.find((e) => e.eventId === ids.failed)?.user ?? '';
    expect(await ofFilter({ user })).toEqual([ids.failed]);

    const first = await data.events({ ...range(), filter: {}, limit: 2 });
    expect(first.events.map((e) => e.eventId)).toEqual([ids.harbor, ids.partial]);
    const second = await data.events({ ...range(), filter: {}, limit: 2, cursor: first.next ?? '' });
    expect(second.events.map((e) => e.eventId)).toEqual([ids.failed]);
    expect(second.next).toBeNull();
  });

  it('pages across month buckets of the index, newest first, a filter applied in each', async () => {
    const stored = [
      ['2025-10-30T10:00:00.000Z', 'FAILED', true],
      ['2025-11-02T10:00:00.000Z', 'SUCCESS', false],
      ['2025-12-01T00:00:00.000Z', 'FAILED', false],
      ['2025-12-20T10:00:00.000Z', 'FAILED', false],
    ] as const;
    for (const [at, status, isTest] of stored) {
      await store.createDelivery({
        fingerprint: `fp-${at}`,
        eventId: `old-${at.slice(0, 10)}`,
        receivedAt: at,
        user: 'old-user',
        requestUrl: `https://app.leadsie.com/request/old-${at.slice(0, 10)}`,
        requestName: `Old ${at.slice(0, 10)}`,
        status,
        apiVersion: 1,
        rawBody: '{}',
        clientName: 'Old Client',
        accessLevel: 'admin',
        isTest,
        platforms: ['Meta'],
        assetTypes: ['Page'],
        leaseUntil: 0,
      });
    }
    const window = { since: '2025-10-01T00:00:00.000Z', until: '2025-12-31T00:00:00.000Z' };
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const result = await data.events({
        ...window,
        filter: { statuses: ['FAILED'] },
        limit: 1,
        ...(cursor ? { cursor } : {}),
      });
      pages.push(result.events.map((e) => e.eventId));
      cursor = result.next ?? undefined;
    } while (cursor !== undefined && pages.length < 10);
    expect(pages.flat()).toEqual(['old-2025-12-20', 'old-2025-12-01', 'old-2025-10-30']);
    const inRange = await data.events({
      since: '2025-11-01T00:00:00.000Z',
      until: '2025-12-01T00:00:00.000Z',
      filter: { isTest: false },
      limit: 50,
    });
    expect(inRange.events.map((e) => e.eventId)).toEqual(['old-2025-12-01', 'old-2025-11-02']);
    await expect(data.events({ ...window, filter: {}, limit: 5, cursor: 'not-a-cursor' })).rejects.toThrow(
      /cursor is not one this page gave out/,
    );
  });

  it('loads every page with the CLI credentials chain, alarms of this stack included', async () => {
    const events = await page('/events');
    expect(events.status).toBe(200);
    expect(events.text).toContain(`stack &quot;${STACK}&quot;`);
    expect(events.text).toContain(ids.harbor);

    const event = await page(`/events/${ids.failed}`);
    expect(event.status).toBe(200);
    expect(event.text).toMatch(
      /data-consumer="slack"><h3>slack<\/h3><ol class="timeline">[\s\S]*dead-lettered/,
    );
    expect(event.text).toContain('channel_not_found');
    const harbor = await page(`/events/${ids.harbor}`);
    expect(harbor.text).toMatch(
      /data-consumer="forward-zapier"><h3>forward-zapier<\/h3><p><span class="badge badge-filtered-out">/,
    );

    const clients = await page('/clients');
    expect(clients.status).toBe(200);
    expect(clients.text).toContain('Harbor Fitness LLC');
    const href = /href="(\/clients\/view\?[^"]*harbor-fitness[^"]*)"/.exec(clients.text)?.[1] ?? '';
    const client = await page(href.replaceAll('&amp;', '&'));
    expect(client.status).toBe(200);
    expect(client.text).toMatch(/<h4>Granted \(2\)<\/h4>/);
    expect(client.text).toMatch(/<h4>Still missing \(2\)<\/h4>/);

    expect((await page('/quarantine')).status).toBe(200);
    const deadLetters = await page('/dead-letters');
    expect(deadLetters.text).toMatch(
      new RegExp(`id="dl-slack">slack <span class="count">1</span>[\\s\\S]*${ids.failed}`),
    );

    const health = await page('/health');
    expect(health.status).toBe(200);
    expect(health.text).toContain(
      `<td>${STACK}-quarantined</td><td><span class="badge badge-alarm">ALARM</span>`,
    );
    expect(health.text).toContain('Threshold crossed: 1 datapoint [2.0] &gt;= 1.0');
    expect(health.text).not.toContain('SomeOtherStack-backlog');
    expect(health.text).toMatch(/<title>\d\d:\d\d UTC: 3 events, PARTIAL_SUCCESS 2, FAILED 1<\/title>/);
  });

  it('replays one event to one consumer: that queue alone gets it, forced', async () => {
    const before = {
      slack: sentTo('slack', ids.failed ?? ''),
      zapier: sentTo('forward-zapier', ids.failed ?? ''),
    };
    expect(await act(`/events/${ids.failed}/replay`, { consumer: 'forward-zapier', force: 'yes' })).toEqual([
      'ok',
      `Replayed ${ids.failed} to forward-zapier (forced).`,
    ]);
    await drainAll();
    expect(sentTo('forward-zapier', ids.failed ?? '')).toBe(before.zapier + 1);
    expect(sentTo('slack', ids.failed ?? '')).toBe(before.slack);
    // Its filter policy keeps out what it never took.
    expect(await act(`/events/${ids.harbor}/replay`, { consumer: 'forward-zapier' })).toEqual([
      'error',
      'Not replayed: forward-zapier&#39;s filter policy does not take this event.',
    ]);
  });

  it('redrives a dead letter once the target is fixed', async () => {
    target.respondWith(undefined);
    expect(await act('/dead-letters/slack/redrive', {})).toEqual([
      'ok',
      'Redrove slack: moved 1, resent 0 (1 listed before).',
    ]);
    await drainAll();
    expect(sentTo('slack', ids.failed ?? '')).toBe(2);
    expect((await data.deadLetters()).flatMap((d) => d.outcomes)).toEqual([]);
  });

  it('retries a quarantined body through the deployed webhook (the secret read from the stack)', async () => {
    const body = JSON.stringify({
      ...fixtureJson('v1-partial-success'),
      requestUrl: 'https://app.leadsie.com/request/q',
    });
    const refused = await ingest({
      ...webhookPost(body, { token: WEBHOOK_TOKEN }),
      headers: { 'content-type': 'text/plain' },
    });
    expect(refused.statusCode).toBe(415);
    const id = JSON.parse(refused.body ?? '{}').quarantineId as string;
    expect((await page('/quarantine')).text).toContain(`data-id="${id}"`);
    const [kind, text] = await act(`/quarantine/${id}/retry`, { contentType: 'application/json' });
    expect(kind).toBe('ok');
    expect(text).toMatch(new RegExp(`^Resolved ${id.slice(0, 12)}: event \\w{26} \\(ingested\\)\\.$`));
    expect((await data.quarantine()).map((e) => e.id)).not.toContain(id);
  });
});
