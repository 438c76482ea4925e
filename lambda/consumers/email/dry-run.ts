/** Email in local mode's dry run. */
import type { EmailSender, OutgoingEmail } from '../../use-cases/ports.ts';
import type { Append, OutboxLine } from '../dry-run.ts';
import type { Say } from '../module.ts';

/** Email in dry run: the message SES would send (both parts), one outbox line per email. */
export class OutboxEmail implements EmailSender {
  private sent = 0;

  constructor(
    private readonly from: string,
    private readonly append: Append,
    private readonly say: Say,
    private readonly consumer = 'email',
  ) {}

  async send(email: OutgoingEmail): Promise<string> {
    const line: OutboxLine = {
      at: new Date().toISOString(),
      consumer: this.consumer,
      eventId: email.eventId,
      version: email.version,
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
