/**
 * Retrying one quarantined entry: what `cli quarantine retry` does per entry and the operator
 * console's "retry" button does, in one place. The caller prints (or renders) the result.
 *
 *   entry names a fingerprint ─▶ resumeQuarantinedDelivery (publish the stored delivery)
 *   body kept cut short       ─▶ not retried
 *   otherwise                 ─▶ POST the body to the webhook as Leadsie would ─▶ 2xx: resolved
 */
import { DEFAULTS } from '../lambda/contract.ts';
import type { Log, QuarantineEntry } from '../lambda/use-cases/ports.ts';
import { resumeQuarantinedDelivery } from '../lambda/use-cases/resume-quarantined-delivery.ts';
import { CliError } from './errors.ts';
import { connectionStore, describeStoreError, eventPublisher, type Target } from './target.ts';
import { postWebhook } from './webhook-post.ts';

/** The use cases' log lines are not for the operator: the caller reports each outcome itself. */
const quietLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

export type QuarantineRetryResult =
  /** Ingested (or published from the store); `note` says how. */
  | {
      kind: 'resolved';
      eventId: string;
      note: 'published' | 'already published' | 'ingested' | 'already stored';
    }
  /** Ingest (or the topic) refused it again; it stays quarantined. */
  | { kind: 'still refused'; detail: string }
  /** The stored delivery is pending again: the reconciler publishes it. */
  | { kind: 'pending'; eventId: string; reason: string }
  /** The stored delivery it names no longer exists. */
  | { kind: 'gone'; fingerprint: string }
  /** Only part of its body was kept: it cannot be sent again. */
  | { kind: 'not retried'; detail: string }
  /** The webhook answered a server error. */
  | { kind: 'failed'; detail: string };

export const isTruncated = (entry: QuarantineEntry): boolean => entry.body.length < entry.bodyBytes;

/**
 * Retries one entry against the target. Throws a CliError when the target cannot be reached (the
 * webhook, the store): every other entry would fail the same way.
 */
export const retryQuarantined = async (
  target: Target,
  entry: QuarantineEntry,
  options: { contentType?: string | undefined; now: () => Date; webhookUrl: string },
): Promise<QuarantineRetryResult> => {
  const short = entry.id.slice(0, 12);
  const store = connectionStore(target);
  if (entry.fingerprint !== null) {
    const fingerprint = entry.fingerprint;
    const outcome = await resumeQuarantinedDelivery(
      {
        store,
        quarantine: store,
        publisher: eventPublisher(target),
        log: quietLog,
        now: options.now,
        leaseMs: DEFAULTS.leaseMs,
      },
      { id: entry.id, fingerprint },
    ).catch((error: unknown) => {
      throw new CliError(describeStoreError(target, error, `resuming the delivery of ${short}`));
    });
    switch (outcome.outcome) {
      case 'published':
        return { kind: 'resolved', eventId: outcome.eventId, note: 'published' };
      case 'already-published':
        return { kind: 'resolved', eventId: outcome.eventId, note: 'already published' };
      case 'still-refused':
        return {
          kind: 'still refused',
          detail: `the topic refused the event ${outcome.eventId} again; see cli quarantine list`,
        };
      case 'pending':
        return { kind: 'pending', eventId: outcome.eventId, reason: outcome.reason };
      default:
        return { kind: 'gone', fingerprint };
    }
  }
  if (isTruncated(entry)) {
    return {
      kind: 'not retried',
      detail: `only ${entry.body.length} of its ${entry.bodyBytes} bytes were kept; ask Leadsie to send it again`,
    };
  }
  const answer = await postWebhook(options.webhookUrl, entry.body, options.contentType ?? entry.contentType);
  const body = (answer.json ?? {}) as { eventId?: unknown; duplicate?: unknown; error?: unknown };
  if (answer.ok && typeof body.eventId === 'string') {
    try {
      await store.resolveQuarantined(entry.id, body.eventId, options.now().toISOString());
    } catch (error) {
      throw new CliError(
        describeStoreError(target, error, `ingested as ${body.eventId}, but marking ${short} resolved`),
      );
    }
    return {
      kind: 'resolved',
      eventId: body.eventId,
      note: body.duplicate === true ? 'already stored' : 'ingested',
    };
  }
  const error = typeof body.error === 'string' ? body.error : answer.text.slice(0, 200);
  const detail = `HTTP ${answer.status}: ${error}`;
  return answer.status >= 400 && answer.status < 500
    ? { kind: 'still refused', detail }
    : { kind: 'failed', detail };
};
