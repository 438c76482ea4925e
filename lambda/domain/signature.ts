/**
 * Signatures of forwarded webhooks, so a receiver can tell our deliveries from anyone else's.
 *
 * The scheme (the header is `x-leadsie-webhooks-signature`, `SIGNATURE_HEADER` in the contract):
 *
 * ```
 * x-leadsie-webhooks-signature: t=1767225600,v1=5e2d…(64 hex digits)
 * ```
 *
 * - `t` is the time of signing, in Unix seconds;
 * - `v1` is the lower-case hex HMAC-SHA256, keyed with the shared signing secret (its UTF-8 bytes),
 *   of the UTF-8 bytes of `"<t>.<body>"`, where `<body>` is the exact request body as sent.
 *
 * A receiver recomputes the HMAC over the **raw** body (before any JSON parsing), compares it in
 * constant time, and rejects a `t` more than 5 minutes away from its clock (a replayed request).
 * Several `v1=` entries may appear (one per secret while a secret is rotated); one match is enough.
 * Unknown `key=value` entries are ignored, so a later scheme can be added beside `v1`.
 *
 * Verifying in Python (5 lines):
 *
 * ```python
 * import hashlib, hmac, time
 * def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
 *     parts = [p.strip().split("=", 1) for p in header.split(",")]; t = next(v for k, v in parts if k == "t")
 *     expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
 *     return abs(time.time() - int(t)) <= tolerance and any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")
 * ```
 *
 * Verifying in Node.js (5 lines):
 *
 * ```js
 * const { createHmac, timingSafeEqual } = require('node:crypto');
 * const verify = (secret, header, rawBody, tolerance = 300) => {
 *   const parts = header.split(',').map((p) => p.trim().split('=')); const t = parts.find(([k]) => k === 't')?.[1];
 *   const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
 *   return Math.abs(Date.now() / 1000 - Number(t)) <= tolerance && parts.some(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/.test(v) && timingSafeEqual(Buffer.from(v, 'hex'), expected)); };
 * ```
 *
 * Pure (node:crypto only computes): no I/O, and the clock is a parameter.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far (seconds) a signature's `t` may be from the receiver's clock, either way, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const hmac = (secret: string, timestamp: string, body: string): Buffer =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest();

/**
 * The signature header value of `body` signed at `timestampSeconds`: `t=<timestamp>,v1=<hex>`.
 * Throws a `RangeError` for a timestamp that is not a non-negative safe integer (pass
 * `Math.floor(Date.now() / 1000)`, not `Date.now() / 1000`) and for an empty secret.
 */
export const signatureHeader = (secret: string, body: string, timestampSeconds: number): string => {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError(`timestampSeconds must be whole Unix seconds, got ${timestampSeconds}`);
  }
  if (secret === '') throw new RangeError('the signing secret must not be empty');
  const t = String(timestampSeconds);
  return `t=${t},v1=${hmac(secret, t, body).toString('hex')}`;
};

const TIMESTAMP = /^\d{1,15}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** The `t` and `v1` values of a header, or null when it is malformed. */
const parseHeader = (header: string): { t: string; v1: string[] } | null => {
  let t: string | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== null || !TIMESTAMP.test(value)) return null;
      t = value;
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value)) return null;
      v1.push(value);
    }
  }
  return t === null || v1.length === 0 ? null : { t, v1 };
};

/**
 * Whether `header` is a valid signature of `body` under `secret`, made within `toleranceSeconds` of
 * `nowSeconds` (either way). False for a malformed header (no `t`, two `t`s, a `t` that is not
 * digits, no `v1`, a `v1` that is not 64 lower-case hex digits, a part without `=`), a stale or
 * future timestamp, a wrong secret, an empty secret or a changed body. Compares in constant time.
 */
export const verifySignature = (
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): boolean => {
  if (secret === '') return false;
  const parsed = parseHeader(header);
  if (parsed === null) return false;
  if (!(Math.abs(nowSeconds - Number(parsed.t)) <= toleranceSeconds)) return false;
  const expected = hmac(secret, parsed.t, body);
  let match = false;
  for (const candidate of parsed.v1) {
    // Every candidate is compared (no early exit), each in constant time; lengths are equal by the regex.
    if (timingSafeEqual(Buffer.from(candidate, 'hex'), expected)) match = true;
  }
  return match;
};
