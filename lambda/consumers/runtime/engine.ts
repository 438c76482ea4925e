/**
 * The delivery engine every consumer shares: an SQS batch handler (partial batch failures, as
 * `makeSqsConsumer`), with once-only sends, an outcome record per event, backoff that outlasts a
 * day-long outage, and dead letters with their reason. A consumer switches to it by replacing
 * `makeSqsConsumer(deps, deliver)` with `makeDeliveryEngine({ ...deps, outcomes }, deliver)`.
 *
 * Per record:
 *
 *   read the envelope ── not one (poison) ──────────────────────────▶ dead-letter queue
 *   claim its outcome ── done (and not forced) ─────────────────────▶ skip "already sent"
 *        │            └─ another copy holds the lease ──────────────▶ back after the lease
 *   deliver ── sent ──▶ done              ── skip(reason) ──▶ skipped (reason)
 *        ├─ PermanentDeliveryError ─────────────────────────────────▶ dead-lettered (reason)
 *        └─ anything else ─▶ schedule ─ retry ─▶ retrying / ambiguous, visibility = the delay
 *                                     └ past the horizon ──────────▶ dead-lettered (reason)
 *
 * A dead-lettered message is deleted from the work queue and copied to the dead-letter queue; the
 * outcome item (listed until resolved) is what says it is there, so its expiry cannot hide it.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DeadLetterSink, MessageDelayer } from '../../adapters/sqs-queues.ts';
import { FORCE_MESSAGE_ATTRIBUTE, METRIC_NAMES, type MetricName } from '../../contract.ts';
import type { ConnectionEvent } from '../../domain/envelope.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../domain/errors.ts';
import { type Log, type Metrics, noMetrics, type OnceKey } from '../../use-cases/ports.ts';
import { legacyStepOf, type OutcomeLedger, type OutcomeRef } from './outcomes.ts';
import { readEvent, UnexpectedBatchTypeError } from './read-event.ts';
import { DEFAULT_RETRY_POLICY, nextRetry, type RetryPolicy } from './schedule.ts';

/**
 * A send that may have reached the target although no answer came (a timeout after the request
 * went out): recorded as `ambiguous`, and retried like any retryable failure.
 */
export class AmbiguousDeliveryError extends RetryableDeliveryError {}

/** Errors that mean "the request may have arrived": ours, and the HTTP adapter's timeout. */
const AMBIGUOUS_ERROR_NAMES = new Set(['AmbiguousDeliveryError', 'TargetTimeoutError', 'TimeoutError']);

/** A skip the consumer decided (test payload, stale version, no user): recorded with its reason. */
export interface Skip {
  skipped: string;
  /**
   * The decision depends on what arrived since (a stale version), so an earlier copy of this event
   * may have been sent: without a claim (`once: 'on-failure'`) that send left no record.
   */
  mayFollowASend?: boolean;
}
export const skip = (reason: string, options: { mayFollowASend?: boolean } = {}): Skip => ({
  skipped: reason,
  ...options,
});

/** What a send returns: a word for the log (`posted 200`, `updated`), nothing, or a skip. */
export type DeliveryResult = string | undefined | Skip;

export interface DeliveryContext {
  /** The operator asked to send again (`replay --force`). */
  force: boolean;
  /** This try's number (1 on the first). */
  attempt: number;
  /** An earlier try claimed the event and never wrote back: its send may or may not have happened. */
  recovering: boolean;
  /**
   * Runs one part of a multi-part send (email: `team`, then `client`) at most once: a part that an
   * earlier try finished is skipped (resolves undefined).
   */
  step<T>(name: string, send: () => Promise<T>): Promise<T | undefined>;
}

/** What a consumer does with one event (the retired `makeSqsConsumer`'s `Deliver` was one of these). */
export type EngineDeliver = (
  event: ConnectionEvent,
  record: SQSRecord,
  context: DeliveryContext,
) => Promise<DeliveryResult>;

export interface EngineDeps {
  /** The consumer's name in logs, metrics, dead letters and outcome keys. */
  name: string;
  deadLetters: DeadLetterSink;
  delayer: MessageDelayer;
  log: Log;
  metrics?: Metrics;
  outcomes: OutcomeLedger;
  /**
   * `claim` (default): claim before the send, so nothing is sent twice. `on-failure`: for a target
   * that is idempotent by itself (HubSpot's upsert with its version check): no claim, and an outcome
   * is written only once a try has failed (a first try that succeeds costs no write).
   */
  once?: 'claim' | 'on-failure';
  /** Backoff and horizon; default `DEFAULT_RETRY_POLICY`. */
  policy?: RetryPolicy;
  /** How long a claim keeps other copies off, in ms; default Lambda's maximum timeout. */
  leaseMs?: number;
  /** Local mode: multiplies delays, the horizon and Retry-After; default 1. */
  timeScale?: number;
  /** The once-only records of before the cut-over (Sheets, email) that this event may have. */
  legacy?: (event: ConnectionEvent) => OnceKey[];
  now?: () => number;
  random?: () => number;
}

/** Lambda's maximum timeout: no invocation holds a claim longer. */
export const DEFAULT_LEASE_MS = 15 * 60 * 1000;
/** The message of the log line of each real send and each skip (local mode prints them). */
export const SENT_LOG_MESSAGE = 'sent';
export const SKIPPED_LOG_MESSAGE = 'skipped';

/**
 * Added to the reason of a skip decided on a retry whose earlier try went unconfirmed (its answer,
 * its `done` write or its function lost): the target may hold the event although this try skips it.
 */
export const MAYBE_SENT_NOTE = 'an earlier try may have reached the target';

/** `[slack] posted 200 in 180 ms`, `[hubspot] skipped: test payload`: the console line of local mode. */
export const outcomeLine = (fields: {
  consumer: string;
  outcome: 'sent' | 'skipped';
  detail?: string | null;
  reason?: string;
  durationMs?: number;
}): string =>
  fields.outcome === 'skipped'
    ? `[${fields.consumer}] skipped: ${fields.reason ?? 'unknown'}`
    : `[${fields.consumer}] ${fields.detail ?? 'sent'}${fields.durationMs === undefined ? '' : ` in ${fields.durationMs} ms`}`;

type Tally = 'delivered' | 'retried' | 'dead-lettered';
const TALLY_METRIC: Record<Tally, MetricName> = {
  delivered: METRIC_NAMES.deliveriesSucceeded,
  retried: METRIC_NAMES.deliveriesRetried,
  'dead-lettered': METRIC_NAMES.deliveriesDeadLettered,
};

const isSkip = (result: DeliveryResult): result is Skip => typeof result === 'object' && result !== null;
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const positive = (value: string | undefined): number | undefined => {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/** The stand-in eventId of the outcome of a message that is not a connection event. */
export const poisonEventId = (messageId: string): string => `poison:${messageId}`;

/** The force flag `replay --force` sets, as raw delivery hands it over. */
export const isForced = (record: SQSRecord): boolean =>
  record.messageAttributes?.[FORCE_MESSAGE_ATTRIBUTE.name]?.stringValue === FORCE_MESSAGE_ATTRIBUTE.value;

/** Thrown to report a record failed after its retry was arranged (delay set, outcome written). */
class RetryArranged extends Error {
  constructor(readonly seconds: number) {
    super('retry arranged');
  }
}

export const makeDeliveryEngine = (deps: EngineDeps, deliver: EngineDeliver) => {
  const { name, log, outcomes } = deps;
  const metrics = deps.metrics ?? noMetrics;
  const policy = deps.policy ?? DEFAULT_RETRY_POLICY;
  const mode = deps.once ?? 'claim';
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;

  const delay = async (record: SQSRecord, seconds: number): Promise<void> => {
    await deps.delayer.delay(record.receiptHandle, seconds).catch((error: unknown) => {
      // Nothing else to do: the message comes back after the queue's visibility timeout.
      log.warn('could not delay the message', {
        consumer: name,
        messageId: record.messageId,
        error: String(error),
      });
    });
  };

  const deadLetter = async (
    record: SQSRecord,
    reason: string,
    target?: { ref: OutcomeRef; attempts: number },
  ): Promise<Tally> => {
    // The outcome first: it is what lists the dead letter, and it outlives the queue's retention.
    if (target) await outcomes.deadLettered(target.ref, now(), reason, target.attempts);
    await deps.deadLetters.send({ body: record.body, reason, consumer: name, messageId: record.messageId });
    log.warn('sent to the dead-letter queue', {
      consumer: name,
      eventId: target?.ref.eventId,
      messageId: record.messageId,
      reason,
    });
    return 'dead-lettered';
  };

  const handleRecord = async (
    record: SQSRecord,
    receivedAtMs: number,
    inBatch: Map<string, Promise<unknown>>,
  ): Promise<Tally> => {
    const read = readEvent(record.body);
    if (!read.ok) {
      // Listed like any dead letter (under the message id: it has no eventId), so it cannot
      // disappear with the dead-letter queue's retention either.
      const poison = { consumer: name, eventId: poisonEventId(record.messageId), version: 0 };
      return deadLetter(record, read.reason, { ref: poison, attempts: 1 });
    }
    const { event } = read;
    const ref: OutcomeRef = { consumer: name, eventId: event.eventId, version: event.version };
    // Copies of one event in one batch go one after the other: the later ones find it done, instead
    // of finding it claimed and waiting out the lease. When the earlier copy was just tried and
    // failed, a later one waits as long without a try of its own.
    const key = event.eventId;
    const earlier = inBatch.get(key) ?? Promise.resolve();
    const mine = earlier.then(
      () => handleEvent(record, receivedAtMs, event, ref),
      async (error: unknown) => {
        if (!(error instanceof RetryArranged)) return handleEvent(record, receivedAtMs, event, ref);
        await delay(record, error.seconds);
        throw new RetryArranged(error.seconds);
      },
    );
    inBatch.set(key, mine);
    return mine;
  };

  const handleEvent = async (
    record: SQSRecord,
    receivedAtMs: number,
    event: ConnectionEvent,
    ref: OutcomeRef,
  ): Promise<Tally> => {
    const force = isForced(record);
    const receiveCount = positive(record.attributes?.ApproximateReceiveCount) ?? 1;

    let attempts = receiveCount;
    let recovering = false;
    // Without a claim the earlier tries are unknown: any of them may have reached the target.
    let unconfirmedEarlierTry = mode !== 'claim' && receiveCount > 1;
    let previousDelaySeconds: number | null = null;
    const steps: Record<string, string> = {};
    const recorded = mode === 'claim';

    if (mode === 'claim') {
      const nowMs = now();
      const claim = await outcomes.claim(ref, { nowMs, leaseUntil: nowMs + leaseMs, force });
      if (claim.outcome === 'done') {
        log.info(SKIPPED_LOG_MESSAGE, { consumer: name, eventId: event.eventId, reason: 'already sent' });
        return 'delivered';
      }
      if (claim.outcome === 'busy') {
        // Two copies at once: this one comes back when the other's lease ends, and finds it done.
        const seconds = Math.max(1, Math.ceil((claim.leaseUntil - nowMs) / 1000));
        await delay(record, seconds);
        log.info('another copy is being delivered; will look again', {
          consumer: name,
          eventId: event.eventId,
        });
        throw new RetryArranged(seconds);
      }
      attempts = claim.attempts;
      recovering = claim.recovering;
      const before = claim.outcomeBefore;
      unconfirmedEarlierTry =
        recovering ||
        claim.previous === 'ambiguous' ||
        claim.previous === 'retrying' ||
        claim.previous === 'dead-lettered' ||
        (claim.previous === 'skipped' && (before?.reason ?? '').includes(MAYBE_SENT_NOTE));
      previousDelaySeconds = claim.outcomeBefore?.lastDelaySeconds ?? null;
      // A forced send starts over: every part is sent again.
      if (!force) Object.assign(steps, claim.outcomeBefore?.steps ?? {});
      if (deps.legacy && claim.previous === null && !force) {
        const keys = deps.legacy(event);
        const done = await Promise.all(keys.map((key) => outcomes.legacyDone(key)));
        if (keys.length > 0 && done.every(Boolean)) {
          await outcomes.done(ref, now(), 'sent before the cut-over', attempts);
          log.info(SKIPPED_LOG_MESSAGE, { consumer: name, eventId: event.eventId, reason: 'already sent' });
          return 'delivered';
        }
        for (const [i, key] of keys.entries()) {
          if (!done[i]) continue;
          await outcomes.stepDone(ref, legacyStepOf(key), now());
          steps[legacyStepOf(key)] = new Date(now()).toISOString();
        }
      }
    }

    const context: DeliveryContext = {
      force,
      attempt: attempts,
      recovering,
      step: async (stepName, send) => {
        if (recorded && steps[stepName] !== undefined) return undefined;
        const result = await send();
        if (recorded) {
          await outcomes.stepDone(ref, stepName, now());
          steps[stepName] = new Date(now()).toISOString();
        }
        return result;
      },
    };

    const startedMs = now();
    let result: DeliveryResult;
    try {
      result = await deliver(event, record, context);
    } catch (error) {
      if (error instanceof PermanentDeliveryError) {
        return deadLetter(record, error.message, { ref, attempts });
      }
      const retryAfterSeconds = error instanceof RetryableDeliveryError ? error.retryAfterSeconds : undefined;
      const nowMs = now();
      const decision = nextRetry({
        policy,
        attempts,
        previousDelaySeconds,
        sentAtMs: positive(record.attributes?.SentTimestamp) ?? receivedAtMs,
        receivedAtMs,
        nowMs,
        retryAfterSeconds,
        random,
        timeScale: deps.timeScale,
      });
      if (decision.action === 'dead-letter') {
        return deadLetter(record, `${decision.reason}; last error: ${errorText(error)}`, { ref, attempts });
      }
      const ambiguous = error instanceof Error && AMBIGUOUS_ERROR_NAMES.has(error.name);
      await outcomes.failed(ref, {
        nowMs,
        state: ambiguous ? 'ambiguous' : 'retrying',
        attempts,
        lastError: errorText(error),
        nextAttemptAt: new Date(decision.nextAttemptAtMs).toISOString(),
        lastDelaySeconds: decision.wantedSeconds,
      });
      await delay(record, decision.visibilitySeconds);
      const fields = {
        consumer: name,
        eventId: event.eventId,
        attempt: attempts,
        reason: errorText(error),
        retryInSeconds: decision.visibilitySeconds,
        ambiguous,
      };
      if (error instanceof RetryableDeliveryError) log.warn('delivery failed; will retry', fields);
      else log.error('unexpected error; will retry', { ...fields, error });
      throw new RetryArranged(decision.visibilitySeconds);
    }

    const durationMs = now() - startedMs;
    if (isSkip(result)) {
      const maybeSent = (unconfirmedEarlierTry || (!recorded && result.mayFollowASend === true)) && !force;
      const reason = maybeSent ? `${result.skipped}; ${MAYBE_SENT_NOTE}` : result.skipped;
      await outcomes.skipped(ref, now(), reason, attempts);
      log.info(SKIPPED_LOG_MESSAGE, { consumer: name, eventId: event.eventId, reason });
      return 'delivered';
    }
    // Without a claim, a first try that worked leaves no record (it costs nothing); later tries
    // close the record their failures opened.
    if (recorded || receiveCount > 1) await outcomes.done(ref, now(), result ?? null, attempts);
    log.info(SENT_LOG_MESSAGE, {
      consumer: name,
      eventId: event.eventId,
      version: event.version,
      detail: result ?? 'sent',
      durationMs,
      attempt: attempts,
      ...(force ? { forced: true } : {}),
    });
    return 'delivered';
  };

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    if (!Array.isArray(event?.Records)) throw new UnexpectedBatchTypeError();
    const receivedAtMs = now();
    const inBatch = new Map<string, Promise<unknown>>();
    const batchItemFailures: SQSBatchItemFailure[] = [];
    const tally: Record<Tally, number> = { delivered: 0, retried: 0, 'dead-lettered': 0 };
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          tally[await handleRecord(record, receivedAtMs, inBatch)]++;
        } catch (error) {
          // A claim or an outcome write that failed (the table unavailable), or a dead letter that
          // could not be sent: SQS gives the record back after the queue's visibility timeout.
          if (!(error instanceof RetryArranged)) {
            log.error('could not process the record; will retry', {
              consumer: name,
              messageId: record.messageId,
              error: String(error),
            });
          }
          tally.retried++;
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    for (const [outcome, count] of Object.entries(tally) as [Tally, number][]) {
      if (count > 0) metrics.count(TALLY_METRIC[outcome], count, { consumer: name });
    }
    return { batchItemFailures };
  };
};
