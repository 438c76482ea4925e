/**
 * The Secrets Manager client, built lazily once per container and shared by every invocation (see
 * `clients.ts`). One client per module, with nothing at module scope but the import: a bundle that
 * never calls `secretsManagerClient()` leaves this module, and `@aws-sdk/client-secrets-manager`, out.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: SecretsManagerClient | undefined;

export const secretsManagerClient = (): SecretsManagerClient => {
  client ??= new SecretsManagerClient({});
  return client;
};
