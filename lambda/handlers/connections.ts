import { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import type { TokenSource } from '../adapters/secrets.ts';
import { ENV } from '../contract.ts';
import { BadRequestError } from '../domain/errors.ts';
import { dynamoDbClient } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { bearerToken, type HttpEvent, type HttpResult, jsonResponse } from '../shared/http.ts';
import { rotatingTokenFromEnv } from '../shared/token-secrets.ts';
import { requireAcceptedToken } from '../shared/tokens.ts';
import type { ConnectionStore } from '../use-cases/ports.ts';

export interface ConnectionsHandlerDeps {
  store: Pick<ConnectionStore, 'latestForUser'>;
  readToken: TokenSource;
}

/** Longest accepted `user` value; Leadsie's customUserId is a short identifier. */
const MAX_USER_LENGTH = 1024;

export const makeHandler =
  (deps: ConnectionsHandlerDeps) =>
  async (event: HttpEvent): Promise<HttpResult> => {
    await requireAcceptedToken([bearerToken(event)], deps.readToken);
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
  readToken: rotatingTokenFromEnv(ENV.readTokenSecretArn, env),
});
