/**
 * The house middleware stacks: Lambda context in every log line; the invocation's EMF metrics
 * flushed by Powertools' `logMetrics` after it returns or throws (when the entry gives metrics: local
 * mode and most tests give none, and print no EMF); for HTTP handlers, typed errors turned into JSON
 * answers by `httpErrors`.
 *
 *   before:  injectLambdaContext → logMetrics → webhook counts (WebhooksReceived)
 *   handler
 *   onError: httpErrors (the answer) → webhook counts (WebhooksRejected {reason}) → logMetrics (flush)
 *   after:   logMetrics (flush)
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { SNSEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PowertoolsMetrics } from '../adapters/powertools-metrics.ts';
import { INTERNAL_ERROR_REASON, METRIC_NAMES } from '../contract.ts';
import { PipelineError } from '../domain/errors.ts';
import type { Metrics } from '../use-cases/ports.ts';
import { type HttpEvent, type HttpResult, httpErrors } from './http.ts';

/** The `reason` a refused request is counted under: its typed error's kind, `internal-error` for anything else. */
export const rejectionReason = (error: unknown): string =>
  error instanceof PipelineError ? error.kind : INTERNAL_ERROR_REASON;

/**
 * Middy middleware of the webhook route: counts every request that reaches the function
 * (`WebhooksReceived`) and every one answered with an error (`WebhooksRejected`, by reason). Used
 * after `httpErrors` in the onError chain, so it sees the error that answer was made from.
 */
export const webhookRequestMetrics = (metrics: Metrics): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: () => {
    metrics.count(METRIC_NAMES.webhooksReceived);
  },
  onError: (request) => {
    metrics.count(METRIC_NAMES.webhooksRejected, 1, { reason: rejectionReason(request.error) });
  },
});

/** The house middleware for SQS consumers: Lambda context in every log line, metrics flushed. */
export const withSqsMiddleware = (
  fn: (event: SQSEvent) => Promise<SQSBatchResponse>,
  logger: Logger,
  metrics?: PowertoolsMetrics,
) => {
  const handler = middy<SQSEvent, SQSBatchResponse>(fn).use(injectLambdaContext(logger));
  return metrics === undefined ? handler : handler.use(logMetrics(metrics.powertools));
};

/**
 * The house middleware for HTTP handlers. `metrics`: the webhook route's (the ingest entry passes
 * them): each request counted as received, each error answer as rejected by reason, then flushed.
 */
export const withHttpMiddleware = (
  fn: (event: HttpEvent) => Promise<HttpResult>,
  logger: Logger,
  metrics?: PowertoolsMetrics,
) => {
  const handler = middy<HttpEvent, HttpResult>(fn).use(injectLambdaContext(logger));
  if (metrics !== undefined) handler.use(logMetrics(metrics.powertools)).use(webhookRequestMetrics(metrics));
  return handler.use(httpErrors(logger));
};

/** The house middleware for scheduled functions (the reconciler): Lambda context in every log line, metrics flushed. */
export const withScheduledMiddleware = <TResult>(
  fn: () => Promise<TResult>,
  logger: Logger,
  metrics?: PowertoolsMetrics,
) => {
  const handler = middy<unknown, TResult>(fn).use(injectLambdaContext(logger));
  return metrics === undefined ? handler : handler.use(logMetrics(metrics.powertools));
};

/**
 * The house middleware for functions SNS invokes (the alarm notifier): Lambda context in every log
 * line. An error it throws reaches Lambda, which retries the asynchronous invocation.
 */
export const withSnsMiddleware = (fn: (event: SNSEvent) => Promise<void>, logger: Logger) =>
  middy<SNSEvent, void>(fn).use(injectLambdaContext(logger));
