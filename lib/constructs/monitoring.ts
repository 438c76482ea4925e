/**
 * Every failure is seen: CloudWatch alarms on each place an event can stop, an encrypted alarm
 * topic they all notify (on ALARM and on OK), optional email subscriptions, an optional Slack
 * notifier (`alarm-slack-notifier.ts`), and one dashboard.
 *
 *   ingest function Errors ─────────┐
 *   API 5xx, API 429s (access log) ─┤
 *   publish failures (EMF) ─────────┤
 *   each consumer: dead letters,    ├──▶ alarms ──ALARM / OK──▶ alarm topic (KMS, TLS only) ──▶ emails
 *     age of the oldest message and │                              ├──▶ alarm notifier ──▶ Slack
 *     of the oldest dead letter,    │                              │    (alarmSlack; its own DLQ alarm)
 *     unresolved dead letters (EMF),│                              └──▶ anything else the operator
 *     subscription dead letters     │                                   subscribes (pager)
 *   events topic: notifications     │
 *     failed, failed to redrive ────┤
 *   reconciler: backlog that stays, │
 *     Errors, failed schedule ──────┘
 *
 * Dead letters cannot expire unnoticed: a dead-letter queue's depth and age alarms return to OK when
 * SQS expires a message after 14 days, which reads as a recovery. The unresolved dead-lettered
 * outcome records (`DeadLettersUnresolved`, counted from the table by the reconciler) do not expire
 * while unresolved, so their alarm stays in ALARM until someone resolves them.
 *
 * The dashboard adds the app's own counts (EMF, `custom-metrics.ts`): webhooks received, rejected by
 * reason, duplicates and quarantined; events published and publish failures; each consumer's
 * deliveries, retries and dead letters.
 *
 * Alarm names start with the stack's name (`LeadsieWebhooks-ingest-errors`), so an email's subject says
 * which stack it is about; the alarm topic lets CloudWatch publish for those alarms only.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  MathExpression,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC_NAMES, type MetricName } from '../../lambda/contract.ts';
import { AlarmSlackNotifier, type AlarmSlackNotifierProps } from './alarm-slack-notifier.ts';
import { appMetric, rejectedByReasonSearch } from './custom-metrics.ts';
import type { IngestApi } from './ingest-api.ts';
import type { Reconciler } from './reconciler.ts';
import type { Subscriber } from './subscriber.ts';

/** The period of every alarm but the reconciler backlog's (which is one run interval). */
export const ALARM_PERIOD = Duration.minutes(5);

/** A consumer whose oldest queued message is this old is behind: alarm. */
export const QUEUE_AGE_ALARM_THRESHOLD = Duration.minutes(15);

/** Consecutive reconciler runs that must leave a backlog before the backlog alarm fires. */
export const RECONCILER_BACKLOG_RUNS = 3;

/** Properties of a {@link Monitoring}. */
export interface MonitoringProps {
  /** The HTTP API and its functions: ingest errors, 5xx, throttled requests. */
  readonly api: IngestApi;
  /** The reconciler: its backlog, errors and failed schedule invocations. */
  readonly reconciler: Reconciler;
  /**
   * The consumers of the topic: alarms on each one's dead letters (depth, age, unresolved outcome
   * records), its queue's age and its subscription's dead letters; and, on their topic (one for all),
   * alarms on failed notifications.
   * @default [] (no consumer alarms)
   */
  readonly consumers?: readonly Subscriber[];
  /**
   * Email addresses subscribed to the alarm topic (each must confirm the subscription).
   * @default [] (no subscriptions)
   */
  readonly alarmEmails?: readonly string[];
  /**
   * Post every notification of the alarm topic to Slack: a function subscribed to the topic, reading
   * the Incoming Webhook URL from the named secret, with a dead-letter queue and an alarm on it.
   * @default - no Slack notifier
   */
  readonly alarmSlack?: Omit<AlarmSlackNotifierProps, 'topic'>;
  /**
   * What CloudFormation does with the alarm topic's KMS key when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/** The alarms of the stack, by kind; the consumer alarms by consumer name. */
export interface MonitoringAlarms {
  readonly ingestErrors: Alarm;
  readonly apiServerErrors: Alarm;
  readonly apiThrottled: Alarm;
  readonly publishFailures: Alarm;
  readonly quarantined: Alarm;
  readonly reconcilerBacklog: Alarm;
  readonly reconcilerErrors: Alarm;
  readonly reconcilerScheduleFailures: Alarm;
  readonly deadLetters: Readonly<Record<string, Alarm>>;
  readonly queueAge: Readonly<Record<string, Alarm>>;
  /** The oldest dead letter nears its expiry (threshold from the consumer's retry horizon). */
  readonly deadLetterAge: Readonly<Record<string, Alarm>>;
  /** Unresolved dead-lettered outcome records, counted from the table: does not clear on expiry. */
  readonly deadLettersUnresolved: Readonly<Record<string, Alarm>>;
  /** Messages SNS could not deliver to the consumer's queue. */
  readonly subscriptionDeadLetters: Readonly<Record<string, Alarm>>;
  /** The topic's `NumberOfNotificationsFailed`; only with consumers. */
  readonly notificationsFailed?: Alarm;
  /** The topic's `NumberOfNotificationsFailedToRedriveToDlq`; only with consumers. */
  readonly notificationsFailedToRedrive?: Alarm;
  /** Notifications the Slack notifier could not post; only with `alarmSlack`. */
  readonly alarmSlackDeadLetters?: Alarm;
}

/** How an alarm reads its metric: what breaches, over how many periods, and what missing data means. */
interface AlarmSpec {
  readonly id: string;
  /** The alarm name after the stack name: `<stack>-<name>`. */
  readonly name: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly evaluationPeriods?: number;
  readonly treatMissingData: TreatMissingData;
  /** What it means and what to do: the body of the notification email. */
  readonly description: string;
}

/** The one topic the consumers subscribe to; undefined without consumers. */
const topicOf = (consumers: readonly Subscriber[]): ITopic | undefined => {
  const topics = [...new Set(consumers.map((consumer) => consumer.topic))];
  if (topics.length > 1) {
    throw new Error(
      `Monitoring: the consumers subscribe to ${topics.length} topics; it watches one (the connection events topic)`,
    );
  }
  return topics[0];
};

/** The alarm topic, its key and subscriptions, the alarms and the dashboard. */
export class Monitoring extends Construct {
  /** Where every alarm publishes when it goes to ALARM and back to OK. Subscribe anything to it. */
  public readonly alarmTopic: Topic;
  /** The customer-managed key encrypting {@link alarmTopic}; CloudWatch may use it for this stack's alarms. */
  public readonly alarmKey: Key;
  /** The alarms, by kind. */
  public readonly alarms: MonitoringAlarms;
  /** Every alarm, in the order they were made. */
  public readonly allAlarms: readonly Alarm[];
  /** The dashboard: ingest, API, consumers, reconciler, and the state of every alarm. */
  public readonly dashboard: Dashboard;
  /** The prefix of every alarm name (the stack name). */
  public readonly alarmNamePrefix: string;
  /** The function posting alarm notifications to Slack, when `alarmSlack` is configured. */
  public readonly alarmSlack?: AlarmSlackNotifier;

  private readonly action: SnsAction;
  private readonly made: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.alarmNamePrefix = stack.stackName;
    const { api, reconciler } = props;
    const consumers = props.consumers ?? [];

    // CloudWatch publishes only for alarms of this stack, in this account (confused deputy).
    const cloudWatchConditions = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: `${this.alarmNamePrefix}-*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };

    this.alarmKey = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Leadsie webhooks alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // An alarm action publishes to the encrypted topic with a data key of this key: without this
    // statement the alarms deploy cleanly and notify nobody.
    this.alarmKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisStackToPublishToTheAlarmTopic',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: cloudWatchConditions,
      }),
    );

    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'Leadsie webhooks alarms',
      masterKey: this.alarmKey,
      enforceSSL: true,
    });
    // The TLS-only topic policy replaces SNS's default one, so CloudWatch needs its own statement.
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisStackToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: cloudWatchConditions,
      }),
    );
    for (const address of props.alarmEmails ?? []) {
      this.alarmTopic.addSubscription(new EmailSubscription(address));
    }
    this.action = new SnsAction(this.alarmTopic);
    if (props.alarmSlack !== undefined) {
      this.alarmSlack = new AlarmSlackNotifier(this, 'AlarmSlack', {
        ...props.alarmSlack,
        topic: this.alarmTopic,
      });
    }

    const ingest = api.ingestFunction.function;
    const deadLetters: Record<string, Alarm> = {};
    const queueAge: Record<string, Alarm> = {};
    const deadLetterAge: Record<string, Alarm> = {};
    const deadLettersUnresolved: Record<string, Alarm> = {};
    const subscriptionDeadLetters: Record<string, Alarm> = {};
    const topic = topicOf(consumers);

    this.alarms = {
      ingestErrors: this.alarm(this, {
        id: 'IngestErrorsAlarm',
        name: 'ingest-errors',
        metric: ingest.metricErrors({ statistic: 'Sum', period: ALARM_PERIOD }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'The ingest function failed at least once in 5 minutes (an uncaught error or a timeout; a rejected ' +
          'webhook is an answer, not an error). Leadsie got a 5xx and may retry; a delivery that was stored is ' +
          'published by the reconciler. Do: read the ingest function\'s log group (level "ERROR") for the ' +
          'cause (DynamoDB, SNS, KMS or Secrets Manager errors, timeouts), fix it, then check the ' +
          'reconciler-backlog alarm returns to OK.',
      }),
      apiServerErrors: this.alarm(this, {
        id: 'ApiServerErrorsAlarm',
        name: 'api-5xx',
        metric: api.stage.metricServerError({ statistic: 'Sum', period: ALARM_PERIOD }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'The HTTP API answered at least one request with a 5xx in 5 minutes: a function failed or could ' +
          'not be invoked (throttled, misconfigured), or the event could not be stored or published. Leadsie ' +
          'may retry. Do: look at the ingest-errors alarm and the API access log (status, integrationError, ' +
          'routeKey) to find the failing route, then the log group of the function behind it.',
      }),
      apiThrottled: this.alarm(this, {
        id: 'ApiThrottledAlarm',
        name: 'api-throttled',
        metric: api.metricThrottledRequests({ period: ALARM_PERIOD }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'The HTTP API refused at least one request with 429 Too Many Requests in 5 minutes: its stage ' +
          'throttle (throttleRateLimit / throttleBurstLimit) was exceeded. A refused webhook is lost unless ' +
          'Leadsie retries it. Do: check the API access log for the callers (ip, userAgent, routeKey): a flood ' +
          'from elsewhere means the URL leaked (rotate the webhook token, re-paste the URL into Leadsie); real ' +
          'Leadsie traffic means the limits are too low for you (raise them in cdk.json and deploy).',
      }),
      publishFailures: this.alarm(this, {
        id: 'PublishFailuresAlarm',
        name: 'publish-failures',
        metric: appMetric(this, METRIC_NAMES.publishFailures, { period: ALARM_PERIOD }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'An event was stored but could not be published to the connection events topic at least once in ' +
          '5 minutes (by the ingest function, which answered 503 so Leadsie retries, or by the reconciler). ' +
          'Nothing is lost: the delivery stays pending and the reconciler tries again every run. Do: read the ' +
          'ingest and reconciler log groups for "publish failed" lines (their error names the cause: SNS, the ' +
          "topic's KMS key, a permission), fix it, then check that reconciler-backlog returns to OK.",
      }),
      quarantined: this.alarm(this, {
        id: 'QuarantinedAlarm',
        name: 'quarantined',
        // Counted by every reconciler run: the alarm stays in ALARM until every entry is resolved.
        metric: reconciler.metricQuarantined(),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        // A run that could not count (or a gap between runs) keeps the state it had.
        treatMissingData: TreatMissingData.IGNORE,
        description:
          'At least one webhook request with the right token was refused (400 not JSON or not a Leadsie ' +
          'payload, 413 too large, 415 content type) and is kept in quarantine, not ingested: consumers have ' +
          'not seen it. Do: `npm run --silent cli -- quarantine list` (add --json for every reason and the ' +
          'body). If Leadsie changed its payload, fix the schema and deploy; if the body is fine but was sent ' +
          'as another content type, retry with --content-type application/json; then `cli quarantine retry ' +
          '--all`. Junk from elsewhere means the webhook URL leaked: rotate the token, then `cli quarantine ' +
          'discard --all` (so does a test body, or one kept cut short). The alarm returns to OK once no entry ' +
          'is unresolved (after the next reconciler run); while it stays in ALARM, new arrivals show on the ' +
          'dashboard (WebhooksQuarantined).',
      }),
      reconcilerBacklog: this.alarm(this, {
        id: 'ReconcilerBacklogAlarm',
        name: 'reconciler-backlog',
        // The smallest backlog of a period: a period is bad only if no run in it got to zero.
        metric: reconciler.metricBacklog({ statistic: 'Minimum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: RECONCILER_BACKLOG_RUNS,
        // Runs do not line up with periods exactly: with MISSING, CloudWatch evaluates the three most
        // recent runs it has, whatever the gaps between them.
        treatMissingData: TreatMissingData.MISSING,
        description:
          `Deliveries stored but not published stayed pending after ${RECONCILER_BACKLOG_RUNS} reconciler runs ` +
          'in a row: consumers have not received these events. Do: read the reconciler\'s log group for "could ' +
          'not publish" lines (their error names the cause: SNS, KMS, DynamoDB); once fixed, the next runs ' +
          'publish the backlog and the alarm returns to OK. A backlog that only shrinks slowly means more ' +
          'pending deliveries than reconcilerBatchLimit per run: raise it.',
      }),
      reconcilerErrors: this.alarm(this, {
        id: 'ReconcilerErrorsAlarm',
        name: 'reconciler-errors',
        metric: reconciler.metricErrors({ period: ALARM_PERIOD }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'A reconciler run failed as a whole (it could not read the pending deliveries, or timed out); it ' +
          "is not retried, the next scheduled run tries again. Do: read the reconciler's log group for the " +
          'error; a timeout means the batch is too big for one run: lower reconcilerBatchLimit.',
      }),
      reconcilerScheduleFailures: this.alarm(this, {
        id: 'ReconcilerScheduleFailuresAlarm',
        name: 'reconciler-schedule-failures',
        metric: reconciler.metricFailedInvocations({ period: ALARM_PERIOD }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'EventBridge could not start the reconciler for a scheduled run, even after retrying: pending ' +
          'deliveries are not being published. Do: check that the reconciler function exists and that its ' +
          'resource policy still lets events.amazonaws.com invoke it (redeploying the stack restores both); ' +
          "the rule's FailedInvocations metric in AWS/Events shows when it started.",
      }),
      deadLetters,
      queueAge,
      deadLetterAge,
      deadLettersUnresolved,
      subscriptionDeadLetters,
      ...(topic === undefined ? {} : this.topicAlarms(topic)),
      ...(this.alarmSlack === undefined
        ? {}
        : { alarmSlackDeadLetters: this.alarmSlackAlarm(this.alarmSlack) }),
    };

    for (const consumer of consumers) {
      const name = consumer.consumerName;
      const scope = new Construct(this, consumer.node.id);
      const horizon = consumer.retryHorizon.toHumanString();
      const ageThresholdDays = consumer.deadLetterAgeAlarmThreshold.toDays({ integral: false });
      deadLetters[name] = this.alarm(scope, {
        id: 'DeadLettersAlarm',
        name: `${name}-dead-letters`,
        metric: consumer.metricDeadLetters({ period: ALARM_PERIOD }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // SQS stops publishing metrics of a queue idle for hours: keep the state until it says otherwise.
        treatMissingData: TreatMissingData.IGNORE,
        description:
          `The ${name} consumer gave up on at least one event (a permanent failure, or still failing after its ` +
          `retry horizon of ${horizon}): it is in dead-letter queue ${consumer.deadLetterQueue.queueName}, not ` +
          'delivered. Do: list them with their reasons (`cli dead-letters list --consumer ' +
          `${name}\`, or read the queue: its URL is a stack output ending in DeadLetterQueueUrl), fix the cause ` +
          '(secret, mapping, target URL or outage), then redrive them (`cli dead-letters redrive`, or the SQS ' +
          "console's DLQ redrive). SQS expires a dead letter 14 days after it was first sent.",
      });
      deadLetterAge[name] = this.alarm(scope, {
        id: 'DeadLetterAgeAlarm',
        name: `${name}-dead-letter-age`,
        metric: consumer.metricDeadLetterAge({ period: ALARM_PERIOD }),
        threshold: consumer.deadLetterAgeAlarmThreshold.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // A queue holding messages reports its metrics: no data means an empty, idle queue.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `A dead letter of the ${name} consumer has been in its dead-letter queue ` +
          `${consumer.deadLetterQueue.queueName} for ${ageThresholdDays} days. SQS expires it 14 days after it ` +
          `was first sent, which includes up to ${horizon} of retries before it was dead-lettered: it is about ` +
          'to be deleted. Do: fix the cause and redrive it now (`cli dead-letters redrive --consumer ' +
          `${name}\`). This alarm also returns to OK when SQS expires the message: only ${name}-dead-letters-unresolved ` +
          'then still says it was never delivered.',
      });
      deadLettersUnresolved[name] = this.alarm(scope, {
        id: 'DeadLettersUnresolvedAlarm',
        name: `${name}-dead-letters-unresolved`,
        // Counted from the outcome records by every reconciler run (0 included), one value per run.
        metric: appMetric(this, METRIC_NAMES.deadLettersUnresolved, {
          consumer: name,
          statistic: 'Maximum',
          period: Duration.minutes(reconciler.intervalMinutes),
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        // A run that could not count (or a gap between runs) keeps the state it had: only a count of 0
        // clears it, never an expired SQS message or a silent reconciler.
        treatMissingData: TreatMissingData.IGNORE,
        description:
          `At least one event the ${name} consumer dead-lettered is not resolved (its outcome record says ` +
          'dead-lettered). This alarm does not clear when SQS expires the message after 14 days: the record ' +
          'stays until the event is delivered by a redrive or a replay, or discarded. Do: `cli dead-letters ' +
          `list --consumer ${name}\` for the events and their reasons; fix the cause; \`cli dead-letters redrive ` +
          `--consumer ${name}\` (or, once SQS has expired them, \`cli replay --consumer ${name}\` of those events). ` +
          'It returns to OK after the next reconciler run that counts none.',
      });
      subscriptionDeadLetters[name] = this.alarm(scope, {
        id: 'SubscriptionDeadLettersAlarm',
        name: `${name}-subscription-dead-letters`,
        metric: consumer.metricSubscriptionDeadLetters({ period: ALARM_PERIOD }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // SQS stops publishing metrics of a queue idle for hours: keep the state until it says otherwise.
        treatMissingData: TreatMissingData.IGNORE,
        description:
          `SNS could not deliver at least one event to the ${name} consumer's queue and put it in the ` +
          `subscription's dead-letter queue ${consumer.subscriptionDeadLetterQueue.queueName} (kept 14 days): ` +
          'the consumer never saw it. Causes: the queue was deleted, or its queue policy no longer lets the ' +
          'topic send. Do: redeploy the stack to restore the queue and its policy, then replay those events to ' +
          `the consumer (\`cli replay --consumer ${name}\`; SQS's DLQ redrive does not apply to this queue) ` +
          'and purge this queue. The alarm returns to OK when it is empty.',
      });
      queueAge[name] = this.alarm(scope, {
        id: 'QueueAgeAlarm',
        name: `${name}-queue-age`,
        metric: consumer.metricOldestMessageAge({ period: ALARM_PERIOD }),
        threshold: QUEUE_AGE_ALARM_THRESHOLD.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          `The ${name} consumer is behind: an event has waited ${QUEUE_AGE_ALARM_THRESHOLD.toMinutes()} minutes ` +
          'or more in its queue. Its target is failing or slow and messages are retried with backoff (or held ' +
          `for a Retry-After) for up to ${horizon}, then dead-lettered. Do: read the consumer's log group for ` +
          "the target's answers (5xx, 429, timeouts) and check the target's status; nothing is lost yet.",
      });
    }
    this.allAlarms = [...this.made];

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: this.alarmNamePrefix,
      widgets: this.widgets(props, consumers),
    });
  }

  /**
   * The alarm on the Slack notifier's dead-letter queue. It notifies the alarm topic too: email
   * subscribers get it, and so does Slack once it works again (no loop: an alarm notifies once per
   * state change).
   */
  private alarmSlackAlarm(notifier: AlarmSlackNotifier): Alarm {
    return this.alarm(notifier, {
      id: 'DeadLettersAlarm',
      name: 'alarm-slack-dead-letters',
      metric: notifier.metricDeadLetters({ period: ALARM_PERIOD }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // SQS stops publishing metrics of a queue idle for hours: keep the state until it says otherwise.
      treatMissingData: TreatMissingData.IGNORE,
      description:
        'At least one alarm notification could not be posted to Slack and is in the dead-letter queue ' +
        `${notifier.deadLetterQueue.queueName} (kept 14 days). The alarms still work (their states are in ` +
        'the CloudWatch console; email subscribers got them); Slack missed these. Do: read the messages ' +
        "(queue URL: stack output AlarmSlackDeadLetterQueueUrl). A Lambda record's responsePayload names " +
        'the error: Slack 403/404/410 is a revoked webhook or archived channel (put a new webhook URL into ' +
        'the alarmSlack secret); 5xx or timeouts, a Slack outage; a Secrets Manager error, a missing or ' +
        'empty secret. A bare alarm message means SNS could not invoke the function: redeploy. Then check ' +
        'the alarm states in CloudWatch and purge the queue; this alarm returns to OK when it is empty.',
    });
  }

  /**
   * The alarms on the topic's failed notifications. With a subscription dead-letter queue on every
   * consumer, a failed delivery to a queue lands there (its own alarm); failed notifications also count
   * deliveries to subscribers the operator added, and a failure to redrive is a loss.
   */
  private topicAlarms(
    topic: ITopic,
  ): Pick<MonitoringAlarms, 'notificationsFailed' | 'notificationsFailedToRedrive'> {
    const scope = new Construct(this, 'ConnectionEvents');
    return {
      notificationsFailed: this.alarm(scope, {
        id: 'NotificationsFailedAlarm',
        name: 'events-notifications-failed',
        metric: topic.metricNumberOfNotificationsFailed({ statistic: 'Sum', period: ALARM_PERIOD }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // SNS publishes the metric only when something failed.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'SNS could not deliver at least one connection event to a subscriber of the topic in 5 minutes. ' +
          "A consumer's queue it could not reach gets the message in that subscription's dead-letter queue " +
          '(see the <consumer>-subscription-dead-letters alarms); a subscriber without one (one you added: ' +
          'email, HTTP, Lambda) lost it. Do: find the subscription in the SNS console (delivery status ' +
          'logging, if on, names it), fix the endpoint or its policy, then replay the events to it.',
      }),
      notificationsFailedToRedrive: this.alarm(scope, {
        id: 'NotificationsFailedToRedriveAlarm',
        name: 'events-notifications-failed-to-redrive',
        metric: topic.metric('NumberOfNotificationsFailedToRedriveToDlq', {
          statistic: 'Sum',
          period: ALARM_PERIOD,
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // SNS publishes the metric only when something failed.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        description:
          'SNS could neither deliver at least one connection event to a consumer queue nor put it in that ' +
          "subscription's dead-letter queue, in 5 minutes: the event is lost for that consumer. Causes: the " +
          'subscription dead-letter queue was deleted, or its policy no longer lets the topic send. Do: redeploy ' +
          'the stack to restore the queues and their policies, then replay the events of the period to the ' +
          'consumers concerned (`cli replay --consumer <name> --since <time>`).',
      }),
    };
  }

  /** One alarm, named after the stack, notifying the alarm topic on ALARM and on OK. */
  private alarm(scope: Construct, spec: AlarmSpec): Alarm {
    const alarm = new Alarm(scope, spec.id, {
      alarmName: `${this.alarmNamePrefix}-${spec.name}`,
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      datapointsToAlarm: spec.evaluationPeriods ?? 1,
      treatMissingData: spec.treatMissingData,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.made.push(alarm);
    return alarm;
  }

  /** The dashboard, in rows: alarm states; ingest; API; consumers (when any); reconciler. */
  private widgets(props: MonitoringProps, consumers: readonly Subscriber[]): IWidget[][] {
    const { api, reconciler } = props;
    const ingest = api.ingestFunction.function;
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 12, height: 6 });
    const count = (name: MetricName, label: string) => appMetric(this, name, { label });
    const rows: IWidget[][] = [
      [new AlarmStatusWidget({ title: 'Alarms', alarms: [...this.made], width: 24, height: 4 })],
      [
        graph(
          'Webhooks: received, duplicates, quarantined; events published and publish failures',
          [
            count(METRIC_NAMES.webhooksReceived, 'Received'),
            count(METRIC_NAMES.webhooksDuplicate, 'Duplicates'),
            count(METRIC_NAMES.webhooksQuarantined, 'Quarantined'),
            count(METRIC_NAMES.eventsPublished, 'Published'),
          ],
          [count(METRIC_NAMES.publishFailures, 'Publish failures')],
        ),
        graph('Webhooks rejected, by reason', [
          new MathExpression({
            expression: rejectedByReasonSearch(this),
            usingMetrics: {},
            label: '',
            period: ALARM_PERIOD,
          }),
        ]),
      ],
      [
        graph('Ingest function: invocations and errors', [
          ingest.metricInvocations({ statistic: 'Sum', label: 'Invocations' }),
          ingest.metricErrors({ statistic: 'Sum', label: 'Errors' }),
        ]),
        graph('Ingest function: duration p99', [ingest.metricDuration({ statistic: 'p99', label: 'p99' })]),
      ],
      [
        graph('API: 4xx, 5xx and throttled (429) requests', [
          api.stage.metricClientError({ statistic: 'Sum', label: '4xx' }),
          api.stage.metricServerError({ statistic: 'Sum', label: '5xx' }),
          api.metricThrottledRequests({ label: '429 (throttled)' }),
        ]),
        graph('API: latency p99', [
          api.stage.metricLatency({ statistic: 'p99', label: 'Latency p99' }),
          api.stage.metricIntegrationLatency({ statistic: 'p99', label: 'Integration latency p99' }),
        ]),
      ],
    ];
    if (consumers.length > 0) {
      rows.push([
        graph(
          'Consumers: age of the oldest queued message (s)',
          consumers.map((c) => c.metricOldestMessageAge({ label: c.consumerName })),
        ),
        graph(
          'Consumers: messages in the dead-letter queue',
          consumers.map((c) => c.metricDeadLetters({ label: c.consumerName })),
        ),
      ]);
      rows.push([
        graph(
          'Consumers: unresolved dead letters (outcome records, after each reconciler run)',
          consumers.map((c) =>
            appMetric(this, METRIC_NAMES.deadLettersUnresolved, {
              consumer: c.consumerName,
              statistic: 'Maximum',
              period: Duration.minutes(reconciler.intervalMinutes),
              label: c.consumerName,
            }),
          ),
        ),
        graph(
          'Consumers: age of the oldest dead letter (s)',
          consumers.map((c) => c.metricDeadLetterAge({ label: c.consumerName })),
        ),
      ]);
      const topic = topicOf(consumers);
      rows.push([
        graph(
          'Consumers: messages SNS could not deliver (subscription dead-letter queues)',
          consumers.map((c) => c.metricSubscriptionDeadLetters({ label: c.consumerName })),
        ),
        graph(
          'Connection events topic: notifications failed, and failed to redrive to a dead-letter queue',
          topic === undefined
            ? []
            : [
                topic.metricNumberOfNotificationsFailed({ statistic: 'Sum', label: 'Failed' }),
                topic.metric('NumberOfNotificationsFailedToRedriveToDlq', {
                  statistic: 'Sum',
                  label: 'Failed to redrive to a dead-letter queue',
                }),
              ],
        ),
      ]);
      const perConsumer = (name: MetricName, what: string) =>
        consumers.map((c) =>
          appMetric(this, name, { consumer: c.consumerName, label: `${c.consumerName} ${what}` }),
        );
      rows.push([
        graph('Consumers: events delivered', perConsumer(METRIC_NAMES.deliveriesSucceeded, 'delivered')),
        graph('Consumers: deliveries retried and dead-lettered', [
          ...perConsumer(METRIC_NAMES.deliveriesRetried, 'retried'),
          ...perConsumer(METRIC_NAMES.deliveriesDeadLettered, 'dead-lettered'),
        ]),
      ]);
    }
    rows.push([
      graph('Reconciler: backlog and unresolved quarantined requests after each run', [
        reconciler.metricBacklog({ label: 'Backlog' }),
        reconciler.metricQuarantined({ label: 'Quarantined (unresolved)' }),
      ]),
      graph('Reconciler: errors and failed scheduled invocations', [
        reconciler.metricErrors({ label: 'Errors' }),
        reconciler.metricFailedInvocations({ label: 'Failed scheduled invocations' }),
      ]),
    ]);
    return rows;
  }
}
