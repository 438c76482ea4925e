/**
 * `dead-letters list | redrive`: the events the consumers gave up on. Listed from the dead-lettered
 * outcome records (they never expire while unresolved, unlike the queue's messages); redriven by
 * moving each consumer's dead-letter queue back to its work queue, where the engine claims the
 * event again (see `redriveDeadLetters` in lambda/use-cases/inspect-deliveries.ts).
 */
import type { Outcome } from '../../lambda/consumers/runtime/outcomes.ts';
import {
  eventOfDeadLetter,
  listDeadLetters,
  type RedriveStep,
  type RedriveSummary,
  redriveDeadLetters,
} from '../../lambda/use-cases/inspect-deliveries.ts';
import type { Command } from '../command.ts';
import { chosenConsumers, outcomeLedger } from '../consumers.ts';
import { CliError, UsageError } from '../errors.ts';
import { progress } from '../progress.ts';
import {
  connectionStore,
  describeStoreError,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetFromArgs,
} from '../target.ts';
import { listOption, printListing } from './listing.ts';

export const DEAD_LETTER_HEADER = ['CONSUMER', 'EVENT', 'VERSION', 'TRIES', 'SINCE', 'REASON'];

export const deadLetterRow = (o: Outcome): string[] => [
  o.consumer,
  o.eventId,
  String(o.version),
  String(o.attempts),
  o.updatedAt,
  o.reason ?? o.lastError ?? '-',
];

export const redriveSummaryLine = (summary: RedriveSummary): string => {
  const parts = summary.consumers.map((c) =>
    summary.dryRun
      ? `${c.consumer}: ${c.unresolved} listed`
      : `${c.consumer}: moved ${c.moved}, resent ${c.resent}${c.unavailable > 0 ? `, ${c.unavailable} not redrivable` : ''} (${c.unresolved} listed before)`,
  );
  const total = summary.consumers.reduce((n, c) => n + c.moved + c.resent, 0);
  return summary.dryRun
    ? `dry run, nothing was moved: ${parts.join(', ') || 'no consumers'}`
    : `put ${total} dead letter${total === 1 ? '' : 's'} back on their queues: ${parts.join(', ') || 'no consumers'}`;
};

/** One line per dead letter redriven: consumer, eventId, how (moved, resent, or why not), its reason. */
export const redriveLine = (step: RedriveStep): string =>
  [
    step.consumer,
    step.eventId ?? '-',
    step.kind === 'unavailable' ? `not redrivable: ${step.why}` : step.kind,
    step.reason ?? '-',
  ]
    .map((v) => v.replace(/[\t\r\n]+/g, ' '))
    .join('\t');

export const deadLettersCommand: Command = {
  name: 'dead-letters',
  summary: 'List the events consumers gave up on, or put them back on their queues',
  usage: `Usage:
  cli dead-letters list [--consumer NAME]... [target options]
  cli dead-letters redrive [--consumer NAME]... [--dry-run] [target options]

list     every unresolved dead letter, from the delivery engine's outcome records (they do not
         expire while unresolved, even after SQS dropped the message): consumer, eventId, version,
         tries, when, and the reason. A table on a terminal, tab-separated lines otherwise.
redrive  moves every message of each consumer's dead-letter queue back to its work queue, then
         sends again from the stored delivery each listed dead letter whose message SQS no longer
         has (expired after its retention); the consumer claims each event again (a dead letter is
         claimable), sends it, and its record leaves the list once delivered. Standard output:
         one line per dead letter (consumer, eventId, moved | resent | not redrivable: why,
         reason); progress on standard error, then a summary per consumer.
         --dry-run moves nothing and says how many are listed per consumer.

  --consumer NAME  only this consumer (repeatable, or comma-separated; default: every consumer)

AWS permissions: cloudformation:DescribeStacks; dynamodb:Query, GetItem, BatchGetItem and UpdateItem
on the table and its indexes; sns:ListSubscriptionsByTopic and sns:GetSubscriptionAttributes;
sqs:ListDeadLetterSourceQueues, GetQueueAttributes, ReceiveMessage, SendMessage and DeleteMessage on
the consumers' queues and dead-letter queues (and kms on their keys). The consumers are found from
the stack's <Name>DeadLetterQueueUrl outputs.

${TARGET_USAGE}

Exit status: 0 when it ran and every dead letter could be put back, 1 when the target cannot be
read, a move failed, or a dead letter is not redrivable (it stays listed), 2 on a usage error.`,
  options: {
    consumer: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    ...TARGET_OPTIONS,
  },
  run: async ({ values, positionals }, io) => {
    const [action, ...extra] = positionals;
    if (action !== 'list' && action !== 'redrive') {
      throw new UsageError(
        action === undefined
          ? 'dead-letters needs: list or redrive'
          : `unknown action "${action}" (list or redrive)`,
      );
    }
    if (extra.length > 0)
      throw new UsageError(`dead-letters ${action} takes no more arguments (got "${extra[0]}")`);
    if (action === 'list' && values['dry-run'] !== undefined)
      throw new UsageError('--dry-run applies to redrive only');
    const target = await targetFromArgs(values, io);
    const consumers = await chosenConsumers(target, listOption(values, 'consumer'));
    const ledger = outcomeLedger(target);

    if (action === 'list') {
      const rows: string[][] = [];
      try {
        for await (const outcome of listDeadLetters(
          ledger,
          consumers.map((c) => c.name),
        ))
          rows.push(deadLetterRow(outcome));
      } catch (error) {
        throw new CliError(describeStoreError(target, error, 'reading the dead-lettered outcomes'));
      }
      printListing(io, DEAD_LETTER_HEADER, rows);
      io.stderr(`${rows.length} unresolved dead letter${rows.length === 1 ? '' : 's'}\n`);
      return 0;
    }

    const bar = progress(io, { label: 'redrive', every: 100 });
    const store = connectionStore(target);
    let total = 0;
    let summary: RedriveSummary;
    try {
      summary = await redriveDeadLetters({
        ledger,
        consumers,
        dryRun: values['dry-run'] === true,
        startedAtMs: (io.now ?? (() => new Date()))().getTime(),
        rebuild: (outcome) => eventOfDeadLetter(store, outcome),
        onStep: (step) => {
          total++;
          io.stdout(`${redriveLine(step)}\n`);
          bar.tick(total, `${total} done (${step.consumer})`);
        },
      });
    } catch (error) {
      bar.done();
      if (total > 0) io.stderr(`stopped after ${total} dead letter${total === 1 ? '' : 's'}\n`);
      if (error instanceof CliError) throw error;
      throw new CliError(describeStoreError(target, error, 'redriving the dead letters'));
    }
    bar.done();
    io.stderr(`${redriveSummaryLine(summary)}\n`);
    return summary.consumers.some((c) => c.unavailable > 0) ? 1 : 0;
  },
};
