/**
 * A standard SQS queue on a fake clock, for the engine's time-travel tests: messages become
 * visible at a time, a receive hides them for the queue's visibility timeout (counting the
 * receive), `ChangeMessageVisibility` (the `MessageDelayer` port) moves that time and refuses what
 * SQS refuses, and a batch handler's failures come back while its successes are deleted, as
 * Lambda's event source mapping does. Running the queue jumps the clock to the next visible
 * message instead of waiting.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DeadLetter, DeadLetterSink, MessageDelayer } from '../../../lambda/adapters/sqs-queues.ts';
import { FORCE_MESSAGE_ATTRIBUTE } from '../../../lambda/contract.ts';
import type { Log } from '../../../lambda/use-cases/ports.ts';

export class FakeClock {
  constructor(public nowMs: number) {}
  readonly now = (): number => this.nowMs;
}

interface QueuedMessage {
  id: string;
  body: string;
  force: boolean;
  sentAtMs: number;
  visibleAtMs: number;
  receivedAtMs: number;
  receiveCount: number;
  receiptHandle: string;
}

export interface VisibilityChange {
  messageId: string;
  seconds: number;
  atMs: number;
}

export class FakeQueue implements MessageDelayer {
  private readonly messages = new Map<string, QueuedMessage>();
  private sequence = 0;
  /** Every accepted `ChangeMessageVisibility`, in order. */
  readonly visibilityChanges: VisibilityChange[] = [];

  constructor(
    private readonly clock: FakeClock,
    private readonly visibilityTimeoutSeconds = 60,
  ) {}

  get size(): number {
    return this.messages.size;
  }

  send(body: string, options: { force?: boolean } = {}): string {
    const id = `m-${++this.sequence}`;
    this.messages.set(id, {
      id,
      body,
      force: options.force ?? false,
      sentAtMs: this.clock.nowMs,
      visibleAtMs: this.clock.nowMs,
      receivedAtMs: 0,
      receiveCount: 0,
      receiptHandle: '',
    });
    return id;
  }

  async delay(receiptHandle: string, seconds: number): Promise<void> {
    const message = [...this.messages.values()].find((m) => m.receiptHandle === receiptHandle);
    if (!message) throw new Error('ReceiptHandleIsInvalid');
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43_200) {
      throw new Error(`InvalidParameterValue: VisibilityTimeout ${seconds}`);
    }
    if (this.clock.nowMs + seconds * 1000 - message.receivedAtMs > 43_200_000) {
      throw new Error(
        'InvalidParameterValue: total VisibilityTimeout beyond 43200 seconds since the receive',
      );
    }
    message.visibleAtMs = this.clock.nowMs + seconds * 1000;
    this.visibilityChanges.push({ messageId: message.id, seconds, atMs: this.clock.nowMs });
  }

  /** Up to `max` visible messages, hidden for the visibility timeout and counted as received. */
  receive(max = 10): SQSRecord[] {
    const visible = [...this.messages.values()]
      .filter((m) => m.visibleAtMs <= this.clock.nowMs)
      .slice(0, max);
    return visible.map((m) => {
      m.receiveCount++;
      m.receivedAtMs = this.clock.nowMs;
      m.visibleAtMs = this.clock.nowMs + this.visibilityTimeoutSeconds * 1000;
      m.receiptHandle = `${m.id}#${m.receiveCount}`;
      const messageAttributes: SQSRecord['messageAttributes'] = m.force
        ? {
            [FORCE_MESSAGE_ATTRIBUTE.name]: {
              stringValue: FORCE_MESSAGE_ATTRIBUTE.value,
              dataType: FORCE_MESSAGE_ATTRIBUTE.dataType,
            },
          }
        : {};
      return {
        messageId: m.id,
        receiptHandle: m.receiptHandle,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAtMs),
          SenderId: 'sns',
          ApproximateFirstReceiveTimestamp: String(m.sentAtMs),
        },
        messageAttributes,
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:fake',
        awsRegion: 'us-east-1',
      };
    });
  }

  /** Deletes the records a handler did not report failed (what the event source mapping does). */
  settle(records: SQSRecord[], response: SQSBatchResponse): void {
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const record of records) if (!failed.has(record.messageId)) this.messages.delete(record.messageId);
  }

  /**
   * Feeds the handler until the queue is empty, jumping the clock to each next visible message;
   * gives up after `maxBatches` (a test that loops forever fails instead of hanging).
   */
  async run(handler: (event: SQSEvent) => Promise<SQSBatchResponse>, maxBatches = 1000): Promise<number> {
    let batches = 0;
    while (this.messages.size > 0) {
      if (++batches > maxBatches) throw new Error(`queue not empty after ${maxBatches} batches`);
      const next = Math.min(...[...this.messages.values()].map((m) => m.visibleAtMs));
      if (next > this.clock.nowMs) this.clock.nowMs = next;
      const records = this.receive();
      this.settle(records, await handler({ Records: records }));
    }
    return batches;
  }
}

export class FakeDeadLetterQueue implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  async send(letter: DeadLetter): Promise<void> {
    this.letters.push(letter);
  }
}

export interface LoggedLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A `Log` that keeps every line. */
export class RecordingLog implements Log {
  readonly lines: LoggedLine[] = [];
  info(message: string, ...extra: Record<string, unknown>[]): void {
    this.lines.push({ level: 'info', message, fields: Object.assign({}, ...extra) });
  }
  warn(message: string, ...extra: Record<string, unknown>[]): void {
    this.lines.push({ level: 'warn', message, fields: Object.assign({}, ...extra) });
  }
  error(message: string, ...extra: Record<string, unknown>[]): void {
    this.lines.push({ level: 'error', message, fields: Object.assign({}, ...extra) });
  }
  messages(message: string): LoggedLine[] {
    return this.lines.filter((l) => l.message === message);
  }
}
