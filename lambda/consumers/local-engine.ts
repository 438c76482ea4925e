/**
 * The delivery engine's parts in local mode: the outcome ledger on local mode's own store (so
 * `events show --local` and `deliveries --local` read what the consumers did), and the time scale
 * that shrinks delays, the horizon and Retry-After alike.
 *
 * `LocalContext` has no field for them yet, so local mode's server registers them against its store
 * and each module's `local.start` looks them up with `localEngine(context)`; a context without them
 * (a test calling `start` alone) gets a ledger in memory.
 */
import { DEFAULT_OUTCOME_RETENTION_DAYS, ENV } from '../contract.ts';
import type { EngineParts } from './engine-deps.ts';
import { InMemoryOutcomeLedger } from './runtime/memory-outcomes.ts';
import { readEngineSettings } from './runtime/settings.ts';

/**
 * Local mode's default time scale: an hour of backoff takes a second, so the 24-hour horizon is
 * 24 seconds. `DELIVERY_TIME_SCALE` sets another (1: real time).
 */
export const LOCAL_TIME_SCALE = 1 / 3600;

const registered = new WeakMap<object, EngineParts>();

/** Registers the engine parts of the consumers that run on `store` (local mode's server). */
export const provideLocalEngine = (store: object, parts: EngineParts): void => {
  registered.set(store, parts);
};

/** The engine parts of local mode, from its environment: the time scale and the horizon. */
export const localEngineSettings = (
  env: Readonly<Record<string, string | undefined>>,
): Omit<EngineParts, 'outcomes'> & { retentionDays: number } => {
  const { policy, retentionDays } = readEngineSettings(env);
  const scale = env[ENV.deliveryTimeScale];
  return {
    policy,
    retentionDays,
    timeScale:
      scale === undefined || scale.trim() === '' ? LOCAL_TIME_SCALE : readEngineSettings(env).timeScale,
  };
};

export const localEngine = (context: {
  store: object;
  env: Readonly<Record<string, string | undefined>>;
}): EngineParts => {
  const parts = registered.get(context.store);
  if (parts !== undefined) return parts;
  const { policy, timeScale } = localEngineSettings(context.env);
  const fallback = {
    outcomes: new InMemoryOutcomeLedger(DEFAULT_OUTCOME_RETENTION_DAYS),
    policy,
    timeScale,
  };
  registered.set(context.store, fallback);
  return fallback;
};
