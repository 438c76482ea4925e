/**
 * The one source of truth for every name that crosses the boundary between the CDK app (`lib/`)
 * and the Lambda code (`lambda/`): handler entry files, environment variable names, the table's
 * key and index names, the HTTP routes, and the SNS message attributes of the event contract.
 *
 * This file imports nothing, so both sides (and local mode, and the tests) can use it freely.
 */

/** Handler entry files, relative to the repository root. The stack bundles exactly these. */
export const HANDLER_ENTRIES = {
  ingest: 'lambda/handlers/ingest.ts',
  connections: 'lambda/handlers/connections.ts',
} as const;

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
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Defaults shared by the stack and the handlers. */
export const DEFAULTS = {
  maxBodyBytes: 256 * 1024,
  secretMaxAgeSeconds: 300,
} as const;

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
 *
 * Indexes (all project every attribute):
 * - `history`: `HISTORY#<userKey>#<requestUrl>` / `<receivedAt>#<eventId>` — one (user, request), newest first.
 * - `byTime`:  `DELIVERIES#<yyyy-mm>` / `<receivedAt>#<eventId>` — deliveries in a time range, by month bucket.
 * - `byState`: `PENDING` (sparse) / `<receivedAt>#<eventId>` — stored but not yet published.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: {
    history: { name: 'history', partitionKey: 'historyPk', sortKey: 'historySk' },
    byTime: { name: 'byTime', partitionKey: 'timePk', sortKey: 'timeSk' },
    byState: { name: 'byState', partitionKey: 'statePk', sortKey: 'stateSk' },
  },
} as const;

/** Version of the event envelope published on the topic. Bumped only on a breaking change. */
export const ENVELOPE_SCHEMA_VERSION = 1;

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
