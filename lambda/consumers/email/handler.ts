/**
 * The email notifier, with Amazon SES (v2): a team email for the configured statuses (by default
 * PARTIAL_SUCCESS and FAILED), and, when turned on, a thank-you to the client on SUCCESS (see
 * `message.ts` for the emails, `sendEmails` for the once-per-email scheme). Fed by its
 * own SQS queue; the delivery engine sends each email of an event once (each one a step of the
 * outcome), retries SES throttling with backoff and dead-letters a refused email with SES's reason.
 * Emails recorded sent by the once-only records of before the engine (`EMAIL#…`) count as sent.
 *
 * Settings are read once, at cold start, and fail fast: a bad address, a malformed JSON list or an
 * unusable template stops the function with a message naming the variable.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../adapters/sqs-queues.ts';
import { DEFAULTS, ENV } from '../../contract.ts';
import { sqsClient } from '../../shared/clients.ts';
import { ConfigurationError } from '../../shared/env.ts';
import type { Log, OnceKey } from '../../use-cases/ports.ts';
import { type SendEmailsDeps, sendEmails } from '../../use-cases/send-emails.ts';
import { engineFromEnv } from '../engine-deps.ts';
import { type EngineDeps, makeDeliveryEngine } from '../runtime/engine.ts';
import { readConsumerEnv, readEnv } from '../settings.ts';
import { DEFAULT_CLIENT_TEMPLATE, type EmailSettings, parseEmailTemplate, planEmails } from './message.ts';
import { SesEmailSender } from './send.ts';
import { EMAIL_FACTS } from './settings.ts';

export interface EmailNotifierDeps extends Omit<EngineDeps, 'legacy'>, SendEmailsDeps {}

export const makeHandler = (deps: EmailNotifierDeps) =>
  makeDeliveryEngine(
    {
      ...deps,
      // The once-only records of before the engine, one per planned email (keyed by consumer name).
      legacy: (event) =>
        planEmails(event, deps.settings).emails.map(
          (email): OnceKey => ({
            kind: 'email',
            consumer: deps.name,
            email: email.kind,
            eventId: event.eventId,
          }),
        ),
    },
    (event, _record, context) => sendEmails(deps, event, context.step),
  );

type Env = Readonly<Record<string, string | undefined>>;

/** `agency@example.com` or `Agency Name <agency@example.com>`: the From rule the stack checked. */
export const senderEnv = (env: Env): string => readEnv({ from: EMAIL_FACTS.from }, env, ['from']).from.trim();

/** The email settings from the environment, by the rules the stack built it with (exported for tests). */
export const settingsFromEnv = (env: Env): EmailSettings => {
  const read = readEnv(EMAIL_FACTS, env);
  const teamRecipients = read.teamRecipients ?? [];
  const clientEnabled = read.clientEnabled ?? false;
  if (teamRecipients.length === 0 && !clientEnabled) {
    throw new ConfigurationError(
      `nothing to send: set ${ENV.emailTeamRecipients} (team addresses) or ${ENV.emailClientEnabled}=true`,
    );
  }
  const settings: EmailSettings = {
    teamRecipients,
    teamStatuses: read.teamStatuses ?? [...DEFAULTS.emailTeamStatuses],
  };
  if (!clientEnabled) return settings;
  return {
    ...settings,
    client: {
      addresses: read.clientAddresses ?? {},
      template: parseEmailTemplate(read.clientTemplate ?? DEFAULT_CLIENT_TEMPLATE),
    },
  };
};

export const defaultDeps = (logger: Log, env: Env = process.env): EmailNotifierDeps => {
  const consumer = readConsumerEnv(env);
  return {
    name: consumer.name,
    settings: settingsFromEnv(env),
    // Built here, once per container, rather than in shared/clients.ts: only this function bundles SES.
    // A hung SES call gives up after the consumers' HTTP timeout (then retried through the queue),
    // not at the function's own timeout.
    sender: new SesEmailSender(
      new SESv2Client({ requestHandler: { requestTimeout: consumer.httpTimeoutMs } }),
      { from: senderEnv(env), consumer: consumer.name },
    ),
    deadLetters: new SqsDeadLetterQueue(sqsClient(), consumer.deadLetterQueueUrl),
    delayer: new SqsMessageDelayer(sqsClient(), consumer.queueUrl),
    log: logger,
    ...engineFromEnv(env),
  };
};
