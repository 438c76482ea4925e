/** The engine's shared settings: one schema from cdk.json values to the environment and back. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY } from '../../../lambda/consumers/runtime/schedule.ts';
import {
  engineEnvironment,
  readEngineSettings,
  resolveEngineSettings,
} from '../../../lambda/consumers/runtime/settings.ts';
import { ENV } from '../../../lambda/contract.ts';

describe('delivery engine settings', () => {
  it('defaults to a 24-hour horizon, 30 days of outcomes and real time', () => {
    expect(readEngineSettings({})).toEqual({ policy: DEFAULT_RETRY_POLICY, retentionDays: 30, timeScale: 1 });
  });

  it('round-trips configured values through the function environment', () => {
    const env = engineEnvironment({ retryHorizonHours: 48, outcomeRetentionDays: 90, timeScale: 0.001 });
    expect(env).toEqual({
      [ENV.retryHorizonHours]: '48',
      [ENV.outcomeRetentionDays]: '90',
      [ENV.deliveryTimeScale]: '0.001',
    });
    const settings = readEngineSettings(env);
    expect(settings.policy.horizonSeconds).toBe(48 * 3600);
    expect(settings).toMatchObject({ retentionDays: 90, timeScale: 0.001 });
    expect(resolveEngineSettings({ retryHorizonHours: 48 })).toEqual({
      ...settings,
      retentionDays: 30,
      timeScale: 1,
    });
  });

  it('refuses values that would lose dead letters or make no sense, naming them', () => {
    expect(() => engineEnvironment({ retryHorizonHours: 13 * 24 })).toThrow(/retryHorizonHours is too long/);
    expect(() => engineEnvironment({ retryHorizonHours: 0 })).toThrow(/at least 1/);
    expect(() => readEngineSettings({ [ENV.deliveryTimeScale]: '0' })).toThrow(/timeScale must be above 0/);
    expect(() => readEngineSettings({ [ENV.outcomeRetentionDays]: 'thirty' })).toThrow(
      /OUTCOME_RETENTION_DAYS/,
    );
  });
});
