/**
 * Send the emails of one connection event (team first, then the client's thank-you), each at most
 * once per event as far as the table can tell:
 *
 *   plan the emails (domain: statuses, recipients, templates)
 *   for each: claim it (ledger, per event and kind)
 *     ├─ sent already (a redelivery, or a retry after the other email failed) ─▶ skip it
 *     ├─ another attempt holds the claim ─▶ retry after its lease
 *     └─ claimed ─▶ send ─▶ mark sent
 *                    └─ SES failed ─▶ give the claim back, rethrow (retried or dead-lettered)
 *
 * So a retried message never resends an email that SES accepted and the table recorded. The one
 * window left is a crash between SES accepting an email and the mark: the next attempt cannot
 * know and sends it again (at least once: a duplicate email rather than a lost one).
 */
import type { EmailSettings } from '../consumers/email/message.ts';
import { planEmails } from '../consumers/email/message.ts';
import type { ConnectionEvent } from '../domain/envelope.ts';
import { RetryableDeliveryError } from '../domain/errors.ts';
import type { EmailSender, IdempotencyLedger, Log, OnceKey } from './ports.ts';

export interface SendEmailsDeps {
  /** The consumer's name: part of the idempotency key, so two email consumers never share one. */
  name: string;
  sender: EmailSender;
  ledger: IdempotencyLedger;
  settings: EmailSettings;
  log: Log;
  now: () => number;
  /** How long a claim keeps other attempts off (longer than any invocation runs). */
  leaseMs: number;
}

/** The default lease: Lambda's maximum timeout. */
export const DEFAULT_EMAIL_LEASE_MS = 15 * 60 * 1000;

/** What an event's emails came to: the kinds sent, and a reason for each email not sent. */
export interface EmailsOutcome {
  sent: string[];
  /** `team-status-not-selected`, `client-domain-not-allowed`, `client-already-sent`, … */
  skipped: string[];
  /** `sent team, client`, `sent none (team-status-not-selected, client-off)`, … for the log. */
  summary: string;
}

/**
 * The reason to record as the event's skip when nothing was sent (`client-domain-not-allowed`, …),
 * or undefined when an email went out. The handler hands it to the delivery engine's `skip`.
 */
export const skipReasonOf = (outcome: EmailsOutcome): string | undefined =>
  outcome.sent.length === 0 ? outcome.skipped.join(', ') || 'nothing to send' : undefined;

/** `sent team, client`, `sent none (team-status-not-selected, client-off)`, … for the log. */
export const sendEmails = async (deps: SendEmailsDeps, event: ConnectionEvent): Promise<string> =>
  (await deliverEmails(deps, event)).summary;

/** Sends the emails of one event (see above) and tells what was sent and why the rest was not. */
export const deliverEmails = async (deps: SendEmailsDeps, event: ConnectionEvent): Promise<EmailsOutcome> => {
  const { sender, ledger, log } = deps;
  const plan = planEmails(event, deps.settings);
  const sent: string[] = [];
  const skipped = [...plan.skipped];
  for (const email of plan.emails) {
    const key: OnceKey = { kind: 'email', consumer: deps.name, email: email.kind, eventId: event.eventId };
    const nowMs = deps.now();
    const claim = await ledger.claimOnce(key, nowMs, nowMs + deps.leaseMs);
    if (claim.outcome === 'done') {
      skipped.push(`${email.kind}-already-sent`);
      continue;
    }
    if (claim.outcome === 'busy') {
      throw new RetryableDeliveryError(
        `another attempt is sending the ${email.kind} email of event ${event.eventId}`,
        Math.max(1, Math.ceil((claim.leaseUntil - nowMs) / 1000)),
      );
    }
    let messageId: string;
    try {
      messageId = await sender.send({
        ...email.content,
        to: email.to,
        kind: email.kind,
        eventId: event.eventId,
      });
    } catch (error) {
      await ledger.releaseOnce(key).catch((releaseError: unknown) => {
        log.warn('could not release the claim; the retry waits for its lease', {
          error: String(releaseError),
        });
      });
      throw error;
    }
    await ledger.completeOnce(key, new Date(deps.now()).toISOString());
    log.info('email sent', {
      eventId: event.eventId,
      kind: email.kind,
      recipients: email.to.length,
      messageId,
      recovering: claim.recovering,
    });
    sent.push(email.kind);
  }
  const words = `sent ${sent.length === 0 ? 'none' : sent.join(', ')}`;
  const summary = skipped.length === 0 ? words : `${words} (${skipped.join(', ')})`;
  return { sent, skipped, summary };
};
