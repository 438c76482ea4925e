/**
 * The Teams notifier: one Adaptive Card per connection event, posted to the Workflows webhook whose
 * URL is the consumer's secret. Fed by its own SQS queue (filter policy: the configured statuses);
 * the delivery engine posts each event once, retries with backoff and dead-letters. A Workflows `202` means the flow took
 * the card, not that Teams showed it: the log says `accepted`, not `posted`.
 */
import { CachedSecret } from '../../adapters/secrets.ts';
import { SqsDeadLetterQueue, SqsMessageDelayer } from '../../adapters/sqs-queues.ts';
import { secretsManagerClient, sqsClient } from '../../shared/clients.ts';
import type { Log } from '../../use-cases/ports.ts';
import { engineFromEnv } from '../engine-deps.ts';
import { type EngineDeps, makeDeliveryEngine } from '../runtime/engine.ts';
import { readConsumerEnv, readEnv, requiredSecretId } from '../settings.ts';
import { buildTeamsMessage } from './message.ts';
import { type TeamsSender, TeamsWebhook } from './send.ts';
import { TEAMS_FACTS } from './settings.ts';

export interface TeamsNotifierDeps extends EngineDeps {
  teams: TeamsSender;
  /** Hosts, besides Leadsie's, the card's button may link to. */
  linkHosts?: readonly string[] | undefined;
}

export const makeHandler = (deps: TeamsNotifierDeps) =>
  makeDeliveryEngine(deps, async (event) => {
    const receipt = await deps.teams.send(buildTeamsMessage(event, { linkHosts: deps.linkHosts }), event);
    // A dry run's receipt has no status (0): its detail is the word alone, as Slack's and HubSpot's.
    return receipt.status === 0 ? receipt.outcome : `${receipt.outcome} ${receipt.status}`;
  });

export const defaultDeps = (log: Log, env: NodeJS.ProcessEnv = process.env): TeamsNotifierDeps => {
  const settings = readConsumerEnv(env);
  const own = readEnv(TEAMS_FACTS, env);
  return {
    name: settings.name,
    teams: new TeamsWebhook(
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
