/**
 * The envelope of a stored delivery, rebuilt from its raw body exactly as it was first published
 * (same eventId, fingerprint, receivedAt and version): for replay; and the payload of a stored
 * delivery, for the reconciler that completes pending ones.
 */
import { buildEnvelope, type ConnectionEvent } from '../domain/envelope.ts';
import { type LeadsiePayload, parsePayload } from '../domain/payload.ts';
import type { StoredDelivery } from './ports.ts';

/** The validated payload of a stored delivery, read back from its raw body. */
export const payloadOfDelivery = (delivery: StoredDelivery): LeadsiePayload => {
  const text = delivery.rawBody.charCodeAt(0) === 0xfeff ? delivery.rawBody.slice(1) : delivery.rawBody;
  const parsed = parsePayload(JSON.parse(text));
  if (!parsed.ok) {
    // It was valid when stored; a schema change since then is a bug to see, not to skip silently.
    throw new Error(
      `stored delivery ${delivery.eventId} no longer validates: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
  }
  return parsed.payload;
};

export const envelopeOfDelivery = (delivery: StoredDelivery): ConnectionEvent =>
  buildEnvelope({
    payload: payloadOfDelivery(delivery),
    eventId: delivery.eventId,
    fingerprint: delivery.fingerprint,
    receivedAt: delivery.receivedAt,
    version: delivery.version ?? 0,
  });
