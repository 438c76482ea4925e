/**
 * The consumers of a target, for `events show`, `deliveries`, `dead-letters` and `replay --consumer`:
 * their names, their subscriptions' filter policies, their work queues and dead-letter queues, and
 * the outcome ledger in the target's table.
 *
 *   deployed: outputs `<Pascal>DeadLetterQueueUrl` ─ListDeadLetterSourceQueues─▶ the work queue
 *             ─QueueArn─▶ its subscription on the topic (ListSubscriptionsByTopic)
 *             ─GetSubscriptionAttributes─▶ FilterPolicy
 *             (a dead-letter queue no queue of the topic feeds, the alarm notifier's, is no consumer)
 *   local:    the local server's admin endpoint (Authorization: Bearer <read token>; routes in
 *             local/admin.ts):
 *               GET  /consumers                  200 [{ name, filterPolicy? }] (what its topic routes by)
 *               POST /consumers/<name>/messages  { body, attributes: { <name>: { DataType, StringValue } } }
 *                                                → 202 once queued for that consumer alone (force included)
 *               POST /consumers/<name>/redrive   { sentBeforeMs } → 200 { moved: [{ eventId, reason }] }:
 *                                                its dead letters sent before then, back on its queue
 *             an error answers { error } naming the problem (404: no such consumer)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  type MessageAttributeValue as SnsAttribute,
} from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDbOutcomeLedger } from '../lambda/consumers/runtime/dynamodb-outcomes.ts';
import type { OutcomeLedger } from '../lambda/consumers/runtime/outcomes.ts';
import { STACK_OUTPUTS } from '../lambda/contract.ts';
import type { ConnectionEvent } from '../lambda/domain/envelope.ts';
import {
  type ConsumerEndpoint,
  chooseConsumers,
  eventMessageAttributes,
  type FilterPolicy,
  type MessageAttributes,
  type RedrivenMessage,
  UnknownConsumerError,
} from '../lambda/use-cases/inspect-deliveries.ts';
import type { EventPublisher } from '../lambda/use-cases/ports.ts';
import { describeAwsError, stackOutputs } from './aws.ts';
import { CliError, UsageError } from './errors.ts';
import type { DeployedTarget, LocalTarget, Target } from './target.ts';

/** The attributes the consumer adds to a dead letter; they are not the message's own. */
const DEAD_LETTER_ANNOTATIONS = new Set(['reason', 'consumer', 'originalMessageId']);
const DEAD_LETTER_OUTPUT = /^([A-Z][A-Za-z0-9]*)DeadLetterQueueUrl$/;
/** SQS batch calls take at most ten entries. */
const SQS_BATCH = 10;
/** How long a dead letter being moved stays invisible to anyone else. */
const MOVE_VISIBILITY_SECONDS = 60;

/** `ForwardZapier` → `forward-zapier`: the consumer name an output's Pascal-case prefix stands for. */
export const consumerNameOf = (pascal: string): string =>
  pascal.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** The outcome ledger in the target's table. */
export const outcomeLedger = (target: Target): OutcomeLedger =>
  target.kind === 'local'
    ? new DynamoDbOutcomeLedger(localDynamo(target), { tableName: target.server.tableName })
    : new DynamoDbOutcomeLedger(target.clients.dynamodb, {
        tableName: target.output(STACK_OUTPUTS.tableName),
      });

const localDynamo = (target: LocalTarget) =>
  new DynamoDBClient({
    endpoint: target.server.dynamodbEndpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

/** The target's consumers, in the order the stack (or local mode) lists them. */
export const targetConsumers = (target: Target): Promise<ConsumerEndpoint[]> =>
  target.kind === 'local' ? localConsumers(target) : deployedConsumers(target);

const parsePolicy = (
  text: string | undefined,
  scope: string | undefined,
): FilterPolicy | undefined | null => {
  if (text === undefined || text === '') return undefined;
  // The evaluator knows attribute policies; a body-scoped policy cannot be judged from attributes.
  if (scope !== undefined && scope !== 'MessageAttributes') return null;
  try {
    return JSON.parse(text) as FilterPolicy;
  } catch {
    return null;
  }
};

const sqsClientFor = async (target: DeployedTarget): Promise<SQSClient> => {
  const region = await target.clients.sns.config.region().catch(() => undefined);
  return new SQSClient(region ? { region } : {});
};

const aws = async <T>(doing: string, call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(describeAwsError(error, doing));
  }
};

const deployedConsumers = async (target: DeployedTarget): Promise<ConsumerEndpoint[]> => {
  const outputs = await stackOutputs(target.clients, target.stackName);
  const topicArn = target.output(STACK_OUTPUTS.connectionEventsTopicArn);
  const sqs = await sqsClientFor(target);
  const subscriptions = await aws('listing the subscriptions of the topic', async () => {
    const found: { arn: string; endpoint: string }[] = [];
    let next: string | undefined;
    do {
      const page = await target.clients.sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: next }),
      );
      for (const s of page.Subscriptions ?? []) {
        if (s.SubscriptionArn && s.Endpoint) found.push({ arn: s.SubscriptionArn, endpoint: s.Endpoint });
      }
      next = page.NextToken;
    } while (next);
    return found;
  });
  const consumers: ConsumerEndpoint[] = [];
  for (const [key, deadLetterQueueUrl] of outputs) {
    const match = DEAD_LETTER_OUTPUT.exec(key);
    if (!match?.[1]) continue;
    const name = consumerNameOf(match[1]);
    const sources = await aws(
      `finding the queue of consumer "${name}"`,
      async () =>
        (await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: deadLetterQueueUrl }))).queueUrls ??
        [],
    );
    for (const queueUrl of sources) {
      const queueArn = await aws(
        `reading the queue of consumer "${name}"`,
        async () =>
          (
            await sqs.send(
              new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
            )
          ).Attributes?.QueueArn,
      );
      const subscription = subscriptions.find((s) => s.endpoint === queueArn);
      if (!subscription) continue;
      const attributes = await aws(
        `reading the subscription of consumer "${name}"`,
        async () =>
          (
            await target.clients.sns.send(
              new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription.arn }),
            )
          ).Attributes ?? {},
      );
      consumers.push({
        name,
        filterPolicy: parsePolicy(attributes.FilterPolicy, attributes.FilterPolicyScope),
        enqueue: (body, messageAttributes) =>
          aws(`sending to the queue of consumer "${name}"`, async () => {
            await sqs.send(
              new SendMessageCommand({
                QueueUrl: queueUrl,
                MessageBody: body,
                MessageAttributes: messageAttributes,
              }),
            );
          }),
        redrive: (onMoved, sentBeforeMs) =>
          aws(`moving the dead letters of consumer "${name}"`, () =>
            moveMessages(sqs, deadLetterQueueUrl, queueUrl, onMoved, sentBeforeMs),
          ),
      });
      break;
    }
  }
  return consumers;
};

const eventIdOf = (body: string | undefined): string | null => {
  try {
    const id = (JSON.parse(body ?? '') as { eventId?: unknown }).eventId;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
};

/**
 * Receives from `from` and sends to `to` until `from` has nothing older than `sentBeforeMs`, ten at
 * a time: a message is deleted from `from` only once `to` has it (a failure in between leaves a
 * copy in both, never none). A newer one is made visible again and left.
 */
const moveMessages = async (
  sqs: SQSClient,
  from: string,
  to: string,
  onMoved: (message: RedrivenMessage) => void,
  sentBeforeMs: number,
): Promise<number> => {
  let moved = 0;
  for (;;) {
    const { Messages: received = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: from,
        MaxNumberOfMessages: SQS_BATCH,
        WaitTimeSeconds: 0,
        VisibilityTimeout: MOVE_VISIBILITY_SECONDS,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    const isNew = (m: (typeof received)[number]) => Number(m.Attributes?.SentTimestamp ?? 0) >= sentBeforeMs;
    const fresh = received.filter(isNew);
    if (fresh.length > 0) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: from,
          Entries: fresh.map((m, index) => ({
            Id: String(index),
            ReceiptHandle: m.ReceiptHandle ?? '',
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
    const messages = received.filter((m) => !isNew(m));
    if (messages.length === 0) return moved;
    const entries = messages.map((message, index) => ({
      Id: String(index),
      MessageBody: message.Body ?? '',
      MessageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).filter(
          ([name]) => !DEAD_LETTER_ANNOTATIONS.has(name),
        ),
      ),
    }));
    const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: to, Entries: entries }));
    const failed = sent.Failed ?? [];
    if (failed.length > 0) {
      throw new Error(
        `${failed.length} message(s) could not be sent back: ${failed[0]?.Message ?? failed[0]?.Code}`,
      );
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: from,
        Entries: messages.map((m, index) => ({ Id: String(index), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
    for (const message of messages) {
      moved++;
      onMoved({
        eventId: eventIdOf(message.Body),
        reason: message.MessageAttributes?.reason?.StringValue ?? null,
      });
    }
  }
};

/** Publishes on the deployed topic with the `force` attribute: `replay --force` to every consumer. */
export class ForcedTopicPublisher implements EventPublisher {
  constructor(private readonly target: DeployedTarget) {}

  async publish(event: ConnectionEvent): Promise<void> {
    await this.target.clients.sns.send(
      new PublishCommand({
        TopicArn: this.target.output(STACK_OUTPUTS.connectionEventsTopicArn),
        Message: JSON.stringify(event),
        MessageAttributes: eventMessageAttributes(event, true) as Record<string, SnsAttribute>,
      }),
    );
  }
}

// ── local mode ──

/** What local mode's admin endpoint answers at `GET /consumers`. */
export interface LocalConsumerInfo {
  name: string;
  filterPolicy?: FilterPolicy;
}

const LOCAL_TIMEOUT_MS = 10_000;

const adminCall = async (
  target: LocalTarget,
  method: string,
  route: string,
  body?: unknown,
): Promise<Response> => {
  const url = `${target.server.adminUrl.replace(/\/+$/, '')}${route}`;
  try {
    return await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${target.tokens.readToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(LOCAL_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new CliError(`local admin endpoint ${url} unreachable${cause ? ` (${cause})` : ''}`);
  }
};

/** The endpoint's `{ error }`, or its status alone when it gave none. */
const adminFailure = async (response: Response, call: string): Promise<CliError> => {
  const error = await response
    .json()
    .then((json: unknown) => (json as { error?: unknown }).error)
    .then((error) => (typeof error === 'string' ? error : undefined))
    .catch(() => undefined);
  return new CliError(
    `local admin endpoint answered ${response.status} to ${call}${error ? `: ${error}` : ''}`,
  );
};

const localConsumers = async (target: LocalTarget): Promise<ConsumerEndpoint[]> => {
  const answer = await adminCall(target, 'GET', '/consumers');
  if (answer.status !== 200) throw await adminFailure(answer, 'GET /consumers');
  const infos = (await answer.json()) as LocalConsumerInfo[];
  return infos.map((info) => {
    const route = `/consumers/${encodeURIComponent(info.name)}`;
    return {
      name: info.name,
      filterPolicy: info.filterPolicy,
      enqueue: async (body: string, attributes: MessageAttributes) => {
        const response = await adminCall(target, 'POST', `${route}/messages`, { body, attributes });
        if (response.status !== 202) throw await adminFailure(response, `POST ${route}/messages`);
      },
      redrive: async (onMoved: (message: RedrivenMessage) => void, sentBeforeMs: number) => {
        const response = await adminCall(target, 'POST', `${route}/redrive`, { sentBeforeMs });
        if (response.status !== 200) throw await adminFailure(response, `POST ${route}/redrive`);
        const { moved } = (await response.json()) as { moved: RedrivenMessage[] };
        for (const message of moved) onMoved(message);
        return moved.length;
      },
    };
  });
};

/** The consumers `--consumer` names (every one when it names none); an unknown name is a usage error. */
export const chosenConsumers = async (
  target: Target,
  wanted: readonly string[],
): Promise<ConsumerEndpoint[]> => {
  const all = await targetConsumers(target);
  try {
    return chooseConsumers(all, wanted);
  } catch (error) {
    if (error instanceof UnknownConsumerError) throw new UsageError(error.message);
    throw error;
  }
};
