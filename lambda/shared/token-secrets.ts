/**
 * The token secrets of the HTTP functions, as their environment names them (see `RotatingSecret`).
 */
import { RotatingSecret } from '../adapters/secrets.ts';
import { DEFAULTS, ENV, type EnvName } from '../contract.ts';
import { positiveIntEnv, requireEnv } from './env.ts';
import { secretsManagerClient } from './secrets-manager-client.ts';

const HOUR_MS = 3_600_000;

/**
 * The token secret named by the environment variable `secretArn`, as the HTTP functions read it:
 * cached for `ENV.secretMaxAgeSeconds`, the previous value accepted for `ENV.tokenRotationGraceHours`
 * after a rotation.
 */
export const rotatingTokenFromEnv = (
  secretArn: EnvName,
  env: NodeJS.ProcessEnv = process.env,
): RotatingSecret =>
  new RotatingSecret(secretsManagerClient(), requireEnv(secretArn, env), {
    maxAgeMs: positiveIntEnv(ENV.secretMaxAgeSeconds, DEFAULTS.secretMaxAgeSeconds, env) * 1000,
    graceMs: positiveIntEnv(ENV.tokenRotationGraceHours, DEFAULTS.tokenRotationGraceHours, env) * HOUR_MS,
  });
