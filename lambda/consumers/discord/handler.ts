/**
 * The Discord notifier: one embed per connection event, posted with Execute Webhook to the URL that
 * is the consumer's secret, mentions off. Fed by its own SQS queue (filter policy: the configured
 * statuses); the delivery engine posts each event once, retries with backoff and dead-letters.
 */
import { CachedSecret } from '../../adapters/secrets.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../adapters/sqs-queues.ts';
import { secretsManagerClient, sqsClient } from '../../shared/clients.ts';
import type { Log } from '../../use-cases/ports.ts';
import { engineFromEnv } from '../engine-deps.ts';
import { type EngineDeps, makeDeliveryEngine } from '../runtime/engine.ts';
import { readConsumerEnv, readEnv, requiredSecretId } from '../settings.ts';
import { buildDiscordMessage } from './message.ts';
import { type DiscordSender, DiscordWebhook } from './send.ts';
import { DISCORD_FACTS } from './settings.ts';

export interface DiscordNotifierDeps extends EngineDeps {
  discord: DiscordSender;
  /** Hosts, besides Leadsie's, the embed's title may link to. */
  linkHosts?: readonly string[] | undefined;
}

export const makeHandler = (deps: DiscordNotifierDeps) =>
  makeDeliveryEngine(deps, async (event) => {
    const receipt = await deps.discord.send(buildDiscordMessage(event, { linkHosts: deps.linkHosts }), event);
    // A dry run's receipt has no status (0): its detail is the word alone, as Slack's and HubSpot's.
    return receipt.status === 0 ? receipt.outcome : `${receipt.outcome} ${receipt.status}`;
  });

export const defaultDeps = (log: Log, env: NodeJS.ProcessEnv = process.env): DiscordNotifierDeps => {
  const settings = readConsumerEnv(env);
  const own = readEnv(DISCORD_FACTS, env);
  return {
    name: settings.name,
    discord: new DiscordWebhook(
      new CachedSecret(secretsManagerClient(), requiredSecretId(settings), settings.secretMaxAgeMs),
      settings.httpTimeoutMs,
    ),
    linkHosts: own.linkHosts,
    deadLetters: new SqsDeadLetterQueue(sqsClient(), settings.deadLetterQueueUrl),
    delayer: new SqsMessageDelayer(sqsClient(), settings.queueUrl),
    log,
    ...engineFromEnv(env),
  };
};
