/**
 * The Discord notifier as a module: `consumers.discord` in cdk.json deploys one consumer named `discord`
 * that reads its webhook URL from its secret; local mode posts to `DISCORD_WEBHOOK_URL` or writes
 * the embed to its outbox.
 */
import * as z from 'zod/mini';
import { staticSecret } from '../../adapters/secrets.ts';
import { ConfigurationError } from '../../shared/env.ts';
import { localEngine } from '../local-engine.ts';
import type { ConsumerModule } from '../module.ts';
import { OutboxDiscord } from './dry-run.ts';
import { makeHandler } from './handler.ts';
import { DiscordWebhook } from './send.ts';
import {
  DISCORD_INCLUDES_TEST_EVENTS,
  type DiscordSettings,
  discordEnvironment,
  discordSettings,
} from './settings.ts';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const discord = {
  contextKey: 'discord',
  schema: discordSettings,
  instances: (settings) => (settings === undefined ? [] : [{ name: 'discord', settings }]),
  entry: 'lambda/consumers/discord/entry.ts',
  table: 'once-records',
  deploy: ({ settings }) => ({
    description: 'Posts connection events to Microsoft Discord',
    secretName: settings.secretName,
    filter: settings,
    environment: discordEnvironment(settings),
  }),
  local: {
    usage: '  DISCORD_WEBHOOK_URL         send to this Discord webhook instead of the outbox',
    check: (env) => {
      const url = env.DISCORD_WEBHOOK_URL;
      if (url !== undefined && !z.safeParse(httpUrl, url).success) {
        throw new ConfigurationError('DISCORD_WEBHOOK_URL must be an http(s) URL');
      }
    },
    start: ({ env, store, log, say, outbox, httpTimeoutMs }) => {
      const url = env.DISCORD_WEBHOOK_URL;
      return [
        {
          name: 'discord',
          live: url !== undefined,
          filter: { includeTestEvents: DISCORD_INCLUDES_TEST_EVENTS },
          handler: (queue) =>
            makeHandler({
              name: 'discord',
              discord:
                url === undefined
                  ? new OutboxDiscord(outbox('discord'), say)
                  : new DiscordWebhook(staticSecret(url), httpTimeoutMs),
              log,
              ...localEngine({ store, env }),
              ...queue,
            }),
        },
      ];
    },
  },
  // The context the infrastructure tests, the bench and the removability check synthesize: its defaults.
  example: {
    secretName: 'leadsie-webhooks/discord-webhook-url',
  },
} satisfies ConsumerModule<DiscordSettings, DiscordSettings | undefined, 'discord'>;
