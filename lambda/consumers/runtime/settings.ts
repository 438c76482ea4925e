/**
 * The delivery engine's settings every consumer shares, one rule per fact: the same schema checks
 * a consumer's cdk.json values at synth, builds its function environment, and reads that
 * environment at cold start. A consumer module spreads these into its own settings.
 *
 *   retryHorizonHours     how long a failing delivery is retried before the dead-letter queue (24)
 *   outcomeRetentionDays  how long its outcome records are kept (30)
 *   timeScale             local mode only: delays, horizon and Retry-After multiplied by it (1)
 */
import * as z from 'zod/mini';
import { DEFAULT_OUTCOME_RETENTION_DAYS, ENV } from '../../contract.ts';
import {
  DEFAULT_RETRY_POLICY,
  deadLetterAgeAlarmSeconds,
  policyWithHorizon,
  type RetryPolicy,
} from './schedule.ts';

/** The retry horizon unless a consumer sets its own, in hours. */
export const DEFAULT_RETRY_HORIZON_HOURS = DEFAULT_RETRY_POLICY.horizonSeconds / 3600;

/**
 * The rule of a consumer's `retryHorizonHours`: the only one, used by the consumer settings at
 * synth (`consumerFields`), by the Subscriber, and here when the function reads its environment.
 */
export const retryHorizonHoursRule = z.number({ error: 'retryHorizonHours must be a number of hours' }).check(
  z.gte(1, 'retryHorizonHours must be at least 1'),
  z.refine((hours) => {
    try {
      deadLetterAgeAlarmSeconds(policyWithHorizon(hours));
      return true;
    } catch {
      return false;
    }
  }, 'retryHorizonHours is too long: a dead letter must stay in its queue (14 days at most) long enough to be noticed'),
);

/** What cdk.json (or local mode) may give; every field optional, with the defaults above. */
export const engineSettingsSchema = z.object({
  retryHorizonHours: z.optional(retryHorizonHoursRule),
  outcomeRetentionDays: z.optional(z.number().check(z.gte(1, 'outcomeRetentionDays must be at least 1'))),
  timeScale: z.optional(z.number().check(z.positive('timeScale must be above 0'))),
});

export type EngineSettingsInput = z.infer<typeof engineSettingsSchema>;

export interface EngineSettings {
  policy: RetryPolicy;
  retentionDays: number;
  timeScale: number;
}

export const resolveEngineSettings = (input: EngineSettingsInput = {}): EngineSettings => ({
  policy: policyWithHorizon(input.retryHorizonHours ?? DEFAULT_RETRY_HORIZON_HOURS),
  retentionDays: input.outcomeRetentionDays ?? DEFAULT_OUTCOME_RETENTION_DAYS,
  timeScale: input.timeScale ?? 1,
});

/** The function environment of these settings (defaults left out: absent means default). */
export const engineEnvironment = (input: EngineSettingsInput): Record<string, string> => {
  const checked = engineSettingsSchema.parse(input);
  const env: Record<string, string> = {};
  if (checked.retryHorizonHours !== undefined) env[ENV.retryHorizonHours] = String(checked.retryHorizonHours);
  if (checked.outcomeRetentionDays !== undefined)
    env[ENV.outcomeRetentionDays] = String(checked.outcomeRetentionDays);
  if (checked.timeScale !== undefined) env[ENV.deliveryTimeScale] = String(checked.timeScale);
  return env;
};

/** Reads the settings back from the environment at cold start; a bad value names its variable. */
export const readEngineSettings = (env: Record<string, string | undefined> = process.env): EngineSettings => {
  const number = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value))
      throw new Error(`environment variable ${name} must be a number, got "${raw}"`);
    return value;
  };
  const parsed = engineSettingsSchema.safeParse({
    retryHorizonHours: number(ENV.retryHorizonHours),
    outcomeRetentionDays: number(ENV.outcomeRetentionDays),
    timeScale: number(ENV.deliveryTimeScale),
  });
  if (!parsed.success) {
    throw new Error(`delivery engine settings: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  return resolveEngineSettings(parsed.data);
};
