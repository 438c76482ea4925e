/**
 * The store contract on the DynamoDB store over dynalite, the embedded store local mode runs;
 * simultaneous writes included (dynalite locks each item, as DynamoDB makes each conditional write
 * atomic). A fresh table per test: the pending and quarantine listings span the table.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll } from 'vitest';
import { connectionsTableDefinition } from '../../lambda/adapters/connections-table-definition.ts';
import { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { describeConnectionStoreContract } from './connection-store-contract.ts';

let server: Server;
let client: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

describeConnectionStoreContract('DynamoDB on dynalite', async () => {
  const tableName = `connections-${++tables}`;
  await client.send(new CreateTableCommand(connectionsTableDefinition(tableName)));
  return new DynamoDbConnectionStore(client, tableName);
});
