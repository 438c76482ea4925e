/**
 * GET /connections?user=U: the connections handler as Lambda runs it, over the in-memory store.
 * Only the read token (as a bearer token) opens it; the webhook token never does.
 */
import { describe, expect, it } from 'vitest';
import { staticSecret } from '../../lambda/adapters/secrets.ts';
import { makeHandler } from '../../lambda/handlers/connections.ts';
import type { HttpEvent, HttpResult } from '../../lambda/shared/http.ts';
import { withHttpMiddleware } from '../../lambda/shared/middleware.ts';
import type { LatestConnection } from '../../lambda/use-cases/ports.ts';
import { apiEvent } from '../support/api-event.ts';
import { InMemoryConnectionStore } from '../support/fakes.ts';
import { silentLogger } from '../support/logger.ts';

const READ_TOKEN = 'read-token-0123456789abcdefghijklmnopqrstuvwxyz';
const WEBHOOK_TOKEN = 'webhook-token-0123456789abcdefghijklmnopqrstuvwxyz';
const USER = 'hubspot-company-42';
const logger = silentLogger();

const connection = (
  requestUrl: string,
  receivedAt: string,
  overrides: Partial<LatestConnection> = {},
): LatestConnection => ({
  user: USER,
  requestUrl,
  requestName: requestUrl.split('/').pop() ?? '',
  clientName: null,
  status: 'SUCCESS',
  accessLevel: 'admin',
  apiVersion: 1,
  isTest: false,
  eventId: `event-${receivedAt}`,
  fingerprint: `sha256:${receivedAt}`,
  receivedAt,
  flat: { user_id: USER, requestUrl, requestName: 'x' },
  ...overrides,
});

/**
 * A store holding three requests of USER, whose URL order (the store's own order) is not their
 * time order, one of them advanced twice, and a request of another user.
 */
const seededStore = async (): Promise<InMemoryConnectionStore> => {
  const store = new InMemoryConnectionStore();
  await store.advanceLatest(
    connection('https://app.leadsie.com/request/a-oldest', '2026-01-01T00:00:00.000Z'),
  );
  await store.advanceLatest(
    connection('https://app.leadsie.com/request/b-newest', '2026-03-01T00:00:00.000Z'),
  );
  await store.advanceLatest(
    connection('https://app.leadsie.com/request/c-middle', '2025-12-01T00:00:00.000Z', { status: 'FAILED' }),
  );
  await store.advanceLatest(
    connection('https://app.leadsie.com/request/c-middle', '2026-02-01T00:00:00.000Z'),
  );
  await store.advanceLatest(
    connection('https://app.leadsie.com/request/z-other-user', '2026-04-01T00:00:00.000Z', {
      user: 'someone-else',
    }),
  );
  store.calls.length = 0;
  return store;
};

const setup = async () => {
  const store = await seededStore();
  const wrapped = withHttpMiddleware(makeHandler({ store, readToken: staticSecret(READ_TOKEN) }), logger);
  const call = async (event: HttpEvent) => {
    const result = (await wrapped(event, {} as never)) as HttpResult;
    const headers = (result.headers ?? {}) as Record<string, string>;
    return { ...result, headers, json: JSON.parse(result.body ?? 'null') };
  };
  return { store, call };
};

const get = (query: Record<string, string> | undefined, headers: Record<string, string> = {}): HttpEvent =>
  apiEvent({ method: 'GET', path: '/connections', ...(query ? { query } : {}), headers });

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('GET /connections', () => {
  it("answers 200 with the user's latest connection per request, newest first", async () => {
    const { store, call } = await setup();
    const answer = await call(get({ user: USER }, bearer(READ_TOKEN)));
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json\b/);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.json.user).toBe(USER);
    const connections = answer.json.connections as {
      requestUrl: string;
      receivedAt: string;
      version: number;
    }[];
    expect(connections.map((c) => [c.requestUrl.split('/').pop(), c.receivedAt, c.version])).toEqual([
      ['b-newest', '2026-03-01T00:00:00.000Z', 1],
      ['c-middle', '2026-02-01T00:00:00.000Z', 2],
      ['a-oldest', '2026-01-01T00:00:00.000Z', 1],
    ]);
    expect(connections[1]).toMatchObject({ status: 'SUCCESS', flat: { user_id: USER } });
    expect(store.calls).toEqual(['latestForUser']);
  });

  it('answers 200 with no connections for a user the store does not know', async () => {
    const { call } = await setup();
    const answer = await call(get({ user: 'nobody' }, bearer(READ_TOKEN)));
    expect(answer.statusCode).toBe(200);
    expect(answer.json).toEqual({ user: 'nobody', connections: [] });
  });

  it.each([
    ['no Authorization header', { user: USER }, {}],
    ['a wrong bearer token', { user: USER }, bearer('wrong')],
    ['a prefix of the read token', { user: USER }, bearer(READ_TOKEN.slice(0, -1))],
    ['the read token under the Basic scheme', { user: USER }, { authorization: `Basic ${READ_TOKEN}` }],
    ['the webhook token as a bearer token', { user: USER }, bearer(WEBHOOK_TOKEN)],
    ['the webhook token in ?token= (as Leadsie sends it)', { user: USER, token: WEBHOOK_TOKEN }, {}],
    ['even the read token in ?token= (only the bearer header counts)', { user: USER, token: READ_TOKEN }, {}],
  ])('answers 401 for %s, reading nothing', async (_name, query, headers) => {
    const { store, call } = await setup();
    const answer = await call(get(query, headers));
    expect(answer.statusCode, answer.body).toBe(401);
    expect(answer.headers['content-type']).toMatch(/^application\/json\b/);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['www-authenticate']).toBe('Bearer');
    expect(answer.json).toEqual({ error: expect.any(String) });
    expect(answer.body).not.toContain(READ_TOKEN.slice(0, 12));
    expect(answer.body).not.toContain(WEBHOOK_TOKEN.slice(0, 12));
    expect(store.calls).toEqual([]);
  });

  it.each([
    ['missing', undefined],
    ['missing (other parameters only)', { other: USER }],
    ['empty', { user: '' }],
    ['longer than 1024 characters', { user: 'u'.repeat(1025) }],
  ])('answers 400 when user is %s, reading nothing', async (_name, query) => {
    const { store, call } = await setup();
    const answer = await call(get(query, bearer(READ_TOKEN)));
    expect(answer.statusCode, answer.body).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/json\b/);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.json).toEqual({ error: expect.stringContaining('"user"') });
    expect(store.calls).toEqual([]);
  });

  it('accepts a user of exactly 1024 characters', async () => {
    const { call } = await setup();
    const user = 'u'.repeat(1024);
    const answer = await call(get({ user }, bearer(READ_TOKEN)));
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json.user).toBe(user);
  });

  it('checks the token before the parameters: no token and no user is 401', async () => {
    const { call } = await setup();
    expect((await call(get(undefined, {}))).statusCode).toBe(401);
  });
});
