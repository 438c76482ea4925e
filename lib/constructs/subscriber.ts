/**
 * The reusable consumer shape: every consumer of the "connection events" topic is one of these.
 *
 *   topic ──subscription (raw message delivery, optional filter policy)──▶ queue ──▶ function
 *                                                                            │   (SQS event source:
 *                                                                            │    batches, partial batch
 *                                                                            │    failures, bounded
 *                                                                            │    concurrency)
 *                           after maxReceiveCount receives, SQS moves it ──▶ dead-letter queue
 *                           a permanent failure, the function sends it ────▶ (14 days, for replay)
 *
 * Both queues use SQS-managed server-side encryption (SSE-SQS) and deny every request without TLS.
 * SSE-SQS, not the topic's KMS key: SNS delivers to an SSE-SQS queue with no key policy, and the
 * function's own calls on its queues (receive, delete, change visibility, send to the dead-letter
 * queue) need no `kms:*` grant, so a consumer's permissions stay its two queues and its secret.
 *
 * The function gets the names it needs from `ENV` in `lambda/contract.ts`, each with its grant:
 * its queue URL (change visibility, for a target's Retry-After), its dead-letter queue URL (send, for
 * permanent failures), its secret's name (read the value; a consumer without a secret, such as the
 * email notifier, gets neither the name nor any secret permission), and the HTTP timeout. Anything
 * specific to one consumer (a CRM target, the table) is added by the caller with `fn.addEnv`.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { type ITopic, type Subscription, SubscriptionFilter } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type ConsumerFilter, consumerFilterPolicy, DEFAULTS, ENV } from '../../lambda/contract.ts';
import { type HandlerName, HouseFunction } from './house-function.ts';

/** How long a dead letter is kept: SQS's maximum, so there is time to look at it and replay it. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/** A queue's visibility timeout is this many times its function's timeout (AWS's advice for Lambda). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Properties of a {@link Subscriber}. */
export interface SubscriberProps {
  /** The "connection events" topic to subscribe to. */
  readonly topic: ITopic;
  /**
   * Name of the consumer in logs, metrics and dead letters (`ENV.consumerName`): `slack`, `hubspot`,
   * `forward-zapier`.
   */
  readonly consumerName: string;
  /** The handler to run, by its name in `HANDLER_ENTRIES` of `lambda/contract.ts`. */
  readonly handler: HandlerName;
  /**
   * Name of the Secrets Manager secret the consumer reads (`ENV.consumerSecretId`). The secret is
   * made by the operator, not by the stack; the function may read that one secret only.
   * @default - no secret: neither `ENV.consumerSecretId` nor `ENV.secretMaxAgeSeconds` is set, and the
   *   function may read no secret at all
   */
  readonly secretName?: string;
  /**
   * Filter policy on the message attributes of the topic (see {@link subscriptionFilterPolicy}).
   * @default - no filter policy: every event reaches the queue
   */
  readonly filterPolicy?: Record<string, SubscriptionFilter>;
  /**
   * What the function does, shown in the Lambda console.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Timeout of one invocation. It bounds a whole batch, whose records are delivered concurrently,
   * each in up to three HTTP attempts of `httpTimeoutMs` with backoff between them. The queue's
   * visibility timeout is six times this.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Receives of a message before SQS moves it to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Records per invocation (1 to 10).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * Most concurrent invocations the SQS event source makes (2 to 1000): bounds the load on the target.
   * @default 2
   */
  readonly maxConcurrency?: number;
  /**
   * Reserved concurrency of the function: at most this many run at once, whatever invokes them. For
   * a consumer that must run one at a time (1), since the event source's `maxConcurrency` cannot go
   * below 2. Below `maxConcurrency` the event source is throttled at times: the throttled batch returns
   * to the queue after the visibility timeout, and that receive counts toward `maxReceiveCount`, so
   * give such a consumer a higher `maxReceiveCount`.
   * @default - none: the function draws on the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * Timeout of one outgoing HTTP call, in milliseconds (`ENV.httpTimeoutMs`).
   * @default DEFAULTS.httpTimeoutMs (8000)
   */
  readonly httpTimeoutMs?: number;
  /**
   * Seconds the function caches the secret's value (`ENV.secretMaxAgeSeconds`); ignored without `secretName`.
   * @default DEFAULTS.secretMaxAgeSeconds (300)
   */
  readonly secretMaxAgeSeconds?: number;
  /**
   * Memory of the function, in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
  /**
   * Removal policy of the function's log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The subscription filter policy of a consumer: the contract's `consumerFilterPolicy` (the builder
 * local mode uses too, so both deliver to the same consumers) as SNS subscription filters;
 * `undefined` when the consumer wants every event.
 */
export const subscriptionFilterPolicy = (
  filter: ConsumerFilter,
): Record<string, SubscriptionFilter> | undefined => {
  const policy = consumerFilterPolicy(filter);
  if (policy === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(policy).map(([attribute, allowlist]) => [
      attribute,
      SubscriptionFilter.stringFilter({ allowlist }),
    ]),
  );
};

/** A consumer of the connection events topic: subscription → queue and dead-letter queue → function. */
export class Subscriber extends Construct {
  /** The consumer's name (`ENV.consumerName`). */
  public readonly consumerName: string;
  /** The queue the topic delivers to and the function reads from. */
  public readonly queue: Queue;
  /** Where messages go after `maxReceiveCount` receives, or at once on a permanent failure. */
  public readonly deadLetterQueue: Queue;
  /** The consumer function. Add consumer-specific settings with `fn.addEnv`. */
  public readonly fn: HouseFunction;
  /** The subscription of {@link queue} to the topic (raw message delivery). */
  public readonly subscription: Subscription;
  /** The SQS event source of {@link fn}. */
  public readonly eventSource: SqsEventSource;
  /** The consumer's secret, referenced by name (the stack does not own it); undefined when it has none. */
  public readonly secret?: ISecret;

  constructor(scope: Construct, id: string, props: SubscriberProps) {
    super(scope, id);
    this.consumerName = props.consumerName;
    const timeout = props.timeout ?? Duration.seconds(30);
    const httpTimeoutMs = props.httpTimeoutMs ?? DEFAULTS.httpTimeoutMs;
    if (timeout.toMilliseconds() <= httpTimeoutMs) {
      throw new Error(
        `Subscriber ${props.consumerName}: the function timeout (${timeout.toSeconds()} s) must be longer than one HTTP call (${httpTimeoutMs} ms)`,
      );
    }
    const { reservedConcurrency } = props;
    if (
      reservedConcurrency !== undefined &&
      (!Number.isInteger(reservedConcurrency) || reservedConcurrency < 1)
    ) {
      throw new Error(
        `Subscriber ${props.consumerName}: reservedConcurrency must be a whole number of at least 1, got ${reservedConcurrency}`,
      );
    }

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A message stays hidden while a batch holding it runs, with room for the retries Lambda's
      // poller makes when an invocation is throttled.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    this.subscription = props.topic.addSubscription(
      new SqsSubscription(this.queue, {
        // The queue receives the envelope itself, not SNS's JSON wrapper around it.
        rawMessageDelivery: true,
        filterPolicy: props.filterPolicy,
      }),
    );

    this.fn = new HouseFunction(this, 'Function', {
      handler: props.handler,
      description: props.description,
      // One service name per consumer, so each target's logs and metrics stand apart.
      serviceName: `leadsie-webhooks-${props.consumerName}`,
      timeout,
      memorySize: props.memorySize,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    })
      .addEnv(ENV.consumerName, props.consumerName)
      .addEnv(ENV.queueUrl, this.queue.queueUrl, (fn) =>
        // To keep a message hidden for as long as a target's Retry-After asks.
        Grant.addToPrincipal({
          grantee: fn,
          actions: ['sqs:ChangeMessageVisibility'],
          resourceArns: [this.queue.queueArn],
        }),
      )
      .addEnv(ENV.deadLetterQueueUrl, this.deadLetterQueue.queueUrl, (fn) =>
        // A permanent failure goes to the dead-letter queue at once, with its reason.
        Grant.addToPrincipal({
          grantee: fn,
          actions: ['sqs:SendMessage'],
          resourceArns: [this.deadLetterQueue.queueArn],
        }),
      )
      .addEnv(ENV.httpTimeoutMs, String(httpTimeoutMs));

    if (props.secretName !== undefined) {
      const secret = Secret.fromSecretNameV2(this, 'Secret', props.secretName);
      this.secret = secret;
      this.fn
        .addEnv(ENV.consumerSecretId, props.secretName, (fn) =>
          // The secret's name with the six characters Secrets Manager appends to every ARN: this one
          // secret, not others whose names start the same way (`fromSecretName`'s `NAME*` would).
          Grant.addToPrincipal({
            grantee: fn,
            actions: ['secretsmanager:GetSecretValue'],
            resourceArns: [`${secret.secretArn}-??????`],
          }),
        )
        .addEnv(ENV.secretMaxAgeSeconds, String(props.secretMaxAgeSeconds ?? DEFAULTS.secretMaxAgeSeconds));
    }

    if (reservedConcurrency !== undefined) {
      // HouseFunction has no prop for it, hence the L1 property (as the reconciler sets its own).
      (this.fn.function.node.defaultChild as CfnFunction).reservedConcurrentExecutions = reservedConcurrency;
    }

    // Receive, delete and change visibility on the queue: granted by the event source, on the queue only.
    this.eventSource = new SqsEventSource(this.queue, {
      batchSize: props.batchSize ?? 10,
      maxConcurrency: props.maxConcurrency ?? 2,
      // One failing record is retried alone; the rest of its batch is deleted.
      reportBatchItemFailures: true,
    });
    this.fn.function.addEventSource(this.eventSource);
  }

  /** Messages waiting in the dead-letter queue (`ApproximateNumberOfMessagesVisible`, maximum): alarm on > 0. */
  public metricDeadLetters(props?: MetricOptions): Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }

  /** Age of the oldest message in the queue (`ApproximateAgeOfOldestMessage`, maximum): the consumer is behind. */
  public metricOldestMessageAge(props?: MetricOptions): Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', ...props });
  }
}
