/**
 * The outgoing-HTTP building blocks shared by Slack, HubSpot and the forwarder: `parseRetryAfter`,
 * the one classification of answers (`classifyResponse`), `post` against a loopback server (no
 * redirects followed, timeouts, long answers cut in messages, no URL in messages) and `withBackoff`
 * (what it retries in-process and what it leaves to the queue), with tiny delays to stay fast.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type BackoffOptions,
  classifyResponse,
  type HttpResponse,
  parseRetryAfter,
  post,
  TargetTimeoutError,
  withBackoff,
} from '../../lambda/adapters/http-target.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lambda/domain/errors.ts';
import { rejection, thrown } from '../support/errors.ts';
import { startTargetServer, type TargetServer } from '../support/target-server.ts';

const TIMEOUT_MS = 300;
/** Same shape as the default backoff, with delays short enough for a unit-speed test. */
const FAST_BACKOFF: BackoffOptions = { retries: 2, minDelayMs: 1, maxInlineWaitSeconds: 2 };

const answer = (status: number, body = '', headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: new Headers(headers),
  body,
});

describe('parseRetryAfter', () => {
  const NOW_MS = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');

  it.each([
    { value: '30', expected: 30 },
    { value: ' 30 ', expected: 30 },
    { value: '0', expected: 0 },
    { value: '120', expected: 120 },
  ])('reads delay-seconds $value as $expected', ({ value, expected }) => {
    expect(parseRetryAfter(value, NOW_MS)).toBe(expected);
  });

  it('reads an HTTP date in the future as the seconds until it, rounded up', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:29:30 GMT', NOW_MS)).toBe(90);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:29:30 GMT', NOW_MS + 500)).toBe(90);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:29:30 GMT', NOW_MS + 1000)).toBe(89);
  });

  it('reads an HTTP date in the past (or now) as 0', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', NOW_MS)).toBe(0);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', NOW_MS)).toBe(0);
  });

  it('measures an HTTP date from the real clock by default', () => {
    const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
    const seconds = parseRetryAfter(inAnHour);
    expect(seconds).toBeGreaterThanOrEqual(3_598);
    expect(seconds).toBeLessThanOrEqual(3_600);
  });

  it.each([null, '', '   ', 'soon', 'garbage', 'Mon', '12 apples', '0x10', '1e3'])(
    'reads %j as undefined',
    (value) => {
      expect(parseRetryAfter(value, NOW_MS)).toBeUndefined();
    },
  );

  // V8's lenient Date.parse reads some garbage as a date in 2001 ("-5" → 2001-05-01), which would
  // mean "retry now"; only delay-seconds or an IMF-fixdate (RFC 9110) may be read.
  it.each(['-5', '1.5', 'tomorrow 5'])('reads the garbage %j as undefined', (value) => {
    expect(parseRetryAfter(value, NOW_MS)).toBeUndefined();
  });
});

describe('classifyResponse', () => {
  it.each([200, 201, 202, 204, 207, 299])('returns for %i', (status) => {
    expect(() => classifyResponse('Target', answer(status, 'ok'))).not.toThrow();
  });

  it.each([400, 401, 403, 404, 405, 409, 410, 413, 422])('makes %i a PermanentDeliveryError', (status) => {
    const error = thrown(() => classifyResponse('Target', answer(status, 'nope')));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).not.toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toBe(`Target answered ${status}: nope`);
  });

  it.each([300, 301, 302, 304, 307, 308])(
    'makes the redirect %i a PermanentDeliveryError naming the fix',
    (status) => {
      const error = thrown(() => classifyResponse('Target', answer(status, 'moved')));
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect(error.message).toBe(`Target answered ${status} (a redirect); configure the final URL instead`);
    },
  );

  it.each([408, 425, 429, 500, 501, 502, 503, 504, 599])('makes %i a RetryableDeliveryError', (status) => {
    const error = thrown(() => classifyResponse('Target', answer(status, 'later')));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toBe(`Target answered ${status}: later`);
    expect((error as RetryableDeliveryError).retryAfterSeconds).toBeUndefined();
  });

  it('carries the Retry-After of a retryable answer, and ignores one on a permanent answer', () => {
    const retryable = thrown(() => classifyResponse('Target', answer(503, '', { 'retry-after': '17' })));
    expect(retryable).toBeInstanceOf(RetryableDeliveryError);
    expect((retryable as RetryableDeliveryError).retryAfterSeconds).toBe(17);

    const permanent = thrown(() => classifyResponse('Target', answer(400, '', { 'retry-after': '17' })));
    expect(permanent).toBeInstanceOf(PermanentDeliveryError);
  });

  it('says the status alone for an empty or blank body, the trimmed body otherwise, and prefers a detail', () => {
    expect(thrown(() => classifyResponse('Target', answer(404))).message).toBe('Target answered 404');
    expect(thrown(() => classifyResponse('Target', answer(404, ' \n '))).message).toBe('Target answered 404');
    expect(thrown(() => classifyResponse('Target', answer(404, '\n  not here \n'))).message).toBe(
      'Target answered 404: not here',
    );
    expect(thrown(() => classifyResponse('Target', answer(404, 'raw body'), 'parsed detail')).message).toBe(
      'Target answered 404: parsed detail',
    );
  });

  it('cuts a long answer to its first 500 characters and an ellipsis', () => {
    const body = `${'a'.repeat(500)}${'b'.repeat(1500)}`;
    const error = thrown(() => classifyResponse('Target', answer(500, body)));
    expect(error.message).toBe(`Target answered 500: ${'a'.repeat(500)}…`);

    const exactly500 = 'c'.repeat(500);
    expect(thrown(() => classifyResponse('Target', answer(500, exactly500))).message).toBe(
      `Target answered 500: ${exactly500}`,
    );
  });
});

describe('post and withBackoff against a loopback target', () => {
  let server: TargetServer;
  let url: string;

  beforeAll(async () => {
    server = await startTargetServer();
    url = `${server.url}/hook/SECRET-PATH`;
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.requests.length = 0;
    server.fallback = { status: 200, body: 'ok' };
  });

  it('POSTs the body as JSON with the extra headers, and returns status, headers and body', async () => {
    server.answer({ status: 201, body: 'created', headers: { 'x-answer': 'yes' } });

    const response = await post({
      target: 'Target',
      url,
      body: '{"a":1}',
      headers: { authorization: 'Bearer t' },
      timeoutMs: TIMEOUT_MS,
    });

    expect(response.status).toBe(201);
    expect(response.body).toBe('created');
    expect(response.headers.get('x-answer')).toBe('yes');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/hook/SECRET-PATH',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
    });
  });

  it('cuts a long error answer from the wire to about 500 characters in the message', async () => {
    server.answer({ status: 502, body: `<html>${'x'.repeat(5000)}</html>` });

    const response = await post({ target: 'Target', url, body: '{}', timeoutMs: TIMEOUT_MS });
    const error = thrown(() => classifyResponse('Target', response));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message.startsWith('Target answered 502: <html>xxx')).toBe(true);
    expect(error.message.endsWith('…')).toBe(true);
    expect(error.message).not.toContain('</html>');
    expect(error.message.length).toBe('Target answered 502: '.length + 500 + 1);
  });

  // A redirect is answered, not followed (`redirect: 'manual'`): the body never goes to a Location we
  // were not configured with, and the answer is permanent (retrying cannot change where the URL points).
  it('does not follow a 302: one request, a PermanentDeliveryError that hides the Location', async () => {
    server.answer({ status: 302, body: 'Found', headers: { location: '/elsewhere?token=LOCATION-SECRET' } });

    const error = await rejection(
      withBackoff(async () => {
        classifyResponse('Target', await post({ target: 'Target', url, body: '{}', timeoutMs: TIMEOUT_MS }));
      }, FAST_BACKOFF),
    );

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toBe('Target answered 302 (a redirect); configure the final URL instead');
    expect(error.message).not.toContain('LOCATION-SECRET');
    expect(error.message).not.toContain('SECRET-PATH');
    expect(server.requests.map((r) => r.path)).toEqual(['/hook/SECRET-PATH']);
  });

  it('gives up on a hung target at the timeout with a TargetTimeoutError', async () => {
    server.answer({ hang: true });

    const error = await rejection(post({ target: 'Target', url, body: '{}', timeoutMs: TIMEOUT_MS }));

    expect(error).toBeInstanceOf(TargetTimeoutError);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toBe(`Target gave no answer within ${TIMEOUT_MS} ms`);
    expect(server.requests).toHaveLength(1);
  });

  it('makes a malformed URL a PermanentDeliveryError that does not show it (it may be a secret)', async () => {
    const error = await rejection(
      post({ target: 'Target', url: 'hooks.example/SECRET-NO-SCHEME', body: '{}', timeoutMs: TIMEOUT_MS }),
    );

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toBe('Target has an invalid URL; check its configuration');
    expect(error.message).not.toContain('SECRET-NO-SCHEME');
  });

  const attempt = () => async (): Promise<string> => {
    const response = await post({ target: 'Target', url, body: '{}', timeoutMs: TIMEOUT_MS });
    classifyResponse('Target', response);
    return response.body;
  };

  it('withBackoff retries 5xx and returns the answer that succeeds', async () => {
    server.answer(
      { status: 503, body: 'busy' },
      { status: 500, body: 'oops' },
      { status: 200, body: 'done' },
    );

    await expect(withBackoff(attempt(), FAST_BACKOFF)).resolves.toBe('done');

    expect(server.requests).toHaveLength(3);
  });

  it('withBackoff does not retry a permanent answer', async () => {
    server.answer({ status: 404, body: 'no such hook' });

    const error = await rejection(withBackoff(attempt(), FAST_BACKOFF));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(server.requests).toHaveLength(1);
  });

  it('withBackoff does not retry a timeout', async () => {
    server.answer({ hang: true });

    const error = await rejection(withBackoff(attempt(), FAST_BACKOFF));

    expect(error).toBeInstanceOf(TargetTimeoutError);
    expect(server.requests).toHaveLength(1);
  });

  it('withBackoff retries a Retry-After up to maxInlineWaitSeconds and leaves a longer one to the queue', async () => {
    server.answer({ status: 429, body: '', headers: { 'retry-after': '2' } });
    await expect(withBackoff(attempt(), FAST_BACKOFF)).resolves.toBe('ok');
    expect(server.requests).toHaveLength(2);

    server.requests.length = 0;
    server.answer({ status: 429, body: '', headers: { 'retry-after': '3' } });
    const error = await rejection(withBackoff(attempt(), FAST_BACKOFF));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as RetryableDeliveryError).retryAfterSeconds).toBe(3);
    expect(server.requests).toHaveLength(1);
  });
});
