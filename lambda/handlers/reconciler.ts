/**
 * The reconciler function: runs on a schedule (every 5 minutes by default) and publishes deliveries
 * that were stored but not published, so an acknowledged or stored event reaches the topic even when
 * Leadsie never retries. Its summary is logged; `backlog` is what is still pending after the run.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import { SnsEventPublisher } from '../adapters/sns-event-publisher.ts';
import { DynamoDbOutcomeLedger } from '../consumers/runtime/dynamodb-outcomes.ts';
import { DEFAULTS, ENV, NEXT_TABLE_INDEXES, RECONCILER_RUN_LOG_MESSAGE } from '../contract.ts';
import { dynamoDbClient, snsClient } from '../shared/clients.ts';
import { positiveIntEnv, requireEnv } from '../shared/env.ts';
import {
  type ReconcileDeps,
  type ReconcileSummary,
  reconcilePending,
} from '../use-cases/reconcile-pending.ts';

export interface ReconcilerDeps extends ReconcileDeps {
  limit: number;
}

export const makeHandler = (deps: ReconcilerDeps) => async (): Promise<ReconcileSummary> => {
  const summary = await reconcilePending(deps, deps.limit);
  deps.log.info(RECONCILER_RUN_LOG_MESSAGE, { ...summary });
  return summary;
};

/** The consumer names of `ENV.reconcilerConsumers` (comma-separated; unset or empty: none). */
export const consumerNamesOf = (env: NodeJS.ProcessEnv): string[] =>
  (env[ENV.reconcilerConsumers] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');

export const defaultDeps = (logger: Logger, env: NodeJS.ProcessEnv = process.env): ReconcilerDeps => {
  const tableName = requireEnv(ENV.tableName, env);
  const store = new DynamoDbConnectionStore(dynamoDbClient(), tableName);
  return {
    store,
    pending: store,
    quarantine: store,
    publisher: new SnsEventPublisher(snsClient(), requireEnv(ENV.topicArn, env)),
    log: logger,
    now: () => new Date(),
    leaseMs: DEFAULTS.leaseMs,
    deadLetters: {
      consumers: consumerNamesOf(env),
      ledger: new DynamoDbOutcomeLedger(dynamoDbClient(), {
        tableName,
        deadLetterIndex: NEXT_TABLE_INDEXES.byState.name,
      }),
    },
    limit: positiveIntEnv(ENV.reconcilerBatchLimit, DEFAULTS.reconcilerBatchLimit, env),
    retry: {
      maxAttempts: positiveIntEnv(ENV.reconcilerMaxAttempts, DEFAULTS.reconcilerMaxAttempts, env),
      firstDelayMs: DEFAULTS.publishRetryFirstMs,
      maxDelayMs: DEFAULTS.publishRetryMaxMs,
    },
  };
};
