/**
 * The pending-publish reconciler: deliveries that were stored but never published (the topic failed
 * and Leadsie did not retry, or a function died half-way) are completed here, on a schedule:
 *
 *   pending index, due ones only (next attempt time passed), page by page
 *     → skip those another request holds (lease) → claim
 *     → completeDelivery (version if missing, envelope, publish, mark published)
 *         ├ transient failure → the attempt is counted, the delivery backs off (its own next attempt
 *         │                     time), the run goes on with the next one
 *         └ permanent failure, or the last attempt → quarantined (leaves the pending index)
 *
 * No delivery blocks another: every due one is read (up to the run's limit), whatever the size of
 * those before it, and one that fails moves behind the others. It is the same path a redelivery
 * takes, so a delivery is published with the same eventId and version whichever of the two gets to
 * it first, and the claim keeps them (and two overlapping runs) from racing.
 *
 * Counted: each publish and publish failure (in `completeDelivery`), the run's backlog
 * (`ReconcilerBacklog`: every pending delivery after the run, in backoff or not, one value per run,
 * 0 included: the backlog alarm reads its minimum), and the unresolved quarantine entries
 * (`QuarantinedRequests`, one value per run: the `quarantined` alarm fires while it is above 0, so a
 * refused request or an unpublishable delivery is not forgotten), and each configured consumer's
 * unresolved dead letters (`DeadLettersUnresolved`, dimension `consumer`, 0 included: the outcome
 * records, which unlike a dead-letter queue's depth do not drop when SQS expires a message).
 */

import { METRIC_NAMES } from '../contract.ts';
import { UnpublishableEventError } from '../domain/errors.ts';
import type { LeadsiePayload } from '../domain/payload.ts';
import { payloadOfDelivery } from './envelope-of-delivery.ts';
import { type CompleteDeps, completeDelivery, type RetryPolicy } from './ingest-delivery.ts';
import { noMetrics, type PendingDeliveries, type QuarantineStore } from './ports.ts';
import { quarantineDelivery } from './quarantine-request.ts';

export interface ReconcileDeps extends Omit<CompleteDeps, 'quarantine'> {
  pending: PendingDeliveries;
  /** Where unpublishable deliveries are kept, and the unresolved entries counted. */
  quarantine: Pick<QuarantineStore, 'quarantine' | 'countQuarantined'>;
  leaseMs: number;
  /** Attempts and backoff of a delivery that fails to publish. */
  retry: RetryPolicy;
  /** The configured consumers and the ledger of their outcome records; absent: not counted. */
  deadLetters?: {
    consumers: readonly string[];
    ledger: { countDeadLetters(consumer: string): Promise<number> };
  };
}

export interface ReconcileSummary {
  /** Due pending deliveries read (up to the limit). */
  found: number;
  published: number;
  /** Held by a request that is still working on them. */
  inFlight: number;
  /** Failed this run and backed off (they stay pending). */
  failed: number;
  /** Quarantined this run: the topic refused them, or this was their last attempt. */
  quarantinedNow: number;
  /** Every delivery still pending after this run, those in backoff included; null when it could not be counted. */
  backlog: number | null;
  /** Unresolved quarantine entries; null when they could not be counted. */
  quarantined: number | null;
  /** Unresolved dead letters by consumer (when counted); a consumer whose count failed is left out. */
  deadLetters?: Record<string, number>;
}

const summaryOf = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

export const reconcilePending = async (deps: ReconcileDeps, limit: number): Promise<ReconcileSummary> => {
  const summary: ReconcileSummary = {
    found: 0,
    published: 0,
    inFlight: 0,
    failed: 0,
    quarantinedNow: 0,
    backlog: null,
    quarantined: null,
  };
  const metrics = deps.metrics ?? noMetrics;
  pages: for await (const page of deps.pending.duePending(deps.now())) {
    for (const delivery of page) {
      if (summary.found >= limit) break pages;
      summary.found++;
      const now = deps.now().getTime();
      if (delivery.leaseUntil > now) {
        summary.inFlight++;
        continue;
      }
      try {
        if (!(await deps.store.claimDelivery(delivery.fingerprint, now, now + deps.leaseMs))) {
          summary.inFlight++;
          continue;
        }
        let payload: LeadsiePayload;
        try {
          payload = payloadOfDelivery(delivery);
        } catch (error) {
          // Its body no longer reads as a payload: no attempt will ever publish it.
          await quarantineDelivery(deps, delivery, delivery.version, {
            status: 422,
            kind: 'unpublishable-event',
            message: summaryOf(error),
            problems: [],
          });
          summary.quarantinedNow++;
          continue;
        }
        await completeDelivery(deps, delivery, payload, undefined, deps.retry);
        summary.published++;
        deps.log.info('reconciler published a pending delivery', { eventId: delivery.eventId });
      } catch (error) {
        if (error instanceof UnpublishableEventError) {
          summary.quarantinedNow++;
          continue;
        }
        summary.failed++;
        deps.log.error('reconciler could not publish a pending delivery', {
          eventId: delivery.eventId,
          error: summaryOf(error),
        });
      }
    }
  }
  try {
    summary.backlog = await deps.pending.countPending();
    metrics.count(METRIC_NAMES.reconcilerBacklog, summary.backlog);
  } catch (error) {
    deps.log.error('reconciler could not count the pending deliveries', { error: summaryOf(error) });
  }
  try {
    summary.quarantined = await deps.quarantine.countQuarantined();
    metrics.count(METRIC_NAMES.quarantinedRequests, summary.quarantined);
  } catch (error) {
    // The run's own work is done; a missing value leaves the alarm in its state until the next run.
    deps.log.error('reconciler could not count the quarantined requests', { error: summaryOf(error) });
  }
  if (deps.deadLetters) summary.deadLetters = {};
  for (const consumer of deps.deadLetters?.consumers ?? []) {
    try {
      const count = await (deps.deadLetters?.ledger.countDeadLetters(consumer) ?? 0);
      if (summary.deadLetters) summary.deadLetters[consumer] = count;
      metrics.count(METRIC_NAMES.deadLettersUnresolved, count, { consumer });
    } catch (error) {
      deps.log.error('reconciler could not count the dead letters', { consumer, error: summaryOf(error) });
    }
  }
  return summary;
};
