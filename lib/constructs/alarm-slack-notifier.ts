/**
 * Alarms in Slack: a function subscribed to the alarm topic that posts every notification (ALARM and
 * OK, and anything else published there) to a Slack Incoming Webhook, with a dead-letter queue for
 * the notifications it could not post. Made by `Monitoring` only when `alarmSlack` is configured.
 *
 *   alarm topic (KMS) ──LambdaSubscription──▶ alarm-notifier function ──▶ Slack
 *        │  SNS decrypts before it invokes:            │ an error: Lambda retries the async
 *        │  the function needs no key grant            │ invocation twice, then its
 *        │ SNS could not invoke (after its retries)    │ on-failure destination
 *        ▼                                             ▼
 *   dead-letter queue (SSE-SQS, TLS only, 14 days) ◀───┘  ──▶ alarm `<stack>-alarm-slack-dead-letters`
 *
 * The dead-letter queue uses SQS-managed encryption like the consumers' queues: SNS writes to it
 * (the subscription's redrive policy, allowed by the queue policy for this topic only) and so does
 * Lambda, as the function's role (`sqs:SendMessage` on this queue only), with no KMS key policy or
 * grant. The function reads one secret, by name: the operator's, not the stack's.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { IDestination } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic, Subscription } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULTS, ENV } from '../../lambda/contract.ts';
import { HouseFunction } from './house-function.ts';
import { DEAD_LETTER_RETENTION } from './subscriber.ts';

/** Retries Lambda makes of an invocation that failed (Slack down, the secret unreadable): its maximum. */
export const ALARM_NOTIFIER_RETRY_ATTEMPTS = 2;

/**
 * How long Lambda keeps trying an invocation (its retries, and waiting while throttled) before it
 * goes to the dead-letter queue: Lambda's default, made explicit. A notification later than this is
 * history; the dead-letter queue still has it.
 */
export const ALARM_NOTIFIER_MAX_EVENT_AGE = Duration.hours(6);

/** Properties of an {@link AlarmSlackNotifier}. */
export interface AlarmSlackNotifierProps {
  /** The alarm topic to subscribe to. */
  readonly topic: ITopic;
  /**
   * Name of the Secrets Manager secret holding the Slack Incoming Webhook URL (`ENV.alarmSlackSecretId`).
   * Made by the operator; the function may read that one secret only.
   */
  readonly secretName: string;
  /**
   * Seconds the function caches the secret's value (`ENV.secretMaxAgeSeconds`).
   * @default DEFAULTS.secretMaxAgeSeconds (300)
   */
  readonly secretMaxAgeSeconds?: number;
  /**
   * Timeout of one HTTP call to Slack, in milliseconds (`ENV.httpTimeoutMs`).
   * @default DEFAULTS.httpTimeoutMs (8000)
   */
  readonly httpTimeoutMs?: number;
  /**
   * Timeout of one invocation: up to three HTTP calls to Slack with backoff between them.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
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

/** The alarm notifier function, its subscription to the alarm topic and its dead-letter queue. */
export class AlarmSlackNotifier extends Construct {
  /** The function posting notifications to Slack. */
  public readonly fn: HouseFunction;
  /** Notifications that could not be posted: SNS's (could not invoke) and Lambda's (the function failed). */
  public readonly deadLetterQueue: Queue;
  /** The subscription of {@link fn} to the alarm topic, with {@link deadLetterQueue} as its redrive target. */
  public readonly subscription: Subscription;
  /** The webhook URL's secret, referenced by name (the stack does not own it). */
  public readonly secret: ISecret;

  constructor(scope: Construct, id: string, props: AlarmSlackNotifierProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(30);
    const httpTimeoutMs = props.httpTimeoutMs ?? DEFAULTS.httpTimeoutMs;
    if (timeout.toMilliseconds() <= httpTimeoutMs) {
      throw new Error(
        `AlarmSlackNotifier: the function timeout (${timeout.toSeconds()} s) must be longer than one HTTP call (${httpTimeoutMs} ms)`,
      );
    }

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is a dead-letter queue: the redrive target of the alarm topic subscription (SNS) and the ' +
        "on-failure destination of the alarm notifier (Lambda). cdk-nag's SQS3 only recognises a dead-letter " +
        "queue named in another queue's RedrivePolicy, and a dead-letter queue of a dead-letter queue would " +
        'hold nothing: its own alarm (alarm-slack-dead-letters) watches it instead.',
    });

    const secret = Secret.fromSecretNameV2(this, 'Secret', props.secretName);
    this.secret = secret;
    this.fn = new HouseFunction(this, 'Function', {
      handler: 'alarmNotifier',
      description: 'Posts the alarm topic notifications (ALARM and OK) to Slack',
      serviceName: 'leadsie-webhooks-alarm-slack',
      timeout,
      memorySize: props.memorySize,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    })
      .addEnv(ENV.alarmSlackSecretId, props.secretName, (fn) =>
        // The secret's name and the six characters Secrets Manager appends to its ARN: this one
        // secret, as the consumers are granted theirs (`subscriber.ts`).
        Grant.addToPrincipal({
          grantee: fn,
          actions: ['secretsmanager:GetSecretValue'],
          resourceArns: [`${secret.secretArn}-??????`],
        }),
      )
      .addEnv(ENV.secretMaxAgeSeconds, String(props.secretMaxAgeSeconds ?? DEFAULTS.secretMaxAgeSeconds))
      .addEnv(ENV.httpTimeoutMs, String(httpTimeoutMs));

    // A failed invocation, after Lambda's retries, goes to the dead-letter queue with its error
    // (Lambda's record: requestPayload, responsePayload). Not `SqsDestination`: its grant adds
    // sqs:GetQueueAttributes and sqs:GetQueueUrl, which Lambda does not need to send there.
    const deadLetterQueue = this.deadLetterQueue;
    const onFailure: IDestination = {
      bind: (_scope, fn) => {
        Grant.addToPrincipal({
          grantee: fn,
          actions: ['sqs:SendMessage'],
          resourceArns: [deadLetterQueue.queueArn],
        });
        return { destination: deadLetterQueue.queueArn };
      },
    };
    this.fn.function.configureAsyncInvoke({
      retryAttempts: ALARM_NOTIFIER_RETRY_ATTEMPTS,
      maxEventAge: ALARM_NOTIFIER_MAX_EVENT_AGE,
      onFailure,
    });

    // SNS invokes asynchronously and retries on its own when it cannot (throttled, no permission,
    // function gone); what it gives up on goes to the same queue. The topic is KMS-encrypted: SNS
    // decrypts before it delivers, to the function and to this SSE-SQS queue alike.
    this.subscription = props.topic.addSubscription(
      new LambdaSubscription(this.fn.function, { deadLetterQueue: this.deadLetterQueue }),
    );
  }

  /** Notifications waiting in the dead-letter queue (`ApproximateNumberOfMessagesVisible`, maximum): alarm on > 0. */
  public metricDeadLetters(props?: MetricOptions): Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }
}
