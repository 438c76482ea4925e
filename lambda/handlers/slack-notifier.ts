/**
 * The Slack notifier: one Block Kit message per connection event, posted to the Incoming Webhook
 * whose URL is the consumer's secret. Fed by its own SQS queue (filter policy: the configured
 * statuses); failures are retried or dead-lettered by `makeSqsConsumer`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { CachedSecret } from '../adapters/secrets.ts';
import { type SlackSender, SlackWebhook } from '../adapters/slack-webhook.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../adapters/sqs-queues.ts';
import { DEFAULTS, ENV } from '../contract.ts';
import { buildSlackMessage } from '../domain/slack-message.ts';
import { secretsManagerClient, sqsClient } from '../shared/clients.ts';
import { positiveIntEnv, requireEnv } from '../shared/env.ts';
import { type ConsumerDeps, makeSqsConsumer } from '../shared/sqs-consumer.ts';

export interface SlackNotifierDeps extends ConsumerDeps {
  slack: SlackSender;
}

export const makeHandler = (deps: SlackNotifierDeps) =>
  makeSqsConsumer(deps, async (event) => {
    await deps.slack.send(buildSlackMessage(event), event);
    return 'notified';
  });

export const defaultDeps = (logger: Logger, env: NodeJS.ProcessEnv = process.env): SlackNotifierDeps => ({
  name: requireEnv(ENV.consumerName, env),
  slack: new SlackWebhook(
    new CachedSecret(
      secretsManagerClient(),
      requireEnv(ENV.consumerSecretId, env),
      positiveIntEnv(ENV.secretMaxAgeSeconds, DEFAULTS.secretMaxAgeSeconds, env) * 1000,
    ),
    positiveIntEnv(ENV.httpTimeoutMs, DEFAULTS.httpTimeoutMs, env),
  ),
  deadLetters: new SqsDeadLetterQueue(sqsClient(), requireEnv(ENV.deadLetterQueueUrl, env)),
  delayer: new SqsMessageDelayer(sqsClient(), requireEnv(ENV.queueUrl, env)),
  log: logger,
});
