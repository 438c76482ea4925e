/**
 * `deliveries`: the delivery engine's outcome records of a time range, per consumer (`listOutcomes`
 * in lambda/use-cases/inspect-deliveries.ts): what each consumer did with each event.
 */
import type { Outcome, OutcomeState } from '../../lambda/consumers/runtime/outcomes.ts';
import { listOutcomes, OUTCOME_STATES } from '../../lambda/use-cases/inspect-deliveries.ts';
import type { Command } from '../command.ts';
import { chosenConsumers, outcomeLedger } from '../consumers.ts';
import { CliError, UsageError } from '../errors.ts';
import { describeStoreError, TARGET_OPTIONS, TARGET_USAGE, targetFromArgs } from '../target.ts';
import { TIME_FORMAT_HELP, timeOption } from '../times.ts';
import { listOption, printListing } from './listing.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export const OUTCOME_HEADER = ['EVENT', 'VERSION', 'CONSUMER', 'STATE', 'TRIES', 'UPDATED', 'DETAIL'];

/** The last column: what was sent, why it was skipped or dead-lettered, or the last error. */
const detailOf = (o: Outcome): string | null =>
  o.state === 'done' ? o.detail : (o.reason ?? o.lastError ?? (o.state === 'claimed' ? 'being sent' : null));

export const outcomeRow = (o: Outcome): string[] => [
  o.eventId,
  String(o.version),
  o.consumer,
  o.state,
  String(o.attempts),
  o.updatedAt,
  detailOf(o) ?? '-',
];

export const deliveriesCommand: Command = {
  name: 'deliveries',
  summary: "List the consumers' outcomes of recent events (done, skipped, retrying, dead-lettered)",
  usage: `Usage:
  cli deliveries [--consumer NAME]... [--status STATE]... [--since TIME] [--until TIME] [target options]

Lists the delivery engine's outcome records of the events whose id time is in [--since, --until],
oldest event first: eventId, version, consumer, state, tries, last update, and the detail (what
the send said, why it was skipped or dead-lettered, or the last error). A table on a terminal,
tab-separated lines without a header otherwise.

  --consumer NAME  only this consumer (repeatable, or comma-separated; default: every consumer)
  --status STATE   only this state: ${OUTCOME_STATES.join(', ')} (repeatable, or comma-separated)
  --since TIME     from this time (default: a day ago); TIME: ${TIME_FORMAT_HELP}
  --until TIME     to this time (default: now)

AWS permissions: cloudformation:DescribeStacks; dynamodb:Query and BatchGetItem on the table and
its indexes.

${TARGET_USAGE}

Exit status: 0 when it ran, 1 when the target cannot be read, 2 on a usage error.`,
  options: {
    consumer: { type: 'string', multiple: true },
    status: { type: 'string', multiple: true },
    since: { type: 'string' },
    until: { type: 'string' },
    ...TARGET_OPTIONS,
  },
  run: async ({ values, positionals }, io) => {
    if (positionals.length > 0)
      throw new UsageError(`deliveries takes no arguments (got "${positionals[0]}")`);
    const now = (io.now ?? (() => new Date()))();
    const until = timeOption('until', values.until) ?? now;
    const since = timeOption('since', values.since) ?? new Date(until.getTime() - DAY_MS);
    if (since.getTime() > until.getTime()) throw new UsageError('--since must not be after --until');
    const states = listOption(values, 'status').map((s) => s.toLowerCase());
    const unknown = states.find((s) => !(OUTCOME_STATES as readonly string[]).includes(s));
    if (unknown !== undefined) {
      throw new UsageError(`unknown --status "${unknown}" (one of: ${OUTCOME_STATES.join(', ')})`);
    }
    const target = await targetFromArgs(values, io);
    const consumers = await chosenConsumers(target, listOption(values, 'consumer'));
    let outcomes: Outcome[];
    try {
      outcomes = await listOutcomes({
        ledger: outcomeLedger(target),
        consumers: consumers.map((c) => c.name),
        sinceMs: since.getTime(),
        untilMs: until.getTime(),
        states: states as OutcomeState[],
      });
    } catch (error) {
      throw new CliError(describeStoreError(target, error, 'reading the outcome records'));
    }
    printListing(io, OUTCOME_HEADER, outcomes.map(outcomeRow));
    io.stderr(
      `${outcomes.length} outcome${outcomes.length === 1 ? '' : 's'} of ${consumers.length} consumer${consumers.length === 1 ? '' : 's'} from ${since.toISOString()} to ${until.toISOString()}\n`,
    );
    return 0;
  },
};
