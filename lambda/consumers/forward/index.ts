/**
 * The webhook forwarders as a module: each entry of `consumers.forwarders` in cdk.json deploys a
 * consumer named `forward-<name>`, each a function of its own (`entry.ts`); local mode runs one, `forward`, that
 * posts to `FORWARD_WEBHOOK_URL` signed with `FORWARD_WEBHOOK_SECRET`, or writes to its outbox.
 */
import * as z from 'zod/mini';
import { InMemoryOrderingGuard } from '../../adapters/ordering-guard.ts';
import { staticSecret } from '../../adapters/secrets.ts';
import { ConfigurationError } from '../../shared/env.ts';
import { orderLeaseMs } from '../../use-cases/update-crm.ts';
import { localEngine } from '../local-engine.ts';
import type { ConsumerModule } from '../module.ts';
import { envOf } from '../settings.ts';
import { OutboxForwarder } from './dry-run.ts';
import { makeHandler } from './handler.ts';
import { WebhookForwarder } from './send.ts';
import {
  FORWARD_FACTS,
  FORWARD_INCLUDES_TEST_EVENTS,
  type ForwarderSettings,
  forwarderConsumerName,
  forwardersSettings,
} from './settings.ts';

const httpUrl = z.url({ protocol: /^https?$/ });

export const forward = {
  contextKey: 'forwarders',
  schema: forwardersSettings,
  instances: (forwarders) =>
    (forwarders ?? []).map((settings) => ({ name: forwarderConsumerName(settings.name), settings })),
  entry: 'lambda/consumers/forward/entry.ts',
  table: 'once-records',
  deploy: ({ settings }) => ({
    description: `Forwards connection events, signed, to the "${settings.name}" webhook`,
    secretName: settings.secretName,
    filter: settings,
    environment: [...envOf(FORWARD_FACTS, settings)],
  }),
  local: {
    usage:
      '  FORWARD_WEBHOOK_URL         forward to this URL, signed with FORWARD_WEBHOOK_SECRET (both needed)',
    check: (env) => {
      const url = env.FORWARD_WEBHOOK_URL;
      const secret = env.FORWARD_WEBHOOK_SECRET;
      if (url !== undefined && !z.safeParse(httpUrl, url).success) {
        throw new ConfigurationError('FORWARD_WEBHOOK_URL must be an http(s) URL');
      }
      if (secret !== undefined && secret.length < 16) {
        throw new ConfigurationError('FORWARD_WEBHOOK_SECRET must be at least 16 characters');
      }
      if ((url === undefined) !== (secret === undefined)) {
        throw new ConfigurationError(
          `${url === undefined ? 'FORWARD_WEBHOOK_URL' : 'FORWARD_WEBHOOK_SECRET'} FORWARD_WEBHOOK_URL and FORWARD_WEBHOOK_SECRET go together`,
        );
      }
    },
    start: ({ env, store, log, say, outbox, httpTimeoutMs }) => {
      const url = env.FORWARD_WEBHOOK_URL;
      const secret = env.FORWARD_WEBHOOK_SECRET;
      const ordering = new InMemoryOrderingGuard();
      return [
        {
          name: 'forward',
          live: url !== undefined,
          filter: { includeTestEvents: FORWARD_INCLUDES_TEST_EVENTS },
          handler: (queue) =>
            makeHandler({
              name: 'forward',
              target:
                url === undefined
                  ? new OutboxForwarder('flat', 'forward', outbox('forward'), say)
                  : new WebhookForwarder({
                      name: 'forward',
                      secret: staticSecret(JSON.stringify({ url, signingSecret: secret })),
                      format: 'flat',
                      timeoutMs: httpTimeoutMs,
                    }),
              versions: store,
              // One process: every local invocation shares this guard.
              ordering,
              orderLeaseMs: orderLeaseMs(httpTimeoutMs),
              log,
              ...localEngine({ store, env }),
              ...queue,
            }),
        },
      ];
    },
  },
  // The context the infrastructure tests, the bench and the removability check synthesize: one forwarder with both filters, one with none and its own concurrency and batch.
  example: [
    {
      name: 'zapier',
      secretName: 'leadsie-webhooks/forward-zapier',
      statuses: ['SUCCESS'],
      includeTestEvents: false,
    },
    {
      name: 'make-eu',
      secretName: 'leadsie-webhooks/forward-make-eu',
      format: 'envelope',
      maxConcurrency: 5,
      batchSize: 5,
    },
  ],
} satisfies ConsumerModule<ForwarderSettings, ForwarderSettings[], 'forwarders'>;
