/**
 * Replay stored deliveries: publish the envelope of each one again, exactly as it was first
 * published (same eventId, fingerprint, receivedAt, version), so consumers that missed events (a new
 * subscriber, an outage) catch up. Consumers recognise a repeat by eventId and ignore an older version.
 *
 *   deliveries (oldest first) → filter (user, status) → complete? → rebuild envelope → publish
 *                                   │ no: skipped          │ no: skipped   │ throws: failed   │ throws: failed
 *
 * One delivery that cannot be rebuilt or published is counted and reported, never fatal: the rest
 * still go. A dry run does everything but publish, so it lists exactly what a real run sends.
 */
import type { ConnectionEvent } from '../domain/envelope.ts';
import { envelopeOfDelivery } from './envelope-of-delivery.ts';
import type { EventPublisher, StoredDelivery } from './ports.ts';

export interface ReplayFilter {
  /** Keep only deliveries of these users (exact match); absent or empty: every user. */
  users?: readonly string[];
  /** Keep only deliveries with these statuses (case-insensitive); absent or empty: every status. */
  statuses?: readonly string[];
}

/**
 * Why a delivery was not sent: it does not match the filter, it was never given a version, or the
 * one consumer replayed to does not take it (its subscription's filter policy).
 */
export type SkipReason = 'filtered' | 'incomplete' | 'not-subscribed';

export type ReplayOutcome =
  /** Published (or, in a dry run, would be). */
  | { kind: 'sent'; delivery: StoredDelivery; event: ConnectionEvent }
  | { kind: 'skipped'; delivery: StoredDelivery; reason: SkipReason }
  | { kind: 'failed'; delivery: StoredDelivery; stage: 'rebuild' | 'publish'; error: string };

export interface ReplaySummary {
  dryRun: boolean;
  /** Deliveries read from the input. */
  examined: number;
  /** Published, or in a dry run, would be. */
  sent: number;
  skipped: number;
  skippedByReason: Record<SkipReason, number>;
  failed: number;
}

export interface ReplayInput {
  /** The deliveries to consider, typically a time range of the store, oldest first. */
  deliveries: AsyncIterable<StoredDelivery>;
  filter?: ReplayFilter;
  publisher: EventPublisher;
  /** False for an event the publisher's one consumer would not receive (`replay --consumer`). */
  accepts?: (event: ConnectionEvent) => boolean;
  /** Rebuild and report every envelope, publish none. */
  dryRun?: boolean;
  /** Called once per delivery, after its outcome is known, with the counts so far. */
  onProgress?: (outcome: ReplayOutcome, summary: Readonly<ReplaySummary>) => void;
}

/** True when the delivery passes the filter. */
export const matchesFilter = (delivery: StoredDelivery, filter: ReplayFilter = {}): boolean => {
  if (filter.users && filter.users.length > 0) {
    if (delivery.user === null || !filter.users.includes(delivery.user)) return false;
  }
  if (filter.statuses && filter.statuses.length > 0) {
    const status = delivery.status?.toUpperCase();
    if (status === undefined || !filter.statuses.some((s) => s.toUpperCase() === status)) return false;
  }
  return true;
};

/**
 * A delivery whose latest state was never advanced has no version yet: its envelope would not be
 * the one ingest publishes. The next redelivery (or the reconciler) completes and publishes it.
 */
export const isComplete = (delivery: StoredDelivery): boolean => delivery.version !== null;

const describe = (error: unknown): string =>
  error instanceof Error
    ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
    : String(error);

/** What replaying one delivery comes to; publishes unless `dryRun`. Never throws. */
export const replayOne = async (
  delivery: StoredDelivery,
  options: {
    filter?: ReplayFilter;
    publisher: EventPublisher;
    accepts?: (event: ConnectionEvent) => boolean;
    dryRun?: boolean;
  },
): Promise<ReplayOutcome> => {
  if (!matchesFilter(delivery, options.filter)) return { kind: 'skipped', delivery, reason: 'filtered' };
  if (!isComplete(delivery)) return { kind: 'skipped', delivery, reason: 'incomplete' };
  let event: ConnectionEvent;
  try {
    event = envelopeOfDelivery(delivery);
  } catch (error) {
    return { kind: 'failed', delivery, stage: 'rebuild', error: describe(error) };
  }
  if (options.accepts && !options.accepts(event))
    return { kind: 'skipped', delivery, reason: 'not-subscribed' };
  if (!options.dryRun) {
    try {
      await options.publisher.publish(event);
    } catch (error) {
      return { kind: 'failed', delivery, stage: 'publish', error: describe(error) };
    }
  }
  return { kind: 'sent', delivery, event };
};

/** Replays every delivery of the input, in order, one at a time; returns the counts. */
export const replayDeliveries = async (input: ReplayInput): Promise<ReplaySummary> => {
  const summary: ReplaySummary = {
    dryRun: input.dryRun === true,
    examined: 0,
    sent: 0,
    skipped: 0,
    skippedByReason: { filtered: 0, incomplete: 0, 'not-subscribed': 0 },
    failed: 0,
  };
  for await (const delivery of input.deliveries) {
    const outcome = await replayOne(delivery, input);
    summary.examined++;
    if (outcome.kind === 'sent') summary.sent++;
    else if (outcome.kind === 'failed') summary.failed++;
    else {
      summary.skipped++;
      summary.skippedByReason[outcome.reason]++;
    }
    input.onProgress?.(outcome, summary);
  }
  return summary;
};
