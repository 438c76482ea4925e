/**
 * The CRM updater: keeps one CRM target up to date with connection events. Which target is a
 * setting (`CRM_TARGET`): HubSpot (upsert by a unique property equal to the event's user) or a
 * signed webhook forwarder (Zapier, Make, n8n, the agency's own app). Each configured target is its
 * own subscriber with its own queue, so one target's outage never delays another.
 *
 * Stale events (older than the stored latest state of their user and request) are skipped, so a
 * delayed or replayed event never takes a CRM back to older data.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { HubSpotTarget } from '../adapters/crm/hubspot.ts';
import { type ForwardFormat, WebhookForwarder } from '../adapters/crm/webhook-forwarder.ts';
import { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import { CachedSecret, type SecretSource } from '../adapters/secrets.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../adapters/sqs-queues.ts';
import { CRM_TARGETS, type CrmTargetName, DEFAULTS, ENV } from '../contract.ts';
import { DEFAULT_HUBSPOT_MAPPING, parsePropertyMapping } from '../domain/crm-mapping.ts';
import { dynamoDbClient, secretsManagerClient, sqsClient } from '../shared/clients.ts';
import { ConfigurationError, positiveIntEnv, requireEnv } from '../shared/env.ts';
import { type ConsumerDeps, makeSqsConsumer } from '../shared/sqs-consumer.ts';
import { type UpdateCrmDeps, updateCrm } from '../use-cases/update-crm.ts';

export interface CrmUpdaterDeps extends ConsumerDeps, UpdateCrmDeps {}

export const makeHandler = (deps: CrmUpdaterDeps) => makeSqsConsumer(deps, (event) => updateCrm(deps, event));

const oneOf = <T extends string>(name: string, value: string, allowed: readonly T[]): T => {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigurationError(
      `environment variable ${name} must be one of ${allowed.join(', ')}; got "${value}"`,
    );
  }
  return value as T;
};

/** Builds the configured target from the environment; fails fast on a bad value. */
export const targetFromEnv = (env: NodeJS.ProcessEnv, secret: SecretSource, name: string) => {
  const timeoutMs = positiveIntEnv(ENV.httpTimeoutMs, DEFAULTS.httpTimeoutMs, env);
  const kind: CrmTargetName = oneOf(ENV.crmTarget, requireEnv(ENV.crmTarget, env), CRM_TARGETS);
  if (kind === 'hubspot') {
    const rawMapping = env[ENV.hubspotPropertyMapping];
    let mapping = DEFAULT_HUBSPOT_MAPPING;
    if (rawMapping !== undefined && rawMapping !== '') {
      try {
        mapping = parsePropertyMapping(JSON.parse(rawMapping));
      } catch (error) {
        throw new ConfigurationError(
          `environment variable ${ENV.hubspotPropertyMapping}: ${(error as Error).message}`,
        );
      }
    }
    return new HubSpotTarget({
      token: secret,
      baseUrl: env[ENV.hubspotBaseUrl] || DEFAULTS.hubspotBaseUrl,
      objectType: oneOf(ENV.hubspotObjectType, env[ENV.hubspotObjectType] || DEFAULTS.hubspotObjectType, [
        'contacts',
        'companies',
      ] as const),
      idProperty: env[ENV.hubspotIdProperty] || DEFAULTS.hubspotIdProperty,
      mapping,
      timeoutMs,
    });
  }
  return new WebhookForwarder({
    name,
    secret,
    format: oneOf<ForwardFormat>(ENV.forwardFormat, env[ENV.forwardFormat] || DEFAULTS.forwardFormat, [
      'flat',
      'envelope',
    ]),
    timeoutMs,
  });
};

export const defaultDeps = (logger: Logger, env: NodeJS.ProcessEnv = process.env): CrmUpdaterDeps => {
  const name = requireEnv(ENV.consumerName, env);
  const secret = new CachedSecret(
    secretsManagerClient(),
    requireEnv(ENV.consumerSecretId, env),
    positiveIntEnv(ENV.secretMaxAgeSeconds, DEFAULTS.secretMaxAgeSeconds, env) * 1000,
  );
  return {
    name,
    target: targetFromEnv(env, secret, name),
    versions: new DynamoDbConnectionStore(dynamoDbClient(), requireEnv(ENV.tableName, env)),
    deadLetters: new SqsDeadLetterQueue(sqsClient(), requireEnv(ENV.deadLetterQueueUrl, env)),
    delayer: new SqsMessageDelayer(sqsClient(), requireEnv(ENV.queueUrl, env)),
    log: logger,
  };
};
