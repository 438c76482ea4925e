/**
 * The fingerprint of a delivery: a SHA-256 over the canonical JSON of the payload (object keys
 * sorted at every depth, no insignificant white space). Leadsie sends no delivery id and does not
 * sign, so this is what makes a redelivery recognisable: equal payloads, equal fingerprint, however
 * their keys were ordered or spaced.
 *
 * Ingest takes it from the body's text (`fingerprintOfJson`), numbers as written, so bodies that
 * differ only in a number's digits (`1.0` and `1`, `-0` and `0`, integers beyond 2^53) are distinct
 * deliveries. Wherever the numbers print back as written, that equals `fingerprint` of the parsed
 * value, the algorithm of earlier releases, so a redelivery that spans an upgrade is still recognised.
 */
import { createHash } from 'node:crypto';
import { canonicalJsonText } from './canonical-json.ts';

/**
 * Canonical JSON: keys sorted by code unit at every depth, arrays kept in order. Built by string
 * appends rather than map/filter/join, which allocate three arrays per object (`npm run bench`).
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // A hole (never in parsed JSON) stays empty, as `Array.prototype.map` leaves it.
      if (i in value) out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = object[key];
    if (item === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `${out}}`;
};

const sha256 = (canonical: string): string =>
  `sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;

/**
 * `sha256:<hex>` of the canonical JSON of a value built in code. A parsed body has already lost its
 * numbers' text: fingerprint the text with `fingerprintOfJson` instead.
 */
export const fingerprint = (payload: unknown): string => sha256(canonicalJson(payload));

/** `sha256:<hex>` of the canonical JSON of a JSON text, numbers as written; throws JsonSyntaxError. */
export const fingerprintOfJson = (text: string): string => sha256(canonicalJsonText(text));
