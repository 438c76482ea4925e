/**
 * The connections table as a CreateTable request: the layout the stack deploys (keys and indexes
 * from `TABLE` in the contract), for the stores that are not deployed by CloudFormation: moto in
 * the integration tests and the embedded store of local mode.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { TABLE } from '../contract.ts';

export const connectionsTableDefinition = (tableName: string): CreateTableCommandInput => {
  const indexes = Object.values(TABLE.indexes);
  const attributeNames = [
    TABLE.partitionKey,
    TABLE.sortKey,
    ...indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributeNames.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
};
