/**
 * POST /leadsie/webhook: the ingest handler as Lambda runs it (makeHandler inside the house
 * middleware), with in-memory fakes of the store and the topic. Fixtures in; status, headers, body
 * and side effects (what was stored, what was published) out.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { staticSecret } from '../../lambda/adapters/secrets.ts';
import { snsMessageAttributes } from '../../lambda/adapters/sns-event-publisher.ts';
import { DEFAULTS, METRIC_NAMES } from '../../lambda/contract.ts';
import { buildEnvelope, envelopeSchema } from '../../lambda/domain/envelope.ts';
import { fingerprint } from '../../lambda/domain/fingerprint.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';
import { type IngestHandlerDeps, makeHandler } from '../../lambda/handlers/ingest.ts';
import type { HttpEvent, HttpResult } from '../../lambda/shared/http.ts';
import { withHttpMiddleware } from '../../lambda/shared/middleware.ts';
import { snsMessageCheck } from '../../lambda/use-cases/ingest-delivery.ts';
import { apiEvent } from '../support/api-event.ts';
import { InMemoryConnectionStore, InMemoryEventPublisher } from '../support/fakes.ts';
import { silentLogger } from '../support/logger.ts';
import { InMemoryMetrics } from '../support/metrics.ts';

const PAYLOADS = new URL('../fixtures/payloads/', import.meta.url);
const FIXTURES = readdirSync(PAYLOADS)
  .filter((name) => name.endsWith('.json'))
  .sort();
const fixture = (name: string): string => readFileSync(new URL(name, PAYLOADS), 'utf8');

const TOKEN = 'Webhook-Token-0123456789-abcdefghijklmnopqrstuvwxyz';
const LIMIT = DEFAULTS.maxBodyBytes;
const NOW = Date.parse('2026-11-26T10:00:00.000Z');
const LEASE_MS = 30_000;
const logger = silentLogger();

interface Answer extends HttpResult {
  json: {
    error?: unknown;
    details?: unknown;
    eventId?: unknown;
    duplicate?: unknown;
    quarantineId?: unknown;
  };
  headers: Record<string, string>;
}

/** A fresh handler with fresh fakes; `overrides` replace any dependency. */
const setup = (overrides: Partial<IngestHandlerDeps> = {}) => {
  const store = new InMemoryConnectionStore();
  const publisher = new InMemoryEventPublisher();
  let now = NOW;
  let ids = 0;
  const deps: IngestHandlerDeps = {
    store,
    quarantine: store,
    publisher,
    webhookToken: staticSecret(TOKEN),
    maxBodyBytes: LIMIT,
    log: logger,
    now: () => new Date(now),
    newEventId: () => `01TESTEVENT${String(++ids).padStart(8, '0')}`,
    leaseMs: LEASE_MS,
    ...overrides,
  };
  const wrapped = withHttpMiddleware(makeHandler(deps), logger);
  const call = async (event: HttpEvent): Promise<Answer> => {
    const result = (await wrapped(event, {} as never)) as HttpResult;
    return {
      ...result,
      headers: (result.headers ?? {}) as Record<string, string>,
      json: JSON.parse(result.body ?? 'null'),
    };
  };
  return { store, publisher, call, advance: (ms: number) => (now += ms) };
};

const post = (
  body: string | Buffer | undefined,
  options: { query?: Record<string, string>; headers?: Record<string, string>; base64?: boolean } = {},
): HttpEvent =>
  apiEvent({
    body,
    query: options.query ?? { token: TOKEN },
    headers: options.headers ?? { 'content-type': 'application/json' },
    base64: options.base64 ?? false,
  });

/**
 * What every error answer looks like: JSON, not cached, `{ error, details?, quarantineId? }` and
 * nothing else; a refused body (400, 413, 415) always names its quarantine entry, nothing else does.
 */
const expectErrorAnswer = (answer: Answer, status: number): void => {
  expect(answer.statusCode, answer.body).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json\b/);
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(answer.json).toEqual(expect.any(Object));
  expect(typeof answer.json.error).toBe('string');
  expect((answer.json.error as string).length).toBeGreaterThan(0);
  for (const key of Object.keys(answer.json)) expect(['error', 'details', 'quarantineId']).toContain(key);
  if ([400, 413, 415].includes(status)) expect(answer.json.quarantineId).toMatch(/^[0-9a-f]{64}$/);
  else expect(answer.json).not.toHaveProperty('quarantineId');
};

const sha256 = (body: string | Buffer): string => createHash('sha256').update(body).digest('hex');

const VALID = fixture('v1-partial-success.json');

describe('ingest: accepted deliveries', () => {
  it('finds the payload fixtures', () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(5);
  });

  it.each(FIXTURES)(
    'answers 200 { eventId, duplicate: false } for %s, stored and published once',
    async (name) => {
      const { store, publisher, call } = setup();
      const body = fixture(name);
      const answer = await call(post(body));

      expect(answer.statusCode, answer.body).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^application\/json\b/);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.json).toEqual({ eventId: '01TESTEVENT00000001', duplicate: false });

      const [delivery, ...others] = store.deliveries();
      expect(others).toEqual([]);
      expect(delivery).toMatchObject({
        eventId: '01TESTEVENT00000001',
        fingerprint: fingerprint(JSON.parse(body)),
        rawBody: body,
        receivedAt: new Date(NOW).toISOString(),
        version: 1,
        publishedAt: expect.any(String),
      });
      expect(store.pending()).toEqual([]);

      expect(publisher.published).toHaveLength(1);
      const envelope = envelopeSchema.parse(publisher.published[0]);
      expect(envelope).toMatchObject({
        eventId: '01TESTEVENT00000001',
        version: 1,
        fingerprint: delivery?.fingerprint,
      });
      expect(store.latest()).toMatchObject([{ eventId: '01TESTEVENT00000001', version: 1 }]);
    },
  );

  it('answers a redelivery (same payload, other key order and spacing) duplicate: true with the first eventId, publishing nothing more', async () => {
    const { store, publisher, call } = setup();
    const first = await call(post(VALID));
    const reordered = JSON.stringify(
      Object.fromEntries(Object.entries(JSON.parse(VALID)).reverse()),
      null,
      3,
    );
    const second = await call(post(reordered));
    expect(second.statusCode).toBe(200);
    expect(second.json).toEqual({ eventId: first.json.eventId, duplicate: true });
    expect(publisher.published).toHaveLength(1);
    expect(store.deliveries()).toHaveLength(1);
  });

  it.each<[string, string, string]>([
    ['an integer beyond 2^53', '9007199254740993', '9007199254740992'],
    ['-0 and 0', '-0', '0'],
    ['1e309 and null', '1e309', 'null'],
    ['1.0 and 1', '1.0', '1'],
    ['an exponent and its digits', '1e2', '100'],
  ])(
    'stores and publishes bodies that differ only in a number (%s) as two deliveries; the same bytes again are a duplicate',
    async (_, a, b) => {
      const { store, publisher, call } = setup();
      const body = (n: string) => VALID.replace(/^\{/, `{"leadsieCounter": ${n},`);
      expect(JSON.stringify(JSON.parse(body(a)))).toBe(JSON.stringify(JSON.parse(body(b))));
      const first = await call(post(body(a)));
      const second = await call(post(body(b)));
      const again = await call(post(body(a)));
      expect(first.json).toMatchObject({ duplicate: false });
      expect(second.json).toMatchObject({ duplicate: false });
      expect(second.json.eventId).not.toBe(first.json.eventId);
      expect(again.json).toEqual({ eventId: first.json.eventId, duplicate: true });
      expect(store.deliveries().map((d) => d.rawBody)).toEqual([body(a), body(b)]);
      expect(publisher.published).toHaveLength(2);
    },
  );

  it.each([
    ['?token=', { query: { token: TOKEN }, headers: { 'content-type': 'application/json' } }],
    [
      'Authorization: Bearer',
      { query: {}, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } },
    ],
    [
      'Authorization: bearer (lower-case scheme)',
      { query: {}, headers: { 'content-type': 'application/json', authorization: `bearer ${TOKEN}` } },
    ],
    [
      'Authorization: BEARER (upper-case scheme)',
      { query: {}, headers: { 'content-type': 'application/json', authorization: `BEARER ${TOKEN}` } },
    ],
    [
      // requireToken: "unless ONE of the presented tokens matches" — a stale query token does not
      // spoil a right bearer token.
      'a right bearer token next to a wrong ?token=',
      {
        query: { token: 'stale' },
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      },
    ],
  ])('accepts the token in %s', async (_where, options) => {
    const { publisher, call } = setup();
    const answer = await call(post(VALID, options));
    expect(answer.statusCode, answer.body).toBe(200);
    expect(publisher.published).toHaveLength(1);
  });

  it('finds the Authorization and Content-Type headers whatever the case of their names', async () => {
    const { call } = setup();
    const event = post(VALID, { query: {} });
    event.headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'text/plain' };
    // Authorised (so the header was found), and then refused for its content type (found too).
    expectErrorAnswer(await call(event), 415);
  });

  it.each([
    ['absent', undefined],
    ['application/json', 'application/json'],
    ['application/json; charset=utf-8', 'application/json; charset=utf-8'],
    ['APPLICATION/JSON', 'APPLICATION/JSON'],
    ['application/vnd.leadsie+json', 'application/vnd.leadsie+json'],
  ])('accepts content type %s', async (_name, contentType) => {
    const { call } = setup();
    const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
    const answer = await call(post(VALID, { headers }));
    expect(answer.statusCode, answer.body).toBe(200);
  });

  it('accepts a body exactly at the size limit (a valid payload padded with spaces)', async () => {
    const { store, call } = setup();
    const padded = VALID + ' '.repeat(LIMIT - Buffer.byteLength(VALID));
    expect(Buffer.byteLength(padded)).toBe(LIMIT);
    const answer = await call(post(padded));
    expect(answer.statusCode, answer.body).toBe(200);
    expect(store.deliveries()[0]?.rawBody).toBe(padded);
  });

  it('accepts a body that starts with a UTF-8 byte order mark, storing it exactly as received', async () => {
    const { store, call } = setup();
    const answer = await call(post(`\ufeff${VALID}`));
    expect(answer.statusCode, answer.body).toBe(200);
    expect(store.deliveries()[0]?.rawBody).toBe(`\ufeff${VALID}`);
  });

  it('accepts a base64-encoded body, storing the decoded text', async () => {
    const { store, call } = setup();
    const answer = await call(post(VALID, { base64: true }));
    expect(answer.statusCode, answer.body).toBe(200);
    expect(store.deliveries()[0]?.rawBody).toBe(VALID);
  });

  it('measures a base64 body by its decoded size (its encoded form is a third larger than the limit)', async () => {
    const { call } = setup();
    const padded = VALID + ' '.repeat(LIMIT - Buffer.byteLength(VALID));
    expect(Buffer.from(padded).toString('base64').length).toBeGreaterThan(LIMIT);
    expect((await call(post(padded, { base64: true }))).statusCode).toBe(200);
    expectErrorAnswer(await call(post(`${padded} `, { base64: true })), 413);
  });
});

describe('ingest: 401 without the right token, before anything is read or stored', () => {
  const rightBody = VALID;
  it.each([
    ['no token', { query: {} }],
    ['a wrong token', { query: { token: 'not-the-token' } }],
    ['the token in another case', { query: { token: TOKEN.toUpperCase() } }],
    ['the token with a trailing space', { query: { token: `${TOKEN} ` } }],
    ['the token with a leading space', { query: { token: ` ${TOKEN}` } }],
    ['an empty ?token=', { query: { token: '' } }],
    ['the token in another query parameter (access_token)', { query: { access_token: TOKEN } }],
    ['the token in another query parameter (Token)', { query: { Token: TOKEN } }],
    ['a prefix of the token', { query: { token: TOKEN.slice(0, -1) } }],
    ['the token with one more character', { query: { token: `${TOKEN}x` } }],
    [
      'an empty bearer token',
      { query: {}, headers: { 'content-type': 'application/json', authorization: 'Bearer ' } },
    ],
    [
      'a wrong bearer token',
      { query: {}, headers: { 'content-type': 'application/json', authorization: 'Bearer nope' } },
    ],
    [
      'the token under another scheme (Basic)',
      { query: {}, headers: { 'content-type': 'application/json', authorization: `Basic ${TOKEN}` } },
    ],
    [
      'the token without a scheme',
      { query: {}, headers: { 'content-type': 'application/json', authorization: TOKEN } },
    ],
    [
      'the token in another header',
      { query: {}, headers: { 'content-type': 'application/json', 'x-token': TOKEN } },
    ],
  ])('rejects %s', async (_name, options) => {
    const { store, publisher, call } = setup();
    const event = post(rightBody, options);
    const answer = await call(event);
    expectErrorAnswer(answer, 401);
    expect(answer.headers['www-authenticate']).toBe('Bearer');
    expect(store.calls).toEqual([]);
    expect(publisher.attempts).toBe(0);
    // No echo of what was presented, nor of the real token (nor of any long piece of it).
    expect(answer.body).not.toContain(TOKEN.slice(0, 12));
    expect(answer.body).not.toContain(TOKEN.slice(-12));
    expect(answer.body).not.toContain('not-the-token');
    expect(answer.body?.toLowerCase()).not.toContain(TOKEN.toLowerCase().slice(0, 12));
  });

  it('checks the token before the body: a bad token with a bad body is 401, not 400', async () => {
    const { store, call } = setup();
    expectErrorAnswer(await call(post('{not json', { query: { token: 'wrong' } })), 401);
    expectErrorAnswer(await call(post('', { query: {} })), 401);
    expect(store.calls).toEqual([]);
  });

  it('checks the token before the content type and size: a wrong token with a large text body is 401', async () => {
    const { call } = setup();
    const answer = await call(
      post('x'.repeat(LIMIT + 1), { query: { token: 'wrong' }, headers: { 'content-type': 'text/plain' } }),
    );
    expectErrorAnswer(answer, 401);
  });
});

describe('ingest: an unauthenticated request costs no more than the token check', () => {
  /** A request whose body counts every read of it. */
  const watched = (options: Parameters<typeof post>[1]) => {
    const event = post(VALID, options);
    const reads = { body: 0 };
    Object.defineProperty(event, 'body', {
      get: () => {
        reads.body++;
        return VALID;
      },
    });
    return { event, reads };
  };

  it.each([
    ['no token', { query: {} }],
    ['a wrong token', { query: { token: 'wrong' } }],
  ])(
    'answers %s with 401 without reading the body, the store, the topic or the quarantine',
    async (_, options) => {
      const { store, publisher, call } = setup();
      const { event, reads } = watched(options);
      expectErrorAnswer(await call(event), 401);
      expect(reads.body).toBe(0);
      expect(store.calls).toEqual([]);
      expect(store.quarantineEntries()).toEqual([]);
      expect(publisher.attempts).toBe(0);
    },
  );

  it('does not even read the token secret when no token is presented', async () => {
    let secretReads = 0;
    const { call } = setup({
      webhookToken: {
        value: async () => {
          secretReads++;
          return TOKEN;
        },
      },
    });
    expectErrorAnswer(await call(watched({ query: {} }).event), 401);
    expect(secretReads).toBe(0);
    const right = watched({ query: { token: TOKEN } });
    expect((await call(right.event)).statusCode).toBe(200);
    expect(right.reads.body).toBeGreaterThan(0);
    expect(secretReads).toBe(1);
  });
});

describe('ingest: 413 and 415', () => {
  it.each([
    ['text/plain', 'text/plain'],
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
    ['multipart/form-data', 'multipart/form-data; boundary=----x'],
    ['text/json', 'text/json'],
    ['application/jsonp', 'application/jsonp'],
  ])(
    'answers 415 for %s (even with a valid JSON body), naming the type and what to send',
    async (_name, type) => {
      const { store, publisher, call } = setup();
      const answer = await call(post(VALID, { headers: { 'content-type': type } }));
      expectErrorAnswer(answer, 415);
      expect(answer.json.error).toContain(type);
      expect(answer.json.error).toMatch(/application\/json/);
      expect(store.calls).toEqual(['quarantine']);
      expect(publisher.attempts).toBe(0);
    },
  );

  it('answers 413 one byte over the limit, naming the size and the limit', async () => {
    const { store, publisher, call } = setup();
    const body = VALID + ' '.repeat(LIMIT + 1 - Buffer.byteLength(VALID));
    const answer = await call(post(body));
    expectErrorAnswer(answer, 413);
    expect(answer.json.error).toContain(String(LIMIT + 1));
    expect(answer.json.error).toContain(String(LIMIT));
    expect(store.calls).toEqual(['quarantine']);
    expect(publisher.attempts).toBe(0);
  });

  it('counts bytes, not characters: a body of fewer characters than the limit but more UTF-8 bytes is 413', async () => {
    const { call } = setup();
    const payload = JSON.parse(VALID);
    payload.requestName = 'é'.repeat(LIMIT / 2);
    const body = JSON.stringify(payload);
    expect(body.length).toBeLessThan(LIMIT);
    expect(Buffer.byteLength(body)).toBeGreaterThan(LIMIT);
    expectErrorAnswer(await call(post(body)), 413);
  });

  it('checks the content type before the size (the documented order: type, size, UTF-8, JSON): a text body over the limit is 415', async () => {
    const { call } = setup();
    const answer = await call(post('x'.repeat(LIMIT + 1), { headers: { 'content-type': 'text/plain' } }));
    expectErrorAnswer(answer, 415);
    // The answer says what is wrong with what was sent: its type.
    expect(answer.json.error).toMatch(/content type "text\/plain" is not supported/i);
    // The order is the one the handler documents.
    const source = readFileSync(new URL('../../lambda/handlers/ingest.ts', import.meta.url), 'utf8');
    expect(source).toMatch(/body checks \(type, size, UTF-8, JSON\)/);
  });
});

describe('ingest: 400 for bodies that are not a Leadsie payload', () => {
  it('answers 400 for invalid UTF-8 (base64 of bytes ff fe)', async () => {
    const { store, call } = setup();
    const answer = await call(post(Buffer.from([0xff, 0xfe]), { base64: true }));
    expectErrorAnswer(answer, 400);
    expect(answer.json.error).toMatch(/UTF-8/);
    expect(answer.json.details).toEqual([{ path: '(root)', message: expect.stringMatching(/UTF-8/) }]);
    expect(store.calls).toEqual(['quarantine']);
  });

  it.each([
    ['no body at all', undefined],
    ['an empty body', ''],
    ['a body of white space', ' \n\t '],
  ])('answers 400 for %s', async (_name, body) => {
    const { store, call } = setup();
    const answer = await call(post(body));
    expectErrorAnswer(answer, 400);
    expect(answer.json.error).toMatch(/empty/);
    expect(answer.json.details).toEqual([{ path: '(root)', message: expect.any(String) }]);
    expect(store.calls).toEqual(['quarantine']);
  });

  it.each([
    ['truncated JSON', '{"requestUrl": '],
    ['a trailing comma', '{"requestUrl": "x",}'],
    ['single quotes', "{'requestUrl': 'x'}"],
    ['two objects', '{} {}'],
  ])('answers 400 for invalid JSON (%s) with details [{ path: "(root)", message }]', async (_name, body) => {
    const { store, call } = setup();
    const answer = await call(post(body));
    expectErrorAnswer(answer, 400);
    expect(answer.json.error).toMatch(/not valid JSON/);
    expect(answer.json.details).toEqual([{ path: '(root)', message: expect.any(String) }]);
    expect((answer.json.details as { message: string }[])[0]?.message.length).toBeGreaterThan(0);
    expect(store.calls).toEqual(['quarantine']);
  });

  it.each([
    ['an array', '[]', 'an array'],
    ['a string', '"hello"', 'a string'],
    ['null', 'null', 'null'],
    ['a number', '42', 'a number'],
  ])('answers 400 for JSON that is %s, saying what it received', async (_name, body, received) => {
    const { store, call } = setup();
    const answer = await call(post(body));
    expectErrorAnswer(answer, 400);
    expect(answer.json.details).toEqual([{ path: '(root)', message: expect.stringContaining(received) }]);
    expect(store.calls).toEqual(['quarantine']);
  });

  it('answers 400 listing every schema problem with its path', async () => {
    const { store, publisher, call } = setup();
    const body = JSON.stringify({
      requestUrl: 'https://app.leadsie.com/request/x',
      // requestName missing
      status: 42,
      connectionAssets: [{ type: 'Page' }, { type: '', id: '1' }, { type: 'Pixel', id: true }],
    });
    const answer = await call(post(body));
    expectErrorAnswer(answer, 400);
    const details = answer.json.details as { path: string; message: string }[];
    expect(details.map((d) => d.path).sort()).toEqual(
      [
        'requestName',
        'status',
        'connectionAssets[0].id',
        'connectionAssets[1].type',
        'connectionAssets[2].id',
      ].sort(),
    );
    for (const detail of details) expect(detail.message).toEqual(expect.any(String));
    expect(details.find((d) => d.path === 'connectionAssets[0].id')?.message).toMatch(/missing/);
    expect(store.calls).toEqual(['quarantine']);
    expect(publisher.attempts).toBe(0);
  });

  // The fingerprint and the schema walk the payload; a hostile nesting depth is refused before either.
  it('answers 400, not 500, for a payload with an unknown field nested 50 000 levels deep', async () => {
    const { store, call } = setup();
    const payload = JSON.parse(VALID);
    const depth = 50_000;
    const body = JSON.stringify(payload).replace(/}$/, `,"extra":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    expect(Buffer.byteLength(body)).toBeLessThan(LIMIT);
    const answer = await call(post(body));
    expectErrorAnswer(answer, 400);
    expect(store.calls).toEqual(['quarantine']);
  });

  it('answers 400 for a payload without connectionAssets, naming the field', async () => {
    const { call } = setup();
    const payload = JSON.parse(VALID);
    delete payload.connectionAssets;
    const answer = await call(post(JSON.stringify(payload)));
    expectErrorAnswer(answer, 400);
    expect(answer.json.details).toEqual([{ path: 'connectionAssets', message: expect.any(String) }]);
  });
});

describe('ingest: refused bodies are kept in quarantine', () => {
  it('keeps a body that is not JSON: its bytes, content type and reason, under the hash of the body', async () => {
    const { store, publisher, call } = setup();
    const body = '{"user": "agency-7", truncated';
    const answer = await call(post(body));
    expectErrorAnswer(answer, 400);
    expect(answer.json.quarantineId).toBe(sha256(body));
    const [entry, ...others] = store.quarantineEntries();
    expect(others).toEqual([]);
    expect(entry).toMatchObject({
      id: sha256(body),
      receivedAt: new Date(NOW).toISOString(),
      firstReceivedAt: new Date(NOW).toISOString(),
      contentType: 'application/json',
      bodyBytes: Buffer.byteLength(body),
      attempts: 1,
      reason: { status: 400, kind: 'invalid-payload', message: 'The body is not valid JSON' },
      resolvedAt: null,
    });
    expect(Buffer.from(entry?.body ?? []).toString('utf8')).toBe(body);
    expect(store.deliveries()).toEqual([]);
    expect(publisher.attempts).toBe(0);
  });

  it('keeps the schema problems of a JSON body that is not a Leadsie payload', async () => {
    const { store, call } = setup();
    const body = JSON.stringify({ ...JSON.parse(VALID), connectionAssets: 'not a list' });
    const answer = await call(post(body));
    expectErrorAnswer(answer, 400);
    const [entry] = store.quarantineEntries();
    expect(entry?.reason.problems).toEqual(answer.json.details);
    expect(entry?.reason.problems).toContainEqual(expect.objectContaining({ path: 'connectionAssets' }));
  });

  it.each([
    [
      'requestName',
      (p: Record<string, unknown>) => ({ ...p, requestName: 'Onboarding \udc00' }),
      'requestName',
    ],
    ['status (an SNS attribute)', (p: Record<string, unknown>) => ({ ...p, status: '\ud800' }), 'status'],
    [
      'an asset type (an SNS attribute)',
      (p: Record<string, unknown>) => ({ ...p, connectionAssets: [{ type: 'Page\udfff', id: '1' }] }),
      'connectionAssets[0].type',
    ],
    ['a key', (p: Record<string, unknown>) => ({ ...p, '\udc00': 1 }), '(root)'],
  ])(
    'refuses a lone surrogate escape in %s with 400 naming its path, keeps the body in quarantine, stores nothing',
    async (_, change, path) => {
      const { store, publisher, call } = setup();
      // JSON.stringify writes a lone surrogate as the escape Leadsie's JSON would carry.
      const body = JSON.stringify(change(JSON.parse(VALID)));
      expect(body).toMatch(/\\ud[89a-f][0-9a-f]{2}/);
      const answer = await call(post(body));
      expectErrorAnswer(answer, 400);
      expect(answer.json.details).toEqual([
        { path, message: expect.stringMatching(/not well-formed Unicode/) },
      ]);
      expect(answer.body?.isWellFormed()).toBe(true);
      const [entry, ...others] = store.quarantineEntries();
      expect(others).toEqual([]);
      expect(entry).toMatchObject({ id: sha256(body), reason: { status: 400, kind: 'invalid-payload' } });
      expect(Buffer.from(entry?.body ?? []).toString('utf8')).toBe(body);
      expect(store.deliveries()).toEqual([]);
      expect(publisher.attempts).toBe(0);
    },
  );

  it('keeps a body sent with an unsupported content type, with that content type (415)', async () => {
    const { store, call } = setup();
    const answer = await call(post(VALID, { headers: { 'content-type': 'text/plain' } }));
    expectErrorAnswer(answer, 415);
    expect(store.quarantineEntries()).toMatchObject([
      {
        id: sha256(VALID),
        contentType: 'text/plain',
        reason: { status: 415, kind: 'unsupported-media-type' },
      },
    ]);
  });

  it('keeps a body over the size limit (413), with its full size', async () => {
    const { store, call } = setup({ maxBodyBytes: 100 });
    const answer = await call(post(VALID));
    expectErrorAnswer(answer, 413);
    const [entry] = store.quarantineEntries();
    expect(entry).toMatchObject({
      bodyBytes: Buffer.byteLength(VALID),
      reason: { kind: 'payload-too-large' },
    });
    expect(Buffer.from(entry?.body ?? []).toString('utf8')).toBe(VALID);
  });

  it('keeps invalid UTF-8 byte for byte, and a body sent without a content type as such', async () => {
    const { store, call } = setup();
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0xfe, 0x7d]);
    const answer = await call(post(bytes, { base64: true, headers: {} }));
    expectErrorAnswer(answer, 400);
    const [entry] = store.quarantineEntries();
    expect(entry?.id).toBe(sha256(bytes));
    expect(entry?.contentType).toBeNull();
    expect(Buffer.from(entry?.body ?? []).equals(bytes)).toBe(true);
  });

  it('counts each quarantined arrival as WebhooksQuarantined, and nothing for a 401', async () => {
    const metrics = new InMemoryMetrics();
    const { call } = setup({ metrics });
    await call(post('nope'));
    await call(post('nope'));
    await call(post('nope', { query: { token: 'wrong' } }));
    expect(metrics.total(METRIC_NAMES.webhooksQuarantined)).toBe(2);
  });

  it('counts the same body sent again as another attempt of one entry', async () => {
    const { store, call, advance } = setup();
    await call(post('nope'));
    advance(60_000);
    const again = await call(post('nope'));
    expectErrorAnswer(again, 400);
    expect(store.quarantineEntries()).toMatchObject([
      {
        attempts: 2,
        firstReceivedAt: new Date(NOW).toISOString(),
        receivedAt: new Date(NOW + 60_000).toISOString(),
      },
    ]);
  });

  it('answers 503 (so Leadsie sends it again) when the body cannot be kept, naming why it was refused', async () => {
    const { store, publisher, call } = setup();
    store.failOn('quarantine', new Error('ProvisionedThroughputExceeded: table internals'));
    const answer = await call(post('not json'));
    expectErrorAnswer(answer, 503);
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    expect(answer.json.error).toMatch(
      /refused \(The body is not valid JSON\) and could not be kept; retry later/,
    );
    expect(answer.body).not.toContain('table internals');
    expect(publisher.attempts).toBe(0);
  });

  it('keeps nothing for a request without the right token, whatever its body', async () => {
    const { store, call } = setup();
    expectErrorAnswer(await call(post('not json', { query: { token: 'wrong' } })), 401);
    expectErrorAnswer(await call(post(VALID, { query: {}, headers: { 'content-type': 'text/plain' } })), 401);
    expect(store.calls).toEqual([]);
    expect(store.quarantineEntries()).toEqual([]);
  });

  it('does not quarantine accepted deliveries or duplicates', async () => {
    const { store, call } = setup();
    expect((await call(post(VALID))).statusCode).toBe(200);
    expect((await call(post(VALID))).statusCode).toBe(200);
    expect(store.quarantineEntries()).toEqual([]);
  });
});

describe('ingest: dependencies failing', () => {
  it('answers 503 with retry-after when the topic fails, keeps the delivery pending, and publishes it on redelivery', async () => {
    const { store, publisher, call } = setup();
    publisher.failWith(new Error('SNS said no: internal detail 1234'));
    const answer = await call(post(VALID));
    expectErrorAnswer(answer, 503);
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    expect(answer.json.error).toMatch(/stored but could not be published/);
    expect(answer.body).not.toContain('internal detail 1234');
    expect(publisher.published).toEqual([]);
    // Pending, with its version kept and its lease released so a redelivery may resume it at once.
    expect(store.pending()).toMatchObject([{ eventId: '01TESTEVENT00000001', version: 1, leaseUntil: 0 }]);

    publisher.heal();
    const retried = await call(post(VALID));
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json).toEqual({ eventId: '01TESTEVENT00000001', duplicate: true });
    expect(publisher.published).toHaveLength(1);
    expect(publisher.published[0]).toMatchObject({ eventId: '01TESTEVENT00000001', version: 1 });
    expect(store.pending()).toEqual([]);
    expect(store.latest()).toMatchObject([{ version: 1 }]);
  });

  it.each([['createDelivery'], ['advanceLatest']] as const)(
    'answers 503 naming the store when %s throws, publishing nothing',
    async (method) => {
      const { store, publisher, call } = setup();
      store.failOn(method, new Error('ProvisionedThroughputExceeded: table internals'));
      const answer = await call(post(VALID));
      expectErrorAnswer(answer, 503);
      expect(answer.headers['retry-after']).toMatch(/^\d+$/);
      expect(answer.json.error).toMatch(/connection store/);
      expect(answer.body).not.toContain('table internals');
      expect(publisher.attempts).toBe(0);
    },
  );

  it('releases the lease after a store failure half-way, so a redelivery resumes at once', async () => {
    const { store, publisher, call, advance } = setup();
    store.failOn('advanceLatest');
    expectErrorAnswer(await call(post(VALID)), 503);
    expect(store.pending()).toMatchObject([{ version: null, leaseUntil: 0 }]);
    store.heal();

    advance(5_000);
    const after = await call(post(VALID));
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json).toEqual({ eventId: '01TESTEVENT00000001', duplicate: true });
    expect(publisher.published).toMatchObject([{ eventId: '01TESTEVENT00000001', version: 1 }]);
    expect(store.pending()).toEqual([]);
  });

  it('answers 200 when the delivery was published but could not be marked published (it stays pending)', async () => {
    const { store, publisher, call } = setup();
    store.failOn('markPublished');
    const answer = await call(post(VALID));
    expect(answer.statusCode, answer.body).toBe(200);
    expect(publisher.published).toHaveLength(1);
    expect(store.pending()).toHaveLength(1);
  });

  it('answers 503 with retry-after when the token cannot be read, showing nothing of the failure', async () => {
    const secretText = 'arn:aws:secretsmanager:eu-west-1:123:secret:leaky AccessDenied';
    const { store, publisher, call } = setup({
      webhookToken: {
        value: async () => {
          throw new Error(secretText);
        },
      },
    });
    const answer = await call(post(VALID));
    expectErrorAnswer(answer, 503);
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    expect(answer.json).toEqual({ error: 'The token could not be read; retry later' });
    expect(answer.body).not.toContain('leaky');
    expect(answer.body).not.toContain('AccessDenied');
    expect(store.calls).toEqual([]);
    expect(publisher.attempts).toBe(0);
  });

  it('answers 500 with a generic message when the handler itself fails unexpectedly', async () => {
    const { store, publisher, call } = setup({
      newEventId: () => {
        throw new TypeError('bug detail xyz');
      },
    });
    const answer = await call(post(VALID));
    expectErrorAnswer(answer, 500);
    expect(answer.json).toEqual({ error: expect.stringMatching(/internal error/i) });
    expect(answer.body).not.toContain('bug detail');
    expect(store.calls).toEqual([]);
    expect(publisher.attempts).toBe(0);
  });

  it('answers 409 with retry-after while another request holds the lease, then resumes the delivery once it runs out', async () => {
    const { store, publisher, call, advance } = setup();
    // Another request recorded this payload a moment ago and is still working on it.
    await store.createDelivery({
      fingerprint: fingerprint(JSON.parse(VALID)),
      eventId: '01OTHERREQUEST',
      receivedAt: new Date(NOW - 1_000).toISOString(),
      user: 'u',
      requestUrl: 'https://app.leadsie.com/request/x',
      requestName: 'x',
      status: null,
      apiVersion: 1,
      rawBody: VALID,
      leaseUntil: NOW - 1_000 + LEASE_MS,
    });

    const during = await call(post(VALID));
    expectErrorAnswer(during, 409);
    expect(during.headers['retry-after']).toMatch(/^\d+$/);
    expect(during.json.error).toMatch(/being processed/);
    expect(during.json.details).toEqual({ eventId: '01OTHERREQUEST' });
    expect(publisher.attempts).toBe(0);

    advance(LEASE_MS);
    const after = await call(post(VALID));
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json).toEqual({ eventId: '01OTHERREQUEST', duplicate: true });
    expect(publisher.published).toMatchObject([{ eventId: '01OTHERREQUEST', version: 1 }]);
    expect(store.pending()).toEqual([]);
  });
});

describe('snsMessageCheck: what SNS would make of an envelope, before anything is stored', () => {
  const envelopeOf = (body: string) => {
    const json = JSON.parse(body);
    const parsed = parsePayload(json);
    if (!parsed.ok) throw new Error('fixture does not validate');
    return buildEnvelope({
      payload: parsed.payload,
      eventId: '01TESTEVENT00000001',
      fingerprint: fingerprint(json),
      receivedAt: new Date(NOW).toISOString(),
      version: 1,
    });
  };

  it('counts the JSON body and every attribute name, type and value, and finds nothing wrong', () => {
    const envelope = envelopeOf(VALID);
    const attributes = snsMessageAttributes(envelope);
    let expected = Buffer.byteLength(JSON.stringify(envelope));
    for (const [name, value] of Object.entries(attributes)) {
      expected += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
      expected += Buffer.byteLength(value.StringValue ?? '');
    }
    expect(snsMessageCheck(envelope)).toEqual({ bytes: expected, problems: [] });
  });

  it.each([
    ['status', { status: 'SUCCESS\udc00' }, 'status'],
    ['accessLevel', { accessLevel: '\ud800' }, 'accessLevel'],
  ])(
    'names an attribute the SNS client cannot encode (%s), by the payload field it comes from',
    (_, change, path) => {
      const envelope = { ...envelopeOf(VALID), ...change };
      expect(snsMessageCheck(envelope).problems).toEqual([
        { path, message: expect.stringMatching(/cannot be sent as the SNS message attribute/) },
      ]);
    },
  );

  it('finds nothing wrong with String.Array attributes, whose JSON escapes a lone surrogate', () => {
    const envelope = envelopeOf(VALID);
    const assets = envelope.assets.map((a) => ({ ...a, type: `${a.type}\udc00`, platform: '\ud800' }));
    expect(snsMessageCheck({ ...envelope, assets }).problems).toEqual([]);
  });
});
