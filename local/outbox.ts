/**
 * Dry-run targets of local mode: instead of calling Slack, HubSpot, a forwarder target, Google Sheets
 * or SES, each
 * consumer appends the exact request it would have sent as one JSON line to
 * `<data dir>/outbox/<consumer>.jsonl`, and the console gets a one-line summary. The consumers'
 * real code (message building, mapping, stale checks, retries) runs unchanged around them.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { OutboxLine } from '../lambda/consumers/dry-run.ts';
import type { EmailSender, OutgoingEmail, SheetsWriter } from '../lambda/use-cases/ports.ts';

/** Appends JSON lines to one file, creating its folder; writes are serialised so lines never interleave. */
export const jsonlAppender = (file: string) => {
  let chain: Promise<void> = Promise.resolve();
  return (line: string): Promise<void> => {
    chain = chain.then(async () => {
      await mkdir(path.dirname(file), { recursive: true });
      await appendFile(file, `${line}\n`, 'utf8');
    });
    return chain;
  };
};

export type { OutboxLine } from '../lambda/consumers/dry-run.ts';

type Say = (line: string) => void;

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
    private readonly append: (line: string) => Promise<void>,
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

  async appendRow(cells: string[]): Promise<void> {
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
  }
}

/** Email in dry run: the message SES would send (both parts), one outbox line per email. */
export class OutboxEmail implements EmailSender {
  private sent = 0;

  constructor(
    private readonly from: string,
    private readonly append: (line: string) => Promise<void>,
    private readonly say: Say,
    private readonly consumer = 'email',
  ) {}

  async send(email: OutgoingEmail): Promise<string> {
    const line: OutboxLine = {
      at: new Date().toISOString(),
      consumer: this.consumer,
      eventId: email.eventId,
      version: null,
      request: {
        method: 'POST',
        target: `SES SendEmail (${email.kind})`,
        body: { from: this.from, to: email.to, subject: email.subject, text: email.text, html: email.html },
      },
    };
    await this.append(JSON.stringify(line));
    this.say(`[outbox] ${this.consumer}: ${email.kind} email to ${email.to.join(', ')}: ${email.subject}`);
    this.sent++;
    return `dry-run-${this.sent}`;
  }
}
