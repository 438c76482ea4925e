/**
 * Signatures of forwarded webhooks: known answers computed independently (Python's hmac, once), a
 * round trip, and every way a signature must be refused.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOLERANCE_SECONDS,
  signatureHeader,
  verifySignature,
} from '../../lambda/domain/signature.ts';

const SECRET = 'whsec_test_secret';
const BODY = '{"eventId":"01JZ","client":"Café ☕"}';
const T = 1767225600;

describe('signatureHeader', () => {
  // python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test_secret",
  //   b"1767225600." + "{\"eventId\":\"01JZ\",\"client\":\"Café ☕\"}".encode(), hashlib.sha256).hexdigest())'
  it('matches an HMAC computed independently (UTF-8 body)', () => {
    expect(signatureHeader(SECRET, BODY, T)).toBe(
      't=1767225600,v1=fe877c9f113fbd4c62dc54046be00443cf999699acf5493c6e672623ad48d203',
    );
  });

  // python3 -c 'import hmac,hashlib; print(hmac.new("kéy".encode(), b"0.", hashlib.sha256).hexdigest())'
  it('keys with the UTF-8 bytes of the secret and signs "<t>." for an empty body', () => {
    expect(signatureHeader('kéy', '', 0)).toBe(
      't=0,v1=f24533c7bd3f71493074311a92558419626f6a150729b9ad0e994c3b11e6bcdd',
    );
  });

  it.each([
    ['a fraction of a second', 1767225600.5],
    ['a negative time', -1],
    ['NaN', Number.NaN],
    ['milliseconds beyond safe integers', 2 ** 60],
  ])('refuses %s as the timestamp', (_, t) => {
    expect(() => signatureHeader(SECRET, BODY, t)).toThrow(RangeError);
  });

  it('refuses an empty secret', () => {
    expect(() => signatureHeader('', BODY, T)).toThrow(/secret/);
  });
});

describe('verifySignature', () => {
  const header = signatureHeader(SECRET, BODY, T);

  it('accepts its own signature, at the same second and at the edges of the tolerance', () => {
    expect(verifySignature(SECRET, header, BODY, T)).toBe(true);
    expect(verifySignature(SECRET, header, BODY, T + DEFAULT_TOLERANCE_SECONDS)).toBe(true);
    expect(verifySignature(SECRET, header, BODY, T - DEFAULT_TOLERANCE_SECONDS)).toBe(true);
    expect(DEFAULT_TOLERANCE_SECONDS).toBe(300);
  });

  it('accepts spaces after commas, unknown schemes, and any matching v1 among several (secret rotation)', () => {
    const [, v1] = header.split(',v1=');
    const other = signatureHeader('old-secret', BODY, T).split(',v1=')[1];
    expect(verifySignature(SECRET, `t=${T}, v1=${v1}`, BODY, T)).toBe(true);
    expect(verifySignature(SECRET, `t=${T},v0=abc,v1=${v1}`, BODY, T)).toBe(true);
    expect(verifySignature(SECRET, `t=${T},v1=${other},v1=${v1}`, BODY, T)).toBe(true);
    expect(verifySignature('old-secret', `t=${T},v1=${other},v1=${v1}`, BODY, T)).toBe(true);
  });

  const hex = header.split(',v1=')[1] ?? '';
  const bodyOnly = createHmac('sha256', SECRET).update(BODY).digest('hex');
  const flipped = `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`;

  it.each([
    ['a wrong secret', 'not-the-secret', header, BODY, T],
    ['an empty secret', '', header, BODY, T],
    ['a changed body', SECRET, header, BODY.replace('Café', 'Cafe'), T],
    ['a body with a trailing newline', SECRET, header, `${BODY}\n`, T],
    ['one changed hex digit', SECRET, `t=${T},v1=${flipped}`, BODY, T],
    ['a changed timestamp', SECRET, header.replace(`t=${T}`, `t=${T + 1}`), BODY, T],
    ['a stale timestamp (tolerance + 1 s old)', SECRET, header, BODY, T + 301],
    ['a future timestamp (tolerance + 1 s ahead)', SECRET, header, BODY, T - 301],
    ['a day-old signature', SECRET, header, BODY, T + 86_400],
    ['an empty header', SECRET, '', BODY, T],
    ['a header without t', SECRET, `v1=${hex}`, BODY, T],
    ['a header without v1', SECRET, `t=${T}`, BODY, T],
    ['two timestamps', SECRET, `t=${T},t=${T},v1=${hex}`, BODY, T],
    ['a timestamp that is not digits', SECRET, `t=${T}.0,v1=${hex}`, BODY, T],
    ['a negative timestamp', SECRET, `t=-${T},v1=${hex}`, BODY, T],
    ['an empty timestamp', SECRET, `t=,v1=${hex}`, BODY, T],
    ['upper-case hex', SECRET, `t=${T},v1=${hex.toUpperCase()}`, BODY, T],
    ['a short v1', SECRET, `t=${T},v1=${hex.slice(0, 63)}`, BODY, T],
    ['a v1 that is not hex', SECRET, `t=${T},v1=${'z'.repeat(64)}`, BODY, T],
    ['a part without "="', SECRET, `${header},garbage`, BODY, T],
    ['a bare HMAC with no scheme', SECRET, hex, BODY, T],
    ['an HMAC of the body alone (no "<t>.")', SECRET, `t=${T},v1=${bodyOnly}`, BODY, T],
  ])('rejects %s', (_, secret, candidate, body, now) => {
    expect(verifySignature(secret, candidate, body, now)).toBe(false);
  });

  it('honours a custom tolerance', () => {
    expect(verifySignature(SECRET, header, BODY, T + 30, 60)).toBe(true);
    expect(verifySignature(SECRET, header, BODY, T + 61, 60)).toBe(false);
    expect(verifySignature(SECRET, header, BODY, T + 1, 0)).toBe(false);
  });
});
