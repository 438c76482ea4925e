/**
 * Drives a consumer handler from a real SQS queue (on moto) the way Lambda's event source mapping
 * does: receive a batch, hand it over as an SQS event, delete what succeeded, and leave the reported
 * failures to come back after their visibility timeout (or to be moved to the dead-letter queue by
 * the queue's redrive policy).
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type ConsumerHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

const toRecord = (message: Message, queueArn: string): SQSRecord => ({
  messageId: message.MessageId ?? '',
  receiptHandle: message.ReceiptHandle ?? '',
  body: message.Body ?? '',
  attributes: {
    ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: message.Attributes?.SentTimestamp ?? '0',
    SenderId: message.Attributes?.SenderId ?? '',
    ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
  },
  messageAttributes: Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      { stringValue: value.StringValue, dataType: value.DataType ?? 'String' },
    ]),
  ),
  md5OfBody: message.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: 'us-east-1',
});

export const queueArnOf = async (sqs: SQSClient, queueUrl: string): Promise<string> =>
  (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
    .Attributes?.QueueArn ?? '';

const inFlight = async (sqs: SQSClient, queueUrl: string): Promise<number> => {
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
};

export interface DrainResult {
  /** Handler invocations made. */
  batches: number;
  /** Records handed to the handler (a retried message counts each time). */
  records: number;
  /** Records the handler reported failed. */
  failures: number;
}

/**
 * Feeds the queue's messages to the handler until the queue is empty (nothing visible, nothing in
 * flight) or the deadline passes, whichever comes first.
 */
export const drainQueue = async (
  sqs: SQSClient,
  queueUrl: string,
  handler: ConsumerHandler,
  options: { deadlineMs?: number; pollMs?: number } = {},
): Promise<DrainResult> => {
  const queueArn = await queueArnOf(sqs, queueUrl);
  const deadline = Date.now() + (options.deadlineMs ?? 20_000);
  const result: DrainResult = { batches: 0, records: 0, failures: 0 };
  while (Date.now() < deadline) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) {
      if ((await inFlight(sqs, queueUrl)) === 0) return result;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
      continue;
    }
    const records = messages.map((m) => toRecord(m, queueArn));
    const response = await handler({ Records: records });
    result.batches++;
    result.records += records.length;
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    result.failures += failed.size;
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
  }
  return result;
};

/** Every message currently in a queue (e.g. a dead-letter queue), received and deleted. */
export const takeAll = async (sqs: SQSClient, queueUrl: string): Promise<Message[]> => {
  const messages: Message[] = [];
  for (;;) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const batch = received.Messages ?? [];
    if (batch.length === 0) return messages;
    messages.push(...batch);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
};

/**
 * Every message that reaches a queue, received (with its message attributes) and deleted, polling
 * with a deadline (10 s) until the queue has been empty twice in a row: for messages SNS is still
 * delivering.
 */
export const receiveAll = async (sqs: SQSClient, queueUrl: string): Promise<Message[]> => {
  const messages: Message[] = [];
  let emptyPolls = 0;
  const deadline = Date.now() + 10_000;
  while (emptyPolls < 2 && Date.now() < deadline) {
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    const batch = result.Messages ?? [];
    if (batch.length === 0) {
      emptyPolls++;
      continue;
    }
    emptyPolls = 0;
    messages.push(...batch);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  return messages;
};
