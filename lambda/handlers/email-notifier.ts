/**
 * The email notifier (being built): for now every event goes to the dead-letter queue with
 * a reason, so the entry file the stack bundles exists and the event is kept for replay.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../adapters/sqs-queues.ts';
import { ENV } from '../contract.ts';
import { PermanentDeliveryError } from '../domain/errors.ts';
import { sqsClient } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { type ConsumerDeps, makeSqsConsumer } from '../shared/sqs-consumer.ts';

export const makeHandler = (deps: ConsumerDeps) =>
  makeSqsConsumer(deps, async () => {
    throw new PermanentDeliveryError('the email notifier is not implemented yet');
  });

export const defaultDeps = (logger: Logger, env: NodeJS.ProcessEnv = process.env): ConsumerDeps => ({
  name: requireEnv(ENV.consumerName, env),
  deadLetters: new SqsDeadLetterQueue(sqsClient(), requireEnv(ENV.deadLetterQueueUrl, env)),
  delayer: new SqsMessageDelayer(sqsClient(), requireEnv(ENV.queueUrl, env)),
  log: logger,
});
