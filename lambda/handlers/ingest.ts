/**
 * POST /leadsie/webhook: the ingest function.
 *
 *   token check → body checks (type, size, UTF-8, JSON) → ingestDelivery (validate, flatten,
 *   fingerprint, store, publish) → 200 { eventId, duplicate }
 *
 * Thin by design: it reads the HTTP event and wires adapters to the use case; errors become HTTP
 * answers in `httpErrors`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { DynamoDbConnectionStore } from '../adapters/dynamodb-connection-store.ts';
import { CachedSecret, type SecretSource } from '../adapters/secrets.ts';
import { SnsEventPublisher } from '../adapters/sns-event-publisher.ts';
import { DEFAULTS, ENV } from '../contract.ts';
import { dynamoDbClient, secretsManagerClient, snsClient } from '../shared/clients.ts';
import { positiveIntEnv, requireEnv } from '../shared/env.ts';
import {
  bearerToken,
  type HttpEvent,
  type HttpResult,
  jsonResponse,
  readJsonBody,
  readToken,
  requireToken,
} from '../shared/http.ts';
import { type IngestDeps, ingestDelivery } from '../use-cases/ingest-delivery.ts';

export interface IngestHandlerDeps extends IngestDeps {
  webhookToken: SecretSource;
  maxBodyBytes: number;
}

export const makeHandler =
  (deps: IngestHandlerDeps) =>
  async (event: HttpEvent): Promise<HttpResult> => {
    requireToken(
      [bearerToken(event), event.queryStringParameters?.token],
      await readToken(deps.webhookToken),
    );
    const body = readJsonBody(event, deps.maxBodyBytes);
    const result = await ingestDelivery(deps, { json: body.json, rawBody: body.raw });
    return jsonResponse(200, result);
  };

export const defaultDeps = (logger: Logger, env: NodeJS.ProcessEnv = process.env): IngestHandlerDeps => ({
  store: new DynamoDbConnectionStore(dynamoDbClient(), requireEnv(ENV.tableName, env)),
  publisher: new SnsEventPublisher(snsClient(), requireEnv(ENV.topicArn, env)),
  webhookToken: new CachedSecret(
    secretsManagerClient(),
    requireEnv(ENV.webhookTokenSecretArn, env),
    positiveIntEnv(ENV.secretMaxAgeSeconds, DEFAULTS.secretMaxAgeSeconds, env) * 1000,
  ),
  maxBodyBytes: positiveIntEnv(ENV.maxBodyBytes, DEFAULTS.maxBodyBytes, env),
  log: logger,
  now: () => new Date(),
  newEventId: ulid,
  leaseMs: DEFAULTS.leaseMs,
});
