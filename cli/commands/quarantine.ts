/**
 * `quarantine list | retry`: the authenticated requests ingest refused (not JSON, not a Leadsie
 * payload, an unsupported content type, too large), which it kept instead of losing them (see
 * lambda/use-cases/quarantine-request.ts).
 *
 *   list:  byState index, QUARANTINED partition → one line per entry (or JSON lines)
 *   retry: entry's body → POST to the webhook, as Leadsie would → 2xx: entry marked resolved
 *                                                              → 4xx: still refused (ingest counted
 *                                                                     another attempt), reasons shown
 *   discard: entry marked resolved without ingesting it (junk, a test body, a body kept cut short),
 *            so it leaves the list and the `quarantined` alarm
 *
 * An entry that names a fingerprint is a stored delivery the topic would not take: `retry` resumes
 * that delivery from the store and publishes it (resume-quarantined-delivery.ts) instead of posting
 * its body, which ingest would only answer as a duplicate.
 */
import type { QuarantineEntry } from '../../lambda/use-cases/ports.ts';
import type { Command, CommandIo } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { isTruncated, type QuarantineRetryResult, retryQuarantined } from '../quarantine-retry.ts';
import {
  connectionStore,
  describeStoreError,
  TARGET_OPTIONS,
  TARGET_USAGE,
  type Target,
  targetFromArgs,
  targetLabel,
  webhookUrl,
} from '../target.ts';

/** The shortest id prefix `retry` accepts. */
const MIN_ID_PREFIX = 8;
/** How much of an id the listing shows. */
const SHORT_ID = 12;

const field = (value: string | number | null): string =>
  value === null ? '-' : String(value).replace(/[\t\r\n]+/g, ' ');

/** The first problem (or the message), clipped: what the listing's last column says. */
const why = (entry: QuarantineEntry): string => {
  const [first, ...rest] = entry.reason.problems;
  const text = first ? `${first.path}: ${first.message}` : entry.reason.message;
  const more = rest.length > 0 ? ` (+${rest.length} more)` : '';
  return `${text.length > 120 ? `${text.slice(0, 119)}…` : text}${more}`;
};

/** The listing's header row, printed when standard output is a terminal (a pipe gets the rows alone). */
export const QUARANTINE_HEADER = [
  'ID',
  'FIRST RECEIVED',
  'LAST RECEIVED',
  'ATTEMPTS',
  'STATUS',
  'KIND',
  'BYTES',
  'WHY',
].join('\t');

/** One line of the listing: id, first and last arrival, attempts, status, kind, size, why (tab-separated). */
export const quarantineLine = (entry: QuarantineEntry): string =>
  [
    entry.id.slice(0, SHORT_ID),
    entry.firstReceivedAt,
    entry.receivedAt,
    entry.attempts,
    entry.reason.status,
    entry.reason.kind,
    `${entry.bodyBytes}${isTruncated(entry) ? ` (kept ${entry.body.length})` : ''}`,
    why(entry),
  ]
    .map(field)
    .join('\t');

/** An entry as one JSON line: the body as text when it is UTF-8, else as base64. */
export const quarantineJson = (entry: QuarantineEntry): string => {
  const bytes = Buffer.from(entry.body);
  let body: { body: string } | { bodyBase64: string };
  try {
    body = { body: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    body = { bodyBase64: bytes.toString('base64') };
  }
  return JSON.stringify({
    id: entry.id,
    firstReceivedAt: entry.firstReceivedAt,
    receivedAt: entry.receivedAt,
    attempts: entry.attempts,
    contentType: entry.contentType,
    fingerprint: entry.fingerprint,
    bodyBytes: entry.bodyBytes,
    truncated: isTruncated(entry),
    reason: entry.reason,
    ...body,
  });
};

const readAll = async (target: Target): Promise<QuarantineEntry[]> => {
  const store = connectionStore(target);
  const entries: QuarantineEntry[] = [];
  try {
    for await (const entry of store.quarantined()) entries.push(entry);
  } catch (error) {
    throw new CliError(describeStoreError(target, error, 'reading the quarantine'));
  }
  return entries;
};

/** The entries the ids name (each a full id or a unique prefix of at least 8 characters). */
export const pickEntries = (entries: QuarantineEntry[], ids: string[]): QuarantineEntry[] =>
  ids.map((given) => {
    const id = given.trim().toLowerCase();
    if (!/^[0-9a-f]+$/.test(id) || id.length < MIN_ID_PREFIX) {
      throw new UsageError(`"${given}" is not a quarantine id (at least ${MIN_ID_PREFIX} hex characters)`);
    }
    const matches = entries.filter((entry) => entry.id.startsWith(id));
    if (matches.length === 0) {
      throw new CliError(`no unresolved quarantine entry has the id ${given} (see: cli quarantine list)`);
    }
    if (matches.length > 1)
      throw new UsageError(`the id ${given} matches ${matches.length} entries; give more of it`);
    return matches[0] as QuarantineEntry;
  });

const list = async (target: Target, json: boolean, io: CommandIo): Promise<number> => {
  const entries = await readAll(target);
  if (!json && io.stdoutIsTTY && entries.length > 0) io.stdout(`${QUARANTINE_HEADER}\n`);
  for (const entry of entries) io.stdout(`${json ? quarantineJson(entry) : quarantineLine(entry)}\n`);
  io.stderr(
    entries.length === 0
      ? `nothing in quarantine on ${targetLabel(target)}\n`
      : `${entries.length} quarantined request${entries.length === 1 ? '' : 's'} on ${targetLabel(target)}; ` +
          'after a fix: cli quarantine retry ID (or --all)\n',
  );
  return 0;
};

const discard = async (
  target: Target,
  chosen: QuarantineEntry[],
  dryRun: boolean,
  io: CommandIo,
): Promise<number> => {
  const store = connectionStore(target);
  const now = io.now ?? (() => new Date());
  let discarded = 0;
  for (const entry of chosen) {
    const short = entry.id.slice(0, SHORT_ID);
    const what = `${entry.reason.status} ${entry.reason.kind}, ${entry.bodyBytes} bytes`;
    if (dryRun) {
      io.stdout(`${short}\twould discard\t${what}\n`);
      continue;
    }
    let found: boolean;
    try {
      found = await store.discardQuarantined(entry.id, now().toISOString());
    } catch (error) {
      throw new CliError(describeStoreError(target, error, `discarding ${short}`));
    }
    if (found) discarded++;
    io.stdout(`${short}\t${found ? 'discarded' : 'gone'}\t${what}\n`);
  }
  io.stderr(
    dryRun
      ? `dry run, nothing was changed: would discard ${chosen.length}\n`
      : `discarded ${discarded} of ${chosen.length}; each stays in the table, resolved, and is quarantined again if its body comes again\n`,
  );
  return 0;
};

const retry = async (
  target: Target,
  chosen: QuarantineEntry[],
  options: { dryRun: boolean; contentType: string | undefined },
  io: CommandIo,
): Promise<number> => {
  const url = await webhookUrl(target);
  const now = io.now ?? (() => new Date());
  let resolved = 0;
  let failed = 0;
  const summary = () => {
    const verb = options.dryRun ? 'dry run, nothing was sent: would retry' : 'retried';
    const count = options.dryRun ? chosen.length - failed : resolved + failed;
    const left = chosen.length - (options.dryRun ? chosen.length : resolved + failed);
    const stopped = left > 0 ? `; stopped with ${left} not tried` : '';
    io.stderr(`${verb} ${count}; resolved ${resolved}, not resolved ${failed}${stopped}\n`);
  };
  for (const entry of chosen) {
    const short = entry.id.slice(0, SHORT_ID);
    if (options.dryRun) {
      if (entry.fingerprint !== null) {
        io.stdout(`${short}\twould publish\tthe stored delivery ${entry.fingerprint}\n`);
      } else if (isTruncated(entry)) {
        failed++;
        io.stdout(
          `${short}\tnot retried\tonly ${entry.body.length} of its ${entry.bodyBytes} bytes were kept; ask Leadsie to send it again\n`,
        );
      } else {
        const contentType = options.contentType ?? entry.contentType;
        io.stdout(
          `${short}\twould send\t${entry.bodyBytes} bytes as ${contentType ?? '(no content type)'}\n`,
        );
      }
      continue;
    }
    // An unreachable webhook or store stops the run: every other entry would fail the same way.
    const result = await retryQuarantined(target, entry, {
      contentType: options.contentType,
      now,
      webhookUrl: url,
    }).catch((error: unknown) => {
      summary();
      throw error;
    });
    if (result.kind === 'resolved') resolved++;
    else failed++;
    io.stdout(`${short}\t${retryLine(result)}\n`);
  }
  summary();
  return failed === 0 ? 0 : 1;
};

/** The outcome and detail columns of one retried entry. */
const retryLine = (result: QuarantineRetryResult): string => {
  switch (result.kind) {
    case 'resolved': {
      const note =
        result.note === 'published' || result.note === 'already published'
          ? ` (${result.note})`
          : result.note === 'already stored'
            ? ' (already stored)'
            : '';
      return `resolved\teventId ${result.eventId}${note}`;
    }
    case 'pending':
      return `pending\tevent ${result.eventId} is pending again; the reconciler publishes it (${result.reason})`;
    case 'gone':
      return `gone\tthe stored delivery ${result.fingerprint} no longer exists`;
    default:
      return `${result.kind}\t${result.detail}`;
  }
};

export const quarantineCommand: Command = {
  name: 'quarantine',
  summary: 'List refused webhook requests kept in quarantine; send them again after a fix, or discard them',
  usage: `Usage:
  cli quarantine list [--json] [target options]
  cli quarantine retry ID... [--content-type TYPE] [--dry-run] [target options]
  cli quarantine retry --all [--content-type TYPE] [--dry-run] [target options]
  cli quarantine discard ID...|--all [--dry-run] [target options]

A request with the right token whose body ingest refused (400: not JSON or not a Leadsie payload;
413: too large; 415: unsupported content type) is kept in the table with its reasons, so nothing
Leadsie sent is lost. The same body sent again is the same entry (its attempts grow).

list    one line per unresolved entry, oldest first, tab-separated: id (first ${SHORT_ID} characters),
        first received, last received, attempts, HTTP status, error kind, body size in bytes, and
        the first problem. On a terminal a header row comes first; into a pipe or a file, the
        rows alone (so cut -f1 gives ids).
  --json          one JSON object per line instead, with every problem and the body (as text when
                  it is UTF-8, else as bodyBase64)

retry   sends each entry's body to the webhook again, exactly as it came (same bytes, same content
        type), as Leadsie would: after a fix is deployed, ingest accepts it, and the entry is marked
        resolved with the eventId ingest answered. If ingest refuses it again, the entry stays (one
        more attempt) and the new reason is printed. An entry of kind unpublishable-event or
        publish-attempts-exhausted is a delivery that was stored but that the topic would not take:
        retry puts it back among the pending deliveries and publishes it from the table (outcome
        resolved, still refused, or pending: a passing failure, the reconciler publishes it later).
  ID              an id from the listing (a unique prefix of at least ${MIN_ID_PREFIX} characters will do)
  --all           every unresolved entry
  --content-type TYPE  send with this content type instead (for a 415 whose body is fine JSON)
  --dry-run       say what would be sent, send nothing

discard marks entries resolved without ingesting them: junk sent with a leaked token, a test body, a
        body kept cut short. They leave the list, and the quarantined alarm returns to OK after the
        next reconciler run once none is left. The item stays in the table; the same body sent
        again is quarantined again.
  ID | --all       as for retry
  --dry-run       say what would be discarded, change nothing

Standard output: one line per entry, tab-separated: id, outcome (resolved, still refused, failed,
not retried, would send; discarded, would discard), detail. An entry kept cut short (a body larger
than what is kept) is not retried: ask Leadsie to send it again. An entry refused again keeps the
content type Leadsie sent (not --content-type) and takes the new reason.

AWS permissions: cloudformation:DescribeStacks; dynamodb:Query on the table's state index and
dynamodb:BatchGetItem on the table; retry and discard also dynamodb:UpdateItem on the table, and
retry secretsmanager:GetSecretValue on the webhook token secret.

${TARGET_USAGE}

Exit status: 0 when every entry was resolved (list, discard and --dry-run: when
they ran), 1 otherwise, 2 on a usage error.`,
  options: {
    json: { type: 'boolean' },
    all: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    'content-type': { type: 'string' },
    ...TARGET_OPTIONS,
  },
  run: async ({ values, positionals }, io) => {
    const [action, ...ids] = positionals;
    if (action === 'list') {
      if (ids.length > 0) throw new UsageError(`quarantine list takes no ids (got "${ids[0]}")`);
      for (const option of ['all', 'dry-run']) {
        if (values[option] !== undefined) {
          throw new UsageError(`--${option} applies to quarantine retry and discard only`);
        }
      }
      if (values['content-type'] !== undefined) {
        throw new UsageError('--content-type applies to quarantine retry only');
      }
      return list(await targetFromArgs(values, io), values.json === true, io);
    }
    if (action === 'retry' || action === 'discard') {
      if (values.json !== undefined) throw new UsageError('--json applies to quarantine list only');
      if (action === 'discard' && values['content-type'] !== undefined) {
        throw new UsageError('--content-type applies to quarantine retry only');
      }
      const all = values.all === true;
      if (all === ids.length > 0) throw new UsageError(`give the ids to ${action}, or --all (not both)`);
      const contentType = typeof values['content-type'] === 'string' ? values['content-type'] : undefined;
      if (contentType === '') throw new UsageError('--content-type needs a content type');
      const target = await targetFromArgs(values, io);
      const entries = await readAll(target);
      const chosen = all ? entries : pickEntries(entries, ids);
      if (chosen.length === 0) {
        io.stderr(`nothing in quarantine on ${targetLabel(target)}\n`);
        return 0;
      }
      const dryRun = values['dry-run'] === true;
      if (action === 'discard') return discard(target, chosen, dryRun, io);
      return retry(target, chosen, { dryRun, contentType }, io);
    }
    throw new UsageError(
      action === undefined
        ? 'say what to do: list, retry or discard'
        : `unknown action "${action}"; use list, retry or discard`,
    );
  },
};
