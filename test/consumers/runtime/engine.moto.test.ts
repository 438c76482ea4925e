/**
 * The delivery engine against the real SDK on moto: SNS → SQS with raw delivery (the message
 * attributes included), the outcome records in the connections table as the stack defines it, the
 * dead-letter queue, and a loopback HTTP target reached through the consumers' HTTP adapter.
 *
 * Proven here: every delay of the default schedule (and a capped Retry-After) is accepted by
 * `ChangeMessageVisibility` on a really received message; the same envelope published twice is
 * sent once; `force` sends again; a refused event is listed from its outcome record, and is
 * delivered after a redrive; a timeout is recorded as ambiguous.
 */

import { PublishCommand } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ulid } from 'ulid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classifyResponse, post } from '../../../lambda/adapters/http-target.ts';
import { SnsEventPublisher, snsMessageAttributes } from '../../../lambda/adapters/sns-event-publisher.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../../lambda/adapters/sqs-queues.ts';
import { DynamoDbOutcomeLedger } from '../../../lambda/consumers/runtime/dynamodb-outcomes.ts';
import { makeDeliveryEngine } from '../../../lambda/consumers/runtime/engine.ts';
import type { Outcome } from '../../../lambda/consumers/runtime/outcomes.ts';
import {
  DEFAULT_RETRY_POLICY,
  MAX_VISIBILITY_SECONDS,
  nextRetry,
  scheduleOf,
} from '../../../lambda/consumers/runtime/schedule.ts';
import { FORCE_MESSAGE_ATTRIBUTE } from '../../../lambda/contract.ts';
import type { ConnectionEvent } from '../../../lambda/domain/envelope.ts';
import { sampleEnvelope } from '../../support/envelopes.ts';
import { type MotoServer, motoAvailable } from '../../support/moto.ts';
import {
  type ConsumerQueues,
  createConnectionsTable,
  createQueue,
  createTopic,
  type MotoClients,
  startMotoWithClients,
  subscribeConsumerQueues,
} from '../../support/pipeline.ts';
import { drainQueue, takeAll } from '../../support/sqs-driver.ts';
import { startTargetServer, type TargetServer } from '../../support/target-server.ts';
import { RecordingLog } from './fake-queue.ts';

const TABLE_NAME = 'engine-outcomes';

const envelope = (version = 1): ConnectionEvent => {
  const now = Date.now();
  return sampleEnvelope('v1-partial-success.json', {
    eventId: ulid(now),
    receivedAt: new Date(now).toISOString(),
    version,
  });
};

const collect = async (items: AsyncGenerator<Outcome>): Promise<Outcome[]> => {
  const all: Outcome[] = [];
  for await (const item of items) all.push(item);
  return all;
};

describe.skipIf(!motoAvailable())('the delivery engine on moto', () => {
  let moto: MotoServer;
  let aws: MotoClients;
  let target: TargetServer;
  let ledger: DynamoDbOutcomeLedger;
  let topicArn: string;
  let counter = 0;

  beforeAll(async () => {
    const started = await startMotoWithClients();
    moto = started.moto;
    aws = started;
    target = await startTargetServer();
    await createConnectionsTable(aws.dynamo, TABLE_NAME);
    ledger = new DynamoDbOutcomeLedger(aws.dynamo, { tableName: TABLE_NAME });
    topicArn = await createTopic(aws.sns, 'engine-events');
  });
  afterAll(async () => {
    await target?.close();
    await moto?.stop();
  });
  beforeEach(() => {
    target.reset();
  });

  /** A consumer with its own queues subscribed to the topic, and the engine over them. */
  const consumer = async () => {
    const name = `target-${++counter}`;
    const queues: ConsumerQueues = await subscribeConsumerQueues(aws, topicArn, name, {
      maxReceiveCount: 100,
    });
    const log = new RecordingLog();
    const handler = makeDeliveryEngine(
      {
        name,
        deadLetters: new SqsDeadLetterQueue(aws.sqs, queues.dlqUrl),
        delayer: new SqsMessageDelayer(aws.sqs, queues.queueUrl),
        log,
        outcomes: ledger,
      },
      async (event) => {
        const response = await post({
          target: 'the target',
          url: `${target.url}/hook`,
          body: JSON.stringify({ consumer: name, eventId: event.eventId }),
          timeoutMs: 1_000,
        });
        classifyResponse('the target', response);
        return `posted ${response.status}`;
      },
    );
    const sentBy = () => target.requests.filter((r) => JSON.parse(r.body).consumer === name);
    return { name, queues, handler, log, sentBy };
  };

  it('gets every delay of the default schedule accepted by ChangeMessageVisibility', async () => {
    const queueUrl = await createQueue(aws.sqs, 'schedule-check');
    const receive = async (sqs: SQSClient) => {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }));
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const message = received.Messages?.[0];
      if (!message?.ReceiptHandle) throw new Error('nothing received');
      return { handle: message.ReceiptHandle, sentAtMs: Number(message.Attributes?.SentTimestamp) };
    };
    const change = (handle: string, seconds: number) =>
      aws.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: handle,
          VisibilityTimeout: seconds,
        }),
      );

    // The longest delays the default schedule can give (random at its top), then a Retry-After of two days.
    const delays = scheduleOf(DEFAULT_RETRY_POLICY, () => 0.999999).map((s) => s.visibilitySeconds);
    expect(delays.length).toBeGreaterThan(8);
    const received = await receive(aws.sqs);
    const capped = nextRetry({
      policy: DEFAULT_RETRY_POLICY,
      attempts: 3,
      previousDelaySeconds: null,
      sentAtMs: received.sentAtMs,
      receivedAtMs: Date.now(),
      nowMs: Date.now(),
      retryAfterSeconds: 48 * 3600,
      random: Math.random,
    });
    expect(capped.action === 'retry' && capped.visibilitySeconds).toBeGreaterThan(
      DEFAULT_RETRY_POLICY.maxDelaySeconds,
    );
    if (capped.action === 'retry') delays.push(capped.visibilitySeconds);
    await expect(change(received.handle, MAX_VISIBILITY_SECONDS + 1)).rejects.toThrow();

    for (const seconds of delays) {
      const { handle } = await receive(aws.sqs);
      await expect(change(handle, seconds), `a delay of ${seconds} s`).resolves.toBeDefined();
    }
  });

  it('sends once when the same envelope is published twice, and again when forced', async () => {
    const { name, queues, handler, sentBy, log } = await consumer();
    const event = envelope();
    const publisher = new SnsEventPublisher(aws.sns, topicArn);
    await publisher.publish(event);
    await publisher.publish(event);
    await drainQueue(aws.sqs, queues.queueUrl, handler);
    expect(sentBy()).toHaveLength(1);
    expect(
      await ledger.get({ consumer: name, eventId: event.eventId, version: event.version }),
    ).toMatchObject({
      state: 'done',
      detail: 'posted 200',
      attempts: 1,
    });

    // `replay --force`: the flag travels as an SNS message attribute, beside the envelope.
    await aws.sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: JSON.stringify(event),
        MessageAttributes: {
          ...snsMessageAttributes(event),
          [FORCE_MESSAGE_ATTRIBUTE.name]: {
            DataType: FORCE_MESSAGE_ATTRIBUTE.dataType,
            StringValue: FORCE_MESSAGE_ATTRIBUTE.value,
          },
        },
      }),
    );
    await drainQueue(aws.sqs, queues.queueUrl, handler);
    expect(sentBy()).toHaveLength(2);
    expect(log.messages('sent').at(-1)?.fields.forced).toBe(true);

    await publisher.publish(event);
    await drainQueue(aws.sqs, queues.queueUrl, handler);
    expect(sentBy()).toHaveLength(2);
  });

  it('lists a refused event from its outcome record, and delivers it after a redrive', async () => {
    const { name, queues, handler, sentBy } = await consumer();
    const event = envelope();
    target.respondWith(() => ({ status: 404, body: 'channel_not_found' }));
    await new SnsEventPublisher(aws.sns, topicArn).publish(event);
    await drainQueue(aws.sqs, queues.queueUrl, handler);

    const listed = await collect(ledger.deadLetters(name));
    expect(listed).toMatchObject([
      {
        eventId: event.eventId,
        state: 'dead-lettered',
        reason: 'the target answered 404: channel_not_found',
        expiresAt: null,
      },
    ]);
    expect(await ledger.countDeadLetters(name)).toBe(1);
    const letters = await takeAll(aws.sqs, queues.dlqUrl);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.MessageAttributes?.reason?.StringValue).toBe(
      'the target answered 404: channel_not_found',
    );

    // Redrive: the dead letter back on the consumer's queue, the target fixed.
    target.respondWith(undefined);
    await aws.sqs.send(
      new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: letters[0]?.Body ?? '' }),
    );
    await drainQueue(aws.sqs, queues.queueUrl, handler);
    expect(sentBy().map((r) => r.path)).toEqual(['/hook', '/hook']);
    expect(await ledger.countDeadLetters(name)).toBe(0);
    expect(
      await ledger.get({ consumer: name, eventId: event.eventId, version: event.version }),
    ).toMatchObject({
      state: 'done',
      attempts: 2,
    });
  });

  it('records a target that gave no answer in time as ambiguous', async () => {
    const { name, queues, handler } = await consumer();
    const event = envelope();
    target.respondWith(() => ({ hang: true }));
    await new SnsEventPublisher(aws.sns, topicArn).publish(event);
    const deadline = Date.now() + 10_000;
    let outcome: Outcome | null = null;
    while (Date.now() < deadline && outcome?.state !== 'ambiguous') {
      const received = await aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queues.queueUrl,
          MaxNumberOfMessages: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const message = received.Messages?.[0];
      if (message) {
        const response = await handler({
          Records: [
            {
              messageId: message.MessageId ?? '',
              receiptHandle: message.ReceiptHandle ?? '',
              body: message.Body ?? '',
              attributes: {
                ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
                SentTimestamp: message.Attributes?.SentTimestamp ?? '0',
                SenderId: '',
                ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
              },
              messageAttributes: {},
              md5OfBody: '',
              eventSource: 'aws:sqs',
              eventSourceARN: '',
              awsRegion: 'us-east-1',
            },
          ],
        });
        expect(response.batchItemFailures).toHaveLength(1);
      }
      outcome = await ledger.get({ consumer: name, eventId: event.eventId, version: event.version });
    }
    expect(outcome).toMatchObject({ state: 'ambiguous', attempts: 1 });
    expect(outcome?.lastError).toMatch(/gave no answer within/);
  });
});
