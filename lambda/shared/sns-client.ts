/**
 * The SNS client, built lazily once per container and shared by every invocation (see
 * `clients.ts`). One client per module, with nothing at module scope but the import: a bundle that
 * never calls `snsClient()` leaves this module, and `@aws-sdk/client-sns`, out.
 */
import { SNSClient } from '@aws-sdk/client-sns';

let client: SNSClient | undefined;

export const snsClient = (): SNSClient => {
  client ??= new SNSClient({});
  return client;
};
