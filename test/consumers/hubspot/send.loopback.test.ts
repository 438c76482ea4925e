/**
 * The HubSpot CRM adapter against a loopback server standing in for HubSpot's API: the exact batch
 * upsert request HubSpot documents (`POST /crm/objects/2026-03/{objectType}/batch/upsert`, the date-versioned path, bearer token,
 * `inputs[{ idProperty, id, properties }]`), and how HubSpot's answers (a batch result, 429 with and
 * without Retry-After, 503, its JSON validation error, 401, 207 multi-status, no answer) are
 * classified and retried, without the token ever reaching an error message.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import { TargetTimeoutError } from '../../../lambda/adapters/http-target.ts';
import { staticSecret } from '../../../lambda/adapters/secrets.ts';
import { DEFAULT_HUBSPOT_MAPPING } from '../../../lambda/consumers/hubspot/message.ts';
import { type HubSpotOptions, HubSpotTarget } from '../../../lambda/consumers/hubspot/send.ts';
import type { ConnectionEvent } from '../../../lambda/domain/envelope.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../../lambda/domain/errors.ts';
import { sampleEnvelope } from '../../support/envelopes.ts';
import { rejection } from '../../support/errors.ts';
import { type ScriptedAnswer, startTargetServer, type TargetServer } from '../../support/target-server.ts';

const TOKEN = 'pat-na1-test';
const TIMEOUT_MS = 300;
const RECEIVED_AT = '2026-06-14T10:02:20.000Z';

const eventOf = (fixture: string): ConnectionEvent =>
  sampleEnvelope(fixture, { eventId: '01JZ0000000000000000000000', receivedAt: RECEIVED_AT, version: 3 });

const expectNoToken = (error: Error): void => {
  expect(error.message).not.toContain(TOKEN);
  expect(String(error.stack)).not.toContain(TOKEN);
};

const json = (value: unknown): string => JSON.stringify(value);

/** What HubSpot answers a successful batch upsert (abridged from its API reference). */
const BATCH_RESULT = json({
  status: 'COMPLETE',
  results: [
    {
      id: '51',
      properties: { leadsie_user_id: 'hubspot-company-99123' },
      createdAt: '2026-06-14T10:02:21.000Z',
      updatedAt: '2026-06-14T10:02:21.000Z',
      archived: false,
      new: false,
    },
  ],
  startedAt: '2026-06-14T10:02:21.000Z',
  completedAt: '2026-06-14T10:02:21.050Z',
});

/** HubSpot's answer to too many requests (it usually sends no Retry-After). */
const RATE_LIMITED = json({
  status: 'error',
  message: 'You have reached your secondly limit.',
  errorType: 'RATE_LIMIT',
  correlationId: 'c7b4f8a0-0000-4000-8000-000000000000',
  policyName: 'SECONDLY',
});

const VALIDATION_ERROR = json({
  status: 'error',
  message:
    'Property values were not valid: [{"isValid":false,"message":"Property \\"leadsie_foo\\" does not exist"}]',
  category: 'VALIDATION_ERROR',
  errors: [{ message: 'Property "leadsie_foo" does not exist' }],
});

/** The properties the default mapping gives for `v2-partial-multi-platform.json`, written out. */
const EXPECTED_PROPERTIES = {
  leadsie_status: 'PARTIAL_SUCCESS',
  leadsie_access_level: 'admin',
  leadsie_request_name: 'Harbor Fitness - full access',
  leadsie_request_url: 'https://app.leadsie.com/request/harbor-fitness',
  leadsie_client_name: 'Harbor Fitness LLC',
  leadsie_last_connection_at: RECEIVED_AT,
  leadsie_meta_ad_account_ids: 'act_7788990011',
  leadsie_facebook_page_ids: '556677889900',
  leadsie_google_ads_account_ids: '123-456-7890',
  leadsie_shopify_store_ids: 'harbor-fitness',
  leadsie_meta_ad_account_names: 'Harbor Fitness Ads',
  leadsie_facebook_page_names: 'Harbor Fitness',
  leadsie_google_ads_account_names: 'Harbor Fitness Search',
  leadsie_shopify_store_names: 'harbor-fitness.myshopify.com',
  leadsie_meta_ad_account_connected: 'True',
  leadsie_facebook_page_connected: 'True',
  leadsie_google_ads_account_connected: 'False',
  leadsie_shopify_store_connected: 'False',
  leadsie_user_id: 'hubspot-company-99123',
};

const hubspotAt = (server: TargetServer, overrides: Partial<HubSpotOptions> = {}): HubSpotTarget =>
  new HubSpotTarget({
    token: staticSecret(TOKEN),
    baseUrl: server.url,
    objectType: 'contacts',
    idProperty: 'leadsie_user_id',
    mapping: DEFAULT_HUBSPOT_MAPPING,
    timeoutMs: TIMEOUT_MS,
    ...overrides,
  });

describe('HubSpotTarget against a loopback HubSpot', () => {
  let server: TargetServer;
  const event = eventOf('v2-partial-multi-platform.json');

  const hubspot = (overrides: Partial<HubSpotOptions> = {}): HubSpotTarget => hubspotAt(server, overrides);

  beforeAll(async () => {
    server = await startTargetServer();
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.requests.length = 0;
    server.fallback = { status: 200, body: BATCH_RESULT, headers: { 'content-type': 'application/json' } };
  });

  it('sends the documented batch upsert for a contact and resolves on a 200 batch result', async () => {
    await expect(hubspot().upsert(event)).resolves.toStrictEqual({ outcome: 'upserted', status: 200 });

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    // The date-versioned path, never the legacy `/crm/v3/objects/…` one.
    expect(request?.path).toBe('/crm/objects/2026-03/contacts/batch/upsert');
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      inputs: [
        { idProperty: 'leadsie_user_id', id: 'hubspot-company-99123', properties: EXPECTED_PROPERTIES },
      ],
    });
    // The body on the wire is the one `requestBody` documents.
    expect(request?.body).toBe(JSON.stringify(hubspot().requestBody(event)));
  });

  it('upserts companies at /crm/objects/2026-03/companies/batch/upsert', async () => {
    await hubspot({ objectType: 'companies' }).upsert(event);

    expect(server.requests.map((r) => r.path)).toEqual(['/crm/objects/2026-03/companies/batch/upsert']);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
      inputs: [
        { idProperty: 'leadsie_user_id', id: 'hubspot-company-99123', properties: EXPECTED_PROPERTIES },
      ],
    });
  });

  it('sets a custom idProperty to the user, beside the mapped properties', async () => {
    await hubspot({ idProperty: 'leadsie_client_key' }).upsert(event);

    const body = JSON.parse(server.requests[0]?.body ?? '') as {
      inputs: { idProperty: string; id: string; properties: Record<string, string> }[];
    };
    expect(body.inputs).toHaveLength(1);
    expect(body.inputs[0]?.idProperty).toBe('leadsie_client_key');
    expect(body.inputs[0]?.id).toBe('hubspot-company-99123');
    expect(body.inputs[0]?.properties.leadsie_client_key).toBe('hubspot-company-99123');
    expect(body.inputs[0]?.properties.leadsie_status).toBe('PARTIAL_SUCCESS');
  });

  it('puts the configured API version in the path, with the same body', async () => {
    await hubspot({ apiVersion: '2026-09' }).upsert(event);

    expect(server.requests.map((r) => r.path)).toEqual(['/crm/objects/2026-09/contacts/batch/upsert']);
    expect(server.requests[0]?.body).toBe(JSON.stringify(hubspot().requestBody(event)));
  });

  it.each(['/', '//'])('accepts a baseUrl ending in %s', async (suffix) => {
    await hubspot({ baseUrl: server.url + suffix }).upsert(event);

    expect(server.requests.map((r) => r.path)).toEqual(['/crm/objects/2026-03/contacts/batch/upsert']);
  });

  it('leaves a 429 with a long Retry-After (60 s) to the queue after one request', async () => {
    server.answer({ status: 429, body: RATE_LIMITED, headers: { 'Retry-After': '60' } });

    const error = await rejection(hubspot().upsert(event));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as RetryableDeliveryError).retryAfterSeconds).toBe(60);
    expect(server.requests).toHaveLength(1);
  });

  it('makes a 400 validation error permanent, with HubSpot’s message and the inner error, after 1 request', async () => {
    server.answer({ status: 400, body: VALIDATION_ERROR, headers: { 'content-type': 'application/json' } });

    const error = await rejection(hubspot().upsert(event));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toContain('HubSpot answered 400');
    expect(error.message).toContain('VALIDATION_ERROR');
    expect(error.message).toContain('Property values were not valid');
    expect(error.message).toContain('Property "leadsie_foo" does not exist');
    expect(server.requests).toHaveLength(1);
    expectNoToken(error);
  });

  it('makes a 401 permanent after 1 request, without the token', async () => {
    server.answer({
      status: 401,
      body: json({
        status: 'error',
        message: 'Authentication credentials not found.',
        correlationId: 'c7b4f8a0-0000-4000-8000-000000000001',
        category: 'INVALID_AUTHENTICATION',
      }),
    });

    const error = await rejection(hubspot().upsert(event));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toBe(
      'HubSpot answered 401: INVALID_AUTHENTICATION: Authentication credentials not found.',
    );
    expect(server.requests).toHaveLength(1);
    expectNoToken(error);
  });

  it('makes a 207 multi-status (the one input failed) permanent, with the inner error, after 1 request', async () => {
    server.answer({
      status: 207,
      body: json({
        status: 'COMPLETE',
        results: [],
        numErrors: 1,
        errors: [
          {
            status: 'error',
            category: 'VALIDATION_ERROR',
            message: 'Property "leadsie_foo" does not exist',
            context: { propertyName: ['leadsie_foo'] },
          },
        ],
        startedAt: '2026-06-14T10:02:21.000Z',
        completedAt: '2026-06-14T10:02:21.050Z',
      }),
    });

    const error = await rejection(hubspot().upsert(event));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toBe('HubSpot rejected the record: Property "leadsie_foo" does not exist');
    expect(server.requests).toHaveLength(1);
    expectNoToken(error);
  });

  it('refuses an event without a user: PermanentDeliveryError and no request sent', async () => {
    const noUser = eventOf('v1-success-no-user.json');
    expect(noUser.user).toBeNull();
    const target = hubspot();

    expect(target.requiresUser).toBe(true);
    expect(() => target.requestBody(noUser)).toThrow(PermanentDeliveryError);
    const error = await rejection(target.upsert(noUser));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toBe('HubSpot needs a user to identify the record');
    expect(server.requests).toHaveLength(0);
  });

  it('times out on a hung HubSpot after 1 request: TargetTimeoutError, without the token', async () => {
    server.answer({ hang: true });

    const error = await rejection(hubspot().upsert(event));

    expect(error).toBeInstanceOf(TargetTimeoutError);
    expect(error.message).toBe(`HubSpot gave no answer within ${TIMEOUT_MS} ms`);
    expect(server.requests).toHaveLength(1);
    expectNoToken(error);
  });

  // HubSpot's parsed detail is cut like any other answer, so a 400 listing many bad properties
  // does not make an error message (and a log line) of many kilobytes.
  it('cuts a long HubSpot error detail to about 500 characters', async () => {
    const errors = Array.from({ length: 100 }, (_, i) => ({
      message: `Property "leadsie_missing_property_${i}" does not exist`,
    }));
    server.answer({
      status: 400,
      body: json({
        status: 'error',
        message: 'Property values were not valid',
        category: 'VALIDATION_ERROR',
        errors,
      }),
    });

    const error = await rejection(hubspot().upsert(event));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message.length).toBeLessThanOrEqual(600);
  });
});

/**
 * Answers retried until the adapter gives up wait out p-retry's backoff (250 ms, then 500 ms, with
 * jitter); they run concurrently, each against its own server, so the waits overlap.
 */
describe.concurrent('HubSpotTarget retries with backoff (a loopback HubSpot each)', () => {
  const event = eventOf('v2-partial-multi-platform.json');

  const hubspotAnswering = async (
    onTestFinished: TestContext['onTestFinished'],
    fallback: ScriptedAnswer,
  ): Promise<{ server: TargetServer; target: HubSpotTarget }> => {
    const server = await startTargetServer(fallback);
    onTestFinished(() => server.close());
    return { server, target: hubspotAt(server) };
  };

  it('retries a 429 without Retry-After with backoff, then gives up: RetryableDeliveryError after 3 requests', async ({
    expect,
    onTestFinished,
  }) => {
    const { server, target } = await hubspotAnswering(onTestFinished, {
      status: 429,
      body: RATE_LIMITED,
      headers: { 'content-type': 'application/json' },
    });

    const error = await rejection(target.upsert(event));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as RetryableDeliveryError).retryAfterSeconds).toBeUndefined();
    expect(error.message).toBe('HubSpot answered 429: You have reached your secondly limit.');
    expect(server.requests).toHaveLength(3);
    // Every retry is the same authenticated request.
    for (const request of server.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(request.body).toBe(server.requests[0]?.body);
    }
    expectNoToken(error);
  });

  it('retries a 429 with a short Retry-After (1 s), then gives up with retryAfterSeconds 1', async ({
    expect,
    onTestFinished,
  }) => {
    const { server, target } = await hubspotAnswering(onTestFinished, {
      status: 429,
      body: RATE_LIMITED,
      headers: { 'Retry-After': '1' },
    });

    const error = await rejection(target.upsert(event));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as RetryableDeliveryError).retryAfterSeconds).toBe(1);
    expect(server.requests).toHaveLength(3);
    expectNoToken(error);
  });

  it('retries a 503 with backoff, then gives up: RetryableDeliveryError after 3 requests', async ({
    expect,
    onTestFinished,
  }) => {
    const { server, target } = await hubspotAnswering(onTestFinished, {
      status: 503,
      body: 'upstream connect error',
    });

    const error = await rejection(target.upsert(event));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toBe('HubSpot answered 503: upstream connect error');
    expect(server.requests).toHaveLength(3);
    expectNoToken(error);
  });
});
