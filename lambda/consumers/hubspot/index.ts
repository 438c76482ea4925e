/**
 * The HubSpot updater as a module: `consumers.hubspot` in cdk.json deploys one consumer named
 * `hubspot` in its own function (`entry.ts`), which reads the stored latest version to skip stale events;
 * local mode sends with `HUBSPOT_ACCESS_TOKEN` or writes the upsert request to its outbox.
 */
import * as z from 'zod/mini';
import { InMemoryOrderingGuard } from '../../adapters/ordering-guard.ts';
import { staticSecret } from '../../adapters/secrets.ts';
import { DEFAULTS } from '../../contract.ts';
import { ConfigurationError } from '../../shared/env.ts';
import { orderLeaseMs } from '../../use-cases/update-crm.ts';
import { localEngine } from '../local-engine.ts';
import type { ConsumerModule } from '../module.ts';
import { envOf } from '../settings.ts';
import { OutboxHubspot } from './dry-run.ts';
import { makeHandler } from './handler.ts';
import { DEFAULT_HUBSPOT_MAPPING } from './message.ts';
import { HubSpotTarget } from './send.ts';
import {
  HUBSPOT_FACTS,
  HUBSPOT_INCLUDES_TEST_EVENTS,
  type HubspotSettings,
  hubspotSettings,
} from './settings.ts';

const httpUrl = z.url({ protocol: /^https?$/ });

export const hubspot = {
  contextKey: 'hubspot',
  schema: hubspotSettings,
  instances: (settings) => (settings === undefined ? [] : [{ name: 'hubspot', settings }]),
  entry: 'lambda/consumers/hubspot/entry.ts',
  table: 'once-records',
  deploy: ({ settings }) => ({
    description: 'Upserts connection events into HubSpot',
    secretName: settings.secretName,
    filter: settings,
    environment: [...envOf(HUBSPOT_FACTS, settings)],
  }),
  local: {
    usage: `  HUBSPOT_ACCESS_TOKEN        send to HubSpot with this private-app token (HUBSPOT_BASE_URL, default
                              ${DEFAULTS.hubspotBaseUrl})`,
    check: (env) => {
      const baseUrl = env.HUBSPOT_BASE_URL;
      if (baseUrl !== undefined && !z.safeParse(httpUrl, baseUrl).success) {
        throw new ConfigurationError('HUBSPOT_BASE_URL must be an http(s) URL');
      }
    },
    start: ({ env, store, log, say, outbox, httpTimeoutMs }) => {
      const baseUrl = env.HUBSPOT_BASE_URL;
      const token = env.HUBSPOT_ACCESS_TOKEN;
      const target = new HubSpotTarget({
        token: staticSecret(token ?? 'dry-run'),
        baseUrl: baseUrl ?? DEFAULTS.hubspotBaseUrl,
        objectType: DEFAULTS.hubspotObjectType,
        idProperty: DEFAULTS.hubspotIdProperty,
        mapping: DEFAULT_HUBSPOT_MAPPING,
        timeoutMs: httpTimeoutMs,
      });
      const ordering = new InMemoryOrderingGuard();
      return [
        {
          name: 'hubspot',
          live: token !== undefined,
          filter: { includeTestEvents: HUBSPOT_INCLUDES_TEST_EVENTS },
          note: 'Leadsie test payloads skipped',
          handler: (queue) =>
            makeHandler({
              name: 'hubspot',
              target:
                token === undefined
                  ? new OutboxHubspot(target, DEFAULTS.hubspotObjectType, 'hubspot', outbox('hubspot'), say)
                  : target,
              versions: store,
              // One process: every local invocation shares this guard.
              ordering,
              orderLeaseMs: orderLeaseMs(httpTimeoutMs),
              log,
              ...localEngine({ store, env }),
              // As deployed: the upsert is idempotent by itself, so no claim (see handler.ts).
              once: 'on-failure',
              ...queue,
            }),
        },
      ];
    },
  },
  // The context the infrastructure tests, the bench and the removability check synthesize: a property mapping, its default of no test events, a 48 h horizon with its own backstop.
  example: {
    secretName: 'leadsie-webhooks/hubspot-token',
    objectType: 'companies',
    idProperty: 'leadsie_company_user_id',
    propertyMapping: { status: 'leadsie_status', '<type>_id': 'leadsie_<type>_ids' },
    baseUrl: 'https://api.hubapi.com',
    retryHorizonHours: 48,
    maxReceiveCount: 40,
  },
} satisfies ConsumerModule<HubspotSettings, HubspotSettings | undefined, 'hubspot'>;
