/**
 * POST /leadsie/webhook: the ingest function.
 *
 *   token check → body checks (type, size, UTF-8, JSON) → ingestDelivery (validate, flatten,
 *   fingerprint, store, publish) → 200 { eventId, duplicate }
 *
 * A body refused after the token check (not JSON, not a Leadsie payload, wrong content type, too
 * large) is kept in quarantine first (use-cases/quarantine-request.ts) and answered with its 4xx
 * and `quarantineId`; if it cannot be kept, the answer is 503 so Leadsie sends it again.
 *
 * Thin by design: it reads the HTTP event and wires adapters to the use case; errors become HTTP
 * answers in `httpErrors`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import type { TokenSource } from '../adapters/secrets.ts';
import { SnsEventPublisher } from '../adapters/sns-event-publisher.ts';
import { DEFAULTS, ENV } from '../contract.ts';
import { dynamoDbClient, snsClient } from '../shared/clients.ts';
import { positiveIntEnv, requireEnv } from '../shared/env.ts';
import {
  bearerToken,
  bodyBytes,
  type HttpEvent,
  type HttpResult,
  header,
  jsonResponse,
  readJsonBody,
  statusOf,
} from '../shared/http.ts';
import { rotatingTokenFromEnv } from '../shared/token-secrets.ts';
import { requireAcceptedToken } from '../shared/tokens.ts';
import { type IngestDeps, ingestDelivery } from '../use-cases/ingest-delivery.ts';
import { isQuarantinable, type QuarantineDeps, quarantineRequest } from '../use-cases/quarantine-request.ts';

export interface IngestHandlerDeps extends Omit<IngestDeps, 'quarantine'>, QuarantineDeps {
  webhookToken: TokenSource;
  maxBodyBytes: number;
}

export const makeHandler =
  (deps: IngestHandlerDeps) =>
  async (event: HttpEvent): Promise<HttpResult> => {
    await requireAcceptedToken([bearerToken(event), event.queryStringParameters?.token], deps.webhookToken);
    // Authenticated from here on: a body that cannot be ingested is kept in quarantine.
    const bytes = bodyBytes(event);
    try {
      const body = readJsonBody(event, deps.maxBodyBytes, bytes);
      const result = await ingestDelivery(deps, { json: body.json, rawBody: body.raw });
      return jsonResponse(200, result);
    } catch (error) {
      if (isQuarantinable(error)) {
        const request = { body: bytes, contentType: header(event, 'content-type') ?? null };
        error.quarantineId = await quarantineRequest(deps, request, error, statusOf(error) ?? 400);
      }
      throw error;
    }
  };

export const defaultDeps = (logger: Logger, env: NodeJS.ProcessEnv = process.env): IngestHandlerDeps => {
  const historyDays = env[ENV.historyRetentionDays];
  const store = new DynamoDbConnectionStore(dynamoDbClient(), requireEnv(ENV.tableName, env), {
    resolvedQuarantineDays: DEFAULTS.resolvedQuarantineRetentionDays,
    ...(historyDays === undefined || historyDays === ''
      ? {}
      : { historyDays: positiveIntEnv(ENV.historyRetentionDays, 1, env) }),
  });
  return {
    store,
    quarantine: store,
    publisher: new SnsEventPublisher(snsClient(), requireEnv(ENV.topicArn, env)),
    webhookToken: rotatingTokenFromEnv(ENV.webhookTokenSecretArn, env),
    maxBodyBytes: positiveIntEnv(ENV.maxBodyBytes, DEFAULTS.maxBodyBytes, env),
    log: logger,
    now: () => new Date(),
    newEventId: ulid,
    leaseMs: DEFAULTS.leaseMs,
  };
};
