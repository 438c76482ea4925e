/**
 * Token comparison: constant time, against every accepted token.
 *
 * Both sides are hashed (SHA-256) before `timingSafeEqual`, so neither the length nor a common
 * prefix of an accepted token shows in the time a comparison takes. `anyTokenMatches` compares every
 * presented token with every accepted one and never stops at the first match, so the time does not
 * tell which accepted token (current or previous) a request carried either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** True when `given` is `expected` (an empty `expected` matches nothing), in constant time. */
export const tokensMatch = (given: string, expected: string): boolean =>
  timingSafeEqual(digest(given), digest(expected)) && expected.length > 0;

/** True when one of `presented` is one of `accepted`; every pair is compared, none skipped. */
export const anyTokenMatches = (presented: readonly string[], accepted: readonly string[]): boolean => {
  let matched = false;
  for (const given of presented) {
    for (const expected of accepted) {
      // Evaluated on every pair: `matched ||` first would skip the comparisons after a match.
      matched = tokensMatch(given, expected) || matched;
    }
  }
  return matched;
};
