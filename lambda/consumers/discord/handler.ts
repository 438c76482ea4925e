/**
 * The Discord notifier: one embed per connection event, posted with Execute Webhook to the URL that
 * is the consumer's secret, mentions off. Fed by its own SQS queue (filter policy: the configured
 * statuses); failures are retried or dead-lettered by `makeSqsConsumer`.
 */
import { CachedSecret } from '../../adapters/secrets.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../adapters/sqs-queues.ts';
import { secretsManagerClient, sqsClient } from '../../shared/clients.ts';
import { type ConsumerDeps, makeSqsConsumer } from '../../shared/sqs-consumer.ts';
import type { Log } from '../../use-cases/ports.ts';
import { readConsumerEnv, readEnv, requiredSecretId } from '../settings.ts';
import { buildDiscordMessage } from './message.ts';
import { type DiscordSender, DiscordWebhook } from './send.ts';
import { DISCORD_FACTS } from './settings.ts';

export interface DiscordNotifierDeps extends ConsumerDeps {
  discord: DiscordSender;
  /** Hosts, besides Leadsie's, the embed's title may link to. */
  linkHosts?: readonly string[] | undefined;
}

export const makeHandler = (deps: DiscordNotifierDeps) =>
  makeSqsConsumer(deps, async (event) => {
    const receipt = await deps.discord.send(buildDiscordMessage(event, { linkHosts: deps.linkHosts }), event);
    return `${receipt.outcome} ${receipt.status}`;
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
  };
};
