/**
 * The Slack notifier: one Block Kit message per connection event, posted to the Incoming Webhook
 * whose URL is the consumer's secret. Fed by its own SQS queue (filter policy: the configured
 * statuses); the delivery engine posts each event once, retries with backoff and dead-letters.
 */
import { CachedSecret } from '../../adapters/secrets.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../adapters/sqs-queues.ts';
import { secretsManagerClient, sqsClient } from '../../shared/clients.ts';
import type { Log } from '../../use-cases/ports.ts';
import { engineFromEnv } from '../engine-deps.ts';
import { type EngineDeps, makeDeliveryEngine } from '../runtime/engine.ts';
import { readConsumerEnv, requiredSecretId } from '../settings.ts';
import { buildSlackMessage } from './message.ts';
import { type SlackSender, SlackWebhook } from './send.ts';

export interface SlackNotifierDeps extends EngineDeps {
  slack: SlackSender;
}

export const makeHandler = (deps: SlackNotifierDeps) =>
  makeDeliveryEngine(deps, async (event) => {
    const receipt = await deps.slack.send(buildSlackMessage(event), event);
    return receipt ? `posted ${receipt.status}` : 'posted';
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
    ...engineFromEnv(env),
  };
};
