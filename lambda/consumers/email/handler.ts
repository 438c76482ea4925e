/**
 * The email notifier, with Amazon SES (v2): a team email for the configured statuses (by default
 * PARTIAL_SUCCESS and FAILED), and, when turned on, a thank-you to the client on SUCCESS (see
 * `message.ts` for the emails, `sendEmails` for the once-per-email scheme). Fed by its
 * own SQS queue; SES throttling is retried, a refused email is dead-lettered with SES's reason.
 *
 * Settings are read once, at cold start, and fail fast: a bad address, a malformed JSON list or an
 * unusable template stops the function with a message naming the variable.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDbConnectionStore } from '../../adapters/dynamodb-connection-store.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../adapters/sqs-queues.ts';
import { DEFAULTS, ENV } from '../../contract.ts';
import { dynamoDbClient, sqsClient } from '../../shared/clients.ts';
import { ConfigurationError } from '../../shared/env.ts';
import { type ConsumerDeps, makeSqsConsumer } from '../../shared/sqs-consumer.ts';
import type { Log } from '../../use-cases/ports.ts';
import { DEFAULT_EMAIL_LEASE_MS, type SendEmailsDeps, sendEmails } from '../../use-cases/send-emails.ts';
import { readConsumerEnv, readEnv } from '../settings.ts';
import { DEFAULT_CLIENT_TEMPLATE, type EmailSettings, parseEmailTemplate } from './message.ts';
import { SesEmailSender } from './send.ts';
import { EMAIL_FACTS } from './settings.ts';

export interface EmailNotifierDeps extends ConsumerDeps, SendEmailsDeps {}

export const makeHandler = (deps: EmailNotifierDeps) =>
  makeSqsConsumer(deps, (event) => sendEmails(deps, event));

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
  const { tableName } = readEnv({ tableName: EMAIL_FACTS.tableName }, env, ['tableName']);
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
    ledger: new DynamoDbConnectionStore(dynamoDbClient(), tableName),
    deadLetters: new SqsDeadLetterQueue(sqsClient(), consumer.deadLetterQueueUrl),
    delayer: new SqsMessageDelayer(sqsClient(), consumer.queueUrl),
    log: logger,
    now: Date.now,
    leaseMs: DEFAULT_EMAIL_LEASE_MS,
  };
};
