/**
 * The operator commands over the delivery engine (`events show`, `deliveries`, `dead-letters
 * list|redrive`, `replay --consumer`, `replay --force`) run in-process through `runCli` against a
 * "deployed" stack on moto: the real SDK, consumers found from the stack's `<Pascal>DeadLetterQueueUrl`
 * outputs (dead-letter queue → its source queue → its subscription → its filter policy), and the real
 * engine delivering from the real SNS → SQS raw subscriptions to a loopback target.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Message } from '@aws-sdk/client-sqs';
import { ulid } from 'ulid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { classifyResponse, post } from '../../lambda/adapters/http-target.ts';
import { CachedSecret } from '../../lambda/adapters/secrets.ts';
import { SnsEventPublisher } from '../../lambda/adapters/sns-event-publisher.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../lambda/adapters/sqs-queues.ts';
import { DynamoDbOutcomeLedger } from '../../lambda/consumers/runtime/dynamodb-outcomes.ts';
import { makeDeliveryEngine } from '../../lambda/consumers/runtime/engine.ts';
import { FORCE_MESSAGE_ATTRIBUTE } from '../../lambda/contract.ts';
import { lines, runCliCaptured } from '../support/cli-run.ts';
import { createFakeStack } from '../support/fake-deployment.ts';
import { silentLogger } from '../support/logger.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import {
  type ConsumerQueues,
  createConnectionsTable,
  createQueue,
  createTopic,
  fixtureJson,
  type HttpHandler,
  ingestHandler,
  type MotoClients,
  startMotoWithClients,
  subscribeConsumerQueues,
  webhookPost,
} from '../support/pipeline.ts';
import { drainQueue, takeAll } from '../support/sqs-driver.ts';
import { startTargetServer, type TargetServer } from '../support/target-server.ts';

const WEBHOOK_TOKEN = 'ops-webhook-token-0123456789abcdefghijklmnop';
const TABLE_NAME = 'ops-connections';
const NOT_FOUND_REASON = 'the target answered 404: channel_not_found';

describe.skipIf(!motoAvailable())('operator commands against a stack on moto', () => {
  let moto: MotoServer;
  let aws: MotoClients;
  let target: TargetServer;
  let ingest: HttpHandler;
  let store: DynamoDbConnectionStore;
  let ledger: DynamoDbOutcomeLedger;
  const startedAt = new Date(Date.now() - 60_000);
  const since = ['--since', startedAt.toISOString()];
  /** slack takes every event; forward-zapier only FAILED ones (its filter policy). */
  const consumers: Record<string, { queues: ConsumerQueues; drain: () => Promise<unknown> }> = {};

  const cli = (args: string[], options: { stdoutTty?: boolean } = {}) => runCliCaptured(args, options);
  const sentTo = (consumer: string, eventId: string) =>
    target.requests.filter((r) => {
      const body = JSON.parse(r.body) as { consumer: string; eventId: string };
      return body.consumer === consumer && body.eventId === eventId;
    }).length;
  const drainAll = async () => {
    for (const c of Object.values(consumers)) await c.drain();
  };

  let requests = 0;
  /**
   * Ingests a sample payload (published on the topic), then lets every consumer deliver it. Each
   * gets its own request URL: the same body twice would be one delivery.
   */
  const deliver = async (payload: Record<string, unknown>): Promise<string> => {
    const unique = { ...payload, requestUrl: `https://app.leadsie.com/request/ops-${++requests}` };
    const response = await ingest(webhookPost(JSON.stringify(unique), { token: WEBHOOK_TOKEN }));
    expect(response.statusCode).toBe(200);
    await drainAll();
    return JSON.parse(response.body ?? '{}').eventId as string;
  };

  beforeAll(async () => {
    aws = await startMotoWithClients();
    moto = (aws as MotoClients & { moto: MotoServer }).moto;
    target = await startTargetServer();
    store = await createConnectionsTable(aws.dynamo, TABLE_NAME);
    ledger = new DynamoDbOutcomeLedger(aws.dynamo, { tableName: TABLE_NAME });
    const topicArn = await createTopic(aws.sns, 'ops-events');
    const secrets = new SecretsManagerClient(aws.config);
    const secretArn =
      (await secrets.send(new CreateSecretCommand({ Name: 'ops-webhook', SecretString: WEBHOOK_TOKEN })))
        .ARN ?? '';
    ingest = ingestHandler({
      store,
      publisher: new SnsEventPublisher(aws.sns, topicArn),
      webhookToken: new CachedSecret(secrets, secretArn, 60_000),
      log: silentLogger(),
      newEventId: () => ulid(),
    });

    for (const [name, filterPolicy] of [
      ['slack', undefined],
      ['forward-zapier', { status: ['FAILED'] }],
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
            body: JSON.stringify({ consumer: name, eventId: event.eventId }),
            timeoutMs: 2_000,
          });
          classifyResponse('the target', response);
          return `posted ${response.status}`;
        },
      );
      consumers[name] = { queues, drain: () => drainQueue(aws.sqs, queues.queueUrl, handler) };
    }

    // The alarm notifier's dead-letter queue is fed by no queue of the topic: not a consumer.
    const alarmDlq = await createQueue(aws.sqs, 'alarm-slack-dlq');
    await createFakeStack(new CloudFormationClient(aws.config), 'LeadsieWebhooks', {
      WebhookUrl: 'http://127.0.0.1:9/leadsie/webhook',
      ConnectionEventsTopicArn: topicArn,
      TableName: TABLE_NAME,
      WebhookTokenSecretArn: secretArn,
      ReadTokenSecretArn: secretArn,
      SlackDeadLetterQueueUrl: consumers.slack?.queues.dlqUrl ?? '',
      ForwardZapierDeadLetterQueueUrl: consumers['forward-zapier']?.queues.dlqUrl ?? '',
      AlarmSlackDeadLetterQueueUrl: alarmDlq,
    });
  });

  afterAll(async () => {
    await target?.close();
    await moto?.stop();
  });

  beforeEach(() => target.reset());

  const attributesOf = (message: Message | undefined) =>
    Object.fromEntries(Object.entries(message?.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]));

  describe('events show', () => {
    it("prints the event, its flat record, and each consumer's outcome or its filter", async () => {
      const eventId = await deliver(fixtureJson('v1-partial-success'));
      expect(sentTo('slack', eventId)).toBe(1);
      expect(sentTo('forward-zapier', eventId)).toBe(0);

      const run = await cli(['events', 'show', eventId]);
      expect(run.err).toBe('');
      expect(run.code).toBe(0);
      expect(run.out).toContain(`event        ${eventId}\n`);
      expect(run.out).toContain('status       PARTIAL_SUCCESS\n');
      expect(run.out).toMatch(/\nflat record:\n {2}\S+ {2,}/);
      expect(run.out).toMatch(/\n {2}slack {11}done: posted 200 \(1 try, \d{4}-/);
      expect(run.out).toContain("\n  forward-zapier  filtered out (its subscription's filter policy)\n");

      const json = JSON.parse((await cli(['events', 'show', eventId, '--json'])).out);
      expect(json.event.eventId).toBe(eventId);
      expect(json.flat).toEqual(json.event.flat);
      expect(json.consumers).toEqual([
        {
          consumer: 'slack',
          kind: 'outcome',
          outcome: expect.objectContaining({ state: 'done', attempts: 1 }),
        },
        { consumer: 'forward-zapier', kind: 'filtered out' },
      ]);
    });

    it('says so when the event is not stored', async () => {
      const run = await cli(['events', 'show', ulid()]);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/^events: no event \w{26} in stack "LeadsieWebhooks"\n$/);
    });
  });

  describe('dead letters', () => {
    it('lists a dead-lettered event with its reason, and redrives it to its consumer', async () => {
      target.respondWith((request) =>
        JSON.parse(request.body).consumer === 'slack'
          ? { status: 404, body: 'channel_not_found' }
          : { status: 200 },
      );
      const eventId = await deliver(fixtureJson('v1-failed'));
      target.respondWith(undefined);
      expect(sentTo('slack', eventId)).toBe(1);
      expect(sentTo('forward-zapier', eventId)).toBe(1);

      const list = await cli(['dead-letters', 'list']);
      expect(list.code).toBe(0);
      const rows = lines(list.out).map((line) => line.split('\t'));
      expect(rows).toEqual([['slack', eventId, '1', '1', expect.any(String), NOT_FOUND_REASON]]);
      expect(list.err).toBe('1 unresolved dead letter\n');
      expect(lines((await cli(['dead-letters', 'list', '--consumer', 'forward-zapier'])).out)).toEqual([]);

      const table = await cli(['dead-letters', 'list'], { stdoutTty: true });
      expect(lines(table.out)[0]).toMatch(/^CONSUMER {2}EVENT {23}VERSION {2}TRIES {2}SINCE +REASON$/);
      expect(lines(table.out)[1]).toMatch(
        new RegExp(`^slack {5}${eventId} {2}1 {8}1 {6}\\S+ {2}${NOT_FOUND_REASON}$`),
      );

      const dry = await cli(['dead-letters', 'redrive', '--dry-run']);
      expect(dry).toMatchObject({ code: 0, out: '' });
      expect(dry.err).toBe('dry run, nothing was moved: slack: 1 listed, forward-zapier: 0 listed\n');

      // A redrive that started before this dead letter was sent leaves it (it would go round while
      // the target still fails): not moved, not resent, still listed.
      const early = await runCliCaptured(['dead-letters', 'redrive'], {
        now: () => new Date(Date.now() - 60_000),
      });
      expect(early).toMatchObject({ code: 0, out: '' });
      expect(early.err).toBe(
        'put 0 dead letters back on their queues: slack: moved 0, resent 0 (1 listed before), forward-zapier: moved 0, resent 0 (0 listed before)\n',
      );

      const redrive = await cli(['dead-letters', 'redrive', '--consumer', 'slack']);
      expect(redrive.code).toBe(0);
      expect(redrive.out).toBe(`slack\t${eventId}\tmoved\t${NOT_FOUND_REASON}\n`);
      expect(redrive.err).toBe(
        'put 1 dead letter back on their queues: slack: moved 1, resent 0 (1 listed before)\n',
      );
      expect(await takeAll(aws.sqs, consumers.slack?.queues.dlqUrl ?? '')).toEqual([]);

      // The engine claims the dead-lettered record again and delivers it; it leaves the list.
      await drainAll();
      expect(sentTo('slack', eventId)).toBe(2);
      expect(lines((await cli(['dead-letters', 'list'])).out)).toEqual([]);
      expect((await cli(['events', 'show', eventId])).out).toMatch(
        /\n {2}slack {11}done: posted 200 \(2 tries,/,
      );
    });

    it('sends a listed dead letter again from the store when SQS no longer has its message', async () => {
      target.respondWith((request) =>
        JSON.parse(request.body).consumer === 'slack'
          ? { status: 404, body: 'channel_not_found' }
          : { status: 200 },
      );
      const eventId = await deliver(fixtureJson('v1-failed'));
      target.respondWith(undefined);
      // What SQS does after the retention period: the message is gone, the record still lists it.
      expect(await takeAll(aws.sqs, consumers.slack?.queues.dlqUrl ?? '')).toHaveLength(1);
      expect(lines((await cli(['dead-letters', 'list'])).out).map((l) => l.split('\t')[1])).toEqual([
        eventId,
      ]);

      const redrive = await cli(['dead-letters', 'redrive']);
      expect(redrive.code).toBe(0);
      expect(redrive.out).toBe(`slack\t${eventId}\tresent\t${NOT_FOUND_REASON}\n`);
      await drainAll();
      expect(sentTo('slack', eventId)).toBe(2);
      expect(lines((await cli(['dead-letters', 'list'])).out)).toEqual([]);
    });
  });

  describe('replay', () => {
    it('sends to one consumer only, honouring its filter policy, and once only unless forced', async () => {
      const failed = await deliver(fixtureJson('v1-failed'));
      const success = await deliver(fixtureJson('v2-success-google'));
      expect([sentTo('forward-zapier', failed), sentTo('forward-zapier', success)]).toEqual([1, 0]);
      const window = ['--since', startedAt.toISOString()];
      const zapier = consumers['forward-zapier']?.queues.queueUrl ?? '';
      const slack = consumers.slack?.queues.queueUrl ?? '';
      await takeAll(aws.sqs, zapier);
      await takeAll(aws.sqs, slack);

      const run = await cli(['replay', ...window, '--consumer', 'forward-zapier']);
      expect(run.code).toBe(0);
      const sent = lines(run.out).map((line) => line.split('\t')[1]);
      expect(sent).toContain(failed);
      expect(sent).not.toContain(success);
      expect(run.err).toMatch(/refused by the consumer's filter policy\)\n$/);
      const queued = await takeAll(aws.sqs, zapier);
      expect(queued.map((m) => JSON.parse(m.Body ?? '').eventId)).toEqual(sent);
      expect(attributesOf(queued[0])).toMatchObject({ status: expect.any(String), isTest: 'false' });
      expect(attributesOf(queued[0]).force).toBeUndefined();
      // Straight to that queue: the other consumer got nothing.
      expect(await takeAll(aws.sqs, slack)).toEqual([]);

      // Once-only: a replay without --force finds the record done and sends nothing again.
      await cli(['replay', ...window, '--consumer', 'forward-zapier']);
      await drainAll();
      expect(sentTo('forward-zapier', failed)).toBe(1);

      const forced = await cli(['replay', ...window, '--consumer', 'forward-zapier', '--force']);
      expect(forced.code).toBe(0);
      await drainAll();
      expect(sentTo('forward-zapier', failed)).toBe(2);
      expect(sentTo('slack', failed)).toBe(1);
    });

    it('carries --force through SNS to the queues as a message attribute', async () => {
      const eventId = await deliver(fixtureJson('v1-failed'));
      const slack = consumers.slack?.queues.queueUrl ?? '';
      const run = await cli(['replay', '--since', new Date(Date.now() - 5_000).toISOString(), '--force']);
      expect(run.code).toBe(0);
      expect(lines(run.out).map((line) => line.split('\t')[1])).toContain(eventId);
      const pollDeadline = Date.now() + 10_000;
      let messages: Message[] = [];
      while (messages.length === 0 && Date.now() < pollDeadline) messages = await takeAll(aws.sqs, slack);
      const mine = messages.find((m) => JSON.parse(m.Body ?? '').eventId === eventId);
      expect(attributesOf(mine)[FORCE_MESSAGE_ATTRIBUTE.name]).toBe(FORCE_MESSAGE_ATTRIBUTE.value);
    });

    it('refuses a consumer the stack does not have', async () => {
      const run = await cli(['replay', ...since, '--consumer', 'sheets']);
      expect(run.code).toBe(2);
      expect(run.err).toBe(
        'replay: no consumer named "sheets" (consumers: slack, forward-zapier) (see: cli replay --help)\n',
      );
    });
  });

  describe('deliveries', () => {
    it("lists the consumers' outcomes, by consumer and state", async () => {
      const eventId = await deliver(fixtureJson('v1-failed'));
      const all = lines((await cli(['deliveries', ...since])).out).map((line) => line.split('\t'));
      expect(all).toContainEqual([eventId, '1', 'slack', 'done', '1', expect.any(String), 'posted 200']);
      expect(all).toContainEqual([
        eventId,
        '1',
        'forward-zapier',
        'done',
        '1',
        expect.any(String),
        'posted 200',
      ]);

      const slackDone = lines(
        (await cli(['deliveries', ...since, '--consumer', 'slack', '--status', 'done'])).out,
      );
      expect(slackDone.length).toBeGreaterThan(0);
      for (const line of slackDone) expect(line.split('\t').slice(2, 4)).toEqual(['slack', 'done']);

      const bad = await cli(['deliveries', '--status', 'sent']);
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/^deliveries: unknown --status "sent" \(one of: claimed, done/);
    });
  });
});
