/**
 * The reusable consumer shape: every consumer of the "connection events" topic is one of these.
 *
 *   topic ──subscription (raw message delivery, optional filter policy)──▶ queue ──▶ function
 *     │      SNS could not deliver to the queue ──▶ subscription         │   (SQS event source:
 *     │                                             dead-letter queue    │    short batching window,
 *     │                                                                  │    partial batch failures,
 *     │                                                                  │    bounded concurrency)
 *     │               past the retry horizon, the function moves it ───▶ dead-letter queue
 *     │               a permanent failure, the function sends it ──────▶ (14 days, for redrive)
 *     │               after maxReceiveCount receives (a backstop), SQS ▶
 *
 * Retries: the function (the consumer runtime) hides a failed message with `ChangeMessageVisibility`,
 * with backoff, until the message is older than the retry horizon (`ENV.retryHorizonHours`, by its
 * `SentTimestamp`), then dead-letters it with its reason. `maxReceiveCount` is only a backstop: Lambda's
 * poller also counts receives that were throttled before reaching the function. Every number derived
 * from the horizon (the backstop, the fewest receives the horizon needs, the shortest queue retention,
 * the dead-letter age alarm's threshold) comes from the engine's schedule
 * (`lambda/consumers/runtime/schedule.ts`), the same functions the engine runs by; the horizon's rule
 * is the engine's settings schema. Synth refuses a source queue that would expire a message before
 * the horizon, and a horizon that leaves the dead-letter age alarm no room, naming the consumer.
 *
 * All three queues use SQS-managed server-side encryption (SSE-SQS) and deny every request without
 * TLS. SSE-SQS, not the topic's KMS key: SNS delivers to an SSE-SQS queue with no key policy, and the
 * function's own calls on its queues (receive, delete, change visibility, send to the dead-letter
 * queue) need no `kms:*` grant, so a consumer's permissions stay its two queues and its secret.
 *
 * The function gets the names it needs from `ENV` in `lambda/contract.ts`, each with its grant:
 * its queue URL (change visibility, for backoff and a target's Retry-After), its dead-letter queue URL
 * (send, for permanent failures and expired retries), the retry horizon (in hours), its secret's name (read the
 * value, and decrypt it with its customer-managed key when one is given; a consumer without a secret,
 * such as the email notifier, gets neither the name nor any secret permission), and the HTTP timeout.
 * Anything specific to one consumer (a CRM target, the table) is added by the caller with `fn.addEnv`.
 */
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { type ITopic, type Subscription, SubscriptionFilter } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import * as z from 'zod/mini';
import {
  deadLetterAgeAlarmSeconds,
  MAX_QUEUE_RETENTION_SECONDS,
  minimumQueueRetentionSeconds,
  policyWithHorizon,
  type RetryPolicy,
} from '../../lambda/consumers/runtime/schedule.ts';
import {
  DEFAULT_RETRY_HORIZON_HOURS,
  engineEnvironment,
  retryHorizonHoursRule,
} from '../../lambda/consumers/runtime/settings.ts';
import { KMS_KEY_ARN, maxReceiveCountOf } from '../../lambda/consumers/settings.ts';
import {
  type ConsumerFilter,
  consumerFilterPolicy,
  DEFAULTS,
  ENV,
  type EnvName,
} from '../../lambda/contract.ts';
import { type FunctionEntry, type HandlerName, HouseFunction } from './house-function.ts';

/** How long a dead letter is kept: SQS's maximum, so there is time to look at it and replay it. */
export const DEAD_LETTER_RETENTION = Duration.seconds(MAX_QUEUE_RETENTION_SECONDS);

/** The longest a source queue keeps a message: SQS's maximum, the default. */
export const MAX_QUEUE_RETENTION = Duration.seconds(MAX_QUEUE_RETENTION_SECONDS);

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
  /** The handler to run: its name in `HANDLER_ENTRIES` of `lambda/contract.ts`, or its own entry (a consumer module's). */
  readonly handler: HandlerName | FunctionEntry;
  /**
   * Name of the Secrets Manager secret the consumer reads (`ENV.consumerSecretId`). The secret is
   * made by the operator, not by the stack; the function may read that one secret only.
   * @default - no secret: neither `ENV.consumerSecretId` nor `ENV.secretMaxAgeSeconds` is set, and the
   *   function may read no secret at all
   */
  readonly secretName?: string;
  /**
   * ARN of the customer-managed KMS key the secret is encrypted with: the function may `kms:Decrypt`
   * with it, through Secrets Manager only (`kms:ViaService`). Ignored without `secretName`.
   * @default - the secret uses the AWS-managed key `aws/secretsmanager`, whose key policy already lets
   *   any principal of the account that may read the secret decrypt it through Secrets Manager: no
   *   `kms:*` grant. A secret under any other key then fails to decrypt (AccessDenied) at run time.
   */
  readonly secretKmsKeyArn?: string;
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
   * visibility timeout is six times this plus the batching window (AWS's advice for Lambda).
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Hours after a message was first sent during which the function keeps retrying it
   * (`ENV.retryHorizonHours`), with backoff; past it the message is dead-lettered. The engine's rule
   * (`retryHorizonHoursRule`): at least 1, and short enough for the dead-letter age alarm. The
   * source queue's retention must be at least `minimumQueueRetentionSeconds` of the schedule: synth
   * fails otherwise.
   * @default DEFAULT_RETRY_HORIZON_HOURS (24)
   */
  readonly retryHorizonHours?: number;
  /**
   * Retention of the source queue: a message older than this is deleted by SQS, retried or not.
   * @default MAX_QUEUE_RETENTION (14 days, SQS's maximum)
   */
  readonly retentionPeriod?: Duration;
  /**
   * Receives of a message before SQS itself moves it to the dead-letter queue (1 to 1000): a backstop
   * behind the function's dead-lettering by age, since receives throttled before reaching the
   * function count too. At least the schedule's `minReceivesForHorizon` of the horizon.
   * @default the schedule's `backstopMaxReceiveCount` of the horizon (100 for 24 h)
   */
  readonly maxReceiveCount?: number;
  /**
   * Records per invocation (1 to 10).
   * @default DEFAULTS.consumerBatchSize (10)
   */
  readonly batchSize?: number;
  /**
   * How long the event source may wait to fill a batch before it invokes the function (0 to 300 s):
   * fewer, fuller invocations for a short delay.
   * @default Duration.seconds(DEFAULTS.consumerMaxBatchingWindowSeconds) (2 s)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Most concurrent invocations the SQS event source makes (2 to 1000): bounds the load on the target.
   * @default 2
   */
  readonly maxConcurrency?: number;
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
  /** The topic the consumer subscribes to. */
  public readonly topic: ITopic;
  /** How long after a message was first sent it is retried (`ENV.retryHorizonHours`). */
  public readonly retryHorizon: Duration;
  /** The engine's retry policy with this consumer's horizon: where the numbers below come from. */
  public readonly retryPolicy: RetryPolicy;
  /**
   * Threshold of the alarm on the age of the oldest dead letter: the schedule's
   * `deadLetterAgeAlarmSeconds` (14 days − the queue time the horizon allows − a margin to act).
   */
  public readonly deadLetterAgeAlarmThreshold: Duration;
  /** Receives before SQS moves a message to the dead-letter queue (a backstop). */
  public readonly maxReceiveCount: number;
  /** The queue the topic delivers to and the function reads from. */
  public readonly queue: Queue;
  /**
   * Where the function moves a message past the retry horizon or on a permanent failure, and SQS
   * after `maxReceiveCount` receives. Kept 14 days: a message SQS moves keeps its first enqueue time,
   * so it expires 14 days after it was first sent, not after the move.
   */
  public readonly deadLetterQueue: Queue;
  /**
   * The subscription's own dead-letter queue: messages SNS could not deliver to {@link queue} (a
   * deleted queue, a policy that refuses SNS). Kept 14 days.
   */
  public readonly subscriptionDeadLetterQueue: Queue;
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
    this.topic = props.topic;
    const horizonHours = props.retryHorizonHours ?? DEFAULT_RETRY_HORIZON_HOURS;
    const horizonCheck = z.safeParse(retryHorizonHoursRule, horizonHours);
    if (!horizonCheck.success) {
      throw new Error(
        `Subscriber ${props.consumerName}: ${horizonCheck.error.issues.map((issue) => issue.message).join('; ')}, got ${horizonHours}`,
      );
    }
    this.retryPolicy = policyWithHorizon(horizonHours);
    this.retryHorizon = Duration.seconds(this.retryPolicy.horizonSeconds);
    const retention = props.retentionPeriod ?? MAX_QUEUE_RETENTION;
    if (retention.toSeconds() > MAX_QUEUE_RETENTION.toSeconds()) {
      throw new Error(
        `Subscriber ${props.consumerName}: retentionPeriod can be at most ${MAX_QUEUE_RETENTION.toDays()} days (SQS's maximum), got ${retention.toHumanString()}`,
      );
    }
    const minimumRetention = Duration.seconds(minimumQueueRetentionSeconds(this.retryPolicy));
    if (retention.toSeconds() < minimumRetention.toSeconds()) {
      throw new Error(
        `Subscriber ${props.consumerName}: the queue's retentionPeriod (${retention.toHumanString()}) must be at least ` +
          `${minimumRetention.toHumanString()}: the retry horizon (${this.retryHorizon.toHumanString()}) plus the longest ` +
          'delay the schedule sets before it, or SQS deletes messages that are still being retried: raise ' +
          'retentionPeriod (up to 14 days) or shorten retryHorizonHours',
      );
    }
    // The horizon's rule already refused a horizon with no threshold.
    this.deadLetterAgeAlarmThreshold = Duration.seconds(deadLetterAgeAlarmSeconds(this.retryPolicy));
    const receives = maxReceiveCountOf({
      retryHorizonHours: horizonHours,
      maxReceiveCount: props.maxReceiveCount,
    });
    if (!Number.isInteger(receives.value) || receives.value > 1000 || receives.problem !== undefined) {
      throw new Error(
        `Subscriber ${props.consumerName}: ${
          receives.problem ??
          `maxReceiveCount must be a whole number from ${receives.minimum} to 1000, got ${receives.value}`
        }`,
      );
    }
    this.maxReceiveCount = receives.value;
    const maxBatchingWindow =
      props.maxBatchingWindow ?? Duration.seconds(DEFAULTS.consumerMaxBatchingWindowSeconds);
    if (props.secretKmsKeyArn !== undefined) {
      if (props.secretName === undefined) {
        throw new Error(
          `Subscriber ${props.consumerName}: secretKmsKeyArn is set but there is no secretName to decrypt`,
        );
      }
      if (!Token.isUnresolved(props.secretKmsKeyArn) && !KMS_KEY_ARN.test(props.secretKmsKeyArn)) {
        throw new Error(
          `Subscriber ${props.consumerName}: secretKmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias or key id, got "${props.secretKmsKeyArn}"`,
        );
      }
    }

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: retention,
      // A message stays hidden while a batch holding it runs, with room for the retries Lambda's
      // poller makes when an invocation is throttled and for the time it waits to fill a batch.
      visibilityTimeout: Duration.seconds(
        timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR + maxBatchingWindow.toSeconds(),
      ),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });
    this.subscriptionDeadLetterQueue = new Queue(this, 'SubscriptionDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    Validations.of(this.subscriptionDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is a dead-letter queue: the redrive target of the consumer's SNS subscription, for messages SNS " +
        "could not deliver to the consumer's queue. cdk-nag's SQS3 only recognises a dead-letter queue named in " +
        "another queue's RedrivePolicy, and a dead-letter queue of a dead-letter queue would hold nothing: its " +
        'own alarm (<consumer>-subscription-dead-letters) watches it instead.',
    });

    this.subscription = props.topic.addSubscription(
      new SqsSubscription(this.queue, {
        // The queue receives the envelope itself, not SNS's JSON wrapper around it.
        rawMessageDelivery: true,
        filterPolicy: props.filterPolicy,
        // CDK adds the queue policy that lets the topic (and only it) send there.
        deadLetterQueue: this.subscriptionDeadLetterQueue,
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
        // To hide a failed message for its backoff delay, or for as long as a target's Retry-After asks.
        Grant.addToPrincipal({
          grantee: fn,
          actions: ['sqs:ChangeMessageVisibility'],
          resourceArns: [this.queue.queueArn],
        }),
      )
      .addEnv(ENV.deadLetterQueueUrl, this.deadLetterQueue.queueUrl, (fn) =>
        // A permanent failure goes to the dead-letter queue at once, and a message past the retry
        // horizon when it is received next, each with its reason.
        Grant.addToPrincipal({
          grantee: fn,
          actions: ['sqs:SendMessage'],
          resourceArns: [this.deadLetterQueue.queueArn],
        }),
      )
      .addEnv(ENV.httpTimeoutMs, String(httpTimeoutMs));
    // The engine's own settings builder writes the horizon, so the function reads it by the same rule.
    for (const [name, value] of Object.entries(engineEnvironment({ retryHorizonHours: horizonHours }))) {
      this.fn.addEnv(name as EnvName, value);
    }

    if (props.secretName !== undefined) {
      const secret = Secret.fromSecretNameV2(this, 'Secret', props.secretName);
      this.secret = secret;
      const { secretKmsKeyArn } = props;
      this.fn
        .addEnv(ENV.consumerSecretId, props.secretName, (fn) => [
          // The secret's name with the six characters Secrets Manager appends to every ARN: this one
          // secret, not others whose names start the same way (`fromSecretName`'s `NAME*` would).
          Grant.addToPrincipal({
            grantee: fn,
            actions: ['secretsmanager:GetSecretValue'],
            resourceArns: [`${secret.secretArn}-??????`],
          }),
          ...(secretKmsKeyArn === undefined
            ? []
            : [
                // Secrets Manager decrypts the value with the secret's own key on the caller's behalf;
                // the condition keeps the grant from decrypting anything outside Secrets Manager.
                Grant.addToPrincipal({
                  grantee: fn,
                  actions: ['kms:Decrypt'],
                  resourceArns: [secretKmsKeyArn],
                  conditions: {
                    StringEquals: {
                      'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com`,
                    },
                  },
                }),
              ]),
        ])
        .addEnv(ENV.secretMaxAgeSeconds, String(props.secretMaxAgeSeconds ?? DEFAULTS.secretMaxAgeSeconds));
    }

    // Receive, delete and change visibility on the queue: granted by the event source, on the queue only.
    this.eventSource = new SqsEventSource(this.queue, {
      batchSize: props.batchSize ?? DEFAULTS.consumerBatchSize,
      maxBatchingWindow,
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

  /**
   * Time since the oldest dead letter was moved to the dead-letter queue (`ApproximateAgeOfOldestMessage`
   * of it, maximum): alarm at {@link deadLetterAgeAlarmThreshold}, before SQS expires it.
   */
  public metricDeadLetterAge(props?: MetricOptions): Metric {
    return this.deadLetterQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', ...props });
  }

  /** Messages SNS could not deliver to the queue, in the subscription's dead-letter queue (maximum): alarm on > 0. */
  public metricSubscriptionDeadLetters(props?: MetricOptions): Metric {
    return this.subscriptionDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: 'Maximum',
      ...props,
    });
  }

  /** Age of the oldest message in the queue (`ApproximateAgeOfOldestMessage`, maximum): the consumer is behind. */
  public metricOldestMessageAge(props?: MetricOptions): Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', ...props });
  }
}
