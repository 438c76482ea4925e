/**
 * Typed errors of the pipeline. Each names a problem in words a Leadsie admin can act on; the one
 * place that turns them into HTTP answers is `errorResponse` in `lambda/shared/http.ts`.
 */
import type { PayloadProblem } from './payload.ts';

/** Base class: `details` are safe to show to the caller (never a token, never a stack). */
export abstract class PipelineError extends Error {
  abstract readonly kind: string;
  /** Set when the refused request was kept in quarantine: the id `cli quarantine` knows it by. */
  quarantineId: string | undefined;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The caller did not prove it may call this route. Nothing was read or stored. */
export class UnauthorizedError extends PipelineError {
  readonly kind = 'unauthorized';
}

/** The body is larger than the configured limit. */
export class PayloadTooLargeError extends PipelineError {
  readonly kind = 'payload-too-large';
}

/** The body is not JSON by its content type. */
export class UnsupportedMediaTypeError extends PipelineError {
  readonly kind = 'unsupported-media-type';
}

/** The body is not JSON, or not a Leadsie payload; `details` lists each problem with its path. */
export class InvalidPayloadError extends PipelineError {
  readonly kind = 'invalid-payload';
  constructor(
    message: string,
    readonly problems: PayloadProblem[],
  ) {
    super(message, problems);
  }
}

/** A request parameter is missing or malformed. */
export class BadRequestError extends PipelineError {
  readonly kind = 'bad-request';
}

/** The same payload is being processed by another request right now; retry shortly. */
export class DeliveryInProgressError extends PipelineError {
  readonly kind = 'delivery-in-progress';
}

/** A dependency (the table, the topic) failed; the delivery is kept where possible; retry later. */
export class DependencyUnavailableError extends PipelineError {
  readonly kind = 'dependency-unavailable';
  constructor(
    message: string,
    readonly dependency: 'store' | 'topic' | 'secrets',
    options?: { cause?: unknown },
  ) {
    super(message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * A consumer's target failed in a way that may pass (5xx, 429, a timeout, a network error): the
 * message is retried through its queue, after `retryAfterSeconds` when the target said so.
 */
export class RetryableDeliveryError extends PipelineError {
  readonly kind = 'retryable-delivery';
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * A consumer's target refused the delivery for good (bad token, unknown channel, a validation error):
 * retrying cannot help, so the message goes to the dead-letter queue at once, with this reason.
 */
export class PermanentDeliveryError extends PipelineError {
  readonly kind = 'permanent-delivery';
}

/**
 * The delivery was stored, but the topic will never take its event (it cannot be serialised, it is
 * too large, an attribute is invalid): it is quarantined (`quarantineId`) instead of answered 503
 * forever, and leaves the pending deliveries until `quarantine retry`.
 */
export class UnpublishableEventError extends PipelineError {
  readonly kind = 'unpublishable-event';
}
