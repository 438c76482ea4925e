/**
 * Send the emails of one connection event (team first, then the client's thank-you). Once-only is
 * the delivery engine's: each email is one step of the event's outcome, so a retry after the client
 * email failed never sends the team email again, and a redelivery of a done event sends nothing.
 *
 *   plan the emails (statuses, recipients, templates)
 *     └─ none to send ─▶ skip, with why (`team-status-not-selected, client-off`)
 *   for each: step(kind) ─ done by an earlier try ─▶ not sent again
 *                        └─ send (SES), the step is marked done
 *
 * The one window left is a crash between SES accepting an email and its step's mark: the next try
 * cannot know and sends it again (a duplicate email rather than a lost one).
 */
import type { EmailSettings } from '../consumers/email/message.ts';
import { planEmails } from '../consumers/email/message.ts';
import type { ConnectionEvent } from '../domain/envelope.ts';
import type { EmailSender, Log } from './ports.ts';

export interface SendEmailsDeps {
  sender: EmailSender;
  settings: EmailSettings;
  log: Log;
}

/** Runs a part of the send at most once (the engine's `context.step`); resolves undefined when done before. */
export type Step = <T>(name: string, send: () => Promise<T>) => Promise<T | undefined>;

const runOnce: Step = (_name, send) => send();

/**
 * `sent team, client`, `sent team (client-already-sent)`; or `{ skipped }` with the plan's reasons
 * when the event calls for no email at all.
 */
export const sendEmails = async (
  deps: SendEmailsDeps,
  event: ConnectionEvent,
  step: Step = runOnce,
): Promise<string | { skipped: string }> => {
  const { sender, log } = deps;
  const plan = planEmails(event, deps.settings);
  if (plan.emails.length === 0) return { skipped: plan.skipped.join(', ') || 'no email to send' };
  const sent: string[] = [];
  const skipped = [...plan.skipped];
  for (const email of plan.emails) {
    const messageId = await step(email.kind, () =>
      sender.send({
        ...email.content,
        to: email.to,
        kind: email.kind,
        eventId: event.eventId,
        version: event.version,
      }),
    );
    if (messageId === undefined) {
      skipped.push(`${email.kind}-already-sent`);
      continue;
    }
    log.info('email sent', {
      eventId: event.eventId,
      kind: email.kind,
      recipients: email.to.length,
      messageId,
    });
    sent.push(email.kind);
  }
  const summary = `sent ${sent.length === 0 ? 'none' : sent.join(', ')}`;
  return skipped.length === 0 ? summary : `${summary} (${skipped.join(', ')})`;
};
