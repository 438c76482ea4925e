/**
 * The CRM updater function, shared by two consumer modules: HubSpot (`lambda/consumers/hubspot/`)
 * and the webhook forwarders (`lambda/consumers/forward/`). Which one an instance runs is its
 * `CRM_TARGET`; each configured target is still its own subscriber with its own queue, so one
 * target's outage never delays another. Each module reads its own settings from the environment.
 *
 * Stale events (older than the stored latest state of their user and request) are skipped, so a
 * delayed or replayed event never takes a CRM back to older data; the ordering guard on the table
 * keeps two invocations at once from sending an older version after a newer one (see `updateCrm`).
 * HubSpot's upsert is idempotent by itself, so it writes an outcome only once a try fails; a
 * forwarder claims before each send.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod/mini';
import { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import { DynamoDbOrderingGuard } from '../adapters/ordering-guard.ts';
import { CachedSecret } from '../adapters/secrets.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../adapters/sqs-queues.ts';
import { engineFromEnv } from '../consumers/engine-deps.ts';
import { forwarderFromEnv } from '../consumers/forward/handler.ts';
import { type CrmUpdaterDeps, hubspotTargetFromEnv, makeHandler } from '../consumers/hubspot/handler.ts';
import { readConsumerEnv, readEnv, requiredSecretId, textFact } from '../consumers/settings.ts';
import { CRM_TARGETS, ENV } from '../contract.ts';
import { dynamoDbClient, secretsManagerClient, sqsClient } from '../shared/clients.ts';
import { orderLeaseMs } from '../use-cases/update-crm.ts';

export { type CrmUpdaterDeps, makeHandler };

const CRM_FACTS = {
  target: textFact(ENV.crmTarget, z.enum(CRM_TARGETS)),
  tableName: textFact(ENV.tableName, z.string()),
};

export const defaultDeps = (logger: Logger, env: NodeJS.ProcessEnv = process.env): CrmUpdaterDeps => {
  const settings = readConsumerEnv(env);
  const { target, tableName } = readEnv(CRM_FACTS, env, ['target', 'tableName']);
  const secret = new CachedSecret(
    secretsManagerClient(),
    requiredSecretId(settings),
    settings.secretMaxAgeMs,
  );
  return {
    name: settings.name,
    target:
      target === 'hubspot'
        ? hubspotTargetFromEnv(env, secret, settings.httpTimeoutMs)
        : forwarderFromEnv(env, secret, settings.name, settings.httpTimeoutMs),
    versions: new DynamoDbConnectionStore(dynamoDbClient(), tableName),
    ordering: new DynamoDbOrderingGuard(dynamoDbClient(), tableName),
    orderLeaseMs: orderLeaseMs(settings.httpTimeoutMs),
    deadLetters: new SqsDeadLetterQueue(sqsClient(), settings.deadLetterQueueUrl),
    delayer: new SqsMessageDelayer(sqsClient(), settings.queueUrl),
    log: logger,
    once: target === 'hubspot' ? 'on-failure' : 'claim',
    ...engineFromEnv(env),
  };
};
