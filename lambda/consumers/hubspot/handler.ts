/**
 * The HubSpot updater: upserts one record per connection event (see `send.ts`), skipping stale
 * events (older than the stored latest state of their user and request). It runs in the CRM updater
 * function (`lambda/handlers/crm-updater.ts`), which the forwarders share.
 */
import type { SecretSource } from '../../adapters/secrets.ts';
import { DEFAULTS } from '../../contract.ts';
import { type ConsumerDeps, makeSqsConsumer } from '../../shared/sqs-consumer.ts';
import { type UpdateCrmDeps, updateCrm } from '../../use-cases/update-crm.ts';
import { readEnv } from '../settings.ts';
import { DEFAULT_HUBSPOT_MAPPING } from './message.ts';
import { HubSpotTarget } from './send.ts';
import { HUBSPOT_FACTS } from './settings.ts';

export interface CrmUpdaterDeps extends ConsumerDeps, UpdateCrmDeps {}

export const makeHandler = (deps: CrmUpdaterDeps) => makeSqsConsumer(deps, (event) => updateCrm(deps, event));

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
