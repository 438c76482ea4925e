/**
 * The Google Sheets appender: one row per connection event in a configured sheet, with the
 * flat-record columns plus received time, status, client name and event id, under a header row it
 * keeps (see `appendSheetRow` for the once-only scheme and `domain/sheet-row.ts` for the columns).
 * Authenticates as a Google service account whose JSON key is the consumer's secret. Fed by its own
 * SQS queue; failures are retried or dead-lettered by `makeSqsConsumer`.
 *
 * The records of a batch are appended one at a time: two new asset types arriving together must not
 * race to extend the header. Across containers the same holds only if the function runs one at a
 * time: it is meant to be deployed with a reserved concurrency of 1 (a sheet takes about one write
 * a second anyway).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import { GoogleServiceAccountAuth, GoogleSheetsWriter } from '../adapters/google-sheets.ts';
import { CachedSecret } from '../adapters/secrets.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../adapters/sqs-queues.ts';
import { DEFAULTS, ENV, type EnvName } from '../contract.ts';
import { dynamoDbClient, secretsManagerClient, sqsClient } from '../shared/clients.ts';
import { ConfigurationError, positiveIntEnv, requireEnv } from '../shared/env.ts';
import { type ConsumerDeps, makeSqsConsumer } from '../shared/sqs-consumer.ts';
import {
  type AppendSheetRowDeps,
  appendSheetRow,
  DEFAULT_SHEET_LEASE_MS,
} from '../use-cases/append-sheet-row.ts';

export interface SheetsAppenderDeps extends ConsumerDeps, AppendSheetRowDeps {}

/** Runs tasks one at a time, in the order they were given. */
export const oneAtATime = () => {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task);
    tail = run.catch(() => undefined);
    return run;
  };
};

export const makeHandler = (deps: SheetsAppenderDeps) => {
  const serially = oneAtATime();
  return makeSqsConsumer(deps, (event) => serially(() => appendSheetRow(deps, event)));
};

/** A URL setting: the default when unset, else an absolute http(s) URL. */
export const urlEnv = (name: EnvName, fallback: string, env: NodeJS.ProcessEnv): string => {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new ConfigurationError(`environment variable ${name} must be an http(s) URL, got "${value}"`);
  }
  return value;
};

/** The spreadsheet id from its URL (`/spreadsheets/d/<id>/edit`): letters, digits, `-` and `_`. */
export const spreadsheetIdEnv = (env: NodeJS.ProcessEnv): string => {
  const value = requireEnv(ENV.sheetsSpreadsheetId, env);
  if (!/^[A-Za-z0-9_-]+$/.test(value)) {
    throw new ConfigurationError(
      `environment variable ${ENV.sheetsSpreadsheetId} must be a spreadsheet id (letters, digits, - and _, as in its URL), got "${value}"`,
    );
  }
  return value;
};

export const defaultDeps = (logger: Logger, env: NodeJS.ProcessEnv = process.env): SheetsAppenderDeps => {
  const timeoutMs = positiveIntEnv(ENV.httpTimeoutMs, DEFAULTS.httpTimeoutMs, env);
  const auth = new GoogleServiceAccountAuth({
    key: new CachedSecret(
      secretsManagerClient(),
      requireEnv(ENV.consumerSecretId, env),
      positiveIntEnv(ENV.secretMaxAgeSeconds, DEFAULTS.secretMaxAgeSeconds, env) * 1000,
    ),
    // Unset: the key's own token_uri, else Google's.
    tokenUrl: env[ENV.googleTokenUrl] ? urlEnv(ENV.googleTokenUrl, DEFAULTS.googleTokenUrl, env) : undefined,
    timeoutMs,
  });
  return {
    name: requireEnv(ENV.consumerName, env),
    sheet: new GoogleSheetsWriter({
      auth,
      spreadsheetId: spreadsheetIdEnv(env),
      sheetName: requireEnv(ENV.sheetsSheetName, env),
      baseUrl: urlEnv(ENV.sheetsBaseUrl, DEFAULTS.sheetsBaseUrl, env),
      timeoutMs,
    }),
    ledger: new DynamoDbConnectionStore(dynamoDbClient(), requireEnv(ENV.tableName, env)),
    deadLetters: new SqsDeadLetterQueue(sqsClient(), requireEnv(ENV.deadLetterQueueUrl, env)),
    delayer: new SqsMessageDelayer(sqsClient(), requireEnv(ENV.queueUrl, env)),
    log: logger,
    now: Date.now,
    leaseMs: DEFAULT_SHEET_LEASE_MS,
  };
};
