/**
 * Why a publish failed, and whether trying again can help: the one place that decides it, for ingest,
 * the reconciler and `quarantine retry` alike.
 *
 * - `permanent`: the topic will never accept this message (it cannot be serialised, it is too large, a
 *   parameter or attribute is invalid). Retrying would loop forever, so the delivery is quarantined.
 * - `transient`: throttling, a 5xx, the network, a timeout; and failures of the topic rather than of the
 *   message (not found, not authorised, its key disabled): the same message may go through later, so
 *   the delivery stays pending. A topic that stays broken shows as a backlog, and the reconciler
 *   quarantines a delivery after its last attempt.
 *
 * Pure: it reads the error's `name` (SNS's error code, as AWS SDK v3 names its errors, or the
 * JavaScript error the SDK threw before sending), and imports no AWS package. Anything it does not
 * know is transient: a wrong guess there costs attempts, not a delivery.
 */

export interface PublishFailure {
  permanent: boolean;
  /** `<error name>: <message>`, short: what the quarantine entry and the logs say. */
  reason: string;
}

/** Error names of a message the topic refuses whatever the moment (SNS's codes and the SDK's class names). */
const MESSAGE_REFUSED = new Set([
  'InvalidParameter',
  'InvalidParameterException',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'MissingParameter',
  'ValidationError',
  'ValidationException',
]);

/**
 * Thrown by the SDK before anything is sent: a string it cannot encode (`URIError` on a lone
 * surrogate), a value it cannot lay out. The same message fails the same way every time.
 */
const SERIALISATION = new Set(['URIError', 'RangeError']);

const MAX_REASON_CHARS = 300;

export const classifyPublishFailure = (error: unknown): PublishFailure => {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  const text = `${name}: ${message}`;
  const reason = text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS - 1)}…` : text;
  return { permanent: SERIALISATION.has(name) || MESSAGE_REFUSED.has(name), reason };
};
