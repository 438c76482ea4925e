/** Google Sheets in local mode's dry run. */
import type { SheetsWriter } from '../../use-cases/ports.ts';
import type { Append, OutboxLine } from '../dry-run.ts';
import type { Say } from '../module.ts';

/**
 * Google Sheets in dry run: the sheet lives in memory (so the header logic runs for real) and each
 * appended row is written to the outbox with the values.append request it would have been.
 */
export class OutboxSheet implements SheetsWriter {
  readonly spreadsheetId = 'dry-run';
  private header: string[] = [];
  private readonly rows: string[][] = [];

  constructor(
    readonly sheetName: string,
    private readonly append: Append,
    private readonly say: Say,
    private readonly consumer = 'sheets',
  ) {}

  async readHeader(): Promise<string[]> {
    return [...this.header];
  }

  async writeHeader(header: string[]): Promise<void> {
    this.header = [...header];
    this.say(`[outbox] ${this.consumer}: header now has ${header.length} columns`);
  }

  async readColumn(index: number): Promise<string[]> {
    return [this.header[index] ?? '', ...this.rows.map((row) => row[index] ?? '')];
  }

  async appendRow(cells: string[]): Promise<undefined> {
    this.rows.push([...cells]);
    const eventIdColumn = this.header.indexOf('eventId');
    const line: OutboxLine = {
      at: new Date().toISOString(),
      consumer: this.consumer,
      eventId: eventIdColumn >= 0 ? (cells[eventIdColumn] ?? null) : null,
      version: null,
      request: {
        method: 'POST',
        target: `Sheets values.append '${this.sheetName}' (valueInputOption=RAW)`,
        body: { majorDimension: 'ROWS', values: [cells] },
      },
    };
    await this.append(JSON.stringify(line));
    this.say(`[outbox] ${this.consumer}: row ${this.rows.length + 1} appended`);
    return undefined;
  }
}
