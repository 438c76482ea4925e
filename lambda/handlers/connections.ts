/**
 * GET /connections, behind the read token (Authorization: Bearer only):
 *
 *   ?user=U        the latest connection of every request of U, newest first
 *   ?noUser=true   the same for the deliveries Leadsie sent without a user
 *   (neither)      recent connections of everyone, newest first, a page at a time
 *                  (`limit`, `since`, and `cursor` = the previous page's `next`)
 */
import { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import type { TokenSource } from '../adapters/secrets.ts';
import { ENV } from '../contract.ts';
import { BadRequestError, UnauthorizedError } from '../domain/errors.ts';
import { dynamoDbClient } from '../shared/clients.ts';
import { requireEnv } from '../shared/env.ts';
import { bearerToken, type HttpEvent, type HttpResult, jsonResponse } from '../shared/http.ts';
import { rotatingTokenFromEnv } from '../shared/token-secrets.ts';
import { requireAcceptedToken } from '../shared/tokens.ts';
import { listRecentConnections, RECENT_PAGE } from '../use-cases/list-recent-connections.ts';
import type { ConnectionStore, RecentConnectionsReader } from '../use-cases/ports.ts';

export interface ConnectionsHandlerDeps {
  store: Pick<ConnectionStore, 'latestForUser'> & RecentConnectionsReader;
  readToken: TokenSource;
  now?: () => Date;
}

/** Longest accepted `user` value; Leadsie's customUserId is a short identifier. */
const MAX_USER_LENGTH = 1024;

/** Parameters that page the recent list; they mean nothing with `user` or `noUser`. */
const PAGING = ['limit', 'cursor', 'since'] as const;

const parseLimit = (text: string | undefined): number => {
  if (text === undefined) return RECENT_PAGE.defaultLimit;
  const limit = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit >= 1 && limit <= RECENT_PAGE.maxLimit)) {
    throw new BadRequestError(
      `The query parameter "limit" must be a whole number from 1 to ${RECENT_PAGE.maxLimit}`,
    );
  }
  return limit;
};

const parseSince = (text: string | undefined, now: Date): string | undefined => {
  if (text === undefined) return undefined;
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(time.getTime()) || time > now) {
    throw new BadRequestError('The query parameter "since" must be an ISO date or time, not in the future');
  }
  return time.toISOString();
};

export const makeHandler =
  (deps: ConnectionsHandlerDeps) =>
  async (event: HttpEvent): Promise<HttpResult> => {
    const query = event.queryStringParameters ?? {};
    const bearer = bearerToken(event);
    // The webhook route takes `?token=`; this one does not (a read token in a URL ends up in logs and
    // histories). The token is not even compared: whichever it is, the answer is the same.
    if (bearer === undefined && query.token !== undefined) {
      throw new UnauthorizedError(
        'A token in the query string is not accepted here: send the read token in the Authorization header ("Authorization: Bearer <read token>")',
      );
    }
    await requireAcceptedToken([bearer], deps.readToken);
    const { user, noUser } = query;
    if (user !== undefined || noUser !== undefined) {
      if (user !== undefined && noUser !== undefined) {
        throw new BadRequestError('Give "user" or "noUser", not both');
      }
      const paging = PAGING.find((name) => query[name] !== undefined);
      if (paging !== undefined) {
        throw new BadRequestError(
          `The query parameter "${paging}" pages the recent list: not with "user" or "noUser"`,
        );
      }
      if (noUser !== undefined && noUser !== 'true') {
        throw new BadRequestError(
          'The query parameter "noUser" takes only "true" (the deliveries sent without a user)',
        );
      }
      if (user === '') {
        throw new BadRequestError(
          'The query parameter "user" is empty: give the customUserId sent to Leadsie, noUser=true for deliveries without one, or neither for recent connections',
        );
      }
      if (user !== undefined && user.length > MAX_USER_LENGTH) {
        throw new BadRequestError(`The query parameter "user" is longer than ${MAX_USER_LENGTH} characters`);
      }
      const owner = user ?? null;
      const connections = await deps.store.latestForUser(owner);
      connections.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
      return jsonResponse(200, { user: owner, connections });
    }
    const now = (deps.now ?? (() => new Date()))();
    if (query.cursor !== undefined && query.since !== undefined) {
      throw new BadRequestError('A "cursor" carries its own "since": give "since" on the first page only');
    }
    const limit = parseLimit(query.limit);
    const since = parseSince(query.since, now);
    const page = await listRecentConnections(deps.store, {
      limit,
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...(since === undefined ? {} : { since }),
      now,
    });
    return jsonResponse(200, page);
  };

export const defaultDeps = (env: NodeJS.ProcessEnv = process.env): ConnectionsHandlerDeps => ({
  store: new DynamoDbConnectionStore(dynamoDbClient(), requireEnv(ENV.tableName, env)),
  readToken: rotatingTokenFromEnv(ENV.readTokenSecretArn, env),
});
