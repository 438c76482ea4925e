/**
 * The generic webhook forwarder against a loopback server standing in for a catch hook (Zapier,
 * Make, n8n, an agency's app): the exact body in each format, a signature the receiver can verify
 * with the documented scheme, the event id and version headers, retries and classification, and
 * secrets that are never echoed in an error.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticSecret } from '../../../lambda/adapters/secrets.ts';
import { type ForwardFormat, WebhookForwarder } from '../../../lambda/consumers/forward/send.ts';
import { SIGNATURE_HEADER } from '../../../lambda/contract.ts';
import type { ConnectionEvent } from '../../../lambda/domain/envelope.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../../lambda/domain/errors.ts';
import { verifySignature } from '../../../lambda/domain/signature.ts';
import { sampleEnvelope } from '../../support/envelopes.ts';
import { rejection } from '../../support/errors.ts';
import { startTargetServer, type TargetServer } from '../../support/target-server.ts';

const SIGNING_SECRET = 'whsec_0123456789abcdef';
const NOW_SECONDS = 1_790_000_000;
const TIMEOUT_MS = 300;
const EVENT_ID = '01JZ0000000000000000000000';

const eventOf = (fixture: string): ConnectionEvent =>
  sampleEnvelope(fixture, { eventId: EVENT_ID, receivedAt: '2026-06-14T10:02:20.000Z', version: 3 });

const header = (value: string | string[] | undefined): string => {
  if (typeof value !== 'string') throw new Error(`expected one header value, got ${String(value)}`);
  return value;
};

describe('WebhookForwarder against a loopback catch hook', () => {
  let server: TargetServer;
  let hookUrl: string;
  const event = eventOf('v2-partial-multi-platform.json');

  const forwarder = (format: ForwardFormat, secret?: string): WebhookForwarder =>
    new WebhookForwarder({
      name: 'forward-test',
      secret: staticSecret(secret ?? JSON.stringify({ url: hookUrl, signingSecret: SIGNING_SECRET })),
      format,
      timeoutMs: TIMEOUT_MS,
      nowSeconds: () => NOW_SECONDS,
    });

  beforeAll(async () => {
    server = await startTargetServer();
    hookUrl = `${server.url}/hook`;
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.requests.length = 0;
    server.fallback = { status: 200, body: '{"status":"success"}' };
  });

  it('posts exactly JSON.stringify(event.flat) in the flat format', async () => {
    await expect(forwarder('flat').upsert(event)).resolves.toStrictEqual({ outcome: 'posted', status: 200 });

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/hook');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toBe(JSON.stringify(event.flat));
    expect(JSON.parse(request?.body ?? '')).toMatchObject({
      user_id: 'hubspot-company-99123',
      requestName: 'Harbor Fitness - full access',
      google_ads_account_is_success: 'False',
    });
  });

  it('posts exactly JSON.stringify(event) in the envelope format', async () => {
    await forwarder('envelope').upsert(event);

    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body).toBe(JSON.stringify(event));
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual(event);
  });

  it.each<ForwardFormat>(['flat', 'envelope'])(
    'signs the %s body so the receiver can verify it, and sends the event id and version',
    async (format) => {
      await forwarder(format).upsert(event);

      const [request] = server.requests;
      const body = request?.body ?? '';
      const signature = header(request?.headers[SIGNATURE_HEADER]);
      expect(signature).toMatch(new RegExp(`^t=${NOW_SECONDS},v1=[0-9a-f]{64}$`));
      expect(verifySignature(SIGNING_SECRET, signature, body, NOW_SECONDS)).toBe(true);
      expect(verifySignature('whsec_another_secret_0000', signature, body, NOW_SECONDS)).toBe(false);
      expect(verifySignature(SIGNING_SECRET, signature, `${body} `, NOW_SECONDS)).toBe(false);
      expect(request?.headers['x-leadsie-event-id']).toBe(EVENT_ID);
      expect(request?.headers['x-leadsie-event-version']).toBe('3');
    },
  );

  it('retries a 500 with backoff, each attempt signed, then gives up with RetryableDeliveryError', async () => {
    server.fallback = { status: 500, body: 'Internal Server Error' };

    const error = await rejection(forwarder('flat').upsert(event));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toBe('forward-test answered 500: Internal Server Error');
    expect(error.message).not.toContain(hookUrl);
    expect(server.requests).toHaveLength(3);
    for (const request of server.requests) {
      expect(
        verifySignature(SIGNING_SECRET, header(request.headers[SIGNATURE_HEADER]), request.body, NOW_SECONDS),
      ).toBe(true);
    }
  });

  it('makes a 410 (hook turned off) a PermanentDeliveryError after 1 request', async () => {
    server.answer({ status: 410, body: 'Gone' });

    const error = await rejection(forwarder('flat').upsert(event));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toBe('forward-test answered 410: Gone');
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    {
      problem: 'is not JSON',
      secret:
        '{"url": "https://hooks.example/catch/SECRET-HOOK-123", "signingSecret": "whsec_SECRETVALUE_0001"',
      values: ['SECRET-HOOK-123', 'whsec_SECRETVALUE_0001'],
      says: 'must be JSON',
    },
    {
      problem: 'lacks url',
      secret: JSON.stringify({ signingSecret: 'whsec_SECRETVALUE_0002' }),
      values: ['whsec_SECRETVALUE_0002'],
      says: 'invalid at: url ',
    },
    {
      problem: 'has a short signingSecret',
      secret: JSON.stringify({
        url: 'https://hooks.example/catch/SECRET-HOOK-456',
        signingSecret: 'SHORT-SECRET',
      }),
      values: ['SECRET-HOOK-456', 'SHORT-SECRET'],
      says: 'invalid at: signingSecret ',
    },
    {
      problem: 'has a url that is not http(s)',
      secret: JSON.stringify({
        url: 'ftp://hooks.example/SECRET-HOOK-789',
        signingSecret: 'whsec_SECRETVALUE_0003',
      }),
      values: ['SECRET-HOOK-789', 'whsec_SECRETVALUE_0003'],
      says: 'invalid at: url ',
    },
  ])(
    'fails on a secret that $problem, naming what is wrong but not the value, with no request',
    async ({ secret, values, says }) => {
      const error = await rejection(forwarder('flat', secret).upsert(event));

      expect(error).toBeInstanceOf(Error);
      expect(error.message).toContain(says);
      for (const value of values) expect(error.message).not.toContain(value);
      expect(server.requests).toHaveLength(0);
    },
  );
});
