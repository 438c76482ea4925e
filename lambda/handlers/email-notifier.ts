/**
 * The email notifier, with Amazon SES (v2): a team email for the configured statuses (by default
 * PARTIAL_SUCCESS and FAILED), and, when turned on, a thank-you to the client on SUCCESS (see
 * `domain/email-message.ts` for the emails, `sendEmails` for the once-per-email scheme). Fed by its
 * own SQS queue; SES throttling is retried, a refused email is dead-lettered with SES's reason.
 *
 * Settings are read once, at cold start, and fail fast: a bad address, a malformed JSON list or an
 * unusable template stops the function with a message naming the variable.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import { SesEmailSender } from '../adapters/ses-email.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../adapters/sqs-queues.ts';
import { DEFAULTS, ENV, type EnvName } from '../contract.ts';
import {
  DEFAULT_CLIENT_TEMPLATE,
  type EmailSettings,
  EmailTemplateError,
  isEmailAddress,
  parseEmailTemplate,
} from '../domain/email-message.ts';
import { dynamoDbClient, sqsClient } from '../shared/clients.ts';
import { ConfigurationError, positiveIntEnv, requireEnv } from '../shared/env.ts';
import { type ConsumerDeps, makeSqsConsumer } from '../shared/sqs-consumer.ts';
import { DEFAULT_EMAIL_LEASE_MS, type SendEmailsDeps, sendEmails } from '../use-cases/send-emails.ts';

export interface EmailNotifierDeps extends ConsumerDeps, SendEmailsDeps {}

export const makeHandler = (deps: EmailNotifierDeps) =>
  makeSqsConsumer(deps, (event) => sendEmails(deps, event));

type Env = NodeJS.ProcessEnv;

const jsonEnv = (name: EnvName, env: Env): unknown => {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new ConfigurationError(`environment variable ${name} must be JSON, got "${raw}"`);
  }
};

const addressList = (name: EnvName, env: Env): string[] => {
  const value = jsonEnv(name, env) ?? [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new ConfigurationError(`environment variable ${name} must be a JSON array of email addresses`);
  }
  const bad = value.filter((address) => !isEmailAddress(address));
  if (bad.length > 0) {
    throw new ConfigurationError(`environment variable ${name}: not an email address: ${bad.join(', ')}`);
  }
  if (value.length > 50) {
    throw new ConfigurationError(`environment variable ${name}: SES sends to at most 50 recipients`);
  }
  return value;
};

const booleanEnv = (name: EnvName, env: Env): boolean => {
  const raw = env[name];
  if (raw === undefined || raw === '') return false;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ConfigurationError(`environment variable ${name} must be "true" or "false", got "${raw}"`);
};

/** `agency@example.com` or `Agency Name <agency@example.com>`. */
export const senderEnv = (env: Env): string => {
  const value = requireEnv(ENV.emailFrom, env).trim();
  const address = /^[^<>"\r\n]*<([^<>]+)>$/.exec(value)?.[1] ?? value;
  if (!isEmailAddress(address)) {
    throw new ConfigurationError(
      `environment variable ${ENV.emailFrom} must be an address (or "Name <address>") of a verified SES identity, got "${value}"`,
    );
  }
  return value;
};

/** The email settings from the environment (exported for tests). */
export const settingsFromEnv = (env: Env): EmailSettings => {
  const teamRecipients = addressList(ENV.emailTeamRecipients, env);
  const statuses = jsonEnv(ENV.emailTeamStatuses, env) ?? [...DEFAULTS.emailTeamStatuses];
  if (!Array.isArray(statuses) || !statuses.every((s) => typeof s === 'string' && s !== '')) {
    throw new ConfigurationError(
      `environment variable ${ENV.emailTeamStatuses} must be a JSON array of statuses, e.g. ["PARTIAL_SUCCESS","FAILED"]`,
    );
  }
  const clientEnabled = booleanEnv(ENV.emailClientEnabled, env);
  if (teamRecipients.length === 0 && !clientEnabled) {
    throw new ConfigurationError(
      `nothing to send: set ${ENV.emailTeamRecipients} (team addresses) or ${ENV.emailClientEnabled}=true`,
    );
  }
  const settings: EmailSettings = { teamRecipients, teamStatuses: statuses };
  if (!clientEnabled) return settings;

  const mapping = jsonEnv(ENV.emailClientAddresses, env) ?? {};
  if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping)) {
    throw new ConfigurationError(
      `environment variable ${ENV.emailClientAddresses} must be a JSON object of user id → email address`,
    );
  }
  const addresses: Record<string, string> = {};
  for (const [user, address] of Object.entries(mapping)) {
    if (typeof address !== 'string' || !isEmailAddress(address)) {
      throw new ConfigurationError(
        `environment variable ${ENV.emailClientAddresses}: the address of user "${user}" is not an email address`,
      );
    }
    addresses[user] = address;
  }
  const source = env[ENV.emailClientTemplate];
  try {
    const template = parseEmailTemplate(
      source === undefined || source.trim() === '' ? DEFAULT_CLIENT_TEMPLATE : source,
    );
    return { ...settings, client: { addresses, template } };
  } catch (error) {
    if (error instanceof EmailTemplateError) {
      throw new ConfigurationError(`environment variable ${ENV.emailClientTemplate}: ${error.message}`);
    }
    throw error;
  }
};

export const defaultDeps = (logger: Logger, env: Env = process.env): EmailNotifierDeps => {
  const name = requireEnv(ENV.consumerName, env);
  return {
    name,
    settings: settingsFromEnv(env),
    // Built here, once per container, rather than in shared/clients.ts: only this function bundles SES.
    // A hung SES call gives up after the consumers' HTTP timeout (then retried through the queue),
    // not at the function's own timeout.
    sender: new SesEmailSender(
      new SESv2Client({
        requestHandler: { requestTimeout: positiveIntEnv(ENV.httpTimeoutMs, DEFAULTS.httpTimeoutMs, env) },
      }),
      { from: senderEnv(env), consumer: name },
    ),
    ledger: new DynamoDbConnectionStore(dynamoDbClient(), requireEnv(ENV.tableName, env)),
    deadLetters: new SqsDeadLetterQueue(sqsClient(), requireEnv(ENV.deadLetterQueueUrl, env)),
    delayer: new SqsMessageDelayer(sqsClient(), requireEnv(ENV.queueUrl, env)),
    log: logger,
    now: Date.now,
    leaseMs: DEFAULT_EMAIL_LEASE_MS,
  };
};
