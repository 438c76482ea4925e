/**
 * The Google Sheets appender: one row per connection event in a configured sheet, with the
 * flat-record columns plus received time, status, client name and event id, under a header row it
 * keeps (see `appendSheetRow` and `message.ts` for the columns). Authenticates as a Google service
 * account whose JSON key is the consumer's secret. Fed by its own SQS queue; the delivery engine
 * appends each event once, retries with backoff and dead-letters.
 *
 * Header changes are serialised by a table lease (`header-lease.ts`), so the function needs no
 * reserved concurrency; within one container the records of a batch still go one at a time, which
 * spares the lease a race with itself. Rows recorded done by the once-only records of before the
 * engine (`SHEETROW#…`) count as appended.
 */

import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { CachedSecret } from '../../adapters/secrets.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../adapters/sqs-queues.ts';
import { DEFAULTS } from '../../contract.ts';
import { dynamoDbClient, secretsManagerClient, sqsClient } from '../../shared/clients.ts';
import {
  type AppendSheetRowDeps,
  appendSheetRow,
  DEFAULT_HEADER_LEASE_MS,
} from '../../use-cases/append-sheet-row.ts';
import type { Log, SheetsWriter } from '../../use-cases/ports.ts';
import { engineFromEnv } from '../engine-deps.ts';
import { type EngineDeps, makeDeliveryEngine } from '../runtime/engine.ts';
import { readConsumerEnv, readEnv, requiredSecretId } from '../settings.ts';
import { DynamoDbHeaderLease } from './header-lease.ts';
import { GoogleServiceAccountAuth, GoogleSheetsWriter } from './send.ts';
import { SHEETS_FACTS } from './settings.ts';

export interface SheetsAppenderDeps extends Omit<EngineDeps, 'legacy' | 'now'>, AppendSheetRowDeps {}

/** Runs tasks one at a time, in the order they were given. */
export const oneAtATime = () => {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task);
    tail = run.catch(() => undefined);
    return run;
  };
};

/** The once-only record an event's row had before the engine (read through the cut-over). */
const legacyRowKey =
  (sheet: Pick<SheetsWriter, 'spreadsheetId' | 'sheetName'>) => (event: { eventId: string }) => [
    {
      kind: 'sheet-row' as const,
      spreadsheetId: sheet.spreadsheetId,
      sheetName: sheet.sheetName,
      eventId: event.eventId,
    },
  ];

export const makeHandler = (deps: SheetsAppenderDeps) => {
  const engine = makeDeliveryEngine(
    { ...deps, legacy: legacyRowKey(deps.sheet) },
    async (event, _record, context) => {
      const result = await appendSheetRow(deps, event, context);
      if (result.outcome === 'already-in-sheet') return 'already in the sheet';
      return result.status === undefined ? 'appended' : `appended ${result.status}`;
    },
  );
  // The records of a batch go through the engine one at a time, in the queue's order.
  const serially = oneAtATime();
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    if (!Array.isArray(event?.Records)) return engine(event);
    const batchItemFailures: SQSBatchItemFailure[] = [];
    for (const record of event.Records) {
      const response = await serially(() => engine({ Records: [record] }));
      batchItemFailures.push(...response.batchItemFailures);
    }
    return { batchItemFailures };
  };
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
  const sheet = new GoogleSheetsWriter({
    auth,
    spreadsheetId: settings.spreadsheetId,
    sheetName: settings.sheetName,
    baseUrl: settings.sheetsBaseUrl ?? DEFAULTS.sheetsBaseUrl,
    timeoutMs,
  });
  return {
    name: consumer.name,
    sheet,
    headerLease: new DynamoDbHeaderLease(dynamoDbClient(), settings.tableName, sheet),
    headerLeaseMs: DEFAULT_HEADER_LEASE_MS,
    deadLetters: new SqsDeadLetterQueue(sqsClient(), consumer.deadLetterQueueUrl),
    delayer: new SqsMessageDelayer(sqsClient(), consumer.queueUrl),
    log,
    now: Date.now,
    ...engineFromEnv(env),
  };
};
