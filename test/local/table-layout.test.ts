/**
 * Local mode and the index upgrade: a `.local` table made with the previous index layout is found at
 * start-up and refused in one line that says what to do; a table of the current layout passes.
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionsTableDefinition } from '../../lambda/adapters/connections-table-definition.ts';
import { TABLE } from '../../lambda/contract.ts';
import { assertLocalTableLayout, LocalTableLayoutError } from '../../local/table-layout.ts';

describe('local mode table layout check', () => {
  const server = dynalite({ createTableMs: 0 });
  let client: DynamoDBClient;

  const create = async (name: string, previous: boolean) => {
    const definition = connectionsTableDefinition(name);
    const indexes = Object.values(TABLE.indexes);
    await client.send(
      new CreateTableCommand(
        previous
          ? {
              ...definition,
              AttributeDefinitions: [
                { AttributeName: TABLE.partitionKey, AttributeType: 'S' },
                { AttributeName: TABLE.sortKey, AttributeType: 'S' },
                ...indexes.flatMap((i) => [
                  { AttributeName: i.partitionKey, AttributeType: 'S' as const },
                  { AttributeName: i.sortKey, AttributeType: 'S' as const },
                ]),
              ],
              GlobalSecondaryIndexes: indexes.map((index) => ({
                IndexName: index.name,
                KeySchema: [
                  { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
                  { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
                ],
                Projection: { ProjectionType: 'ALL' as const },
              })),
            }
          : definition,
      ),
    );
    await waitUntilTableExists(
      { client, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 },
      { TableName: name },
    );
  };

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses a table of the previous layout, in one line that says what to delete', async () => {
    await create('old', true);
    const error = await assertLocalTableLayout(client, 'old', '.local/dynamodb').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LocalTableLayoutError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(
      /old index layout \(byState, byTime, history; now byStateV2, byTimeV2, historyV2\)/,
    );
    expect(message).toContain('delete .local/dynamodb');
  });

  it('accepts a table of the current layout', async () => {
    await create('current', false);
    await expect(assertLocalTableLayout(client, 'current', '.local/dynamodb')).resolves.toBeUndefined();
  });
});
