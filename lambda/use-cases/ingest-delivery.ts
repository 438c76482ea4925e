/**
 * Ingest one Leadsie delivery:
 *
 *   parse → validate → flatten → fingerprint
 *     → record the delivery (conditional on its fingerprint)      ── exists? → duplicate path
 *     → advance the latest state of (user, request) → version
 *     → build the envelope → publish → mark published
 *
 * The caller answers 2xx only when this returns, i.e. after the delivery is stored and published.
 * A delivery that was stored but not published (the topic failed, or the function died) stays in
 * the pending index; the next redelivery of the same payload resumes it from where it stopped.
 * A publish the topic will never accept (`classifyPublishFailure`: serialisation, size, an invalid
 * parameter) is not retried: the delivery is quarantined and answered 422 with its `quarantineId`,
 * and so is every redelivery of it until `quarantine retry`.
 *
 * Counted (the `Metrics` port): `WebhooksDuplicate` for a payload already stored, `EventsPublished`
 * and `PublishFailures` for each publish. Received and rejected requests are counted at the HTTP edge
 * (`webhookRequestMetrics` in `lambda/shared/middleware.ts`), which sees the requests refused before this.
 */

import { MESSAGE_ATTRIBUTES, METRIC_NAMES } from '../contract.ts';
import {
  buildEnvelope,
  type ConnectionEvent,
  envelopeAttributes,
  isLeadsieTestPayload,
} from '../domain/envelope.ts';
import {
  DeliveryInProgressError,
  DependencyUnavailableError,
  InvalidPayloadError,
  PayloadTooLargeError,
  UnpublishableEventError,
} from '../domain/errors.ts';
import { fingerprintOfJson } from '../domain/fingerprint.ts';
import { flatten } from '../domain/flatten.ts';
import { type LeadsiePayload, type PayloadProblem, parsePayload } from '../domain/payload.ts';
import { classifyPublishFailure } from '../domain/publish-failure.ts';
import { isWellFormedText } from '../domain/unicode.ts';
import {
  type ConnectionStore,
  type EventPublisher,
  type Log,
  type Metrics,
  noMetrics,
  type PublishRetry,
  type QuarantineReason,
  type QuarantineStore,
  type StoredDelivery,
} from './ports.ts';
import { quarantineDelivery } from './quarantine-request.ts';

/** SNS takes at most 256 KiB per message, body and attributes (names, types and values) together. */
export const MAX_SNS_MESSAGE_BYTES = 256 * 1024;

/** Where each message attribute's value comes from in the payload, to name it in a refusal. */
const ATTRIBUTE_SOURCES: Record<keyof typeof MESSAGE_ATTRIBUTES, string> = {
  status: 'status',
  accessLevel: 'accessLevel',
  apiVersion: 'apiVersion',
  isTest: 'user',
  hasUser: 'user',
  platforms: 'connectionAssets[].platform',
  assetTypes: 'connectionAssets[].type',
};

/**
 * What SNS would make of an envelope, checked before anything is stored (an event SNS cannot carry
 * would stay pending forever): the bytes it counts (its JSON plus every attribute's name, data type
 * and value), and each attribute value the SNS client cannot encode. The client URI-encodes every
 * value and throws on a lone surrogate; the body is JSON, which escapes those, so only attributes
 * can fail.
 */
export const snsMessageCheck = (envelope: ConnectionEvent): { bytes: number; problems: PayloadProblem[] } => {
  let bytes = Buffer.byteLength(JSON.stringify(envelope));
  const problems: PayloadProblem[] = [];
  for (const [key, value] of Object.entries(envelopeAttributes(envelope))) {
    const attribute = key as keyof typeof MESSAGE_ATTRIBUTES;
    const spec = MESSAGE_ATTRIBUTES[attribute];
    // The same text the publisher sends (sns-event-publisher.ts).
    const text = Array.isArray(value) ? JSON.stringify(value) : String(value);
    bytes += Buffer.byteLength(spec.name) + Buffer.byteLength(spec.dataType) + Buffer.byteLength(text);
    if (!isWellFormedText(text)) {
      problems.push({
        path: ATTRIBUTE_SOURCES[attribute],
        message: `not well-formed Unicode, so it cannot be sent as the SNS message attribute ${spec.name}`,
      });
    }
  }
  return { bytes, problems };
};

export interface IngestDeps {
  store: ConnectionStore;
  /** Where a delivery the topic will not take is kept (see `quarantineDelivery`). */
  quarantine: Pick<QuarantineStore, 'quarantine'>;
  publisher: EventPublisher;
  log: Log;
  now: () => Date;
  newEventId: () => string;
  /** How long the request that records a delivery owns it before a redelivery may take over. */
  leaseMs: number;
  /** Where duplicates, publishes and publish failures are counted; absent: nowhere (local mode). */
  metrics?: Metrics;
}

export interface IngestInput {
  /** The body, parsed as JSON. */
  json: unknown;
  /**
   * The body exactly as received (a byte-order mark included), kept in the delivery history; the
   * fingerprint is taken from it, numbers as written.
   */
  rawBody: string;
}

export interface IngestResult {
  eventId: string;
  duplicate: boolean;
}

const readPayload = (json: unknown): LeadsiePayload => {
  const parsed = parsePayload(json);
  if (!parsed.ok) {
    throw new InvalidPayloadError('The body is not a valid Leadsie webhook payload', parsed.problems);
  }
  return parsed.payload;
};

export const ingestDelivery = async (deps: IngestDeps, input: IngestInput): Promise<IngestResult> => {
  const payload = readPayload(input.json);
  const flat = flatten(payload);
  const fingerprint = fingerprintOfJson(withoutByteOrderMark(input.rawBody));
  const now = deps.now();
  const eventId = deps.newEventId();
  const receivedAt = now.toISOString();

  // Checked before anything is stored: an event SNS cannot carry would stay pending forever. The
  // version's digits are counted generously (a counter will not pass 10^15).
  const preview = buildEnvelope({ payload, eventId, fingerprint, receivedAt, version: 0, flat });
  const check = snsMessageCheck(preview);
  if (check.problems.length > 0) {
    throw new InvalidPayloadError('The payload makes an event SNS cannot carry', check.problems);
  }
  const messageBytes = check.bytes + 15;
  if (messageBytes > MAX_SNS_MESSAGE_BYTES) {
    throw new PayloadTooLargeError(
      `The payload makes an event of ${messageBytes} bytes, more than one SNS message holds (${MAX_SNS_MESSAGE_BYTES})`,
    );
  }

  const delivery: StoredDelivery = {
    fingerprint,
    eventId,
    receivedAt,
    user: payload.data.user || null,
    requestUrl: payload.data.requestUrl,
    requestName: payload.data.requestName,
    status: payload.data.status ?? null,
    apiVersion: payload.format === 1 ? 1 : payload.data.apiVersion,
    rawBody: input.rawBody,
    clientName: preview.client?.name ?? null,
    accessLevel: preview.accessLevel,
    isTest: preview.isTest,
    platforms: [...new Set(preview.assets.flatMap((asset) => (asset.platform ? [asset.platform] : [])))],
    assetTypes: [...new Set(preview.assets.map((asset) => asset.type))],
    leaseUntil: now.getTime() + deps.leaseMs,
    version: null,
    publishedAt: null,
    publishAttempts: 0,
    quarantineId: null,
  };

  const created = await guard('store', () => deps.store.createDelivery(delivery));
  if (created.created) {
    await completeDelivery(deps, delivery, payload, flat);
    return { eventId, duplicate: false };
  }

  const existing = created.existing;
  if (existing.quarantineId !== null) {
    deps.log.info('redelivery of a quarantined delivery', { eventId: existing.eventId, fingerprint });
    throw unpublishable(existing.eventId, existing.quarantineId);
  }
  if (existing.publishedAt !== null) {
    (deps.metrics ?? noMetrics).count(METRIC_NAMES.webhooksDuplicate);
    deps.log.info('duplicate delivery', { eventId: existing.eventId, fingerprint });
    return { eventId: existing.eventId, duplicate: true };
  }
  // Stored but not published: resume it, unless another request is working on it right now.
  const claimed =
    existing.leaseUntil <= now.getTime() &&
    (await guard('store', () =>
      deps.store.claimDelivery(fingerprint, now.getTime(), now.getTime() + deps.leaseMs),
    ));
  if (!claimed) {
    throw new DeliveryInProgressError(
      'The same payload is being processed by another request; retry shortly',
      {
        eventId: existing.eventId,
      },
    );
  }
  deps.log.info('resuming unpublished delivery', { eventId: existing.eventId, fingerprint });
  (deps.metrics ?? noMetrics).count(METRIC_NAMES.webhooksDuplicate);
  await completeDelivery(deps, existing, payload, flat);
  return { eventId: existing.eventId, duplicate: true };
};

/** The reconciler's retry policy: how attempts back off, and after how many a delivery is quarantined. */
export interface RetryPolicy {
  maxAttempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/** Delay before attempt `attempts + 1`: doubling from the first delay, capped. */
export const backoffMs = (attempts: number, policy: Omit<RetryPolicy, 'maxAttempts'>): number =>
  Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));

const unpublishable = (eventId: string, quarantineId: string): UnpublishableEventError => {
  const error = new UnpublishableEventError(
    'The event was stored, but the topic will not take it; it is kept in quarantine',
    { eventId },
  );
  error.quarantineId = quarantineId;
  return error;
};

export type CompleteDeps = Pick<IngestDeps, 'store' | 'quarantine' | 'publisher' | 'log' | 'metrics' | 'now'>;

/**
 * Takes a recorded delivery the rest of the way: latest state and version (unless already
 * assigned), envelope, publish, mark published. Used for new deliveries and for resumed ones.
 *
 * A failed publish: permanent (`classifyPublishFailure`) → quarantined, UnpublishableEventError;
 * transient → stays pending, DependencyUnavailableError. With `retry` (the reconciler), a transient
 * failure counts an attempt and backs off, and the last attempt quarantines.
 */
export const completeDelivery = async (
  deps: CompleteDeps,
  delivery: StoredDelivery,
  payload: LeadsiePayload,
  /** The payload's flat record, when the caller has already made it. */
  flat = flatten(payload),
  retry?: RetryPolicy,
): Promise<void> => {
  let version = delivery.version;
  if (version === null) {
    const advanced = await guard('store', () =>
      deps.store.advanceLatest({
        user: delivery.user,
        requestUrl: delivery.requestUrl,
        requestName: delivery.requestName,
        clientName: payload.format === 2 ? (payload.data.clientName ?? null) : null,
        status: delivery.status,
        accessLevel: payload.data.accessLevel ?? null,
        apiVersion: delivery.apiVersion,
        isTest: isLeadsieTestPayload(payload),
        eventId: delivery.eventId,
        fingerprint: delivery.fingerprint,
        receivedAt: delivery.receivedAt,
        flat,
      }),
    ).catch(async (error: unknown) => {
      // Let the next redelivery resume at once instead of waiting out the lease.
      await deps.store.releaseLease(delivery.fingerprint).catch(() => undefined);
      throw error;
    });
    // Version 0: a newer delivery of this (user, request) is already the latest state, so every
    // consumer that applied anything ignores this one.
    version = 'version' in advanced ? advanced.version : 0;
  }

  const envelope = buildEnvelope({
    payload,
    eventId: delivery.eventId,
    fingerprint: delivery.fingerprint,
    receivedAt: delivery.receivedAt,
    version,
    flat,
  });

  const metrics = deps.metrics ?? noMetrics;
  try {
    await deps.publisher.publish(envelope);
  } catch (error) {
    metrics.count(METRIC_NAMES.publishFailures);
    const failure = classifyPublishFailure(error);
    const attempts = delivery.publishAttempts + 1;
    if (failure.permanent || (retry !== undefined && attempts >= retry.maxAttempts)) {
      const reason: QuarantineReason = failure.permanent
        ? {
            status: 422,
            kind: 'unpublishable-event',
            message: `The topic refused the event: ${failure.reason}`,
            problems: [],
          }
        : {
            status: 503,
            kind: 'publish-attempts-exhausted',
            message: `Not published after ${attempts} attempts; the last: ${failure.reason}`,
            problems: [],
          };
      deps.log.error('publish failed for good; quarantining the delivery', {
        eventId: delivery.eventId,
        kind: reason.kind,
        error: failure.reason,
      });
      const id = await quarantineDelivery(deps, delivery, version, reason).catch((storeError: unknown) => {
        deps.log.error('could not quarantine the delivery; it stays pending', {
          eventId: delivery.eventId,
          error: errorSummary(storeError),
        });
        return null;
      });
      if (id !== null) throw unpublishable(delivery.eventId, id);
    } else {
      deps.log.error('publish failed; the delivery stays pending', {
        eventId: delivery.eventId,
        error: failure.reason,
      });
    }
    const nextRetry: PublishRetry | undefined =
      retry === undefined
        ? undefined
        : {
            attempts,
            nextAttemptAt: new Date(deps.now().getTime() + backoffMs(attempts, retry)).toISOString(),
          };
    await deps.store.recordPublishFailure(delivery, version, nextRetry).catch((recordError: unknown) => {
      deps.log.error('could not record the publish failure', {
        eventId: delivery.eventId,
        error: errorSummary(recordError),
      });
    });
    throw new DependencyUnavailableError(
      'The event was stored but could not be published; it will be published on redelivery',
      'topic',
      { cause: error },
    );
  }
  metrics.count(METRIC_NAMES.eventsPublished);

  try {
    await deps.store.markPublished(delivery.fingerprint, version, new Date().toISOString());
  } catch (error) {
    // Published and stored: the answer is still a success. The delivery stays in the pending
    // index, so it may be published once more; consumers recognise it by its eventId and version.
    deps.log.warn('published, but could not mark the delivery published', {
      eventId: delivery.eventId,
      error: errorSummary(error),
    });
  }
  deps.log.info('delivery published', { eventId: delivery.eventId, version });
};

const withoutByteOrderMark = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

const errorSummary = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** Runs a store call; any failure becomes a 503-class error naming the dependency. */
const guard = async <T>(dependency: 'store', call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    throw new DependencyUnavailableError('The connection store is unavailable; retry later', dependency, {
      cause: error,
    });
  }
};
