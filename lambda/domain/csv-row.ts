/**
 * The rows of a connections export (`cli export --format csv`): which columns, in which order, and
 * each cell as text that a spreadsheet shows as data, never runs as a formula. Pure: the CLI turns
 * these cells into RFC 4180 text with csv-stringify.
 *
 * Column order (stable whatever the rows' order, so two exports of the same data diff cleanly):
 *
 * 1. the fixed columns, `FIXED_COLUMNS`;
 * 2. the record-level flat keys `user_id`, `client_name`, `client_summary_url`, when any row has them
 *    (`requestUrl` and `requestName` are already fixed columns with the same value: not repeated);
 * 3. the per-asset-type groups: type prefixes in code-unit order, and within a prefix the suffixes in
 *    `GROUP_SUFFIXES` order (`_id`, `_name`, `_is_success`, `_message`, `_connection_status`,
 *    `_platform`), each only when some row has it;
 * 4. any other flat key, in code-unit order.
 *
 * Formula injection (OWASP "CSV Injection"): a cell beginning with `=`, `+`, `-`, `@`, a tab or a
 * carriage return is prefixed with a single quote `'`, header cells included (asset types, hence
 * column names, come from the payload).
 */
import type { FlatRecord } from './flatten.ts';

/** The leading columns of every export, in this order. */
export const FIXED_COLUMNS = [
  'user',
  'requestUrl',
  'requestName',
  'clientName',
  'status',
  'accessLevel',
  'apiVersion',
  'isTest',
  'version',
  'eventId',
  'receivedAt',
] as const;

export type FixedColumn = (typeof FIXED_COLUMNS)[number];

/** Flat keys that describe the whole record, not one asset type, in the order they are exported. */
export const RECORD_LEVEL_KEYS = ['user_id', 'client_name', 'client_summary_url'] as const;

/** The keys flatten makes per asset type, `<prefix><suffix>`, in the order they are exported. */
export const GROUP_SUFFIXES = [
  '_id',
  '_name',
  '_is_success',
  '_message',
  '_connection_status',
  '_platform',
] as const;

/** One exported connection: the latest state of a (user, request). */
export interface ConnectionRow {
  user: string | null;
  requestUrl: string;
  requestName: string;
  clientName: string | null;
  status: string | null;
  accessLevel: string | null;
  apiVersion: number;
  isTest: boolean;
  version: number;
  eventId: string;
  receivedAt: string;
  flat: FlatRecord;
}

const FIXED = new Set<string>(FIXED_COLUMNS);
const RECORD_LEVEL = new Set<string>(RECORD_LEVEL_KEYS);

/** Code-unit order: the same on every machine, whatever its locale. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `ad_account_is_success` → `{ prefix: 'ad_account', suffixIndex: 2 }`; null for a key of no group. */
export const groupOf = (key: string): { prefix: string; suffixIndex: number } | null => {
  if (RECORD_LEVEL.has(key)) return null;
  // No suffix ends another, so at most one matches.
  const suffixIndex = GROUP_SUFFIXES.findIndex(
    (suffix) => key.length > suffix.length && key.endsWith(suffix),
  );
  if (suffixIndex === -1) return null;
  return { prefix: key.slice(0, key.length - (GROUP_SUFFIXES[suffixIndex] as string).length), suffixIndex };
};

/** The flat-record columns of an export, after the fixed ones, by the rule in this file's header. */
export const flatColumns = (records: Iterable<FlatRecord>): string[] => {
  const keys = new Set<string>();
  for (const record of records) for (const key of Object.keys(record)) if (!FIXED.has(key)) keys.add(key);

  const recordLevel = RECORD_LEVEL_KEYS.filter((key) => keys.has(key));
  const groups = new Map<string, Map<number, string>>();
  const others: string[] = [];
  for (const key of keys) {
    if (RECORD_LEVEL.has(key)) continue;
    const group = groupOf(key);
    if (group === null) {
      others.push(key);
      continue;
    }
    let members = groups.get(group.prefix);
    if (members === undefined) {
      members = new Map();
      groups.set(group.prefix, members);
    }
    members.set(group.suffixIndex, key);
  }
  const grouped = [...groups.keys()].sort(byCodeUnits).flatMap((prefix) => {
    const members = groups.get(prefix) ?? new Map<number, string>();
    return [...members.keys()].sort((a, b) => a - b).map((index) => members.get(index) as string);
  });
  return [...recordLevel, ...grouped, ...others.sort(byCodeUnits)];
};

/** Every column of an export of these rows: the fixed ones, then the flat ones. */
export const exportColumns = (rows: Iterable<Pick<ConnectionRow, 'flat'>>): string[] => {
  const flats: FlatRecord[] = [];
  for (const row of rows) flats.push(row.flat);
  return [...FIXED_COLUMNS, ...flatColumns(flats)];
};

/** The first characters that make a spreadsheet read a cell as a formula (OWASP). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell's text, made inert: a leading `=`, `+`, `-`, `@`, tab or carriage return gets a `'` before it. */
export const neutraliseCell = (text: string): string => (FORMULA_START.test(text) ? `'${text}` : text);

const fixedCell = (row: ConnectionRow, column: FixedColumn): string => {
  const value = row[column];
  if (value === null) return '';
  return String(value);
};

/** The header row's cells. */
export const headerCells = (columns: readonly string[]): string[] => columns.map(neutraliseCell);

/**
 * The cells of one row, in `columns` order, neutralised: `null` and a missing flat key are empty,
 * numbers and booleans print as JavaScript prints them (`2`, `true`).
 */
export const rowCells = (row: ConnectionRow, columns: readonly string[]): string[] =>
  columns.map((column) =>
    neutraliseCell(FIXED.has(column) ? fixedCell(row, column as FixedColumn) : (row.flat[column] ?? '')),
  );
