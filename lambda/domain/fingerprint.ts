/**
 * The fingerprint of a delivery: a SHA-256 over the canonical JSON of the payload (object keys
 * sorted at every depth, no insignificant white space). Leadsie sends no delivery id and does not
 * sign, so this is what makes a redelivery recognisable: equal payloads, equal fingerprint, however
 * their keys were ordered or spaced.
 */
import { createHash } from 'node:crypto';

/** Canonical JSON: keys sorted by code unit at every depth, arrays kept in order. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
};

/** `sha256:<hex>` of the canonical JSON of a parsed payload. */
export const fingerprint = (payload: unknown): string =>
  `sha256:${createHash('sha256').update(canonicalJson(payload), 'utf8').digest('hex')}`;
