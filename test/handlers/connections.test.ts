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
    ['the read token', READ_TOKEN],
    ['the webhook token', WEBHOOK_TOKEN],
    ['a wrong token', 'wrong'],
  ])(
    'answers 401 with a hint to use the Bearer header for %s in ?token=, reading nothing',
    async (_name, token) => {
      const { store, call } = await setup();
      for (const query of [{ token }, { user: USER, token }] as Record<string, string>[]) {
        const answer = await call(get(query));
        expect(answer.statusCode, answer.body).toBe(401);
        expect(answer.headers['www-authenticate']).toBe('Bearer');
        expect(answer.json).toEqual({ error: expect.stringContaining('Authorization: Bearer <read token>') });
        expect(answer.body).not.toContain(token.slice(0, 12));
      }
      expect(store.calls).toEqual([]);
    },
  );

  it('takes the bearer header when ?token= comes too', async () => {
    const { call } = await setup();
    const answer = await call(get({ user: USER, token: 'ignored' }, bearer(READ_TOKEN)));
    expect(answer.statusCode, answer.body).toBe(200);
  });

  it.each([
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

  it('checks the token before the parameters: no token and a bad user is 401', async () => {
    const { call } = await setup();
    expect((await call(get({ user: '' }, {}))).statusCode).toBe(401);
    expect((await call(get(undefined, {}))).statusCode).toBe(401);
  });
});

/** A delivery of (user, request) at `receivedAt` that became its latest state, as ingest records it. */
const deliver = async (
  store: InMemoryConnectionStore,
  user: string | null,
  request: string,
  receivedAt: string,
): Promise<string> => {
  const requestUrl = `https://app.leadsie.com/request/${request}`;
  const eventId = `01${receivedAt}${request}`;
  const fingerprint = `sha256:${eventId}`;
  await store.createDelivery({
    fingerprint,
    eventId,
    receivedAt,
    user,
    requestUrl,
    requestName: request,
    status: 'SUCCESS',
    apiVersion: 1,
    rawBody: '{}',
    leaseUntil: 0,
  });
  await store.advanceLatest(connection(requestUrl, receivedAt, { user, eventId, fingerprint }));
  return eventId;
};

const NOW = new Date('2026-05-20T12:00:00.000Z');

describe('GET /connections without user: recent connections', () => {
  const recentSetup = async () => {
    const store = new InMemoryConnectionStore();
    // r1 twice (its older delivery must not list it twice), r2 without a user, r3 of another user,
    // r4 older than the default window.
    await deliver(store, USER, 'r1', '2026-05-01T00:00:00.000Z');
    await deliver(store, null, 'r2', '2026-05-02T00:00:00.000Z');
    await deliver(store, 'someone-else', 'r3', '2026-05-03T00:00:00.000Z');
    await deliver(store, USER, 'r1', '2026-05-04T00:00:00.000Z');
    await deliver(store, USER, 'r4', '2025-01-01T00:00:00.000Z');
    store.calls.length = 0;
    const wrapped = withHttpMiddleware(
      makeHandler({ store, readToken: staticSecret(READ_TOKEN), now: () => NOW }),
      logger,
    );
    const call = async (query: Record<string, string> | undefined) => {
      const result = (await wrapped(get(query, bearer(READ_TOKEN)), {} as never)) as HttpResult;
      return { ...result, json: JSON.parse(result.body ?? 'null') };
    };
    return { store, call };
  };

  const names = (connections: { requestUrl: string }[]): string[] =>
    connections.map((c) => c.requestUrl.split('/').pop() ?? '');

  it('lists each connection once, at its latest delivery, newest first, within the last 90 days', async () => {
    const { store, call } = await recentSetup();
    const answer = await call(undefined);
    expect(answer.statusCode, answer.body).toBe(200);
    expect(names(answer.json.connections)).toEqual(['r1', 'r3', 'r2']);
    expect(answer.json.connections[0]).toMatchObject({
      user: USER,
      version: 2,
      receivedAt: '2026-05-04T00:00:00.000Z',
    });
    expect(answer.json.connections[2]).toMatchObject({ user: null });
    expect(answer.json.next).toBeNull();
    expect(answer.json.since).toBe('2026-02-19T12:00:00.000Z');
    expect(store.calls).not.toContain('latestForUser');
  });

  it('pages with limit and cursor, and since reaches further back', async () => {
    const { call } = await recentSetup();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const answer = await call(
        cursor === undefined ? { limit: '1', since: '2024-01-01' } : { limit: '1', cursor },
      );
      expect(answer.statusCode, answer.body).toBe(200);
      expect(answer.json.connections.length).toBeLessThanOrEqual(1);
      seen.push(...names(answer.json.connections));
      cursor = answer.json.next ?? undefined;
      pages++;
    } while (cursor !== undefined && pages < 10);
    expect(seen).toEqual(['r1', 'r3', 'r2', 'r4']);
  });

  it.each([
    [{ limit: '0' }, '"limit"'],
    [{ limit: '101' }, '"limit"'],
    [{ limit: 'ten' }, '"limit"'],
    [{ since: 'yesterday' }, '"since"'],
    [{ since: '2027-01-01' }, '"since"'],
    [{ cursor: 'not-a-cursor' }, '"cursor"'],
    [{ cursor: 'eyJiIjoxfQ', since: '2026-01-01' }, '"since"'],
    [{ user: USER, limit: '5' }, '"limit"'],
    [{ noUser: 'true', cursor: 'x' }, '"cursor"'],
    [{ noUser: 'yes' }, '"noUser"'],
    [{ user: USER, noUser: 'true' }, '"noUser"'],
  ])('answers 400 for %j', async (query, named) => {
    const { call } = await recentSetup();
    const answer = await call(query);
    expect(answer.statusCode, answer.body).toBe(400);
    expect(answer.json.error).toContain(named);
  });

  it('noUser=true reads the connections of deliveries without a user', async () => {
    const { store, call } = await recentSetup();
    const answer = await call({ noUser: 'true' });
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json.user).toBeNull();
    expect(names(answer.json.connections)).toEqual(['r2']);
    expect(store.calls).toEqual(['latestForUser']);
  });
});
