/**
 * The Google Sheets appender: one row per connection event in a configured sheet, with the
 * flat-record columns plus received time, status, client name and event id, under a header row it
 * keeps (see `appendSheetRow` for the once-only scheme and `message.ts` for the columns).
 * Authenticates as a Google service account whose JSON key is the consumer's secret. Fed by its own
 * SQS queue; failures are retried or dead-lettered by `makeSqsConsumer`.
 *
 * The records of a batch are appended one at a time: two new asset types arriving together must not
 * race to extend the header. Across containers the same holds only if the function runs one at a
 * time: it is deployed with a reserved concurrency of 1 (a sheet takes about one write a second anyway).
 */
import { DynamoDbConnectionStore } from '../../adapters/dynamodb-connection-store.ts';
import { CachedSecret } from '../../adapters/secrets.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../adapters/sqs-queues.ts';
import { DEFAULTS } from '../../contract.ts';
import { dynamoDbClient, secretsManagerClient, sqsClient } from '../../shared/clients.ts';
import { type ConsumerDeps, makeSqsConsumer } from '../../shared/sqs-consumer.ts';
import {
  type AppendSheetRowDeps,
  appendSheetRow,
  DEFAULT_SHEET_LEASE_MS,
} from '../../use-cases/append-sheet-row.ts';
import type { Log } from '../../use-cases/ports.ts';
import { readConsumerEnv, readEnv, requiredSecretId } from '../settings.ts';
import { GoogleServiceAccountAuth, GoogleSheetsWriter } from './send.ts';
import { SHEETS_FACTS } from './settings.ts';

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

export const defaultDeps = (log: Log, env: NodeJS.ProcessEnv = process.env): SheetsAppenderDeps => {
  const consumer = readConsumerEnv(env);
  const settings = readEnv(SHEETS_FACTS, env, ['spreadsheetId', 'sheetName', 'tableName']);
  const timeoutMs = consumer.httpTimeoutMs;
  const auth = new GoogleServiceAccountAuth({
    key: new CachedSecret(secretsManagerClient(), requiredSecretId(consumer), consumer.secretMaxAgeMs),
    // Unset: the key's own token_uri, else Google's.
    tokenUrl: settings.googleTokenUrl,
    timeoutMs,
  });
  return {
    name: consumer.name,
    sheet: new GoogleSheetsWriter({
      auth,
      spreadsheetId: settings.spreadsheetId,
      sheetName: settings.sheetName,
      baseUrl: settings.sheetsBaseUrl ?? DEFAULTS.sheetsBaseUrl,
      timeoutMs,
    }),
    ledger: new DynamoDbConnectionStore(dynamoDbClient(), settings.tableName),
    deadLetters: new SqsDeadLetterQueue(sqsClient(), consumer.deadLetterQueueUrl),
    delayer: new SqsMessageDelayer(sqsClient(), consumer.queueUrl),
    log,
    now: Date.now,
    leaseMs: DEFAULT_SHEET_LEASE_MS,
  };
};
