/**
 * GET /connections without `user`, through the real DynamoDB client on moto: recent connections are
 * read from the time index month by month and their latest items fetched whole (BatchGetItem), page
 * after page with the cursor, and no Scan is ever sent. `noUser=true` reads the deliveries without one.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { staticSecret } from '../../lambda/adapters/secrets.ts';
import { makeHandler } from '../../lambda/handlers/connections.ts';
import type { HttpResult } from '../../lambda/shared/http.ts';
import { withHttpMiddleware } from '../../lambda/shared/middleware.ts';
import { apiEvent } from '../support/api-event.ts';
import { silentLogger } from '../support/logger.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import { createConnectionsTable, startMotoWithClients } from '../support/pipeline.ts';

const READ_TOKEN = 'read-token-0123456789abcdefghijklmnopqrstuvwxyz';
const NOW = new Date('2026-05-20T12:00:00.000Z');

describe.skipIf(!motoAvailable())('recent connections on moto', () => {
  let moto: MotoServer;
  /** The name of every command the handler's client sent. */
  const sent: string[] = [];
  let call: (query: Record<string, string>) => Promise<{ statusCode: number; json: Record<string, unknown> }>;

  /** One delivery of (user, request) that became its latest state, as ingest records it. */
  const deliver = async (
    store: DynamoDbConnectionStore,
    user: string | null,
    request: string,
    at: string,
  ) => {
    const eventId = `01${at.replace(/\D/g, '')}${request}`;
    const requestUrl = `https://app.leadsie.com/request/${request}`;
    await store.createDelivery({
      fingerprint: `fp-${eventId}`,
      eventId,
      receivedAt: at,
      user,
      requestUrl,
      requestName: request,
      status: 'SUCCESS',
      apiVersion: 1,
      rawBody: '{}',
      clientName: null,
      accessLevel: 'admin',
      isTest: false,
      platforms: [],
      assetTypes: [],
      leaseUntil: 0,
    });
    await store.advanceLatest({
      user,
      requestUrl,
      requestName: request,
      clientName: null,
      status: 'SUCCESS',
      accessLevel: 'admin',
      apiVersion: 1,
      isTest: false,
      eventId,
      fingerprint: `fp-${eventId}`,
      receivedAt: at,
      flat: { requestUrl },
    });
  };

  beforeAll(async () => {
    const started = await startMotoWithClients();
    moto = started.moto;
    const seeding = await createConnectionsTable(started.dynamo);
    // Three months, one delivery without a user, a connection delivered twice (listed once, at the
    // later one), one too old for the default window, and a month in between with nothing.
    await deliver(seeding, 'u1', 'a', '2026-05-18T00:00:00.000Z');
    await deliver(seeding, 'u2', 'b', '2026-05-10T00:00:00.000Z');
    await deliver(seeding, null, 'c', '2026-05-02T00:00:00.000Z');
    await deliver(seeding, 'u3', 'd', '2026-03-30T00:00:00.000Z');
    await deliver(seeding, 'u2', 'b', '2026-03-15T00:00:00.000Z');
    await deliver(seeding, 'u4', 'e', '2026-03-01T00:00:00.000Z');
    await deliver(seeding, 'u5', 'f', '2025-06-01T00:00:00.000Z');

    const client = new DynamoDBClient({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    const handler = withHttpMiddleware(
      makeHandler({
        store: new DynamoDbConnectionStore(client, 'connections'),
        readToken: staticSecret(READ_TOKEN),
        now: () => NOW,
      }),
      silentLogger(),
    );
    call = async (query) => {
      const event = apiEvent({
        method: 'GET',
        path: '/connections',
        query,
        headers: { authorization: `Bearer ${READ_TOKEN}` },
      });
      const result = (await handler(event, {} as never)) as HttpResult;
      return { statusCode: Number(result.statusCode), json: JSON.parse(result.body ?? 'null') };
    };
  });

  afterAll(async () => {
    await moto?.stop();
  });

  const requests = (json: Record<string, unknown>) =>
    (json.connections as { requestUrl: string }[]).map((c) => c.requestUrl.split('/').pop());

  it('pages newest first across months with the cursor, each connection once, without a Scan', async () => {
    sent.length = 0;
    const pages: (string | undefined)[][] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const answer = await call(cursor === undefined ? { limit: '2' } : { limit: '2', cursor });
      expect(answer.statusCode, JSON.stringify(answer.json)).toBe(200);
      pages.push(requests(answer.json));
      cursor = (answer.json.next as string | null) ?? undefined;
      if (cursor === undefined) break;
    }
    expect(pages.flat()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(pages.slice(0, 2)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((name) => /Scan/.test(name))).toEqual([]);
    expect(sent.some((name) => /^Query/.test(name))).toBe(true);
    expect(sent.some((name) => /^BatchGet/.test(name))).toBe(true);
  });

  it('answers the latest state whole, and since reaches older months', async () => {
    const answer = await call({ since: '2025-01-01', limit: '100' });
    expect(answer.statusCode).toBe(200);
    // A page reads a bounded number of months: the empty ones before June 2025 end this one early.
    expect(requests(answer.json)).toEqual(['a', 'b', 'c', 'd', 'e']);
    const rest = await call({ limit: '100', cursor: String(answer.json.next) });
    expect(requests(rest.json)).toEqual(['f']);
    expect(rest.json.next).toBeNull();
    const b = (answer.json.connections as Record<string, unknown>[])[1];
    expect(b).toMatchObject({ user: 'u2', version: 1, receivedAt: '2026-05-10T00:00:00.000Z' });
    expect(b?.flat).toEqual({ requestUrl: 'https://app.leadsie.com/request/b' });
  });

  it('noUser=true reads the connections of deliveries without a user', async () => {
    const answer = await call({ noUser: 'true' });
    expect(answer.statusCode).toBe(200);
    expect(answer.json.user).toBeNull();
    expect(requests(answer.json)).toEqual(['c']);
  });
});
