/**
 * The app's own CloudWatch metrics: the ones AWS does not publish, read from log lines by metric
 * filters. One namespace for all of them, and one dimension per metric naming the resource that
 * logged the line, so two stacks in one account (staging and production) never mix their values.
 *
 *   reconciler log: {"message":"reconciler run","backlog":3,"function_name":"…",…}
 *        └─ metric filter ──▶ LeadsieWebhooks / ReconcilerBacklog {FunctionName}
 *   API access log: {"status":"429","apiId":"…",…}
 *        └─ metric filter ──▶ LeadsieWebhooks / ApiThrottledRequests {ApiId}
 */

/** Namespace of every custom metric of the app. */
export const CUSTOM_METRICS_NAMESPACE = 'LeadsieWebhooks';

/** Names of the custom metrics. */
export const CUSTOM_METRICS = {
  /** Deliveries still pending after a reconciler run (the run's `backlog`), one value per run. */
  reconcilerBacklog: 'ReconcilerBacklog',
  /** Requests the HTTP API answered with 429 (its stage throttle), one per request. */
  apiThrottledRequests: 'ApiThrottledRequests',
} as const;
