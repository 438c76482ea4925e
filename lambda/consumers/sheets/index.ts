/**
 * The Google Sheets appender as a module: `consumers.sheets` in cdk.json deploys one consumer named
 * `sheets`, with its header changes serialised by a lease in the table; local mode appends for real
 * with `GOOGLE_SERVICE_ACCOUNT_KEY_FILE` and `SHEETS_SPREADSHEET_ID`, else to an in-memory sheet and
 * its outbox.
 */
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';

import { staticSecret } from '../../adapters/secrets.ts';
import { DEFAULTS } from '../../contract.ts';
import { ConfigurationError } from '../../shared/env.ts';
import { DEFAULT_HEADER_LEASE_MS } from '../../use-cases/append-sheet-row.ts';
import { localEngine } from '../local-engine.ts';
import type { ConsumerModule } from '../module.ts';
import { envOf } from '../settings.ts';
import { OutboxSheet } from './dry-run.ts';
import { makeHandler } from './handler.ts';
import { InMemoryHeaderLease } from './header-lease.ts';
import { GoogleServiceAccountAuth, GoogleSheetsWriter } from './send.ts';
import {
  DEFAULT_SHEET_NAME,
  SHEETS_FACTS,
  SHEETS_INCLUDES_TEST_EVENTS,
  SHEETS_TIMEOUT_SECONDS,
  type SheetsSettings,
  SPREADSHEET_ID,
  sheetsSettings,
} from './settings.ts';

export const sheets = {
  contextKey: 'sheets',
  schema: sheetsSettings,
  instances: (settings) => (settings === undefined ? [] : [{ name: 'sheets', settings }]),
  entry: 'lambda/consumers/sheets/entry.ts',
  table: 'once-records',
  deploy: ({ settings }) => ({
    description: 'Appends connection events to a Google Sheet',
    secretName: settings.secretName,
    filter: settings,
    environment: envOf(SHEETS_FACTS, {
      spreadsheetId: settings.spreadsheetId,
      sheetName: settings.sheetName,
    }),
    timeoutSeconds: SHEETS_TIMEOUT_SECONDS,
  }),
  local: {
    usage: `  GOOGLE_SERVICE_ACCOUNT_KEY_FILE, SHEETS_SPREADSHEET_ID
                              append rows to this spreadsheet as that service account (both needed;
                              SHEETS_SHEET_NAME, default ${DEFAULT_SHEET_NAME})`,
    check: (env) => {
      const keyFile = env.GOOGLE_SERVICE_ACCOUNT_KEY_FILE;
      const spreadsheetId = env.SHEETS_SPREADSHEET_ID;
      if (spreadsheetId !== undefined && !SPREADSHEET_ID.test(spreadsheetId)) {
        throw new ConfigurationError('SHEETS_SPREADSHEET_ID must be the id from the spreadsheet URL');
      }
      if ((keyFile === undefined) !== (spreadsheetId === undefined)) {
        throw new ConfigurationError(
          `${keyFile === undefined ? 'GOOGLE_SERVICE_ACCOUNT_KEY_FILE' : 'SHEETS_SPREADSHEET_ID'} GOOGLE_SERVICE_ACCOUNT_KEY_FILE and SHEETS_SPREADSHEET_ID go together`,
        );
      }
      if (keyFile !== undefined) {
        try {
          accessSync(keyFile, constants.R_OK);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? 'error';
          throw new ConfigurationError(`GOOGLE_SERVICE_ACCOUNT_KEY_FILE cannot be read (${code})`);
        }
      }
    },
    start: async ({ env, store, log, say, outbox, httpTimeoutMs }) => {
      const keyFile = env.GOOGLE_SERVICE_ACCOUNT_KEY_FILE;
      const spreadsheetId = env.SHEETS_SPREADSHEET_ID;
      const sheetName = env.SHEETS_SHEET_NAME || DEFAULT_SHEET_NAME;
      let key: string | undefined;
      if (keyFile !== undefined) {
        try {
          key = await readFile(keyFile, 'utf8');
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? 'error';
          throw new ConfigurationError(`GOOGLE_SERVICE_ACCOUNT_KEY_FILE cannot be read (${code})`);
        }
      }
      const sheet =
        key !== undefined && spreadsheetId !== undefined
          ? new GoogleSheetsWriter({
              auth: new GoogleServiceAccountAuth({ key: staticSecret(key), timeoutMs: httpTimeoutMs }),
              spreadsheetId,
              sheetName,
              baseUrl: DEFAULTS.sheetsBaseUrl,
              timeoutMs: httpTimeoutMs,
            })
          : new OutboxSheet(sheetName, outbox('sheets'), say);
      return [
        {
          name: 'sheets',
          live: key !== undefined,
          filter: { includeTestEvents: SHEETS_INCLUDES_TEST_EVENTS },
          note: 'Leadsie test payloads skipped',
          handler: (queue) =>
            makeHandler({
              name: 'sheets',
              sheet,
              headerLease: new InMemoryHeaderLease(),
              headerLeaseMs: DEFAULT_HEADER_LEASE_MS,
              log,
              ...localEngine({ store, env }),
              now: Date.now,
              ...queue,
            }),
        },
      ];
    },
  },
  // The context the infrastructure tests, the bench and the removability check synthesize: its defaults, its secret under a customer-managed KMS key.
  example: {
    secretName: 'leadsie-webhooks/google-sheets-key',
    spreadsheetId: '1AbC-dEf_123xyz',
    secretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  },
} satisfies ConsumerModule<SheetsSettings, SheetsSettings | undefined, 'sheets'>;
