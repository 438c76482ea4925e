/**
 * `export`: the latest state of every (user, request) as CSV (for spreadsheets), JSONL or JSON.
 * Reading and ordering is `exportConnections` (lambda/use-cases/export-connections.ts); the CSV
 * columns and cells are `lambda/domain/csv-row.ts`; this renders and writes them.
 */
import { writeFile } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import { exportColumns, FIXED_COLUMNS, headerCells, rowCells } from '../../lambda/domain/csv-row.ts';
import { exportConnections } from '../../lambda/use-cases/export-connections.ts';
import type { StoredLatestConnection } from '../../lambda/use-cases/ports.ts';
import type { Command } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { progress } from '../progress.ts';
import {
  connectionStore,
  describeStoreError,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetFromArgs,
} from '../target.ts';
import { timeOption } from '../times.ts';

export const FORMATS = ['csv', 'jsonl', 'json'] as const;
export type ExportFormat = (typeof FORMATS)[number];

/** One connection as a JSON object: the CSV's fixed columns (typed), the fingerprint, and `flat`. */
export const exportObject = (c: StoredLatestConnection): Record<string, unknown> => ({
  ...Object.fromEntries(FIXED_COLUMNS.map((column) => [column, c[column]])),
  fingerprint: c.fingerprint,
  flat: c.flat,
});

/**
 * RFC 4180: CRLF between records, fields with a comma, quote, CR or LF quoted, quotes doubled.
 * (csv-stringify quotes a lone CR or LF only when asked: `quoted_match`.)
 */
export const renderCsv = (connections: StoredLatestConnection[], bom: boolean): string => {
  const columns = exportColumns(connections);
  const records = [headerCells(columns), ...connections.map((c) => rowCells(c, columns))];
  const text = stringify(records, { record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
  return bom ? `\uFEFF${text}` : text;
};

export const render = (connections: StoredLatestConnection[], format: ExportFormat, bom: boolean): string => {
  if (format === 'csv') return renderCsv(connections, bom);
  if (format === 'jsonl') return connections.map((c) => `${JSON.stringify(exportObject(c))}\n`).join('');
  return `${JSON.stringify(connections.map(exportObject), null, 2)}\n`;
};

const isFormat = (value: string): value is ExportFormat => (FORMATS as readonly string[]).includes(value);

export const exportCommand: Command = {
  name: 'export',
  summary: 'Export the latest state of every (user, request) as CSV, JSONL or JSON',
  usage: `Usage:
  cli export [--format csv|jsonl|json] [--since TIME] [--out FILE] [--bom] [target options]

Writes the latest state of every (user, request) the store holds, sorted by user (deliveries
without a user first) then request URL, to standard output or --out FILE, in UTF-8.

  --format FORMAT  csv (default), jsonl (one JSON object per line) or json (one array)
  --since TIME     only connections whose latest delivery arrived at or after TIME: an ISO date
                   (2026-03-01, midnight UTC) or date-time (2026-03-01T09:30:00Z; UTC without a zone)
  --out FILE       write to FILE (replaced) instead of standard output
  --bom            start the CSV with a UTF-8 byte order mark, so Excel reads accents correctly

CSV: RFC 4180 (a header row, CRLF line ends, fields quoted when they hold a comma, quote or line
break). Columns: user, requestUrl, requestName, clientName, status, accessLevel, apiVersion,
isTest, version, eventId, receivedAt; then the flat-record keys: user_id, client_name,
client_summary_url; then per asset type (type prefixes in alphabetical order) _id, _name,
_is_success, _message, _connection_status, _platform; then any other key, alphabetically. A
column appears when any row has it; an absent value is an empty cell. Against formula injection,
a cell that begins with =, +, -, @, a tab or a carriage return is prefixed with a single quote (').
JSONL and JSON: the same fixed fields with their JSON types, the fingerprint, and the flat record
as "flat"; values are not altered.

Progress goes to standard error (a running count on a terminal), then a final count line.

AWS permissions: cloudformation:DescribeStacks; dynamodb:Scan on the table (it reads the whole
table: fine for an operator's export, not for a hot path).

${TARGET_USAGE}

Exit status: 0 on success, 1 when the store cannot be read or the file written, 2 on a usage error.`,
  options: {
    format: { type: 'string' },
    since: { type: 'string' },
    out: { type: 'string' },
    bom: { type: 'boolean' },
    ...TARGET_OPTIONS,
  },
  run: async ({ values, positionals }, io) => {
    if (positionals.length > 0) {
      throw new UsageError(`export takes no arguments (got "${positionals[0]}"); use --out FILE`);
    }
    const format = typeof values.format === 'string' ? values.format : 'csv';
    if (!isFormat(format))
      throw new UsageError(`--format must be one of ${FORMATS.join(', ')} (got "${format}")`);
    const since = timeOption('since', values.since);
    const out = typeof values.out === 'string' ? values.out : undefined;
    if (out === '') throw new UsageError('--out needs a file name');
    const bom = values.bom === true;
    if (bom && format !== 'csv') throw new UsageError('--bom applies to --format csv only');

    const target = await targetFromArgs(values, io);
    const store = connectionStore(target);
    const counter = progress(io, { label: 'export', every: 0 });
    let result: Awaited<ReturnType<typeof exportConnections>>;
    try {
      result = await exportConnections({
        connections: store.allLatest(),
        since,
        onProgress: (read, kept) =>
          counter.tick(
            read,
            `${read} connections read${since ? `, ${kept} since ${since.toISOString()}` : ''}`,
          ),
      });
    } catch (error) {
      counter.done();
      throw new CliError(describeStoreError(target, error, 'reading the connections'));
    }
    counter.done();

    const text = render(result.connections, format, bom);
    if (out === undefined) {
      io.stdout(text);
    } else {
      try {
        await writeFile(out, text, 'utf8');
      } catch (error) {
        throw new CliError(`cannot write ${out}: ${(error as Error).message}`);
      }
    }
    const skipped = result.read - result.connections.length;
    io.stderr(
      `exported ${result.connections.length} connections as ${format} to ${out ?? 'standard output'}${since ? ` (${skipped} of ${result.read} received before ${since.toISOString()} left out)` : ''}\n`,
    );
    return 0;
  },
};
