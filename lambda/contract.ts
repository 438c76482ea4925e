/**
 * The one source of truth for every name that crosses the boundary between the CDK app (`lib/`)
 * and the Lambda code (`lambda/`): handler entry files, environment variable names, the table's
 * key and index names, the HTTP routes, and the SNS message attributes of the event contract.
 *
 * This file imports nothing, so both sides (and local mode, and the tests) can use it freely.
 */

/**
 * Lambda entry files of the functions that are not consumers, relative to the repository root (the
 * alarm notifier is bundled only with `alarmSlack`). Each is a few lines that build
 * `makeHandler(defaultDeps())` of its handler in `lambda/handlers/`. A consumer module declares its
 * own entry (`entry` in `lambda/consumers/module.ts`), and whatever lists bundles (the stack, the
 * bench) takes those from the registry: a consumer is named nowhere here.
 */
export const HANDLER_ENTRIES = {
  ingest: 'lambda/entries/ingest.ts',
  connections: 'lambda/entries/connections.ts',
  reconciler: 'lambda/entries/reconciler.ts',
  alarmNotifier: 'lambda/entries/alarm-notifier.ts',
} as const;

/**
 * The stack's CloudFormation outputs, by logical id: the stack writes them, the CLI reads them
 * (DescribeStacks) to find the webhook URL, the table, the topic and the token secrets.
 */
export const STACK_OUTPUTS = {
  webhookUrl: 'WebhookUrl',
  connectionsUrl: 'ConnectionsUrl',
  connectionEventsTopicArn: 'ConnectionEventsTopicArn',
  tableName: 'TableName',
  webhookTokenSecretArn: 'WebhookTokenSecretArn',
  readTokenSecretArn: 'ReadTokenSecretArn',
} as const;

/** The stack name `cdk deploy` uses unless cdk.json's `stackName` says otherwise. */
export const DEFAULT_STACK_NAME = 'LeadsieWebhooks';

/** Environment variable names read by the handlers (and set by the stack or by local mode). */
export const ENV = {
  /** Name of the connections table. */
  tableName: 'TABLE_NAME',
  /** ARN of the "connection events" SNS topic. */
  topicArn: 'TOPIC_ARN',
  /** ARN of the Secrets Manager secret holding the webhook token (the one pasted into Leadsie). */
  webhookTokenSecretArn: 'WEBHOOK_TOKEN_SECRET_ARN',
  /** ARN of the Secrets Manager secret holding the read token for `GET /connections`. */
  readTokenSecretArn: 'READ_TOKEN_SECRET_ARN',
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: 'MAX_BODY_BYTES',
  /** Seconds a secret value is cached per container before it is read again. */
  secretMaxAgeSeconds: 'SECRET_MAX_AGE_SECONDS',
  /** Hours after a token rotation during which the previous webhook or read token is still accepted. */
  tokenRotationGraceHours: 'TOKEN_ROTATION_GRACE_HOURS',

  /** Most pending deliveries the reconciler completes in one run. */
  reconcilerBatchLimit: 'RECONCILER_BATCH_LIMIT',
  /** Days a delivery (and its body) is kept in the history; unset: for ever. The latest state never expires. */
  historyRetentionDays: 'HISTORY_RETENTION_DAYS',
  /** Failed publish attempts of the reconciler after which a pending delivery is quarantined. */
  reconcilerMaxAttempts: 'RECONCILER_MAX_ATTEMPTS',
  /** Comma-separated names of the configured consumers, whose unresolved dead letters the reconciler counts. */
  reconcilerConsumers: 'RECONCILER_CONSUMERS',

  // ── consumers (subscriber functions) ──
  /** Name of the consumer, as it appears in logs, metrics and dead letters (`slack`, `hubspot`, `forward-zapier`). */
  consumerName: 'CONSUMER_NAME',
  /** Hours a failing delivery is retried before it is dead-lettered (the delivery engine's horizon). */
  retryHorizonHours: 'RETRY_HORIZON_HOURS',
  /** Days a consumer's outcome record is kept (its `expiresAt`). */
  outcomeRetentionDays: 'OUTCOME_RETENTION_DAYS',
  /** Local mode only: multiplies the engine's delays, horizon and Retry-After (1 when absent). */
  deliveryTimeScale: 'DELIVERY_TIME_SCALE',
  /** URL of the consumer's dead-letter queue: permanent failures are sent there at once. */
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  /** URL of the consumer's own queue (to delay a message when a target asks to retry later). */
  queueUrl: 'QUEUE_URL',
  /**
   * The consumer's secret (its name, as configured in cdk.json, or its ARN): the Slack webhook URL,
   * the HubSpot private-app token, or the forwarder's `{"url", "signingSecret"}` JSON.
   */
  consumerSecretId: 'CONSUMER_SECRET_ID',
  /** Timeout of one outgoing HTTP call, in milliseconds. */
  httpTimeoutMs: 'HTTP_TIMEOUT_MS',
  /** HubSpot object type to upsert: `contacts` or `companies`. */
  hubspotObjectType: 'HUBSPOT_OBJECT_TYPE',
  /** HubSpot unique property that identifies the record: the event's user. */
  hubspotIdProperty: 'HUBSPOT_ID_PROPERTY',
  /** JSON object: source key (flat-record key, or `<type>_…` pattern) → HubSpot property name. */
  hubspotPropertyMapping: 'HUBSPOT_PROPERTY_MAPPING',
  /** Base URL of the HubSpot API (tests point it at a loopback server). */
  hubspotBaseUrl: 'HUBSPOT_BASE_URL',
  /** The date version of HubSpot's CRM API in its paths (`/crm/objects/<version>/…`). */
  hubspotApiVersion: 'HUBSPOT_API_VERSION',
  /** JSON array of the hosts, besides Leadsie's, that links in a chat message or an email may point to. */
  linkHosts: 'LINK_HOSTS',
  /** What the webhook forwarder posts: `flat` (Zapier-compatible keys) or `envelope`. */
  forwardFormat: 'FORWARD_FORMAT',

  // ── Google Sheets consumer (its secret, CONSUMER_SECRET_ID, is the service account's JSON key) ──
  /** The spreadsheet's id (from its URL). */
  sheetsSpreadsheetId: 'SHEETS_SPREADSHEET_ID',
  /** The sheet (tab) rows are appended to. */
  sheetsSheetName: 'SHEETS_SHEET_NAME',
  /** Base URL of the Sheets API (tests point it at a loopback server). */
  sheetsBaseUrl: 'SHEETS_BASE_URL',
  /** Google's OAuth token endpoint (tests point it at a loopback server). */
  googleTokenUrl: 'GOOGLE_TOKEN_URL',

  // ── email consumer (Amazon SES v2) ──
  /** Verified SES identity (address) the emails are sent from. */
  emailFrom: 'EMAIL_FROM',
  /** JSON array of the team's addresses. */
  emailTeamRecipients: 'EMAIL_TEAM_RECIPIENTS',
  /** JSON array of the statuses that email the team. */
  emailTeamStatuses: 'EMAIL_TEAM_STATUSES',
  /** `true` to thank the client on SUCCESS (off by default). */
  emailClientEnabled: 'EMAIL_CLIENT_ENABLED',
  /** JSON object user id → client email address, for users whose id is not an address. */
  emailClientAddresses: 'EMAIL_CLIENT_ADDRESSES',
  /** JSON array of the domains a client address may be at when it is the user id itself (not mapped). */
  emailClientAllowedDomains: 'EMAIL_CLIENT_ALLOWED_DOMAINS',
  /** The client thank-you template (the agency's override), when configured. */
  emailClientTemplate: 'EMAIL_CLIENT_TEMPLATE',

  // ── alarm notifier (subscribed to the alarm topic when `alarmSlack` is configured) ──
  /**
   * Name of the Secrets Manager secret holding the Slack Incoming Webhook URL alarms are posted to
   * (with `SECRET_MAX_AGE_SECONDS` and `HTTP_TIMEOUT_MS`, as the consumers read them).
   */
  alarmSlackSecretId: 'ALARM_SLACK_SECRET_ID',

  // ── metrics (set on every function by the house function construct) ──
  /** Namespace of the app's EMF metrics (Powertools Metrics reads it too): `METRICS_NAMESPACE`. */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /** Value of the `service` dimension of every metric: the stack's name (see `METRIC_DIMENSIONS`). */
  metricsService: 'METRICS_SERVICE',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/**
 * The largest body the table keeps in one item (a delivery's raw body, a quarantined request's body):
 * DynamoDB items hold 400 KB, and the rest of the item needs room. `maxBodyBytes` cannot be set
 * higher, so every accepted body can be stored and every refused one kept whole up to the limit.
 */
export const MAX_KEPT_BODY_BYTES = 300 * 1024;

/** Defaults shared by the stack and the handlers. */
export const DEFAULTS = {
  maxBodyBytes: 256 * 1024,
  secretMaxAgeSeconds: 300,
  tokenRotationGraceHours: 24,
  httpTimeoutMs: 8_000,
  /** Records per consumer invocation (the SQS event source's batch size). */
  consumerBatchSize: 10,
  /** Seconds the SQS event source may wait to fill a batch before invoking a consumer. */
  consumerMaxBatchingWindowSeconds: 2,
  hubspotBaseUrl: 'https://api.hubapi.com',
  hubspotIdProperty: 'leadsie_user_id',
  hubspotObjectType: 'contacts',
  forwardFormat: 'flat',
  sheetsBaseUrl: 'https://sheets.googleapis.com',
  googleTokenUrl: 'https://oauth2.googleapis.com/token',
  emailTeamStatuses: ['PARTIAL_SUCCESS', 'FAILED'],
  reconcilerBatchLimit: 500,
  /**
   * Reconciler attempts before a delivery the topic keeps failing is quarantined: with the backoff
   * below, about a day of trying, so an outage of the topic does not quarantine what it held up.
   */
  reconcilerMaxAttempts: 12,
  /** Days a quarantine entry is kept once resolved or discarded (then it expires by the table's TTL). */
  resolvedQuarantineRetentionDays: 90,
  /** Backoff of a delivery the reconciler could not publish: doubles from the first to the cap. */
  publishRetryFirstMs: 60_000,
  publishRetryMaxMs: 6 * 60 * 60_000,
  reconcilerIntervalMinutes: 5,
  /** How long a request owns a delivery it recorded before a redelivery or the reconciler may take it over. */
  leaseMs: 30_000,
} as const;

/** Header carrying the forwarder's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'x-leadsie-webhooks-signature';

/** HTTP routes, served by API Gateway when deployed and by the dev server in local mode. */
export const ROUTES = {
  webhook: { method: 'POST', path: '/leadsie/webhook' },
  connections: { method: 'GET', path: '/connections' },
} as const;

/**
 * The connections table: one table, generic key names, items distinguished by key prefixes.
 *
 * | item            | pk                        | sk                      |
 * |-----------------|---------------------------|-------------------------|
 * | latest state    | `USER#<userKey>`          | `REQUEST#<requestUrl>`  |
 * | delivery        | `DELIVERY#<fingerprint>`  | `DELIVERY`              |
 * | sheet row made  | `SHEETROW#<spreadsheetId>#<sheet>` | `EVENT#<eventId>` |
 * | email sent      | `EMAIL#<eventId>`         | `SENT#<consumer>#<team or client>` |
 * | quarantined request | `QUARANTINE#<sha256 of the body>` | `QUARANTINE`  |
 *
 * Indexes (all project every attribute):
 * - `history`: `HISTORY#<userKey>#<requestUrl>` / `<receivedAt>#<eventId>` — one (user, request), newest first.
 * - `byTime`:  `DELIVERIES#<yyyy-mm>` / `<receivedAt>#<eventId>` — deliveries in a time range, by month bucket.
 * - `byState`: `PENDING` (sparse) / `<receivedAt>#<eventId>` — stored but not yet published;
 *              `QUARANTINED` / `<receivedAt>#<sha256>` — refused requests not yet resolved.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /**
   * The table's one TTL attribute (epoch seconds): DynamoDB allows a single one per table, and renaming
   * it takes two deploys. Every item that may expire sets it: consumer outcome records, resolved
   * quarantine entries, history past its retention. Items without it never expire.
   */
  ttlAttribute: 'expiresAt',
  indexes: {
    history: { name: 'history', partitionKey: 'historyPk', sortKey: 'historySk' },
    byTime: { name: 'byTime', partitionKey: 'timePk', sortKey: 'timeSk' },
    byState: { name: 'byState', partitionKey: 'statePk', sortKey: 'stateSk' },
  },
} as const;

/**
 * The index layout the table moves to (agreed between the ingest/store and the delivery-engine work;
 * the store switches to it, the stack creates it one index per deploy, see docs/storage). New names,
 * because CloudFormation cannot change a projection in place. Each index carries only what its readers
 * filter or sort on; readers fetch whole items with BatchGetItem. An update that touches no projected
 * attribute writes nothing to an index, so `version` and `publishedAt` are projected nowhere.
 *
 * - `historyV2`: one (user, request), newest first; the console's client page lists these fields.
 * - `byTimeV2`: deliveries by month bucket; the console's events page filters on these fields.
 * - `byStateV2`: keys only. Sparse partitions: `PENDING` sorted by the next attempt time
 *   (`<nextAttemptAt ISO>#<eventId>`, so deliveries in backoff are not read before they are due),
 *   `QUARANTINED`, and `DEADLETTERED#<consumer>` (unresolved dead-lettered outcome records).
 *
 * Outcome records of the consumers need no index: `OUTCOME#<consumer>#<yyyy-mm-dd of the eventId>` /
 * `<eventId>`, so listing a day is a Query and one event's outcome a GetItem.
 */
export const NEXT_TABLE_INDEXES = {
  history: {
    name: 'historyV2',
    partitionKey: 'historyPk',
    sortKey: 'historySk',
    projection: ['eventId', 'fingerprint', 'receivedAt', 'status', 'accessLevel', 'isTest', 'clientName'],
  },
  byTime: {
    name: 'byTimeV2',
    partitionKey: 'timePk',
    sortKey: 'timeSk',
    projection: [
      'eventId',
      'fingerprint',
      'receivedAt',
      'user',
      'requestUrl',
      'requestName',
      'clientName',
      'status',
      'accessLevel',
      'apiVersion',
      'isTest',
      'platforms',
      'assetTypes',
    ],
  },
  byState: { name: 'byStateV2', partitionKey: 'statePk', sortKey: 'stateSk', projection: 'KEYS_ONLY' },
} as const;

/** The sparse partitions of the `byState` index (see `NEXT_TABLE_INDEXES`). */
export const STATE_PARTITIONS = {
  pending: 'PENDING',
  quarantined: 'QUARANTINED',
  deadLettered: (consumer: string) => `DEADLETTERED#${consumer}`,
} as const;

/** Version of the event envelope published on the topic. Bumped only on a breaking change. */
export const ENVELOPE_SCHEMA_VERSION = 1;

/** The message of the reconciler's summary log line (found, published, inFlight, failed, backlog). */
export const RECONCILER_RUN_LOG_MESSAGE = 'reconciler run';

/**
 * The app's own CloudWatch metrics, all in one namespace. The functions write them as EMF log lines
 * (through the `Metrics` port, `lambda/adapters/powertools-metrics.ts`); the API's throttled requests
 * are read from its access log by a metric filter. The stack's dashboard and alarms read them by these
 * names, so the two sides cannot drift.
 *
 *   ingest      WebhooksReceived, WebhooksRejected {reason}, WebhooksDuplicate, EventsPublished,
 *               PublishFailures, WebhooksQuarantined
 *   reconciler  EventsPublished, PublishFailures, ReconcilerBacklog, QuarantinedRequests
 *   consumers   DeliveriesSucceeded, DeliveriesRetried, DeliveriesDeadLettered {consumer}
 *   reconciler  DeadLettersUnresolved {consumer} (from the outcome records, 0 included)
 *   API log     ApiThrottledRequests {ApiId} (metric filter)
 *
 * Adding a metric is one line here; the use cases can count it at once (names are typed from this list).
 */
export const METRICS_NAMESPACE = 'LeadsieWebhooks';

export const METRIC_NAMES = {
  /** Every request that reached the ingest function (accepted or not). */
  webhooksReceived: 'WebhooksReceived',
  /** Requests answered with an error, by `reason`: the error's kind (`unauthorized`, `invalid-payload`, …). */
  webhooksRejected: 'WebhooksRejected',
  /** Redeliveries of a payload already stored (answered `duplicate: true`). */
  webhooksDuplicate: 'WebhooksDuplicate',
  /** Refused requests kept in quarantine (each arrival, a body sent again included). */
  webhooksQuarantined: 'WebhooksQuarantined',
  /** Quarantine entries not yet resolved, counted by each reconciler run (0 included). */
  quarantinedRequests: 'QuarantinedRequests',
  /** Events published to the topic (by ingest and by the reconciler). */
  eventsPublished: 'EventsPublished',
  /** Publishes that failed (the delivery stays pending for a redelivery or the reconciler). */
  publishFailures: 'PublishFailures',
  /** Deliveries still pending after a reconciler run, one value per run. */
  reconcilerBacklog: 'ReconcilerBacklog',
  /** Events a consumer delivered (or skipped on purpose: stale, not for it), by `consumer`. */
  deliveriesSucceeded: 'DeliveriesSucceeded',
  /** Deliveries a consumer failed and left to SQS to retry, by `consumer`. */
  deliveriesRetried: 'DeliveriesRetried',
  /** Messages a consumer sent to its dead-letter queue itself (poison, permanent failure), by `consumer`. */
  deliveriesDeadLettered: 'DeliveriesDeadLettered',
  /**
   * Dead-lettered outcome records not yet resolved, by `consumer`, counted from the table by each
   * reconciler run (0 included). Unlike a dead-letter queue's depth it does not drop when SQS expires
   * a message, so its alarm stays on until someone resolves the dead letters.
   */
  deadLettersUnresolved: 'DeadLettersUnresolved',
  /** Requests the HTTP API answered with 429 (a metric filter on its access log, dimension `ApiId`). */
  apiThrottledRequests: 'ApiThrottledRequests',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

/**
 * Dimensions of the EMF metrics. Every one has `service` = the stack's name (`ENV.metricsService`),
 * so two stacks in one account (staging and production) never mix their values; a metric with more
 * dimensions is a separate series, so the per-consumer and per-reason metrics are only ever read with
 * theirs.
 */
export const METRIC_DIMENSIONS = {
  service: 'service',
  consumer: 'consumer',
  reason: 'reason',
} as const;

/** The `reason` of a rejected request that failed with an error that has no kind (answered 500). */
export const INTERNAL_ERROR_REASON = 'internal-error';

/**
 * SNS message attributes set on every published envelope, for subscription filter policies.
 * `String.Array` attributes carry a JSON array of strings.
 */
export const MESSAGE_ATTRIBUTES = {
  status: { name: 'status', dataType: 'String' },
  accessLevel: { name: 'accessLevel', dataType: 'String' },
  apiVersion: { name: 'apiVersion', dataType: 'String' },
  isTest: { name: 'isTest', dataType: 'String' },
  hasUser: { name: 'hasUser', dataType: 'String' },
  platforms: { name: 'platforms', dataType: 'String.Array' },
  assetTypes: { name: 'assetTypes', dataType: 'String.Array' },
} as const;

/**
 * The message attribute `replay --force` sets so that consumers send again even when their outcome
 * record says done. It travels beside the envelope, not in it (the v1 envelope schema allows no extra
 * field), and no filter policy reads it; raw delivery hands it to SQS as a message attribute.
 */
export const FORCE_MESSAGE_ATTRIBUTE = { name: 'force', dataType: 'String', value: 'true' } as const;

/** Days a consumer's outcome record is kept (its `expiresAt`); unresolved dead letters never expire. */
export const DEFAULT_OUTCOME_RETENTION_DAYS = 30;

/** What a consumer subscribes to: the two filters every consumer's configuration offers. */
export interface ConsumerFilter {
  /** Only these statuses (Leadsie's: SUCCESS, PARTIAL_SUCCESS, FAILED); absent: every status. */
  statuses?: readonly string[];
  /** False: leave out Leadsie's test payloads. */
  includeTestEvents: boolean;
}

/**
 * The SNS filter policy of a consumer's subscription, built from the message attributes above. One
 * builder for the stack and for local mode, so both deliver to exactly the same consumers.
 */
export const consumerFilterPolicy = (filter: ConsumerFilter): Record<string, string[]> | undefined => {
  const policy: Record<string, string[]> = {};
  if (filter.statuses !== undefined) policy[MESSAGE_ATTRIBUTES.status.name] = [...filter.statuses];
  if (!filter.includeTestEvents) policy[MESSAGE_ATTRIBUTES.isTest.name] = ['false'];
  return Object.keys(policy).length === 0 ? undefined : policy;
};
