/**
 * The app's own CloudWatch metrics, as the stack reads them: the ones AWS does not publish. Names,
 * namespace and dimension names live in `lambda/contract.ts` (`METRICS_NAMESPACE`, `METRIC_NAMES`,
 * `METRIC_DIMENSIONS`), shared with the functions that write them.
 *
 *   every function: count(name) ──EMF log line──▶ LeadsieWebhooks / <name> {service}
 *                                                   + {consumer} per consumer, + {reason} per rejection
 *   API access log: {"status":"429","apiId":"…",…}
 *        └─ metric filter ──▶ LeadsieWebhooks / ApiThrottledRequests {ApiId}
 *
 * Every metric carries a dimension naming what wrote it in this stack, so two stacks in one account
 * (staging and production) never mix their values: the EMF metrics `service` = the stack's name (set
 * on every function by `HouseFunction` as `ENV.metricsService`), the metric filter `ApiId`.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { IConstruct } from 'constructs';
import {
  METRIC_DIMENSIONS,
  METRIC_NAMES,
  METRICS_NAMESPACE,
  type MetricName,
} from '../../lambda/contract.ts';

/** The value of the `service` dimension of this stack's EMF metrics: the stack's name. */
export const metricsServiceOf = (scope: IConstruct): string => Stack.of(scope).stackName;

/** Options of {@link appMetric}: CloudWatch's, plus the extra dimension of a per-consumer or per-reason metric. */
export interface AppMetricOptions extends Omit<MetricOptions, 'dimensionsMap'> {
  /** The consumer (its name) of a per-consumer metric. */
  readonly consumer?: string;
  /** The reason of a `WebhooksRejected` series. */
  readonly reason?: string;
}

/**
 * One of this stack's EMF metrics, with the dimensions the functions write it with (`service`, and
 * `consumer` or `reason` when given). Summed over 5 minutes unless the options say otherwise.
 */
export const appMetric = (scope: IConstruct, name: MetricName, options: AppMetricOptions = {}): Metric => {
  const { consumer, reason, ...metricOptions } = options;
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: {
      [METRIC_DIMENSIONS.service]: metricsServiceOf(scope),
      ...(consumer === undefined ? {} : { [METRIC_DIMENSIONS.consumer]: consumer }),
      ...(reason === undefined ? {} : { [METRIC_DIMENSIONS.reason]: reason }),
    },
    statistic: 'Sum',
    period: Duration.minutes(5),
    ...metricOptions,
  });
};

/**
 * A CloudWatch SEARCH expression over every `reason` of `WebhooksRejected` of this stack, for a graph
 * (reasons are the error kinds, and a new kind shows up without a change here).
 */
export const rejectedByReasonSearch = (scope: IConstruct, period: Duration = Duration.minutes(5)): string => {
  const { service, reason } = METRIC_DIMENSIONS;
  return (
    `SEARCH('{${METRICS_NAMESPACE},${reason},${service}} MetricName="${METRIC_NAMES.webhooksRejected}" ` +
    `${service}="${metricsServiceOf(scope)}"', 'Sum', ${period.toSeconds()})`
  );
};
