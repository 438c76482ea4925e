/**
 * Local mode's table keeps the layout it was created with (`.local` persists it); the stack moves to
 * the new index layout by deploys (docs/storage.md), but local data is disposable. An old layout is
 * found at start-up and named in one line that says what to do, instead of failing on the first query.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { connectionsTableDefinition } from '../lambda/adapters/connections-table-definition.ts';

/** Thrown when the local table's indexes are not the current layout. */
export class LocalTableLayoutError extends Error {
  override name = 'LocalTableLayoutError';
}

/** The index names the table should have, and what it has. */
export const localTableLayout = async (
  client: DynamoDBClient,
  tableName: string,
): Promise<{ expected: string[]; actual: string[] }> => {
  const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const actual = (table.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName ?? '').sort();
  const expected = (connectionsTableDefinition(tableName).GlobalSecondaryIndexes ?? [])
    .map((index) => index.IndexName ?? '')
    .sort();
  return { expected, actual };
};

/** Throws a one-line LocalTableLayoutError when the table at `dataPath` has another index layout. */
export const assertLocalTableLayout = async (
  client: DynamoDBClient,
  tableName: string,
  dataPath: string,
): Promise<void> => {
  const { expected, actual } = await localTableLayout(client, tableName);
  if (expected.join(',') === actual.join(',')) return;
  throw new LocalTableLayoutError(
    `local mode's table in ${dataPath} has the old index layout (${actual.join(', ')}; now ${expected.join(', ')}): ` +
      `stop local mode, delete ${dataPath} (local data only; its tokens are kept) and start again`,
  );
};
