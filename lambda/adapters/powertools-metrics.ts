/**
 * The `Metrics` port over Powertools Metrics: counts become CloudWatch metrics through EMF log lines
 * (a JSON line on stdout that CloudWatch Logs turns into metrics; no API call, no IAM permission).
 *
 *   count(name)                    ──▶ the invocation's metric set {service} ──┐ one EMF line, written
 *                                                                              │ by `logMetrics` after
 *                                                                              │ the invocation
 *   count(name, n, { consumer })   ──▶ its own EMF line {service, consumer}, written at once
 *   count(name, n, { reason })     ──▶ its own EMF line {service, reason}, written at once
 *
 * Every metric of one EMF line shares that line's dimensions, so a count with an extra dimension
 * cannot join the invocation's set: it goes out on its own line (Powertools' `singleMetric`).
 * `service` is the stack's name (`ENV.metricsService`), not the function's, so every function of one
 * stack writes the same series and two stacks never mix (see `lib/constructs/custom-metrics.ts`).
 */
import { MetricUnit, Metrics as PowertoolsMetricsClient } from '@aws-lambda-powertools/metrics';
import { ENV, type MetricName } from '../contract.ts';
import { requireEnv } from '../shared/env.ts';
import type { Log, MetricDimensions, Metrics } from '../use-cases/ports.ts';

/**
 * Powertools warns on every flush of an empty metric set; a consumer whose counts all carry its
 * `consumer` dimension (each on its own line) has an empty set at every flush, so that warning would
 * be noise in every invocation's log. Every other warning is passed on.
 */
const EMPTY_FLUSH_WARNING = 'No application metrics to publish';

const quietOnEmptyFlush = (log: Log) => {
  const drop = () => undefined;
  return {
    debug: drop,
    info: drop,
    warn: (...content: unknown[]) => {
      const [first] = content;
      if (typeof first === 'string' && first.startsWith(EMPTY_FLUSH_WARNING)) return;
      log.warn(String(first), { detail: content.slice(1).map(String) });
    },
    error: (...content: unknown[]) => log.error(String(content[0]), { detail: content.slice(1).map(String) }),
  };
};

export interface PowertoolsMetricsOptions {
  /** The metrics namespace (`METRICS_NAMESPACE`). */
  namespace: string;
  /** The `service` dimension: the stack's name. */
  service: string;
  /** Where Powertools' own warnings go (a metric it refuses, say). */
  log: Log;
}

export class PowertoolsMetrics implements Metrics {
  /** The Powertools instance: the house middleware hands it to `logMetrics`, which flushes it. */
  readonly powertools: PowertoolsMetricsClient;

  constructor(options: PowertoolsMetricsOptions) {
    this.powertools = new PowertoolsMetricsClient({
      namespace: options.namespace,
      serviceName: options.service,
      logger: quietOnEmptyFlush(options.log),
    });
  }

  /** From the environment the stack sets on every function; fails fast naming a missing variable. */
  static fromEnv(log: Log, env: NodeJS.ProcessEnv = process.env): PowertoolsMetrics {
    return new PowertoolsMetrics({
      namespace: requireEnv(ENV.metricsNamespace, env),
      service: requireEnv(ENV.metricsService, env),
      log,
    });
  }

  count(name: MetricName, value = 1, dimensions?: MetricDimensions): void {
    if (dimensions === undefined) {
      this.powertools.addMetric(name, MetricUnit.Count, value);
      return;
    }
    const single = this.powertools.singleMetric();
    for (const [dimension, dimensionValue] of Object.entries(dimensions)) {
      single.addDimension(dimension, dimensionValue);
    }
    single.addMetric(name, MetricUnit.Count, value);
  }
}
