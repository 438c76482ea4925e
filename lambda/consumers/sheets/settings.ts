/**
 * The Google Sheets appender's settings: `consumers.sheets` of the cdk.json context. One rule per
 * fact: the spreadsheet id and the sheet name are checked by the same rules at synth and at cold
 * start (`SHEETS_FACTS`); the API URLs are only ever set by tests and local mode.
 */
import * as z from 'zod/mini';
import { ENV } from '../../contract.ts';
import { consumerFields, secretName, textFact } from '../settings.ts';

/** A spreadsheet should not fill up with Leadsie's test payloads. */
export const SHEETS_INCLUDES_TEST_EVENTS = false;

/** A Google spreadsheet id, as in the spreadsheet's URL: `https://docs.google.com/spreadsheets/d/<id>/edit`. */
export const SPREADSHEET_ID = /^[A-Za-z0-9_-]+$/;

/** The sheet (tab) the Google Sheets consumer appends to unless `sheetName` says otherwise. */
export const DEFAULT_SHEET_NAME = 'Connections';

/**
 * Timeout of the function, in seconds: twice the other consumers', because it appends the records
 * of a batch one after the other (a few Google calls each), where the others deliver them at once.
 */
export const SHEETS_TIMEOUT_SECONDS = 60;

const spreadsheetId = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'required: the id of the spreadsheet, from its URL (…/spreadsheets/d/<id>/edit)'
        : 'expected the id of the spreadsheet (a string)',
  })
  .check(
    z.regex(
      SPREADSHEET_ID,
      'a spreadsheet id: the letters, digits, - and _ between /d/ and /edit in its URL, not the whole URL',
    ),
  );

const sheetName = z
  .string({ error: 'expected the name of a sheet (tab) of the spreadsheet, such as "Connections"' })
  .check(
    z.minLength(1, 'a sheet name cannot be empty'),
    z.maxLength(100, 'at most 100 characters (Google Sheets limit)'),
    z.regex(/^[^\p{Cc}]*$/u, 'a sheet name holds no control characters (line breaks, tabs)'),
  );

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** What crosses to the function, each fact with its variable and its rule. */
export const SHEETS_FACTS = {
  spreadsheetId: textFact(ENV.sheetsSpreadsheetId, spreadsheetId),
  sheetName: textFact(ENV.sheetsSheetName, sheetName),
  sheetsBaseUrl: textFact(ENV.sheetsBaseUrl, httpUrl),
  googleTokenUrl: textFact(ENV.googleTokenUrl, httpUrl),
  tableName: textFact(ENV.tableName, z.string()),
};

export const sheetsSettings = z.strictObject({
  /** Secret holding the Google service account's JSON key (the file Google downloads), as is. */
  secretName: secretName("the Google service account's JSON key"),
  /** The spreadsheet's id, from its URL (`…/spreadsheets/d/<id>/edit`). */
  spreadsheetId,
  /**
   * The sheet (tab) rows are appended to. It must exist; the consumer writes its header row.
   * @default DEFAULT_SHEET_NAME ('Connections')
   */
  sheetName: z._default(sheetName, DEFAULT_SHEET_NAME),
  ...consumerFields(SHEETS_INCLUDES_TEST_EVENTS),
});

export type SheetsSettings = z.output<typeof sheetsSettings>;
