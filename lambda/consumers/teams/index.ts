/**
 * The Teams notifier as a module: `consumers.teams` in cdk.json deploys one consumer named `teams`
 * that reads its Workflows webhook URL from its secret; local mode posts to `TEAMS_WEBHOOK_URL` or
 * writes the card to its outbox.
 */
import * as z from 'zod/mini';
import { staticSecret } from '../../adapters/secrets.ts';
import { ConfigurationError } from '../../shared/env.ts';
import { localEngine } from '../local-engine.ts';
import type { ConsumerModule } from '../module.ts';
import { OutboxTeams } from './dry-run.ts';
import { makeHandler } from './handler.ts';
import { TeamsWebhook } from './send.ts';
import {
  TEAMS_INCLUDES_TEST_EVENTS,
  type TeamsSettings,
  teamsEnvironment,
  teamsSettings,
} from './settings.ts';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const teams = {
  contextKey: 'teams',
  schema: teamsSettings,
  instances: (settings) => (settings === undefined ? [] : [{ name: 'teams', settings }]),
  entry: 'lambda/consumers/teams/entry.ts',
  table: 'once-records',
  deploy: ({ settings }) => ({
    description: 'Posts connection events to Microsoft Teams',
    secretName: settings.secretName,
    filter: settings,
    environment: teamsEnvironment(settings),
  }),
  local: {
    usage: '  TEAMS_WEBHOOK_URL           send to this Teams Workflows webhook instead of the outbox',
    check: (env) => {
      const url = env.TEAMS_WEBHOOK_URL;
      if (url !== undefined && !z.safeParse(httpUrl, url).success) {
        throw new ConfigurationError('TEAMS_WEBHOOK_URL must be an http(s) URL');
      }
    },
    start: ({ env, store, log, say, outbox, httpTimeoutMs }) => {
      const url = env.TEAMS_WEBHOOK_URL;
      return [
        {
          name: 'teams',
          live: url !== undefined,
          filter: { includeTestEvents: TEAMS_INCLUDES_TEST_EVENTS },
          handler: (queue) =>
            makeHandler({
              name: 'teams',
              teams:
                url === undefined
                  ? new OutboxTeams(outbox('teams'), say)
                  : new TeamsWebhook(staticSecret(url), httpTimeoutMs),
              log,
              ...localEngine({ store, env }),
              ...queue,
            }),
        },
      ];
    },
  },
  // The context the infrastructure tests, the bench and the removability check synthesize: statuses and link hosts.
  example: {
    secretName: 'leadsie-webhooks/teams-webhook-url',
    statuses: ['PARTIAL_SUCCESS', 'FAILED'],
    linkHosts: ['crm.agency.example'],
  },
} satisfies ConsumerModule<TeamsSettings, TeamsSettings | undefined, 'teams'>;
