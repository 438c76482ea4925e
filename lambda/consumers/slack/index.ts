/**
 * The Slack notifier as a module: `consumers.slack` in cdk.json deploys one consumer named `slack`
 * that reads its Incoming Webhook URL from its secret; local mode posts to `SLACK_WEBHOOK_URL` or
 * writes the message to its outbox.
 */
import * as z from 'zod/mini';
import { staticSecret } from '../../adapters/secrets.ts';
import { ConfigurationError } from '../../shared/env.ts';
import { localEngine } from '../local-engine.ts';
import type { ConsumerModule } from '../module.ts';
import { OutboxSlack } from './dry-run.ts';
import { makeHandler } from './handler.ts';
import { SlackWebhook } from './send.ts';
import { SLACK_INCLUDES_TEST_EVENTS, type SlackSettings, slackSettings } from './settings.ts';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const slack = {
  contextKey: 'slack',
  schema: slackSettings,
  instances: (settings) => (settings === undefined ? [] : [{ name: 'slack', settings }]),
  entry: 'lambda/consumers/slack/entry.ts',
  table: 'once-records',
  deploy: ({ settings }) => ({
    description: 'Posts connection events to Slack',
    secretName: settings.secretName,
    filter: settings,
    environment: [],
  }),
  local: {
    usage: '  SLACK_WEBHOOK_URL           send to this Slack incoming webhook instead of the outbox',
    check: (env) => {
      const url = env.SLACK_WEBHOOK_URL;
      if (url !== undefined && !z.safeParse(httpUrl, url).success) {
        throw new ConfigurationError('SLACK_WEBHOOK_URL must be an http(s) URL');
      }
    },
    start: ({ env, store, log, say, outbox, httpTimeoutMs }) => {
      const url = env.SLACK_WEBHOOK_URL;
      return [
        {
          name: 'slack',
          live: url !== undefined,
          filter: { includeTestEvents: SLACK_INCLUDES_TEST_EVENTS },
          handler: (queue) =>
            makeHandler({
              name: 'slack',
              slack:
                url === undefined
                  ? new OutboxSlack(outbox('slack'), say)
                  : new SlackWebhook(staticSecret(url), httpTimeoutMs),
              log,
              ...localEngine({ store, env }),
              ...queue,
            }),
        },
      ];
    },
  },
  // The context the infrastructure tests, the bench and the removability check synthesize: statuses (test events by default).
  example: {
    secretName: 'leadsie-webhooks/slack-webhook-url',
    statuses: ['SUCCESS', 'PARTIAL_SUCCESS'],
  },
} satisfies ConsumerModule<SlackSettings, SlackSettings | undefined, 'slack'>;
