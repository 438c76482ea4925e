/**
 * The Slack notifier: one Block Kit message per connection event, posted to the Incoming Webhook
 * whose URL is the consumer's secret. Fed by its own SQS queue (filter policy: the configured
 * statuses); failures are retried or dead-lettered by `makeSqsConsumer`.
 */
import { CachedSecret } from '../../adapters/secrets.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../adapters/sqs-queues.ts';
import { secretsManagerClient, sqsClient } from '../../shared/clients.ts';
import { type ConsumerDeps, makeSqsConsumer } from '../../shared/sqs-consumer.ts';
import type { Log } from '../../use-cases/ports.ts';
import { readConsumerEnv, requiredSecretId } from '../settings.ts';
import { buildSlackMessage } from './message.ts';
import { type SlackSender, SlackWebhook } from './send.ts';

export interface SlackNotifierDeps extends ConsumerDeps {
  slack: SlackSender;
}

export const makeHandler = (deps: SlackNotifierDeps) =>
  makeSqsConsumer(deps, async (event) => {
    await deps.slack.send(buildSlackMessage(event), event);
    return 'notified';
  });

export const defaultDeps = (log: Log, env: NodeJS.ProcessEnv = process.env): SlackNotifierDeps => {
  const settings = readConsumerEnv(env);
  return {
    name: settings.name,
    slack: new SlackWebhook(
      new CachedSecret(secretsManagerClient(), requiredSecretId(settings), settings.secretMaxAgeMs),
      settings.httpTimeoutMs,
    ),
    deadLetters: new SqsDeadLetterQueue(sqsClient(), settings.deadLetterQueueUrl),
    delayer: new SqsMessageDelayer(sqsClient(), settings.queueUrl),
    log,
  };
};
