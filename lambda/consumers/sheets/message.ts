/**
 * The Google Sheets row of one connection event, and the header row it lives under. Pure: the
 * adapter reads and writes the sheet, this module decides what goes where.
 *
 * A row's columns (`sheetRecord`):
 *
 * 1. the fixed columns `SHEET_FIXED_COLUMNS`: `receivedAt`, `status`, `clientName` (the envelope's
 *    client name, empty for v1) and `eventId` (the marker column: which delivery wrote the row);
 * 2. the flat record's columns: `user_id`, `requestUrl`, `requestName`, then the other record-level
 *    keys and the per-asset-type groups in the export's order (`flatColumns` of `csv-row.ts`).
 *
 * The header (`planHeader`): on an empty sheet it is the row's columns, in that order. On a sheet
 * that has one, its order is kept, whatever the agency made of it (moved columns, its own columns);
 * the columns a delivery brings that the header lacks (a new asset type) are added at its end, so
 * rows already written never shift. A row is written in the header's order (`rowCells`): a header
 * column the row lacks is an empty cell.
 *
 * Values are written verbatim: the adapter appends with `valueInputOption=RAW`, so Sheets stores
 * every cell as the string it is and never parses `=HYPERLINK(…)` as a formula (no `'` prefix is
 * needed, or wanted: with RAW it would show).
 */

import { flatColumns } from '../../domain/csv-row.ts';
import type { ConnectionEvent } from '../../domain/envelope.ts';
import type { FlatRecord } from '../../domain/flatten.ts';

/** The leading columns of every row, in this order; `eventId` is the marker column. */
export const SHEET_FIXED_COLUMNS = ['receivedAt', 'status', 'clientName', 'eventId'] as const;

/** The column naming the delivery that wrote a row: what a redelivery looks for. */
export const EVENT_ID_COLUMN = 'eventId';

/** The flat keys that lead the flat columns, in this order (the export makes them fixed columns). */
const LEADING_FLAT_KEYS = ['user_id', 'requestUrl', 'requestName'] as const;

/** Google Sheets holds at most 50,000 characters in a cell; a longer value would fail the whole append. */
export const MAX_CELL_CHARS = 50_000;

/** One row as column name → cell text. */
export type SheetRecord = Record<string, string>;

const FIXED = new Set<string>(SHEET_FIXED_COLUMNS);

/** The columns of one flat record, in the order a fresh header lists them. */
export const flatSheetColumns = (flat: FlatRecord): string[] => {
  const leading = LEADING_FLAT_KEYS.filter((key) => key in flat);
  const rest = flatColumns([flat]).filter((key) => !(leading as string[]).includes(key));
  return [...leading, ...rest].filter((key) => !FIXED.has(key));
};

/** The columns of an event's row, in the order a fresh header lists them. */
export const sheetColumns = (event: ConnectionEvent): string[] => [
  ...SHEET_FIXED_COLUMNS,
  ...flatSheetColumns(event.flat),
];

/** The cells of an event's row by column name (null values are empty cells). */
export const sheetRecord = (event: ConnectionEvent): SheetRecord => {
  const record: SheetRecord = {
    receivedAt: event.receivedAt,
    status: event.status ?? '',
    clientName: event.client?.name ?? '',
    eventId: event.eventId,
  };
  for (const key of flatSheetColumns(event.flat)) record[key] = event.flat[key] ?? '';
  return record;
};

export interface HeaderPlan {
  /** The header the sheet must have: the current one, extended at its end if needed. */
  header: string[];
  /** True when the sheet's header must be written (it was empty, or columns were added). */
  changed: boolean;
  /** The columns added at the end (all of them for an empty sheet). */
  added: string[];
}

/**
 * The header a row with `columns` needs under the sheet's current header (`current`, as the sheet
 * gives it: trailing empty cells already dropped). Existing cells keep their positions; missing
 * columns are added at the end, in `columns` order.
 */
export const planHeader = (current: readonly string[], columns: readonly string[]): HeaderPlan => {
  const present = new Set(current);
  const added = columns.filter((column) => !present.has(column));
  const unique = [...new Set(added)];
  return { header: [...current, ...unique], changed: unique.length > 0, added: unique };
};

/** Clips a cell to what Sheets accepts, marking the cut. */
export const clipCell = (text: string): string =>
  text.length <= MAX_CELL_CHARS ? text : `${text.slice(0, MAX_CELL_CHARS - 1)}…`;

/**
 * The cells of a row under `header`, in its order: the record's value for each column it has, an
 * empty cell for the others (the agency's own columns, another asset type). Trailing empty cells
 * are dropped (Sheets ignores them anyway). When a column appears twice in the header, only its
 * first occurrence is filled.
 */
export const rowCells = (header: readonly string[], record: SheetRecord): string[] => {
  const seen = new Set<string>();
  const cells = header.map((column) => {
    if (column === '' || seen.has(column)) return '';
    seen.add(column);
    return clipCell(record[column] ?? '');
  });
  while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
  return cells;
};

/**
 * The column letters of a 0-based column index, as A1 notation writes them: 0 → `A`, 25 → `Z`,
 * 26 → `AA`, 701 → `ZZ`, 702 → `AAA`.
 */
export const columnLetters = (index: number): string => {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`not a column index: ${index}`);
  let letters = '';
  let n = index + 1;
  while (n > 0) {
    const rest = (n - 1) % 26;
    letters = String.fromCharCode(65 + rest) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return letters;
};

/**
 * A sheet name quoted for A1 notation: always in single quotes, a quote inside doubled
 * (`It's` → `'It''s'`), so names with spaces, `!` or digits are read as names.
 */
export const quoteSheetName = (name: string): string => `'${name.replaceAll("'", "''")}'`;

/** A1 ranges of the sheet named `sheet`. */
export const sheetRanges = {
  /** The whole header row. */
  headerRow: (sheet: string): string => `${quoteSheetName(sheet)}!1:1`,
  /** The header row's first cell: where the header is written (it extends to the right). */
  headerStart: (sheet: string): string => `${quoteSheetName(sheet)}!A1`,
  /** One whole column, by 0-based index. */
  column: (sheet: string, index: number): string => {
    const letters = columnLetters(index);
    return `${quoteSheetName(sheet)}!${letters}:${letters}`;
  },
  /** The table rows are appended to: Sheets finds its end from the header at A1. */
  table: (sheet: string): string => `${quoteSheetName(sheet)}!A1`,
};
