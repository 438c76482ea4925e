/**
 * The in-process "connection events" topic of local mode: SNS and one SQS queue per consumer in a
 * few dozen lines. `publish` takes an envelope with the same message attributes the SNS publisher
 * sets, keeps it for each consumer whose filter policy matches (as SNS does), and a worker per
 * consumer hands SQS-shaped batches to the consumer's real handler, honouring partial batch
 * failures: a failed record comes back after a visibility delay (or the Retry-After the handler
 * asked for) until its receive count passes the consumer's max, then goes to the local
 * dead-letter file.
 */
import { randomUUID } from 'node:crypto';
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { snsMessageAttributes } from '../lambda/adapters/sns-event-publisher.ts';
import type { DeadLetterSink, MessageDelayer } from '../lambda/adapters/sqs-queues.ts';
import type { ConnectionEvent } from '../lambda/domain/envelope.ts';
import { type FilterPolicy, matchesFilterPolicy } from '../lambda/domain/filter-policy.ts';
import type { EventPublisher } from '../lambda/use-cases/ports.ts';

export type ConsumerHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export interface LocalSubscription {
  name: string;
  filterPolicy?: FilterPolicy;
  /** Receives before a message goes to the dead-letter sink. @default 5 */
  maxReceiveCount?: number;
  /** Builds the handler once the queue's delayer and dead-letter sink exist. */
  handler: (queue: { delayer: MessageDelayer; deadLetters: DeadLetterSink }) => ConsumerHandler;
  deadLetters: DeadLetterSink;
}

interface Pending {
  record: SQSRecord;
  receiveCount: number;
  notBefore: number;
}

export interface TopicOptions {
  /** How long a failed record stays invisible before it is tried again, in ms. @default 1000 */
  visibilityTimeoutMs?: number;
  batchSize?: number;
  /** Called after each batch, for the console summary. */
  onBatch?: (consumer: string, result: { records: number; failed: number }) => void;
}

class LocalQueue {
  readonly pending: Pending[] = [];
  private readonly handler: ConsumerHandler;
  private readonly delayer: MessageDelayer;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    readonly subscription: LocalSubscription,
    private readonly options: Required<Omit<TopicOptions, 'onBatch'>> & Pick<TopicOptions, 'onBatch'>,
  ) {
    this.delayer = {
      delay: async (receiptHandle, seconds) => {
        const item = this.pending.find((p) => p.record.receiptHandle === receiptHandle);
        if (item) item.notBefore = Date.now() + seconds * 1000;
      },
    };
    this.handler = subscription.handler({ delayer: this.delayer, deadLetters: subscription.deadLetters });
  }

  enqueue(body: string, attributes: Record<string, MessageAttributeValue>): void {
    const messageId = randomUUID();
    this.pending.push({
      record: {
        messageId,
        receiptHandle: messageId,
        body,
        attributes: {
          ApproximateReceiveCount: '0',
          SentTimestamp: String(Date.now()),
          SenderId: 'local-topic',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [
            name,
            { stringValue: value.StringValue, dataType: value.DataType ?? 'String' },
          ]),
        ),
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:local:sqs:local:000000000000:${this.subscription.name}`,
        awsRegion: 'local',
      },
      receiveCount: 0,
      notBefore: 0,
    });
    this.kick();
  }

  get idle(): boolean {
    return this.pending.length === 0 && this.running === undefined;
  }

  /** Resolves when nothing is pending or running. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.work().finally(() => {
      this.running = undefined;
      if (this.pending.length === 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      } else {
        this.schedule();
      }
    });
  }

  private schedule(): void {
    if (this.timer || this.pending.length === 0) return;
    const next = Math.min(...this.pending.map((p) => p.notBefore));
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.kick();
      },
      Math.max(0, next - Date.now()),
    );
  }

  private async work(): Promise<void> {
    for (;;) {
      const now = Date.now();
      const ready = this.pending.filter((p) => p.notBefore <= now).slice(0, this.options.batchSize);
      if (ready.length === 0) return;
      for (const item of ready) {
        item.receiveCount++;
        item.record.attributes.ApproximateReceiveCount = String(item.receiveCount);
        item.notBefore = Date.now() + this.options.visibilityTimeoutMs;
      }
      let failedIds: Set<string>;
      try {
        const response = await this.handler({ Records: ready.map((p) => p.record) });
        failedIds = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      } catch {
        failedIds = new Set(ready.map((p) => p.record.messageId));
      }
      this.options.onBatch?.(this.subscription.name, { records: ready.length, failed: failedIds.size });
      for (const item of ready) {
        const failed = failedIds.has(item.record.messageId);
        const maxReceives = this.subscription.maxReceiveCount ?? 5;
        if (failed && item.receiveCount < maxReceives) continue;
        this.pending.splice(this.pending.indexOf(item), 1);
        if (failed) {
          await this.subscription.deadLetters.send({
            body: item.record.body,
            reason: `still failing after ${item.receiveCount} receives (max receive count)`,
            consumer: this.subscription.name,
            messageId: item.record.messageId,
          });
        }
      }
    }
  }
}

export class LocalTopic implements EventPublisher {
  private readonly queues: LocalQueue[];

  constructor(subscriptions: LocalSubscription[], options: TopicOptions = {}) {
    const resolved = {
      visibilityTimeoutMs: options.visibilityTimeoutMs ?? 1_000,
      batchSize: options.batchSize ?? 10,
      onBatch: options.onBatch,
    };
    this.queues = subscriptions.map((s) => new LocalQueue(s, resolved));
  }

  async publish(event: ConnectionEvent): Promise<void> {
    this.route(event);
  }

  /** The consumers, in order, with what their subscriptions filter by. */
  subscriptions(): { name: string; filterPolicy?: FilterPolicy }[] {
    return this.queues.map(({ subscription: { name, filterPolicy } }) => ({
      name,
      ...(filterPolicy === undefined ? {} : { filterPolicy }),
    }));
  }

  /**
   * Queues a message for one consumer alone, as a send to its SQS queue does: no filter policy is
   * applied (the sender judged it). False when no consumer has that name.
   */
  sendTo(consumer: string, body: string, attributes: Record<string, MessageAttributeValue>): boolean {
    const queue = this.queues.find((q) => q.subscription.name === consumer);
    if (!queue) return false;
    queue.enqueue(body, attributes);
    return true;
  }

  /** Queues the envelope for each consumer whose filter policy matches; returns their names. */
  route(event: ConnectionEvent): string[] {
    const body = JSON.stringify(event);
    const attributes = snsMessageAttributes(event);
    const queued: string[] = [];
    for (const queue of this.queues) {
      if (!matchesFilterPolicy(queue.subscription.filterPolicy, attributes)) continue;
      queue.enqueue(body, attributes);
      queued.push(queue.subscription.name);
    }
    return queued;
  }

  /** Waits until every queue is empty, or the deadline passes; returns what is still pending. */
  async drain(timeoutMs: number): Promise<{ consumer: string; body: string; messageId: string }[]> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.queues.map((q) => q.whenIdle())),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
    return this.queues.flatMap((q) =>
      q.pending.map((p) => ({
        consumer: q.subscription.name,
        body: p.record.body,
        messageId: p.record.messageId,
      })),
    );
  }

  stop(): void {
    for (const queue of this.queues) queue.stop();
  }
}
