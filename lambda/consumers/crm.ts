/**
 * What HubSpot and the webhook forwarders share: the CRM use case (skip an event without a user or
 * older than the stored latest state of its user and request, else upsert under the ordering guard,
 * so two invocations at once never send an older version after a newer one) on the delivery engine,
 * and the deps each such function builds from its environment. Each module has its own entry that
 * passes its own target, so either folder can be deleted alone and neither bundle holds the other.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod/mini';
import { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import { DynamoDbOrderingGuard } from '../adapters/ordering-guard.ts';
import { CachedSecret, type SecretSource } from '../adapters/secrets.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../adapters/sqs-queues.ts';
import { ENV } from '../contract.ts';
import { dynamoDbClient, secretsManagerClient, sqsClient } from '../shared/clients.ts';
import type { CrmTarget } from '../use-cases/ports.ts';
import { orderLeaseMs, type UpdateCrmDeps, updateCrm } from '../use-cases/update-crm.ts';
import { engineFromEnv } from './engine-deps.ts';
import { type EngineDeps, makeDeliveryEngine, skip } from './runtime/engine.ts';
import { readConsumerEnv, readEnv, requiredSecretId, textFact } from './settings.ts';

export interface CrmUpdaterDeps extends EngineDeps, UpdateCrmDeps {}

/** The skip reasons of the CRM use case, as the outcome records and local mode show them. */
const SKIP_REASONS = { 'skipped-no-user': 'no user', 'skipped-stale': 'stale version' } as const;

export const makeCrmHandler = (deps: CrmUpdaterDeps) =>
  makeDeliveryEngine(deps, async (event) => {
    const { outcome, receipt } = await updateCrm(deps, event);
    if (outcome !== 'updated')
      return skip(SKIP_REASONS[outcome], { mayFollowASend: outcome === 'skipped-stale' });
    return receipt === undefined ? outcome : `${receipt.outcome} ${receipt.status}`;
  });

const TABLE_FACTS = { tableName: textFact(ENV.tableName, z.string()) };

/** What a CRM target is built from: its secret, and the consumer's name and HTTP timeout. */
export interface TargetContext {
  secret: SecretSource;
  name: string;
  httpTimeoutMs: number;
}

/**
 * A CRM function's deps from its environment, with the target its module builds. `once`: whether the
 * target needs the engine's claim (see `EngineDeps.once`).
 */
export const crmDepsFromEnv = (
  logger: Logger,
  env: NodeJS.ProcessEnv,
  target: (context: TargetContext) => CrmTarget,
  once: NonNullable<EngineDeps['once']>,
): CrmUpdaterDeps => {
  const settings = readConsumerEnv(env);
  const { tableName } = readEnv(TABLE_FACTS, env, ['tableName']);
  const secret = new CachedSecret(
    secretsManagerClient(),
    requiredSecretId(settings),
    settings.secretMaxAgeMs,
  );
  return {
    name: settings.name,
    target: target({ secret, name: settings.name, httpTimeoutMs: settings.httpTimeoutMs }),
    versions: new DynamoDbConnectionStore(dynamoDbClient(), tableName),
    ordering: new DynamoDbOrderingGuard(dynamoDbClient(), tableName),
    orderLeaseMs: orderLeaseMs(settings.httpTimeoutMs),
    deadLetters: new SqsDeadLetterQueue(sqsClient(), settings.deadLetterQueueUrl),
    delayer: new SqsMessageDelayer(sqsClient(), settings.queueUrl),
    log: logger,
    once,
    ...engineFromEnv(env),
  };
};
