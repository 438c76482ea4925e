/**
 * A webhook forwarder: posts each connection event, signed, to its target (see `send.ts`), skipping
 * stale events, on the CRM handler HubSpot also uses (`../crm.ts`). A forwarder's target is not
 * idempotent, so it claims before each send (the engine's default).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SecretSource } from '../../adapters/secrets.ts';
import { DEFAULTS } from '../../contract.ts';
import { type CrmUpdaterDeps, crmDepsFromEnv, makeCrmHandler } from '../crm.ts';
import { readEnv } from '../settings.ts';
import { WebhookForwarder } from './send.ts';
import { FORWARD_FACTS } from './settings.ts';

export { makeCrmHandler as makeHandler };

/** The forwarder from the function's environment (the stack's default format when unset). */
export const forwarderFromEnv = (
  env: Readonly<Record<string, string | undefined>>,
  secret: SecretSource,
  name: string,
  timeoutMs: number,
): WebhookForwarder =>
  new WebhookForwarder({
    name,
    secret,
    format: readEnv(FORWARD_FACTS, env).format ?? DEFAULTS.forwardFormat,
    timeoutMs,
  });

export const defaultDeps = (logger: Logger, env: NodeJS.ProcessEnv = process.env): CrmUpdaterDeps =>
  crmDepsFromEnv(
    logger,
    env,
    ({ secret, name, httpTimeoutMs }) => forwarderFromEnv(env, secret, name, httpTimeoutMs),
    'claim',
  );
