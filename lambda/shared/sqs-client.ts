/**
 * The SQS client, built lazily once per container and shared by every invocation (see
 * `clients.ts`). One client per module, with nothing at module scope but the import: a bundle that
 * never calls `sqsClient()` leaves this module, and `@aws-sdk/client-sqs`, out.
 */
import { SQSClient } from '@aws-sdk/client-sqs';

let client: SQSClient | undefined;

export const sqsClient = (): SQSClient => {
  client ??= new SQSClient({});
  return client;
};
