/**
 * The pending-publish reconciler: a function run on a schedule that publishes deliveries which were
 * stored but never published (the topic failed and Leadsie did not retry, or a function died
 * half-way), so every stored delivery reaches the topic.
 *
 *   EventBridge rule rate(N minutes) ──async invoke──▶ reconciler function
 *                                                          │ Query byState index (pending and due, every
 *                                                          │   page; counts of PENDING and QUARANTINED)
 *                                                          │ UpdateItem / GetItem on the table (claim,
 *                                                          │   advance latest, mark published, back off,
 *                                                          │   quarantine what the topic refuses)
 *                                                          └ sns:Publish on the topic (with its key)
 *   each run counts its backlog ──EMF──▶ LeadsieWebhooks / ReconcilerBacklog {service: the stack}
 *   and the unresolved quarantine ──EMF──▶ LeadsieWebhooks / QuarantinedRequests {service: the stack}
 *
 * A failed run is not retried: the next scheduled run does the same work (it reads what is still
 * pending), so retries would only run it twice. No concurrency is reserved (a reservation fails the
 * first deploy into an account whose quota is the new-account one): two overlapping runs cannot
 * publish one delivery twice, because each claims a delivery with a conditional lease first. Failures are seen through alarms instead (see
 * `Monitoring`): the function's errors, the rule's failed invocations, and a backlog that stays.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULTS, ENV, METRIC_NAMES, RECONCILER_RUN_LOG_MESSAGE } from '../../lambda/contract.ts';
import type { ConnectionEvents } from './connection-events.ts';
import type { ConnectionStore } from './connection-store.ts';
import { appMetric } from './custom-metrics.ts';
import { HouseFunction } from './house-function.ts';

/** Timeout of one run: a batch of up to 1000 deliveries, four or five sequential calls each. */
export const RECONCILER_TIMEOUT = Duration.seconds(60);

/** The message of the summary line the reconciler logs once per run (`lambda/handlers/reconciler.ts`). */
export const RECONCILER_RUN_MESSAGE = RECONCILER_RUN_LOG_MESSAGE;

/** Retries EventBridge makes when it cannot hand a scheduled event to Lambda (not function errors). */
export const RECONCILER_RULE_RETRY_ATTEMPTS = 2;

/** Properties of a {@link Reconciler}. */
export interface ReconcilerProps {
  /** The connections table: its `byState` index holds the pending deliveries. */
  readonly store: ConnectionStore;
  /** The connection events topic (and its key) the pending deliveries are published to. */
  readonly events: ConnectionEvents;
  /**
   * Minutes between two runs (1 to 60).
   * @default DEFAULTS.reconcilerIntervalMinutes (5)
   */
  readonly intervalMinutes?: number;
  /**
   * Most pending deliveries one run completes (`ENV.reconcilerBatchLimit`).
   * @default DEFAULTS.reconcilerBatchLimit (500)
   */
  readonly batchLimit?: number;
  /**
   * Failed publish attempts after which a pending delivery is quarantined (`ENV.reconcilerMaxAttempts`);
   * the attempts back off from `DEFAULTS.publishRetryFirstMs`, doubling, to `DEFAULTS.publishRetryMaxMs`.
   * @default DEFAULTS.reconcilerMaxAttempts (12)
   */
  readonly maxAttempts?: number;
  /**
   * Names of the configured consumers, whose unresolved dead letters each run counts
   * (`ENV.reconcilerConsumers`).
   * @default [] (none counted)
   */
  readonly consumerNames?: readonly string[];
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

/** The scheduled reconciler function, its rule, and its metrics. */
export class Reconciler extends Construct {
  /** The reconciler function (no reserved concurrency: its claims keep overlapping runs apart). */
  public readonly fn: HouseFunction;
  /** The EventBridge rule that runs {@link fn} every `intervalMinutes`. */
  public readonly rule: Rule;
  /** Minutes between two runs: the natural period of the backlog metric. */
  public readonly intervalMinutes: number;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    const intervalMinutes = props.intervalMinutes ?? DEFAULTS.reconcilerIntervalMinutes;
    if (!Number.isInteger(intervalMinutes) || intervalMinutes < 1 || intervalMinutes > 60) {
      throw new Error(
        `Reconciler: intervalMinutes must be a whole number from 1 to 60, got ${intervalMinutes}`,
      );
    }
    this.intervalMinutes = intervalMinutes;
    const maxAttempts = props.maxAttempts ?? DEFAULTS.reconcilerMaxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new Error(`Reconciler: maxAttempts must be a whole number of at least 1, got ${maxAttempts}`);
    }
    const interval = Duration.minutes(intervalMinutes);
    const { table } = props.store;
    const { topic, key } = props.events;

    this.fn = new HouseFunction(this, 'Function', {
      handler: 'reconciler',
      description: 'Publishes connection events that were stored but never published (scheduled)',
      timeout: RECONCILER_TIMEOUT,
      memorySize: props.memorySize,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    })
      .addEnv(ENV.tableName, table.tableName, (fn) => [
        // The pending deliveries and the count of quarantined requests: queries of the sparse
        // `byState` index, not of the table.
        Grant.addToPrincipal({
          grantee: fn,
          actions: ['dynamodb:Query'],
          resourceArns: props.store.indexArns.byState,
        }),
        // Claim, advance the latest item (reading it back when the condition fails), mark published,
        // release the lease, record a failure or quarantine: conditional writes and reads of single
        // items; the pending deliveries and their bodies, whole, by BatchGetItem (the index has keys only).
        Grant.addToPrincipal({
          grantee: fn,
          actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'],
          resourceArns: [table.tableArn],
        }),
      ])
      .addEnv(ENV.topicArn, topic.topicArn, (fn) => [
        Grant.addToPrincipal({ grantee: fn, actions: ['sns:Publish'], resourceArns: [topic.topicArn] }),
        // A data key to encrypt each message with, as the ingest function has.
        key.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt'),
      ])
      .addEnv(ENV.reconcilerBatchLimit, String(props.batchLimit ?? DEFAULTS.reconcilerBatchLimit))
      .addEnv(ENV.reconcilerMaxAttempts, String(maxAttempts))
      .addEnv(ENV.reconcilerConsumers, (props.consumerNames ?? []).join(','));

    this.fn.function.configureAsyncInvoke({
      // The next scheduled run is the retry.
      retryAttempts: 0,
      // An invocation that waited (throttled) this long is dropped: the next one is already due.
      maxEventAge: interval,
    });

    this.rule = new Rule(this, 'Schedule', {
      description: `Runs the Leadsie webhooks reconciler every ${intervalMinutes} minute(s)`,
      schedule: Schedule.rate(interval),
      targets: [
        new LambdaFunction(this.fn.function, {
          // When Lambda cannot take the event (its API throttles or fails), EventBridge tries again
          // for as long as the tick is useful; an event it gives up on counts as a FailedInvocation,
          // which Monitoring alarms on. No dead-letter queue: a tick holds nothing to replay.
          retryAttempts: RECONCILER_RULE_RETRY_ATTEMPTS,
          maxEventAge: interval,
        }),
      ],
    });
  }

  /**
   * Deliveries still pending after a run (`ReconcilerBacklog`, an EMF metric each run writes, maximum
   * per `intervalMinutes`, so one run per period): alarm when it stays above 0.
   */
  public metricBacklog(props?: Omit<MetricOptions, 'dimensionsMap'>): Metric {
    return appMetric(this, METRIC_NAMES.reconcilerBacklog, {
      statistic: 'Maximum',
      period: Duration.minutes(this.intervalMinutes),
      ...props,
    });
  }

  /**
   * Unresolved quarantine entries (`QuarantinedRequests`, an EMF metric each run writes, maximum per
   * `intervalMinutes`): alarm while it is above 0.
   */
  public metricQuarantined(props?: Omit<MetricOptions, 'dimensionsMap'>): Metric {
    return appMetric(this, METRIC_NAMES.quarantinedRequests, {
      statistic: 'Maximum',
      period: Duration.minutes(this.intervalMinutes),
      ...props,
    });
  }

  /** Runs that failed (`AWS/Lambda Errors`, sum): an error the run did not catch, or a timeout. */
  public metricErrors(props?: MetricOptions): Metric {
    return this.fn.function.metricErrors({ statistic: 'Sum', ...props });
  }

  /** Scheduled events EventBridge could not hand to the function after its retries (`AWS/Events FailedInvocations`, sum). */
  public metricFailedInvocations(props?: MetricOptions): Metric {
    return new Metric({
      namespace: 'AWS/Events',
      metricName: 'FailedInvocations',
      dimensionsMap: { RuleName: this.rule.ruleName },
      statistic: 'Sum',
      ...props,
    });
  }
}
