/**
 * Republishing is harmless for every consumer: the same envelope published twice on moto's real
 * SNS → SQS (what the reconciler or `replay` does), and once more under version 0, is sent once. A loop over the registry: each
 * module's consumers as local mode builds them (dry runs into a recording outbox), with the delivery
 * engine's outcome records in the moto table, each on its own queue behind its own filter policy.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snsMessageAttributes } from '../../lambda/adapters/sns-event-publisher.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../lambda/adapters/sqs-queues.ts';
import { provideLocalEngine } from '../../lambda/consumers/local-engine.ts';
import type { LocalConsumer } from '../../lambda/consumers/module.ts';
import { CONSUMER_MODULES } from '../../lambda/consumers/registry.ts';
import { DynamoDbOutcomeLedger } from '../../lambda/consumers/runtime/dynamodb-outcomes.ts';
import { consumerFilterPolicy } from '../../lambda/contract.ts';
import { sampleEnvelope } from '../support/envelopes.ts';
import { silentLogger } from '../support/logger.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import {
  createConnectionsTable,
  createTopic,
  startMotoWithClients,
  subscribeConsumerQueues,
  TEST_TIME_SCALE,
} from '../support/pipeline.ts';
import { drainQueue, takeAll } from '../support/sqs-driver.ts';

describe.skipIf(!motoAvailable())('republishing an envelope on moto sends nothing twice', () => {
  let moto: MotoServer;
  let dynamo: DynamoDBClient;
  let sns: SNSClient;
  let sqs: SQSClient;

  beforeAll(async () => {
    ({ moto, dynamo, sns, sqs } = await startMotoWithClients());
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('for every consumer of the registry', async () => {
    await moto.reset();
    const store = await createConnectionsTable(dynamo);
    const topicArn = await createTopic(sns);
    const outcomes = new DynamoDbOutcomeLedger(dynamo, { tableName: 'connections' });
    provideLocalEngine(store, { outcomes, timeScale: TEST_TIME_SCALE });
    const sent = new Map<string, string[]>();
    const consumers: LocalConsumer[] = [];
    for (const module of CONSUMER_MODULES) {
      consumers.push(
        ...(await module.local.start({
          env: {},
          store,
          log: silentLogger(),
          say: () => undefined,
          outbox: (name) => async (line) => {
            sent.set(name, [...(sent.get(name) ?? []), line]);
          },
          httpTimeoutMs: 2_000,
        })),
      );
    }
    // One local consumer at least per module (the forwarders' module runs one, `forward`).
    expect(consumers.length).toBeGreaterThanOrEqual(CONSUMER_MODULES.length);
    expect(consumers.map((c) => c.name)).toEqual(expect.arrayContaining(['slack', 'hubspot', 'forward']));

    const queues = await Promise.all(
      consumers.map((consumer) =>
        subscribeConsumerQueues({ sns, sqs }, topicArn, consumer.name, {
          maxReceiveCount: 5,
          filterPolicy: consumerFilterPolicy(consumer.filter),
        }),
      ),
    );
    // A real (not test) PARTIAL_SUCCESS event with a user: every consumer's default filter lets it in.
    const envelope = sampleEnvelope('v1-partial-success.json', {
      eventId: ulid(),
      receivedAt: new Date().toISOString(),
      version: 1,
    });
    expect(envelope).toMatchObject({ isTest: false, status: 'PARTIAL_SUCCESS' });
    // Twice as the reconciler or `replay` republishes it, then once more as version 0: what ingest
    // publishes when it resumes a delivery whose "published" mark was lost after a newer one arrived.
    for (const copy of [envelope, envelope, { ...envelope, version: 0 }]) {
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify(copy),
          MessageAttributes: snsMessageAttributes(copy),
        }),
      );
    }

    for (const [i, consumer] of consumers.entries()) {
      const queue = queues[i];
      if (queue === undefined) throw new Error('no queue');
      const handler = consumer.handler({
        delayer: new SqsMessageDelayer(sqs, queue.queueUrl),
        deadLetters: new SqsDeadLetterQueue(sqs, queue.dlqUrl),
      });
      const result = await drainQueue(sqs, queue.queueUrl, handler);
      // Every copy arrived (SNS delivered each publish) and none failed.
      expect(result, consumer.name).toMatchObject({ records: 3, failures: 0 });
      expect(await takeAll(sqs, queue.dlqUrl), consumer.name).toEqual([]);
      const lines = sent.get(consumer.name) ?? [];
      if (consumer.name === 'hubspot') {
        // HubSpot claims nothing (its upsert is idempotent, version-checked): the copy is the same
        // upsert again, which leaves the record as it was.
        expect(lines.length, consumer.name).toBeGreaterThanOrEqual(1);
        const requests = new Set(lines.map((line) => JSON.stringify(JSON.parse(line).request)));
        expect(requests.size, consumer.name).toBe(1);
      } else {
        expect(lines, consumer.name).toHaveLength(1);
        const outcome = await outcomes.get({
          consumer: consumer.name,
          eventId: envelope.eventId,
          version: envelope.version,
        });
        expect(outcome?.state, consumer.name).toBe('done');
      }
    }
  });
});
