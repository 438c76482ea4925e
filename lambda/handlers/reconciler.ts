/**
 * The reconciler function: runs on a schedule (every 5 minutes by default) and publishes deliveries
 * that were stored but not published, so an acknowledged or stored event reaches the topic even when
 * Leadsie never retries. Its summary is logged; `backlog` is what is still pending after the run.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import { SnsEventPublisher } from '../adapters/sns-event-publisher.ts';
import { DEFAULTS, ENV, RECONCILER_RUN_LOG_MESSAGE } from '../contract.ts';
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

export const defaultDeps = (logger: Logger, env: NodeJS.ProcessEnv = process.env): ReconcilerDeps => {
  const store = new DynamoDbConnectionStore(dynamoDbClient(), requireEnv(ENV.tableName, env));
  return {
    store,
    pending: store,
    quarantine: store,
    publisher: new SnsEventPublisher(snsClient(), requireEnv(ENV.topicArn, env)),
    log: logger,
    now: () => new Date(),
    leaseMs: DEFAULTS.leaseMs,
    limit: positiveIntEnv(ENV.reconcilerBatchLimit, DEFAULTS.reconcilerBatchLimit, env),
    retry: {
      maxAttempts: positiveIntEnv(ENV.reconcilerMaxAttempts, DEFAULTS.reconcilerMaxAttempts, env),
      firstDelayMs: DEFAULTS.publishRetryFirstMs,
      maxDelayMs: DEFAULTS.publishRetryMaxMs,
    },
  };
};
