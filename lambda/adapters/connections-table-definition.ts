/**
 * The connections table as a CreateTable request: the layout the stack deploys at its final step
 * (keys from `TABLE`, indexes from `NEXT_TABLE_INDEXES` in the contract), for the stores that are not
 * deployed by CloudFormation: moto in the integration tests and the embedded store of local mode.
 */
import type { CreateTableCommandInput, Projection } from '@aws-sdk/client-dynamodb';
import { NEXT_TABLE_INDEXES, TABLE } from '../contract.ts';

const projectionOf = (projection: 'KEYS_ONLY' | readonly string[]): Projection =>
  projection === 'KEYS_ONLY'
    ? { ProjectionType: 'KEYS_ONLY' }
    : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...projection] };

export const connectionsTableDefinition = (tableName: string): CreateTableCommandInput => {
  const indexes = Object.values(NEXT_TABLE_INDEXES);
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
      Projection: projectionOf(index.projection),
    })),
  };
};
