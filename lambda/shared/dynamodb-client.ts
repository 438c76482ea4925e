/**
 * The DynamoDB client, built lazily once per container and shared by every invocation (see
 * `clients.ts`). One client per module, with nothing at module scope but the import: a bundle that
 * never calls `dynamoDbClient()` leaves this module, and `@aws-sdk/client-dynamodb`, out.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

let client: DynamoDBClient | undefined;

export const dynamoDbClient = (): DynamoDBClient => {
  client ??= new DynamoDBClient({});
  return client;
};
