/**
 * The pending-publish reconciler: deliveries that were stored but never published (the topic failed
 * and Leadsie did not retry, or a function died half-way) are completed here, on a schedule:
 *
 *   pending index (oldest first) → skip those another request holds (lease) → claim
 *     → completeDelivery (version if missing, envelope, publish, mark published)
 *
 * It is the same path a redelivery takes, so a delivery is published with the same eventId and
 * version whichever of the two gets to it first, and the claim keeps them from racing.
 *
 * Counted: each publish and publish failure (in `completeDelivery`), and the run's backlog
 * (`ReconcilerBacklog`, one value per run, 0 included: the backlog alarm reads its minimum).
 */

import { METRIC_NAMES } from '../contract.ts';
import { payloadOfDelivery } from './envelope-of-delivery.ts';
import type { IngestDeps } from './ingest-delivery.ts';
import { completeDelivery } from './ingest-delivery.ts';
import { noMetrics, type PendingDeliveries } from './ports.ts';

export interface ReconcileDeps
  extends Pick<IngestDeps, 'store' | 'publisher' | 'log' | 'now' | 'leaseMs' | 'metrics'> {
  pending: PendingDeliveries;
}

export interface ReconcileSummary {
  /** Pending deliveries read (at most the limit). */
  found: number;
  published: number;
  /** Held by a request that is still working on them. */
  inFlight: number;
  failed: number;
  /** Still pending after this run: found − published. */
  backlog: number;
}

export const reconcilePending = async (deps: ReconcileDeps, limit: number): Promise<ReconcileSummary> => {
  const pending = await deps.pending.pendingDeliveries(limit);
  const summary: ReconcileSummary = {
    found: pending.length,
    published: 0,
    inFlight: 0,
    failed: 0,
    backlog: 0,
  };
  for (const delivery of pending) {
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
      await completeDelivery(deps, delivery, payloadOfDelivery(delivery));
      summary.published++;
      deps.log.info('reconciler published a pending delivery', { eventId: delivery.eventId });
    } catch (error) {
      summary.failed++;
      deps.log.error('reconciler could not publish a pending delivery', {
        eventId: delivery.eventId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
  summary.backlog = summary.found - summary.published;
  (deps.metrics ?? noMetrics).count(METRIC_NAMES.reconcilerBacklog, summary.backlog);
  return summary;
};
