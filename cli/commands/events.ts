/**
 * `events show <eventId>`: one event as stored and published, its flat record, and what every
 * consumer did with it (`showEvent` in lambda/use-cases/inspect-deliveries.ts does the work).
 */
import type { Outcome } from '../../lambda/consumers/runtime/outcomes.ts';
import {
  type ConsumerVerdict,
  type EventReport,
  showEvent,
} from '../../lambda/use-cases/inspect-deliveries.ts';
import type { Command } from '../command.ts';
import { outcomeLedger, targetConsumers } from '../consumers.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  connectionStore,
  describeStoreError,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetFromArgs,
  targetLabel,
} from '../target.ts';

const tries = (n: number) => `${n} ${n === 1 ? 'try' : 'tries'}`;

/** What one outcome says, in a few words: `done: posted 200 (1 try, 2026-…)`. */
export const outcomeText = (outcome: Outcome): string => {
  const why =
    outcome.state === 'done'
      ? outcome.detail
      : outcome.state === 'skipped' || outcome.state === 'dead-lettered'
        ? outcome.reason
        : outcome.state === 'retrying' || outcome.state === 'ambiguous'
          ? `${outcome.lastError ?? 'failed'}; next try ${outcome.nextAttemptAt ?? 'soon'}`
          : null;
  const resolved = outcome.resolvedAt ? `, resolved ${outcome.resolvedAt}` : '';
  return `${outcome.state}${why ? `: ${why}` : ''} (${tries(outcome.attempts)}, ${outcome.updatedAt}${resolved})`;
};

export const verdictText = (verdict: ConsumerVerdict): string => {
  if (verdict.kind === 'outcome') return outcomeText(verdict.outcome);
  if (verdict.kind === 'filtered out') return "filtered out (its subscription's filter policy)";
  return verdict.passesFilter === null
    ? 'no outcome (its filter policy is unknown here)'
    : 'no outcome (not received yet, or sent on the first try without a record)';
};

export const eventReportText = (report: EventReport): string => {
  const { delivery } = report;
  const rows: [string, string][] = [
    ['event', delivery.eventId],
    ['received', delivery.receivedAt],
    ['user', delivery.user ?? '-'],
    ['request', `${delivery.requestName} (${delivery.requestUrl})`],
    ['status', delivery.status ?? '-'],
    ['version', delivery.version === null ? 'none yet (not advanced)' : String(delivery.version)],
    ['published', delivery.publishedAt ?? 'not yet'],
    ['fingerprint', delivery.fingerprint],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const out = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  out.push('', 'flat record:');
  if (report.flat) {
    const keys = Object.keys(report.flat);
    const keyWidth = Math.max(0, ...keys.map((k) => k.length));
    for (const key of keys) out.push(`  ${key.padEnd(keyWidth)}  ${report.flat[key] ?? '-'}`);
  } else {
    out.push(`  (cannot rebuild the envelope: ${report.envelopeError ?? 'unknown'})`);
  }
  out.push('', 'consumers:');
  if (report.consumers.length === 0) out.push('  (none)');
  const nameWidth = Math.max(0, ...report.consumers.map((c) => c.consumer.length));
  for (const verdict of report.consumers)
    out.push(`  ${verdict.consumer.padEnd(nameWidth)}  ${verdictText(verdict)}`);
  return `${out.map((line) => line.trimEnd()).join('\n')}\n`;
};

export const eventsCommand: Command = {
  name: 'events',
  summary: 'Show one event, its flat record, and what every consumer did with it',
  usage: `Usage:
  cli events show EVENT_ID [--json] [target options]

Prints the stored delivery of EVENT_ID (found by its time: event ids are ULIDs), its flat record,
and each consumer's outcome from the delivery engine's records: done (what the send said), skipped
(why), retrying or ambiguous (the last error, the next try), dead-lettered (the reason). A consumer
whose subscription filter policy kept the event out says "filtered out"; one with no record says
"no outcome".

  --json   the whole report as one JSON object (delivery, event, flat, consumers)

AWS permissions: cloudformation:DescribeStacks; dynamodb:Query, GetItem and BatchGetItem on the
table and its indexes; sns:ListSubscriptionsByTopic and sns:GetSubscriptionAttributes (the
consumers, found from the stack's <Name>DeadLetterQueueUrl outputs, and their filter policies).

${TARGET_USAGE}

Exit status: 0 when the event is found, 1 when it is not (or the target cannot be read), 2 on a usage error.`,
  options: { json: { type: 'boolean' }, ...TARGET_OPTIONS },
  run: async ({ values, positionals }, io) => {
    const [action, eventId, ...extra] = positionals;
    if (action !== 'show')
      throw new UsageError(
        action === undefined
          ? 'events needs: show EVENT_ID'
          : `unknown action "${action}" (events show EVENT_ID)`,
      );
    if (eventId === undefined || eventId === '') throw new UsageError('events show needs an EVENT_ID');
    if (extra.length > 0) throw new UsageError(`events show takes one EVENT_ID (got "${extra[0]}" too)`);
    const target = await targetFromArgs(values, io);
    const consumers = await targetConsumers(target);
    let report: EventReport | null;
    try {
      report = await showEvent({
        eventId,
        store: connectionStore(target),
        ledger: outcomeLedger(target),
        consumers,
      });
    } catch (error) {
      throw new CliError(describeStoreError(target, error, 'reading the event and its outcomes'));
    }
    if (!report) throw new CliError(`no event ${eventId} in ${targetLabel(target)}`);
    io.stdout(values.json === true ? `${JSON.stringify(report)}\n` : eventReportText(report));
    return 0;
  },
};
