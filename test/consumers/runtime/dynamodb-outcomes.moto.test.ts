/**
 * The DynamoDB outcome ledger on moto's DynamoDB, with the table as the stack defines it: the shared
 * contract (the same one the in-memory fake passes), the item as stored (key layout, TTL attribute,
 * the dead-letter index keys), and the legacy Sheets/email records as the store writes them.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbConnectionStore } from '../../../lambda/adapters/dynamodb-connection-store.ts';
import {
  DynamoDbOutcomeLedger,
  legacyOnceItemKey,
} from '../../../lambda/consumers/runtime/dynamodb-outcomes.ts';
import { TABLE } from '../../../lambda/contract.ts';
import type { OnceKey } from '../../../lambda/use-cases/ports.ts';
import { type MotoServer, motoAvailable } from '../../support/moto.ts';
import { createConnectionsTable, type MotoClients, startMotoWithClients } from '../../support/pipeline.ts';
import { describeOutcomeLedgerContract } from './outcome-ledger-contract.ts';

const TABLE_NAME = 'outcomes-contract';

describe.skipIf(!motoAvailable())('DynamoDB outcome ledger on moto', () => {
  let moto: MotoServer;
  let aws: MotoClients;
  let store: DynamoDbConnectionStore;
  let ledger: DynamoDbOutcomeLedger;

  beforeAll(async () => {
    const started = await startMotoWithClients();
    moto = started.moto;
    aws = started;
    store = await createConnectionsTable(aws.dynamo, TABLE_NAME);
    ledger = new DynamoDbOutcomeLedger(aws.dynamo, { tableName: TABLE_NAME, retentionDays: 30 });
  });
  afterAll(async () => {
    await moto?.stop();
  });

  describeOutcomeLedgerContract(
    'DynamoDB on moto',
    () => ({
      ledger,
      markLegacyDone: async (key: OnceKey) => {
        // The store's own once-only code writes the record, so the format read is the real one.
        await store.claimOnce(key, 0, 1);
        await store.completeOnce(key, new Date(0).toISOString());
      },
    }),
    { atomicConcurrentWrites: false },
  );

  it('stores an outcome under OUTCOME#<consumer>#<day of the eventId>, <eventId>, its version an attribute', async () => {
    const eventId = ulid(Date.parse('2026-11-02T23:59:59.000Z'));
    const ref = { consumer: 'slack', eventId, version: 7 };
    const nowMs = Date.parse('2026-11-03T08:00:00.000Z');
    await ledger.deadLettered(ref, nowMs, 'channel not found', 1);
    const raw = await aws.dynamo.send(
      new GetItemCommand({
        TableName: TABLE_NAME,
        Key: {
          [TABLE.partitionKey]: { S: 'OUTCOME#slack#2026-11-02' },
          [TABLE.sortKey]: { S: eventId },
        },
      }),
    );
    expect(raw.Item?.state?.S).toBe('dead-lettered');
    expect(raw.Item?.version?.N).toBe('7');
    expect(raw.Item?.[TABLE.indexes.byState.partitionKey]?.S).toBe('DEADLETTERED#slack');
    expect(raw.Item?.[TABLE.indexes.byState.sortKey]?.S).toBe(`2026-11-03T08:00:00.000Z#${eventId}#7`);
    expect(raw.Item?.[TABLE.ttlAttribute]).toBeUndefined();
    await ledger.done(ref, nowMs, 'posted 200', 2);
    const after = await aws.dynamo.send(
      new GetItemCommand({
        TableName: TABLE_NAME,
        Key: {
          [TABLE.partitionKey]: { S: 'OUTCOME#slack#2026-11-02' },
          [TABLE.sortKey]: { S: eventId },
        },
      }),
    );
    expect(after.Item?.[TABLE.ttlAttribute]?.N).toBe(String(Math.floor(nowMs / 1000) + 30 * 86_400));
    expect(after.Item?.[TABLE.indexes.byState.partitionKey]).toBeUndefined();
  });

  it('spells the legacy keys as the connection store does', () => {
    const keys: OnceKey[] = [
      { kind: 'sheet-row', spreadsheetId: 'abc', sheetName: 'Tab 1', eventId: 'E1' },
      { kind: 'email', consumer: 'email', email: 'client', eventId: 'E1' },
    ];
    for (const key of keys) expect(legacyOnceItemKey(key)).toEqual(store.onceItemKey(key));
  });
});
