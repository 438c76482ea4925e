/**
 * The storage layout on moto, through the real DynamoDB client: the delivery item stays small (its
 * body in an item of its own, read back where needed), it carries what the indexes project, the
 * indexes are read for keys and whole items fetched, a delivery stored before keeps its inline body,
 * and what may expire carries `expiresAt`.
 */

import { gunzipSync } from 'node:zlib';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COMPRESSED, DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { TABLE } from '../../lambda/contract.ts';
import type { NewDelivery } from '../../lambda/use-cases/ports.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import { createConnectionsTable, startMotoWithClients } from '../support/pipeline.ts';

const delivery = (fingerprint: string, receivedAt: string): NewDelivery => ({
  fingerprint,
  eventId: `01E${fingerprint}`,
  receivedAt,
  user: 'u1',
  requestUrl: 'https://app.leadsie.com/request/r1',
  requestName: 'R1',
  status: 'SUCCESS',
  apiVersion: 2,
  rawBody: JSON.stringify({ body: fingerprint, padding: 'x'.repeat(2000) }),
  clientName: 'Client',
  accessLevel: 'view',
  isTest: false,
  platforms: ['Google'],
  assetTypes: ['Google Ads Account'],
  leaseUntil: 0,
});

describe.skipIf(!motoAvailable())('storage layout on moto', () => {
  let moto: MotoServer;
  let dynamo: DynamoDBClient;
  let store: DynamoDbConnectionStore;

  const raw = async (pk: string, sk: string) => {
    const result = await dynamo.send(
      new GetItemCommand({
        TableName: 'connections',
        Key: marshall({ [TABLE.partitionKey]: pk, [TABLE.sortKey]: sk }),
      }),
    );
    return result.Item ? unmarshall(result.Item) : undefined;
  };

  beforeAll(async () => {
    ({ moto, dynamo } = await startMotoWithClients());
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    store = await createConnectionsTable(dynamo);
  });

  it('keeps the body out of the delivery item, and reads it back from its own item', async () => {
    await store.createDelivery(delivery('fp1', '2026-11-26T10:00:00.000Z'));
    const item = await raw('DELIVERY#fp1', 'DELIVERY');
    expect(item).toBeDefined();
    expect(item?.rawBody).toBeUndefined();
    expect(item).toMatchObject({
      clientName: 'Client',
      accessLevel: 'view',
      isTest: false,
      platforms: ['Google'],
    });
    // The body item holds the body gzip-compressed, in a Binary attribute.
    const body = await raw('DELIVERY#fp1', 'BODY');
    expect(body?.rawBody).toBeUndefined();
    expect(body?.[COMPRESSED.rawBody]).toBeInstanceOf(Uint8Array);
    const stored = body?.[COMPRESSED.rawBody] as Uint8Array;
    expect(stored.length).toBeLessThan(delivery('fp1', '').rawBody.length / 4);
    expect(gunzipSync(stored).toString('utf8')).toBe(delivery('fp1', '').rawBody);
    expect(item?.[TABLE.ttlAttribute]).toBeUndefined();

    // Readers: by key, from the (keys-only) pending index, from the history and time indexes.
    expect((await store.getDelivery('fp1'))?.rawBody).toBe(delivery('fp1', '').rawBody);
    expect((await store.pendingDeliveries()).map((d) => d.rawBody)).toEqual([delivery('fp1', '').rawBody]);
    expect(
      (await store.history('u1', 'https://app.leadsie.com/request/r1')).map((d) => d.fingerprint),
    ).toEqual(['fp1']);
    const between: string[] = [];
    for await (const d of store.deliveriesBetween(
      new Date('2026-11-01T00:00:00Z'),
      new Date('2026-12-01T00:00:00Z'),
    )) {
      between.push(d.rawBody);
    }
    expect(between).toEqual([delivery('fp1', '').rawBody]);

    // The duplicate keeps the first body.
    const again = await store.createDelivery({
      ...delivery('fp1', '2026-11-26T10:05:00.000Z'),
      rawBody: '{ "other": 1 }',
    });
    expect(again).toMatchObject({ created: false, existing: { rawBody: delivery('fp1', '').rawBody } });
  });

  it('reads a delivery stored before the body had its own item (inline body)', async () => {
    await dynamo.send(
      new PutItemCommand({
        TableName: 'connections',
        Item: marshall({
          [TABLE.partitionKey]: 'DELIVERY#old',
          [TABLE.sortKey]: 'DELIVERY',
          type: 'delivery',
          fingerprint: 'old',
          eventId: '01OLD',
          receivedAt: '2026-10-01T00:00:00.000Z',
          user: 'u1',
          requestUrl: 'r',
          requestName: 'R',
          status: 'SUCCESS',
          apiVersion: 1,
          rawBody: '{"inline":true}',
          leaseUntil: 0,
          statePk: 'PENDING',
          stateSk: '2026-10-01T00:00:00.000Z#01OLD',
        }),
      }),
    );
    expect((await store.getDelivery('old'))?.rawBody).toBe('{"inline":true}');
    expect((await store.pendingDeliveries()).map((d) => d.rawBody)).toEqual(['{"inline":true}']);
  });

  it('keeps the latest flat record compressed, and reads one stored before compression', async () => {
    const latest = {
      user: 'u1',
      requestUrl: 'https://app.leadsie.com/request/r1',
      requestName: 'R1',
      clientName: null,
      status: 'SUCCESS',
      accessLevel: 'view',
      apiVersion: 2,
      isTest: false,
      eventId: '01A',
      fingerprint: 'fpA',
      receivedAt: '2026-11-26T10:00:00.000Z',
      flat: { user: 'u1', google_ads_account_id: '123-456', note: 'é'.repeat(300) },
    };
    const key = ['USER#u1', 'REQUEST#https://app.leadsie.com/request/r1'] as const;
    // An item as written before compression: `flat` as a map.
    await dynamo.send(
      new PutItemCommand({
        TableName: 'connections',
        Item: marshall({
          [TABLE.partitionKey]: key[0],
          [TABLE.sortKey]: key[1],
          ...latest,
          eventId: '01OLD',
          receivedAt: '2026-11-25T10:00:00.000Z',
          latestOrder: '2026-11-25T10:00:00.000Z#01OLD',
          type: 'latest',
          version: 1,
          flat: { user: 'u1', old: 'yes' },
        }),
      }),
    );
    expect((await store.latestForUser('u1'))[0]?.flat).toEqual({ user: 'u1', old: 'yes' });

    expect(await store.advanceLatest(latest)).toEqual({ version: 2 });
    const item = await raw(...key);
    expect(item?.flat).toBeUndefined();
    expect(item?.[COMPRESSED.flat]).toBeInstanceOf(Uint8Array);
    const [read] = await store.latestForUser('u1');
    expect(read).toMatchObject({ flat: latest.flat, version: 2, eventId: '01A' });
    const all = [];
    for await (const l of store.allLatest()) all.push(l.flat);
    expect(all).toEqual([latest.flat]);
  });

  it('expires history after the configured retention, and resolved quarantine entries after theirs', async () => {
    const retained = new DynamoDbConnectionStore(dynamo, 'connections', {
      historyDays: 30,
      resolvedQuarantineDays: 7,
    });
    await retained.createDelivery(delivery('fp2', '2026-11-26T00:00:00.000Z'));
    const expected = Date.parse('2026-12-26T00:00:00.000Z') / 1000;
    expect((await raw('DELIVERY#fp2', 'DELIVERY'))?.[TABLE.ttlAttribute]).toBe(expected);
    expect((await raw('DELIVERY#fp2', 'BODY'))?.[TABLE.ttlAttribute]).toBe(expected);

    const entry = {
      id: 'a'.repeat(64),
      receivedAt: '2026-11-26T00:00:00.000Z',
      contentType: 'application/json',
      body: new TextEncoder().encode('{}'),
      bodyBytes: 2,
      reason: { status: 400, kind: 'invalid-payload', message: 'no', problems: [] },
    };
    await retained.quarantine(entry);
    expect((await raw(`QUARANTINE#${entry.id}`, 'QUARANTINE'))?.[TABLE.ttlAttribute]).toBeUndefined();
    await retained.resolveQuarantined(entry.id, '01E', '2026-11-27T00:00:00.000Z');
    expect((await raw(`QUARANTINE#${entry.id}`, 'QUARANTINE'))?.[TABLE.ttlAttribute]).toBe(
      Date.parse('2026-12-04T00:00:00.000Z') / 1000,
    );
    // Back in quarantine: no longer expires.
    await retained.quarantine(entry);
    expect((await raw(`QUARANTINE#${entry.id}`, 'QUARANTINE'))?.[TABLE.ttlAttribute]).toBeUndefined();
    const listed: string[] = [];
    for await (const e of retained.quarantined()) listed.push(e.id);
    expect(listed).toEqual([entry.id]);
  });
});
