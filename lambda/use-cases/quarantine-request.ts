/**
 * Quarantine: an authenticated request whose body cannot be ingested (not JSON, not a Leadsie
 * payload, an unsupported content type, too large) is still kept, so a payload Leadsie changes
 * tomorrow is never lost:
 *
 *   ingest refuses the body (4xx) → quarantineRequest keeps body + reasons → 4xx with quarantineId
 *        └─ store unavailable → 503, so Leadsie retries and the body is kept on a later attempt
 *
 *   later: `cli quarantine list` shows it; after a fix, `cli quarantine retry` sends the body again
 *   through the webhook and marks the entry resolved when ingest accepts it.
 *
 * A stored delivery the topic will never take (see `classifyPublishFailure`) is quarantined too, in
 * an entry that names its fingerprint (`quarantineDelivery`); it leaves the pending deliveries, and
 * `quarantine retry` puts it back and publishes it from the store (`resumeQuarantinedDelivery`):
 * sending its body again would only find the stored duplicate.
 *
 * Unauthenticated requests never get here: the token is checked before the body is read.
 */
import { createHash } from 'node:crypto';
import { MAX_KEPT_BODY_BYTES, METRIC_NAMES } from '../contract.ts';
import {
  DependencyUnavailableError,
  InvalidPayloadError,
  PayloadTooLargeError,
  type PipelineError,
  UnsupportedMediaTypeError,
} from '../domain/errors.ts';
import {
  type ConnectionStore,
  type Log,
  type Metrics,
  noMetrics,
  type QuarantineReason,
  type QuarantineStore,
  type StoredDelivery,
} from './ports.ts';

/**
 * Most body bytes kept per quarantined request (a DynamoDB item holds 400 KB, and the reasons need
 * room too): `maxBodyBytes` is at most this, so only a body over the limit (a 413) can be longer;
 * it is kept cut at this size and marked so (it cannot be retried).
 */
export const QUARANTINE_MAX_BODY_BYTES = MAX_KEPT_BODY_BYTES;

/** The refusals a request is quarantined for: its body, not its credentials or the system, was wrong. */
export const isQuarantinable = (
  error: unknown,
): error is InvalidPayloadError | UnsupportedMediaTypeError | PayloadTooLargeError =>
  error instanceof InvalidPayloadError ||
  error instanceof UnsupportedMediaTypeError ||
  error instanceof PayloadTooLargeError;

export interface QuarantineDeps {
  quarantine: QuarantineStore;
  log: Log;
  now: () => Date;
  /** Counts `WebhooksQuarantined`; nothing is counted without it. */
  metrics?: Metrics;
}

export interface RefusedRequest {
  /** The body's bytes, exactly as received. */
  body: Uint8Array;
  contentType: string | null;
}

/** Hex SHA-256 of a body: the id of its quarantine entry. */
export const quarantineId = (body: Uint8Array): string => createHash('sha256').update(body).digest('hex');

/**
 * Keeps a refused request and returns its quarantine id. Throws DependencyUnavailableError when the
 * store cannot keep it: the caller must then not answer 4xx, or the body would be lost.
 */
export const quarantineRequest = async (
  deps: QuarantineDeps,
  request: RefusedRequest,
  error: PipelineError,
  status: number,
): Promise<string> => {
  const id = quarantineId(request.body);
  const reason: QuarantineReason = {
    status,
    kind: error.kind,
    message: error.message,
    problems: error instanceof InvalidPayloadError ? error.problems : [],
  };
  try {
    const { attempts } = await deps.quarantine.quarantine({
      id,
      receivedAt: deps.now().toISOString(),
      contentType: request.contentType,
      body: request.body.subarray(0, QUARANTINE_MAX_BODY_BYTES),
      bodyBytes: request.body.length,
      reason,
    });
    // Ids and kinds only: the body may hold client and asset names.
    deps.log.warn('request quarantined', { quarantineId: id, kind: error.kind, status, attempts });
    (deps.metrics ?? noMetrics).count(METRIC_NAMES.webhooksQuarantined);
    return id;
  } catch (storeError) {
    deps.log.error('could not quarantine a refused request; answering 503 so it is sent again', {
      quarantineId: id,
      kind: error.kind,
      error: storeError instanceof Error ? `${storeError.name}: ${storeError.message}` : String(storeError),
    });
    throw new DependencyUnavailableError(
      `The request was refused (${error.message}) and could not be kept; retry later`,
      'store',
      { cause: storeError },
    );
  }
};

/** What a stored delivery's quarantine needs: both stores, the log, the clock. */
export interface DeliveryQuarantineDeps extends Omit<QuarantineDeps, 'quarantine'> {
  quarantine: Pick<QuarantineStore, 'quarantine'>;
  store: Pick<ConnectionStore, 'quarantineDelivery'>;
}

/**
 * Quarantines a stored delivery the topic will not take: an entry (keyed by its body, as a refused
 * request with that body would be, and naming its fingerprint) first, so the alarm sees it, then the
 * delivery leaves the pending index. Returns the entry's id; a store failure propagates (the delivery
 * then stays pending, and the next attempt quarantines it).
 */
export const quarantineDelivery = async (
  deps: DeliveryQuarantineDeps,
  delivery: Pick<StoredDelivery, 'fingerprint' | 'eventId' | 'rawBody'>,
  version: number | null,
  reason: QuarantineReason,
): Promise<string> => {
  const body = Buffer.from(delivery.rawBody, 'utf8');
  const id = quarantineId(body);
  const { attempts } = await deps.quarantine.quarantine({
    id,
    receivedAt: deps.now().toISOString(),
    contentType: 'application/json',
    body: body.subarray(0, QUARANTINE_MAX_BODY_BYTES),
    bodyBytes: body.length,
    reason,
    fingerprint: delivery.fingerprint,
  });
  await deps.store.quarantineDelivery(delivery.fingerprint, version, id);
  deps.log.warn('delivery quarantined', {
    quarantineId: id,
    eventId: delivery.eventId,
    kind: reason.kind,
    attempts,
  });
  (deps.metrics ?? noMetrics).count(METRIC_NAMES.webhooksQuarantined);
  return id;
};
