/**
 * Every failure is seen: CloudWatch alarms on each place an event can stop, an encrypted alarm
 * topic they all notify (on ALARM and on OK), optional email subscriptions, an optional Slack
 * notifier (`alarm-slack-notifier.ts`), and one dashboard.
 *
 *   ingest function Errors ─────────┐
 *   API 5xx, API 429s (access log) ─┤
 *   publish failures (EMF) ─────────┤
 *   each consumer: dead letters,    ├──▶ alarms ──ALARM / OK──▶ alarm topic (KMS, TLS only) ──▶ emails
 *     age of the oldest message     │                              ├──▶ alarm notifier ──▶ Slack
 *   reconciler: backlog that stays, │                              │    (alarmSlack; its own DLQ alarm)
 *     Errors, failed schedule ──────┘                              └──▶ anything else the operator
 *                                                                       subscribes (pager)
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
   * The consumers of the topic: one dead-letter alarm and one queue-age alarm each.
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
      ...(this.alarmSlack === undefined
        ? {}
        : { alarmSlackDeadLetters: this.alarmSlackAlarm(this.alarmSlack) }),
    };

    for (const consumer of consumers) {
      const name = consumer.consumerName;
      const scope = new Construct(this, consumer.node.id);
      deadLetters[name] = this.alarm(scope, {
        id: 'DeadLettersAlarm',
        name: `${name}-dead-letters`,
        metric: consumer.metricDeadLetters({ period: ALARM_PERIOD }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // SQS stops publishing metrics of a queue idle for hours: keep the state until it says otherwise.
        treatMissingData: TreatMissingData.IGNORE,
        description:
          `The ${name} consumer gave up on at least one event: it is in its dead-letter queue (kept 14 days), ` +
          `not delivered. Do: read the messages of queue ${consumer.deadLetterQueue.queueName} (its URL is ` +
          'a stack output ending in DeadLetterQueueUrl; the "reason" message attribute says why a permanent ' +
          'failure was sent there), fix the cause (secret, mapping, target URL or outage), ' +
          'then redrive them to the source queue (SQS console: Start DLQ redrive). The alarm returns to OK ' +
          'when the dead-letter queue is empty.',
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
          'or more in its queue. Its target is failing or slow and messages are being retried (or held for a ' +
          "Retry-After); after maxReceiveCount receives they go to the dead-letter queue. Do: read the consumer's " +
          "log group for the target's answers (5xx, 429, timeouts) and check the target's status; nothing is " +
          'lost yet.',
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
