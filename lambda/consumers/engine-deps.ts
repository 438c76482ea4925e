/**
 * What every consumer function adds to its deps for the delivery engine (`runtime/`): the outcome
 * ledger in the connections table, and the engine's settings (horizon, retention, time scale), read
 * once at cold start from the environment the stack built. Imported by each consumer's handler (not
 * the registry), so an entry still bundles only its own module.
 */
import * as z from 'zod/mini';
import { ENV } from '../contract.ts';
import { dynamoDbClient } from '../shared/clients.ts';
import { DynamoDbOutcomeLedger } from './runtime/dynamodb-outcomes.ts';
import type { EngineDeps } from './runtime/engine.ts';
import { readEngineSettings } from './runtime/settings.ts';
import { readEnv, textFact } from './settings.ts';

const TABLE_FACTS = { tableName: textFact(ENV.tableName, z.string()) };

/** The engine's part of a consumer's deps: the ledger, the retry policy and the time scale. */
export type EngineParts = Pick<EngineDeps, 'outcomes' | 'policy' | 'timeScale'>;

export const engineFromEnv = (env: Readonly<Record<string, string | undefined>>): EngineParts => {
  const { tableName } = readEnv(TABLE_FACTS, env, ['tableName']);
  const { policy, retentionDays, timeScale } = readEngineSettings(env);
  return {
    outcomes: new DynamoDbOutcomeLedger(dynamoDbClient(), { tableName, retentionDays }),
    policy,
    timeScale,
  };
};
