/**
 * Sends emails with Amazon SES (API v2, `SendEmail` with simple content: subject, text and HTML
 * parts, UTF-8), from one verified identity.
 *
 * Failures, as the email consumer needs them:
 * - throttling (`TooManyRequestsException`, `LimitExceededException` — the sending rate or the daily
 *   quota), an SES 5xx or a network error: `RetryableDeliveryError` (the SDK has already retried
 *   a few times with backoff);
 * - anything else SES refuses (`MessageRejected`, `MailFromDomainNotVerifiedException`, a
 *   `BadRequestException` for an invalid address, `AccountSuspendedException`,
 *   `SendingPausedException`, `NotFoundException`): `PermanentDeliveryError` with SES's reason.
 */
import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../domain/errors.ts';
import type { EmailSender, OutgoingEmail } from '../../use-cases/ports.ts';

const THROTTLING = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
]);

/** Longest excerpt of SES's message kept in a reason. */
const MAX_REASON_CHARS = 300;

/** Classifies an error thrown by SES's SendEmail. */
export const classifySesError = (error: unknown): RetryableDeliveryError | PermanentDeliveryError => {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? 'Error';
  const message = String(e?.message ?? error).slice(0, MAX_REASON_CHARS);
  const status = e?.$metadata?.httpStatusCode;
  if (THROTTLING.has(name)) return new RetryableDeliveryError(`SES is throttling (${name}): ${message}`);
  if (status === undefined || status >= 500) {
    return new RetryableDeliveryError(`SES could not be reached or failed (${name}): ${message}`);
  }
  return new PermanentDeliveryError(`SES refused the email (${name}): ${message}`);
};

/** SES tag values allow letters, digits, `_`, `-`, `.`, `@`; anything else becomes `_`. */
const tagValue = (value: string): string => value.replace(/[^A-Za-z0-9_.@-]/g, '_').slice(0, 256) || '_';

export interface SesEmailOptions {
  /** The verified identity (address) emails are sent from. */
  from: string;
  /** Name of the consumer, as an email tag (`consumer`). */
  consumer: string;
}

export class SesEmailSender implements EmailSender {
  constructor(
    private readonly client: SESv2Client,
    private readonly options: SesEmailOptions,
  ) {}

  /** The exact SendEmail request for an email (exposed for tests and dry runs). */
  command(email: OutgoingEmail): SendEmailCommand {
    const charset = 'UTF-8';
    return new SendEmailCommand({
      FromEmailAddress: this.options.from,
      Destination: { ToAddresses: [...email.to] },
      Content: {
        Simple: {
          Subject: { Data: email.subject, Charset: charset },
          Body: {
            Text: { Data: email.text, Charset: charset },
            Html: { Data: email.html, Charset: charset },
          },
        },
      },
      EmailTags: [
        { Name: 'consumer', Value: tagValue(this.options.consumer) },
        { Name: 'kind', Value: email.kind },
        { Name: 'eventId', Value: tagValue(email.eventId) },
      ],
    });
  }

  async send(email: OutgoingEmail): Promise<string> {
    try {
      const result = await this.client.send(this.command(email));
      return result.MessageId ?? '';
    } catch (error) {
      throw classifySesError(error);
    }
  }
}
