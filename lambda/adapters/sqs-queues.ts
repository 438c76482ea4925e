/**
 * The consumer's own queues: the dead-letter queue (a permanent failure is sent there at once, with
 * its reason, and deleted from the work queue) and the work queue (a message is hidden for as long
 * as a target's Retry-After asks).
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface DeadLetter {
  body: string;
  reason: string;
  consumer: string;
  messageId: string;
}

export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
}

export interface MessageDelayer {
  /** Keeps a received message invisible for `seconds` (it comes back after that). */
  delay(receiptHandle: string, seconds: number): Promise<void>;
}

/** SQS allows at most 12 hours of visibility timeout. */
export const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;
/** Message attribute values are capped well below SQS's limits to keep dead letters readable. */
const MAX_REASON_CHARS = 1000;

export class SqsDeadLetterQueue implements DeadLetterSink {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: letter.body,
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: letter.reason.slice(0, MAX_REASON_CHARS) || 'unknown' },
          consumer: { DataType: 'String', StringValue: letter.consumer },
          originalMessageId: { DataType: 'String', StringValue: letter.messageId || 'unknown' },
        },
      }),
    );
  }
}

export class SqsMessageDelayer implements MessageDelayer {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(Math.max(0, Math.ceil(seconds)), MAX_VISIBILITY_SECONDS),
      }),
    );
  }
}
