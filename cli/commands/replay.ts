/**
 * `replay`: publishes stored deliveries again, exactly as first published, for consumers that
 * missed them. The work is `replayDeliveries` (lambda/use-cases/replay-deliveries.ts); this wires it
 * to the target's store and topic and prints what happens.
 */

import type { ConnectionEvent } from '../../lambda/domain/envelope.ts';
import { ConsumerQueuePublisher } from '../../lambda/use-cases/inspect-deliveries.ts';
import type { EventPublisher, StoredDelivery } from '../../lambda/use-cases/ports.ts';
import { type ReplaySummary, replayDeliveries } from '../../lambda/use-cases/replay-deliveries.ts';
import type { Command } from '../command.ts';
import { chosenConsumers, ForcedTopicPublisher } from '../consumers.ts';
import { CliError, UsageError } from '../errors.ts';
import { progress } from '../progress.ts';
import {
  connectionStore,
  describeStoreError,
  eventPublisher,
  TARGET_OPTIONS,
  TARGET_USAGE,
  type Target,
  targetFromArgs,
} from '../target.ts';
import { timeOption } from '../times.ts';

/** No tab or line break inside a field of the listing. */
const field = (value: string | number | null): string =>
  value === null ? '-' : String(value).replace(/[\t\r\n]+/g, ' ');

/** One line of the listing: receivedAt, eventId, user, request name, status, version (tab-separated). */
export const listingLine = (delivery: StoredDelivery): string =>
  [
    delivery.receivedAt,
    delivery.eventId,
    delivery.user,
    delivery.requestName,
    delivery.status,
    delivery.version,
  ]
    .map(field)
    .join('\t');

const counts = (s: ReplaySummary): string =>
  `${s.dryRun ? 'would send' : 'sent'} ${s.sent}, skipped ${s.skipped}, failed ${s.failed}`;

export const summaryLine = (s: ReplaySummary): string => {
  const notSubscribed = s.skippedByReason['not-subscribed'];
  const skipped =
    s.skipped === 0
      ? ''
      : ` (skipped: ${s.skippedByReason.filtered} not matching the filters, ${s.skippedByReason.incomplete} not yet versioned${notSubscribed > 0 ? `, ${notSubscribed} refused by the consumer's filter policy` : ''})`;
  return `${s.dryRun ? 'dry run, nothing was sent: ' : ''}${counts(s)} of ${s.examined} deliveries in the time range${skipped}`;
};

const listOption = (value: unknown, split: boolean): string[] => {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values
    .filter((v): v is string => typeof v === 'string')
    .flatMap((v) => (split ? v.split(',') : [v]))
    .map((v) => v.trim())
    .filter((v) => v !== '');
};

/**
 * Where replay sends: the topic (every subscribed consumer, filter policies applied by SNS), with
 * the force attribute when asked; or one consumer's queue, its filter policy applied here. Local
 * mode has no topic publish with attributes: a forced replay to every consumer goes to each
 * consumer's queue whose filter policy takes the event, as SNS would fan it out.
 */
export const replayPublisher = async (
  target: Target,
  options: { consumer: string | undefined; force: boolean },
): Promise<{ publisher: EventPublisher; accepts?: (event: ConnectionEvent) => boolean }> => {
  if (options.consumer !== undefined) {
    const [consumer] = await chosenConsumers(target, [options.consumer]);
    if (!consumer) throw new UsageError(`no consumer named "${options.consumer}"`);
    const publisher = new ConsumerQueuePublisher(consumer, options.force);
    return { publisher, accepts: (event) => publisher.accepts(event) };
  }
  if (!options.force) return { publisher: eventPublisher(target) };
  if (target.kind === 'deployed') return { publisher: new ForcedTopicPublisher(target) };
  const each = (await chosenConsumers(target, [])).map((c) => new ConsumerQueuePublisher(c, true));
  return {
    publisher: {
      publish: async (event) => {
        for (const publisher of each) if (publisher.accepts(event)) await publisher.publish(event);
      },
    },
  };
};

export const replayCommand: Command = {
  name: 'replay',
  summary: 'Publish stored deliveries of a time range again (for consumers that missed them)',
  usage: `Usage:
  cli replay --since TIME [--until TIME] [--user USER]... [--status STATUS]... [--consumer NAME]
             [--force] [--dry-run] [target options]

Publishes again every stored delivery received in [--since, --until), oldest first, exactly as it
was first published: the same envelope (eventId, fingerprint, receivedAt, version) and the same
message attributes, so subscription filter policies apply as before. Consumers recognise a repeat
by its eventId and ignore a version older than the one they applied. Deployed: SNS Publish on the
ConnectionEventsTopicArn topic; --local: the local server's topic.

  --since TIME     start of the range, included (required)
  --until TIME     end of the range, excluded (default: now)
                   TIME: an ISO date (2026-03-01, midnight UTC) or date-time (2026-03-01T09:30:00Z,
                   2026-03-01T11:30+02:00; UTC when no zone is given)
  --user USER      only deliveries of this user (repeatable)
  --status STATUS  only deliveries with this status, e.g. FAILED (repeatable, or comma-separated;
                   case-insensitive)
  --consumer NAME  send to this one consumer's queue only (SendMessage, the envelope as the body and
                   its message attributes beside it, as its subscription delivers), not to the topic;
                   an event its subscription's filter policy refuses is skipped
  --force          send again even to consumers whose outcome record says done (the "force" message
                   attribute; without it a consumer skips an event it already sent)
  --dry-run        list what would be sent, send nothing

Standard output lists each delivery sent (or, with --dry-run, that would be sent), one line each,
tab-separated: receivedAt, eventId, user, request name, status, version ("-" when absent). A dry run
prints exactly the lines the real run then prints. Progress goes to standard error (a bar on a
terminal, a line every 100 deliveries otherwise), then a summary: sent N, skipped M, failed K.
Skipped: not matching --user/--status, or stored but never given a version (its redelivery will
complete and publish it). A delivery that cannot be rebuilt or published is reported on standard
error and counted as failed; the others still go.

AWS permissions: cloudformation:DescribeStacks; dynamodb:Query on the table's time index and
dynamodb:BatchGetItem on the table; sns:Publish on the topic and kms:GenerateDataKey and kms:Decrypt
on its key; with --consumer, also sns:ListSubscriptionsByTopic, sns:GetSubscriptionAttributes and
sqs:SendMessage on that consumer's queue (and kms on the queue's key).

${TARGET_USAGE}

Exit status: 0 when nothing failed, 1 when any delivery failed (or the store could not be read),
2 on a usage error.`,
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    user: { type: 'string', multiple: true },
    status: { type: 'string', multiple: true },
    consumer: { type: 'string' },
    force: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    ...TARGET_OPTIONS,
  },
  run: async ({ values, positionals }, io) => {
    if (positionals.length > 0) throw new UsageError(`replay takes no arguments (got "${positionals[0]}")`);
    const since = timeOption('since', values.since);
    if (since === undefined) throw new UsageError('replay needs --since TIME (and optionally --until TIME)');
    const now = (io.now ?? (() => new Date()))();
    const until = timeOption('until', values.until) ?? now;
    if (since.getTime() >= until.getTime()) {
      throw new UsageError(
        `--since (${since.toISOString()}) must be before ${values.until === undefined ? 'now' : '--until'} (${until.toISOString()})`,
      );
    }
    const users = listOption(values.user, false);
    const statuses = listOption(values.status, true);
    const dryRun = values['dry-run'] === true;

    const target = await targetFromArgs(values, io);
    const store = connectionStore(target);
    const { publisher, accepts } = await replayPublisher(target, {
      consumer: typeof values.consumer === 'string' ? values.consumer : undefined,
      force: values.force === true,
    });
    const span = until.getTime() - since.getTime();
    const bar = progress(io, { label: 'replay', every: 100 });
    let last: ReplaySummary | undefined;
    const outcomeCounts = (s: ReplaySummary) => `${s.examined} examined: ${counts(s)}`;
    let summary: ReplaySummary;
    try {
      summary = await replayDeliveries({
        deliveries: store.deliveriesBetween(since, until),
        filter: { users, statuses },
        publisher,
        ...(accepts ? { accepts } : {}),
        dryRun,
        onProgress: (outcome, soFar) => {
          last = soFar;
          if (outcome.kind === 'sent') io.stdout(`${listingLine(outcome.delivery)}\n`);
          if (outcome.kind === 'failed') {
            bar.done();
            io.stderr(
              `failed ${outcome.delivery.eventId} (${outcome.delivery.receivedAt}): could not ${outcome.stage === 'rebuild' ? 'rebuild its envelope' : 'publish it'}: ${outcome.error}\n`,
            );
          }
          const fraction = (Date.parse(outcome.delivery.receivedAt) - since.getTime()) / span;
          bar.tick(soFar.examined, outcomeCounts(soFar), fraction);
        },
      });
    } catch (error) {
      bar.done();
      if (last) io.stderr(`stopped: ${summaryLine(last)}\n`);
      throw new CliError(describeStoreError(target, error, 'reading the stored deliveries'));
    }
    bar.done();
    io.stderr(`${summaryLine(summary)}\n`);
    return summary.failed > 0 ? 1 : 0;
  },
};
