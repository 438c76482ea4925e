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
import type { EmailSender, OutgoingEmail } from '../lambda/use-cases/ports.ts';

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
