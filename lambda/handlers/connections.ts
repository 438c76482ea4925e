import { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import { CachedSecret, type SecretSource } from '../adapters/secrets.ts';
import { DEFAULTS, ENV } from '../contract.ts';
import { BadRequestError } from '../domain/errors.ts';
import { dynamoDbClient, secretsManagerClient } from '../shared/clients.ts';
import { positiveIntEnv, requireEnv } from '../shared/env.ts';
import {
  bearerToken,
  type HttpEvent,
  type HttpResult,
  jsonResponse,
  readToken,
  requireToken,
} from '../shared/http.ts';
import type { ConnectionStore } from '../use-cases/ports.ts';

export interface ConnectionsHandlerDeps {
  store: Pick<ConnectionStore, 'latestForUser'>;
  readToken: SecretSource;
}

/** Longest accepted `user` value; Leadsie's customUserId is a short identifier. */
const MAX_USER_LENGTH = 1024;

export const makeHandler =
  (deps: ConnectionsHandlerDeps) =>
  async (event: HttpEvent): Promise<HttpResult> => {
    requireToken([bearerToken(event)], await readToken(deps.readToken));
    const user = event.queryStringParameters?.user;
    if (user === undefined || user === '') {
      throw new BadRequestError('The query parameter "user" is required (the customUserId sent to Leadsie)');
    }
    if (user.length > MAX_USER_LENGTH) {
      throw new BadRequestError(`The query parameter "user" is longer than ${MAX_USER_LENGTH} characters`);
    }
    const connections = await deps.store.latestForUser(user);
    connections.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
    return jsonResponse(200, { user, connections });
  };

export const defaultDeps = (env: NodeJS.ProcessEnv = process.env): ConnectionsHandlerDeps => ({
  store: new DynamoDbConnectionStore(dynamoDbClient(), requireEnv(ENV.tableName, env)),
  readToken: new CachedSecret(
    secretsManagerClient(),
    requireEnv(ENV.readTokenSecretArn, env),
    positiveIntEnv(ENV.secretMaxAgeSeconds, DEFAULTS.secretMaxAgeSeconds, env) * 1000,
  ),
});
