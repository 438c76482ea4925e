/**
 * The HubSpot updater: upserts one record per connection event (see `send.ts`), skipping stale
 * events (older than the stored latest state of their user and request). It runs in the CRM updater
 * function (`lambda/handlers/crm-updater.ts`), which the forwarders share.
 *
 * HubSpot's upsert is idempotent by itself (the stale check keeps it from going back), so it runs
 * the engine with `once: 'on-failure'`: no claim, and no outcome write when the first try works. A
 * forwarder's target is not, so it claims (the engine's default).
 */
import type { SecretSource } from '../../adapters/secrets.ts';
import { DEFAULTS } from '../../contract.ts';
import { type UpdateCrmDeps, updateCrm } from '../../use-cases/update-crm.ts';
import { type EngineDeps, makeDeliveryEngine, skip } from '../runtime/engine.ts';
import { readEnv } from '../settings.ts';
import { DEFAULT_HUBSPOT_MAPPING } from './message.ts';
import { HubSpotTarget } from './send.ts';
import { HUBSPOT_FACTS } from './settings.ts';

export interface CrmUpdaterDeps extends EngineDeps, UpdateCrmDeps {}

/** The skip reasons of the CRM use case, as the outcome records and local mode show them. */
const SKIP_REASONS = { 'skipped-no-user': 'no user', 'skipped-stale': 'stale version' } as const;

export const makeHandler = (deps: CrmUpdaterDeps) =>
  makeDeliveryEngine(deps, async (event) => {
    const { outcome, receipt } = await updateCrm(deps, event);
    if (outcome !== 'updated')
      return skip(SKIP_REASONS[outcome], { mayFollowASend: outcome === 'skipped-stale' });
    return receipt === undefined ? outcome : `${receipt.outcome} ${receipt.status}`;
  });

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
