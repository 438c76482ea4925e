/**
 * Listings of the operator commands: an aligned table with a header on a terminal, tab-separated
 * lines without one elsewhere (a pipe, a file), so `cut -f2` and spreadsheets read them as they are.
 */
import type { CommandIo, ParsedArgs } from '../command.ts';

/** No tab or line break inside a field; "-" for nothing. */
export const cell = (value: string | number | null | undefined): string =>
  value === null || value === undefined || value === '' ? '-' : String(value).replace(/[\t\r\n]+/g, ' ');

export const printListing = (io: CommandIo, header: string[], rows: string[][]): void => {
  const cells = rows.map((row) => row.map(cell));
  if (!io.stdoutIsTTY) {
    for (const row of cells) io.stdout(`${row.join('\t')}\n`);
    return;
  }
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]) =>
    row
      .map((value, i) => (i === row.length - 1 ? value : value.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  io.stdout(`${[header, ...cells].map(line).join('\n')}\n`);
};

/** The values of a repeatable option, comma-separated lists split, blanks dropped. */
export const listOption = (values: ParsedArgs['values'], name: string): string[] => {
  const value = values[name];
  const all = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return all
    .filter((v): v is string => typeof v === 'string')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
};
