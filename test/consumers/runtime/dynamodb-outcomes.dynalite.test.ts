/**
 * The DynamoDB outcome ledger on dynalite, the embedded store local mode runs: the shared contract,
 * including simultaneous claims (dynalite locks each item, as DynamoDB makes each conditional write
 * atomic; moto's threaded server does not).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll } from 'vitest';
import { connectionsTableDefinition } from '../../../lambda/adapters/connections-table-definition.ts';
import { DynamoDbConnectionStore } from '../../../lambda/adapters/dynamodb-connection-store.ts';
import { DynamoDbOutcomeLedger } from '../../../lambda/consumers/runtime/dynamodb-outcomes.ts';
import { describeOutcomeLedgerContract } from './outcome-ledger-contract.ts';

const TABLE_NAME = 'connections';
let server: Server;
let ledger: DynamoDbOutcomeLedger;
let store: DynamoDbConnectionStore;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await client.send(new CreateTableCommand(connectionsTableDefinition(TABLE_NAME)));
  ledger = new DynamoDbOutcomeLedger(client, { tableName: TABLE_NAME, retentionDays: 30 });
  store = new DynamoDbConnectionStore(client, TABLE_NAME);
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

describeOutcomeLedgerContract('DynamoDB on dynalite', () => ({
  ledger,
  markLegacyDone: async (key) => {
    await store.claimOnce(key, 0, 1);
    await store.completeOnce(key, new Date(0).toISOString());
  },
}));
