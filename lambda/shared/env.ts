/**
 * Fail-fast configuration readers: a missing or malformed value stops the function at cold start
 * with a message naming the variable, instead of failing later with an empty string.
 */
import type { EnvName } from '../contract.ts';

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

type Env = Record<string, string | undefined>;

export const requireEnv = (name: EnvName, env: Env = process.env): string => {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`environment variable ${name} is required but not set`);
  }
  return value;
};

export const positiveIntEnv = (name: EnvName, fallback: number, env: Env = process.env): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigurationError(`environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
};
