/**
 * The HubSpot updater: upserts one record per connection event (see `send.ts`), skipping stale
 * events (older than the stored latest state of their user and request), on the CRM handler the
 * forwarders also use (`../crm.ts`).
 *
 * HubSpot's upsert is idempotent by itself (the stale check keeps it from going back), so it runs
 * the engine with `once: 'on-failure'`: no claim, and no outcome write when the first try works.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SecretSource } from '../../adapters/secrets.ts';
import { DEFAULTS } from '../../contract.ts';
import { type CrmUpdaterDeps, crmDepsFromEnv, makeCrmHandler } from '../crm.ts';
import { readEnv } from '../settings.ts';
import { DEFAULT_HUBSPOT_MAPPING } from './message.ts';
import { HubSpotTarget } from './send.ts';
import { HUBSPOT_FACTS } from './settings.ts';

export { type CrmUpdaterDeps, makeCrmHandler as makeHandler };

/** The HubSpot target from the function's environment (the stack's defaults for what is unset). */
export const hubspotTargetFromEnv = (
  env: Readonly<Record<string, string | undefined>>,
  token: SecretSource,
  timeoutMs: number,
): HubSpotTarget => {
  const settings = readEnv(HUBSPOT_FACTS, env);
  return new HubSpotTarget({
    token,
    baseUrl: settings.baseUrl ?? DEFAULTS.hubspotBaseUrl,
    objectType: settings.objectType ?? DEFAULTS.hubspotObjectType,
    idProperty: settings.idProperty ?? DEFAULTS.hubspotIdProperty,
    mapping: settings.propertyMapping ?? DEFAULT_HUBSPOT_MAPPING,
    timeoutMs,
  });
};

export const defaultDeps = (logger: Logger, env: NodeJS.ProcessEnv = process.env): CrmUpdaterDeps =>
  crmDepsFromEnv(
    logger,
    env,
    ({ secret, httpTimeoutMs }) => hubspotTargetFromEnv(env, secret, httpTimeoutMs),
    'on-failure',
  );
