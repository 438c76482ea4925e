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
 * Counted: each publish and publish failure (in `completeDelivery`), the run's backlog
 * (`ReconcilerBacklog`, one value per run, 0 included: the backlog alarm reads its minimum), and
 * the unresolved quarantine entries (`QuarantinedRequests`, one value per run: the `quarantined`
 * alarm fires while it is above 0, so a refused request is not forgotten once its 4xx is answered).
 */

import { METRIC_NAMES } from '../contract.ts';
import { payloadOfDelivery } from './envelope-of-delivery.ts';
import type { IngestDeps } from './ingest-delivery.ts';
import { completeDelivery } from './ingest-delivery.ts';
import { noMetrics, type PendingDeliveries, type QuarantineStore } from './ports.ts';

export interface ReconcileDeps
  extends Pick<IngestDeps, 'store' | 'publisher' | 'log' | 'now' | 'leaseMs' | 'metrics'> {
  pending: PendingDeliveries;
  /** Where the unresolved quarantine entries are counted; none: not counted. */
  quarantine?: Pick<QuarantineStore, 'countQuarantined'>;
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
  /** Unresolved quarantine entries; null when they could not be counted (or no store was given). */
  quarantined: number | null;
}

export const reconcilePending = async (deps: ReconcileDeps, limit: number): Promise<ReconcileSummary> => {
  const pending = await deps.pending.pendingDeliveries(limit);
  const summary: ReconcileSummary = {
    found: pending.length,
    published: 0,
    inFlight: 0,
    failed: 0,
    backlog: 0,
    quarantined: null,
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
  const metrics = deps.metrics ?? noMetrics;
  metrics.count(METRIC_NAMES.reconcilerBacklog, summary.backlog);
  if (deps.quarantine) {
    try {
      summary.quarantined = await deps.quarantine.countQuarantined();
      metrics.count(METRIC_NAMES.quarantinedRequests, summary.quarantined);
    } catch (error) {
      // The run's own work is done; a missing value leaves the alarm in its state until the next run.
      deps.log.error('reconciler could not count the quarantined requests', {
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
  return summary;
};
