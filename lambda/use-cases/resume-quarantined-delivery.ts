/**
 * `quarantine retry` of a stored delivery the topic would not take (an entry with a fingerprint):
 * sending its body to the webhook again would only find the stored duplicate, so the delivery is
 * resumed from the store instead:
 *
 *   getDelivery → published already? resolve the entry
 *     → requeue (back in the pending index, due now, attempts reset) → resolve the entry
 *     → claim → completeDelivery (publish from the stored body, mark published)
 *         ├ the topic refuses it again → quarantined again (the same entry reopens): still-refused
 *         └ a transient failure → it stays pending: the reconciler publishes it later
 */
import { UnpublishableEventError } from '../domain/errors.ts';
import type { LeadsiePayload } from '../domain/payload.ts';
import { payloadOfDelivery } from './envelope-of-delivery.ts';
import { type CompleteDeps, completeDelivery } from './ingest-delivery.ts';
import type { QuarantineStore } from './ports.ts';
import { quarantineDelivery } from './quarantine-request.ts';

export interface ResumeDeps extends Omit<CompleteDeps, 'quarantine'> {
  quarantine: Pick<QuarantineStore, 'quarantine' | 'resolveQuarantined'>;
  leaseMs: number;
}

export type ResumeOutcome =
  | { outcome: 'published'; eventId: string }
  | { outcome: 'already-published'; eventId: string }
  | { outcome: 'still-refused'; eventId: string; quarantineId: string }
  | { outcome: 'pending'; eventId: string; reason: string }
  | { outcome: 'gone' };

export const resumeQuarantinedDelivery = async (
  deps: ResumeDeps,
  entry: { id: string; fingerprint: string },
): Promise<ResumeOutcome> => {
  const delivery = await deps.store.getDelivery(entry.fingerprint);
  if (delivery === null) return { outcome: 'gone' };
  const now = deps.now();
  if (delivery.publishedAt !== null) {
    await deps.quarantine.resolveQuarantined(entry.id, delivery.eventId, now.toISOString());
    return { outcome: 'already-published', eventId: delivery.eventId };
  }
  if (delivery.quarantineId !== null) await deps.store.requeueDelivery(delivery, now.toISOString());
  // Resolved before the attempt: a refusal quarantines it again, which reopens this same entry.
  await deps.quarantine.resolveQuarantined(entry.id, delivery.eventId, now.toISOString());
  const claimed = await deps.store.claimDelivery(
    delivery.fingerprint,
    now.getTime(),
    now.getTime() + deps.leaseMs,
  );
  if (!claimed) {
    return { outcome: 'pending', eventId: delivery.eventId, reason: 'another request is publishing it' };
  }
  const resumed = { ...delivery, quarantineId: null, publishAttempts: 0 };
  let payload: LeadsiePayload;
  try {
    payload = payloadOfDelivery(resumed);
  } catch (error) {
    const quarantineId = await quarantineDelivery(deps, resumed, resumed.version, {
      status: 422,
      kind: 'unpublishable-event',
      message: error instanceof Error ? error.message : String(error),
      problems: [],
    });
    return { outcome: 'still-refused', eventId: delivery.eventId, quarantineId };
  }
  try {
    await completeDelivery(deps, resumed, payload);
    return { outcome: 'published', eventId: delivery.eventId };
  } catch (error) {
    if (error instanceof UnpublishableEventError) {
      return {
        outcome: 'still-refused',
        eventId: delivery.eventId,
        quarantineId: error.quarantineId ?? entry.id,
      };
    }
    return {
      outcome: 'pending',
      eventId: delivery.eventId,
      reason: error instanceof Error ? error.message : String(error),
    };
  }
};
