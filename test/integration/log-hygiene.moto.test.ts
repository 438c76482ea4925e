/**
 * Log hygiene (issue 5): the functions' logs are structured JSON, correlated by event id, and keep
 * client data and credentials out.
 *
 * Every function runs as Lambda runs it: `makeHandler` with real adapters (the AWS SDK on moto,
 * loopback servers for Slack, HubSpot, the forwarder target and Google), inside the house middleware,
 * with a real Powertools Logger at INFO and real EMF metrics, and everything they write to stdout and
 * stderr captured (`test/support/log-capture.ts`). The tokens and consumer secrets are read from
 * Secrets Manager on moto, as deployed functions read them. The flow, once, in `beforeAll`:
 *
 *   ingest: a v2 delivery (token in the query string) → the same again (duplicate) → an invalid body
 *     with the right token (quarantined, 400) → a wrong token (query, then bearer: 401)
 *     → a second delivery while SNS fails (503, left pending)
 *   connections: the read token (200), a wrong one (401)
 *   reconciler: publishes the pending delivery
 *   consumers, from their SQS queues: Slack (500 × 3 for one event: retried through the queue),
 *     HubSpot (a permanent 400 for the other: dead-lettered), the forwarder (a 503, retried in-process),
 *     Sheets (Google answers 503 once), email (SES throttles once)
 *
 * The payloads and secrets carry distinctive markers (ZZCLIENT-…, ZZASSET-…, ZZWEBHOOKTOKEN-…), so
 * each check is a plain case-insensitive substring search over every captured line:
 * - no line at INFO (nor any EMF line) names the client, the request, an asset or an asset's note,
 *   or holds the client summary URL (user ids, request URLs and asset ids are identifiers: allowed);
 * - no line at any level holds a token or a consumer secret (WARN and ERROR lines may give reasons);
 * - every line is JSON, inside the Lambda context, and the lines of a delivery carry its eventId
 *   (ingest's, the reconciler's, each consumer's; the dead-letter line of an event included).
 * The flow's own outcomes are asserted first, and the capture must hold the lines the flow makes, so
 * no check can pass on an empty or partial capture. The last test proves the checks can fail: a
 * consumer that logs the client name at INFO, run through the same middleware and capture, is caught.
 */

import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbConnectionStore } from '../../lambda/adapters/dynamodb-connection-store.ts';
import { DynamoDbOrderingGuard } from '../../lambda/adapters/ordering-guard.ts';
import { PowertoolsMetrics } from '../../lambda/adapters/powertools-metrics.ts';
import { CachedSecret, RotatingSecret } from '../../lambda/adapters/secrets.ts';
import { SnsEventPublisher } from '../../lambda/adapters/sns-event-publisher.ts';
import { makeCrmHandler as makeCrmUpdater } from '../../lambda/consumers/crm.ts';
import { makeHandler as makeEmailNotifier } from '../../lambda/consumers/email/handler.ts';
import { DEFAULT_CLIENT_TEMPLATE, parseEmailTemplate } from '../../lambda/consumers/email/message.ts';
import { classifySesError, SesEmailSender } from '../../lambda/consumers/email/send.ts';
import { WebhookForwarder } from '../../lambda/consumers/forward/send.ts';
import { DEFAULT_HUBSPOT_MAPPING } from '../../lambda/consumers/hubspot/message.ts';
import { HubSpotTarget } from '../../lambda/consumers/hubspot/send.ts';
import { makeDeliveryEngine } from '../../lambda/consumers/runtime/engine.ts';
import { InMemoryOutcomeLedger } from '../../lambda/consumers/runtime/memory-outcomes.ts';
import { makeHandler as makeSheetsAppender } from '../../lambda/consumers/sheets/handler.ts';
import { InMemoryHeaderLease } from '../../lambda/consumers/sheets/header-lease.ts';
import { GoogleServiceAccountAuth, GoogleSheetsWriter } from '../../lambda/consumers/sheets/send.ts';
import { makeHandler as makeSlackNotifier } from '../../lambda/consumers/slack/handler.ts';
import { SlackWebhook } from '../../lambda/consumers/slack/send.ts';
import { DEFAULTS, RECONCILER_RUN_LOG_MESSAGE } from '../../lambda/contract.ts';
import { buildEnvelope } from '../../lambda/domain/envelope.ts';
import { fingerprint } from '../../lambda/domain/fingerprint.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';
import { makeHandler as makeConnectionsHandler } from '../../lambda/handlers/connections.ts';
import { makeHandler as makeIngestHandler } from '../../lambda/handlers/ingest.ts';
import { makeHandler as makeReconciler } from '../../lambda/handlers/reconciler.ts';
import type { HttpEvent, HttpResult } from '../../lambda/shared/http.ts';
import {
  withHttpMiddleware,
  withScheduledMiddleware,
  withSqsMiddleware,
} from '../../lambda/shared/middleware.ts';
import type { EmailSender, EventPublisher } from '../../lambda/use-cases/ports.ts';
import type { ReconcileSummary } from '../../lambda/use-cases/reconcile-pending.ts';
import { apiEvent } from '../support/api-event.ts';
import { type FakeGoogle, makeServiceAccount, startFakeGoogle } from '../support/fake-google.ts';
import {
  type CapturedLine,
  captureOutput,
  infoLogger,
  lambdaContext,
  leaksIn,
  type Marker,
} from '../support/log-capture.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import {
  type ConsumerQueues,
  consumerDeps,
  createConnectionsTable,
  createTopic,
  fixtureJson,
  randomEventIds,
  startMotoWithClients,
  subscribeConsumerQueues,
  TEST_RETRY,
  webhookPost,
} from '../support/pipeline.ts';
import { type ConsumerHandler, drainQueue, takeAll } from '../support/sqs-driver.ts';
import { startTargetServer, type TargetServer } from '../support/target-server.ts';

// ── markers ──────────────────────────────────────────────────────────────────────────────────────

const CLIENT_NAME = 'ZZCLIENT-Marker Ltd';
const SUMMARY_URL = 'https://app.leadsie.com/clients/zzsummary-6651f0c2b4e1';
const ASSET_NAMES = [
  'ZZASSET-Harbor Ads',
  'ZZASSET-Harbor Page',
  'ZZASSET-Harbor Search',
  'zzasset-harbor.myshopify.com',
];
const ASSET_NOTES = ['ZZNOTE-the Google user is not an admin', 'ZZNOTE-waiting for the store owner'];

const WEBHOOK_TOKEN = 'ZZWEBHOOKTOKEN-3f9a1c7e5b2d4a6c8e0f1a3b5c7d9e1f';
const READ_TOKEN = 'ZZREADTOKEN-8b6d4f2a0c1e3a5b7d9f1b3d5f7a9c1e';
const WRONG_TOKEN = 'ZZWRONGTOKEN-almost-the-webhook-token-0123';
const SLACK_PATH = '/services/T0ZZSLACK/B0ZZSLACK/ZZSLACKSECRET4f2a9c7e1b3d';
const HUBSPOT_TOKEN = 'pat-na1-ZZHUBSPOTTOKEN-5e7a9c1b-3d5f-4a6b-8c0d';
const FORWARD_PATH = '/hooks/catch/1234567/ZZFORWARDHOOK-9c1e3a5b';
const SIGNING_SECRET = 'ZZSIGNINGSECRET-whsec-7d9f1b3d5f7a9c1e';

/** One delivery's payload: the v2 sample with a marker in every name it carries. */
const markedPayload = (user: string, request: string): Record<string, unknown> => {
  const payload = fixtureJson('v2-partial-multi-platform');
  const assets = payload.connectionAssets as Record<string, unknown>[];
  assets.forEach((asset, i) => {
    asset.name = ASSET_NAMES[i];
  });
  const [, , search, shop] = assets;
  if (search) search.notes = ASSET_NOTES[0];
  if (shop) shop.notes = ASSET_NOTES[1];
  return {
    ...payload,
    user,
    requestUrl: `https://app.leadsie.com/request/${user}`,
    requestName: `ZZREQUEST-${request} full access`,
    clientName: CLIENT_NAME,
    clientSummaryUrl: SUMMARY_URL,
    connectionAssets: assets,
  };
};

const MAIN = markedPayload('hygiene-user-1', 'One');
/** Stored while SNS fails, then published by the reconciler. */
const PENDING = markedPayload('hygiene-user-2', 'Two');
/** Authenticated, but not a Leadsie payload: quarantined. Its body is full of markers too. */
const INVALID = { ...markedPayload('hygiene-user-3', 'Three'), connectionAssets: 'ZZASSET-not-a-list' };

/** Client data: never in a line at INFO. */
const CLIENT_DATA: Marker[] = [
  { what: 'client name', text: 'ZZCLIENT' },
  { what: 'request name', text: 'ZZREQUEST' },
  { what: 'asset name', text: 'ZZASSET' },
  { what: 'asset note', text: 'ZZNOTE' },
  { what: 'client summary URL', text: 'zzsummary' },
];

const account = makeServiceAccount('zz-sheets@agency-project.iam.gserviceaccount.com');
/** A stretch of the service account's private key, from the middle of its PEM. */
const PRIVATE_KEY_PART = (JSON.parse(account.json) as { private_key: string }).private_key
  .replace(/-----[A-Z ]+-----|\s/g, '')
  .slice(200, 240);

/** Credentials: never in a line at any level. */
const CREDENTIALS: Marker[] = [
  { what: 'webhook token', text: WEBHOOK_TOKEN },
  { what: 'webhook token', text: 'ZZWEBHOOKTOKEN' },
  { what: 'read token', text: 'ZZREADTOKEN' },
  { what: 'presented wrong token', text: 'ZZWRONGTOKEN' },
  { what: 'Slack webhook URL', text: 'ZZSLACK' },
  { what: 'Slack webhook URL', text: '/services/' },
  { what: 'HubSpot token', text: 'ZZHUBSPOTTOKEN' },
  { what: 'forwarder URL', text: 'ZZFORWARDHOOK' },
  { what: 'forwarder URL', text: '/hooks/catch' },
  { what: 'forwarder signing secret', text: 'ZZSIGNINGSECRET' },
  { what: 'Google private key', text: 'PRIVATE KEY' },
  { what: 'Google private key', text: PRIVATE_KEY_PART },
  { what: 'Google access token', text: 'ya29.' },
  { what: 'authorization header', text: 'Bearer ' },
];

// ── the flow ─────────────────────────────────────────────────────────────────────────────────────

const SPREADSHEET = '1LogHygieneSheet_0123456789abcdef';
const SHEET = 'Connections';
const MAX_RECEIVE_COUNT = 3;
const LEASE_MS = 30_000;

interface Outcomes {
  published: { eventId: string; duplicate: boolean };
  duplicate: { eventId: string; duplicate: boolean };
  quarantined: HttpResult;
  wrongQueryToken: HttpResult;
  wrongBearerToken: HttpResult;
  snsDown: HttpResult;
  connections: HttpResult;
  wrongReadToken: HttpResult;
  reconciled: ReconcileSummary;
  pendingEventId: string;
  deadLettered: Record<string, number>;
  /** Requests each loopback target received: failed attempts included. */
  attempts: { slack: number; forwarder: number; googleAppends: number };
}

const LOG_LEVELS_ABOVE_INFO = new Set(['WARN', 'ERROR', 'CRITICAL']);
const CONSUMERS = ['slack', 'hubspot', 'forward-zapier', 'sheets', 'email'] as const;
const byMessage = (lines: CapturedLine[], message: string) =>
  lines.filter((l) => l.json?.message === message);

describe.skipIf(!motoAvailable())('log hygiene: the functions as Lambda runs them, at INFO', () => {
  let moto: MotoServer;
  let sns: SNSClient;
  let sqs: SQSClient;
  let store: DynamoDbConnectionStore;
  let topicArn: string;
  let slackServer: TargetServer;
  let hubspotServer: TargetServer;
  let forwardServer: TargetServer;
  let google: FakeGoogle;
  let lines: CapturedLine[] = [];
  let outcomes: Outcomes;

  beforeAll(async () => {
    // Powertools' dev mode would print through the global console (and indent); these are the
    // functions as deployed.
    delete process.env.POWERTOOLS_DEV;
    const clients = await startMotoWithClients();
    ({ moto, sns, sqs } = clients);
    const secrets = new SecretsManagerClient(clients.config);
    const ses = new SESv2Client(clients.config);
    [slackServer, hubspotServer, forwardServer, google] = await Promise.all([
      startTargetServer({ status: 200, body: 'ok' }),
      startTargetServer({ status: 200, body: '{"status":"COMPLETE","results":[]}' }),
      startTargetServer({ status: 200, body: '' }),
      startFakeGoogle(account),
    ]);
    google.addSpreadsheet(SPREADSHEET, [SHEET]);
    store = await createConnectionsTable(clients.dynamo);
    topicArn = await createTopic(sns);
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'agency.example' }));

    const secretArn = async (name: string, value: string) =>
      (await secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN ?? '';
    const rotating = async (name: string, value: string) =>
      new RotatingSecret(secrets, await secretArn(name, value), { maxAgeMs: 300_000, graceMs: 3_600_000 });
    const cached = async (name: string, value: string) =>
      new CachedSecret(secrets, await secretArn(name, value), 300_000);
    const [webhookToken, readToken, slackUrl, hubspotToken, forwarderSecret, googleKey] = await Promise.all([
      rotating('webhook-token', WEBHOOK_TOKEN),
      rotating('read-token', READ_TOKEN),
      cached('slack', `${slackServer.url}${SLACK_PATH}`),
      cached('hubspot', HUBSPOT_TOKEN),
      cached(
        'forward-zapier',
        JSON.stringify({ url: `${forwardServer.url}${FORWARD_PATH}`, signingSecret: SIGNING_SECRET }),
      ),
      cached('google', account.json),
    ]);

    const subscribe = (name: string): Promise<ConsumerQueues> =>
      subscribeConsumerQueues({ sns, sqs }, topicArn, name, { maxReceiveCount: MAX_RECEIVE_COUNT });
    const queues = Object.fromEntries(
      await Promise.all(CONSUMERS.map(async (name) => [name, await subscribe(name)] as const)),
    ) as Record<(typeof CONSUMERS)[number], ConsumerQueues>;

    /** Each function with its own Logger and metrics, as its entry builds them. */
    const observability = (name: string) => {
      const logger = infoLogger(name);
      const metrics = new PowertoolsMetrics({
        namespace: 'LeadsieWebhooks',
        service: 'log-hygiene',
        log: logger,
      });
      return { logger, metrics };
    };
    const consumer = (
      name: (typeof CONSUMERS)[number],
      make: (base: ReturnType<typeof consumerDeps> & { metrics: PowertoolsMetrics }) => ConsumerHandler,
    ): ConsumerHandler => {
      const { logger, metrics } = observability(name);
      const handler = withSqsMiddleware(
        make({ ...consumerDeps(sqs, name, queues[name], logger), metrics }),
        logger,
        metrics,
      );
      return (event) => handler(event, lambdaContext(name));
    };

    // SNS fails once when `snsDown` is set: a real SDK error (the topic does not exist).
    let snsDown = false;
    const topic = new SnsEventPublisher(sns, topicArn);
    const missingTopic = new SnsEventPublisher(sns, `${topicArn}-gone`);
    const publisher: EventPublisher = {
      publish: (event) => {
        const down = snsDown;
        snsDown = false;
        return (down ? missingTopic : topic).publish(event);
      },
    };

    const ingestObs = observability('ingest');
    const ingestFn = withHttpMiddleware(
      makeIngestHandler({
        store,
        quarantine: store,
        publisher,
        webhookToken,
        maxBodyBytes: DEFAULTS.maxBodyBytes,
        log: ingestObs.logger,
        metrics: ingestObs.metrics,
        now: () => new Date(),
        newEventId: randomEventIds('01HYGIENE'),
        leaseMs: LEASE_MS,
      }),
      ingestObs.logger,
      ingestObs.metrics,
    );
    const ingest = async (event: HttpEvent) => (await ingestFn(event, lambdaContext('ingest'))) as HttpResult;

    const connectionsLogger = infoLogger('connections');
    const connectionsFn = withHttpMiddleware(makeConnectionsHandler({ store, readToken }), connectionsLogger);
    const connections = async (token: string) =>
      (await connectionsFn(
        apiEvent({
          method: 'GET',
          path: '/connections',
          query: { user: String(MAIN.user) },
          headers: { authorization: `Bearer ${token}` },
        }),
        lambdaContext('connections'),
      )) as HttpResult;

    const reconcilerObs = observability('reconciler');
    const reconcilerFn = withScheduledMiddleware(
      makeReconciler({
        store,
        pending: store,
        quarantine: store,
        publisher,
        log: reconcilerObs.logger,
        metrics: reconcilerObs.metrics,
        now: () => new Date(),
        leaseMs: LEASE_MS,
        limit: DEFAULTS.reconcilerBatchLimit,
        retry: TEST_RETRY,
      }),
      reconcilerObs.logger,
      reconcilerObs.metrics,
    );

    // Slack fails the first event three times (1 + 2 in-process retries): back to the queue.
    let slackFailures = 0;
    slackServer.respondWith((request) =>
      request.body.includes('ZZREQUEST-One') && slackFailures++ < 3
        ? { status: 500, body: 'internal_error' }
        : { status: 200, body: 'ok' },
    );
    // HubSpot refuses the second event for good: dead-lettered with HubSpot's reason.
    hubspotServer.respondWith((request) =>
      request.body.includes('hygiene-user-2')
        ? {
            status: 400,
            body: JSON.stringify({
              status: 'error',
              message: 'Property values were not valid',
              correlationId: '3f1c2a9e-0d4b-4c55-9a3e-2b8f6d1e7c40',
              category: 'VALIDATION_ERROR',
            }),
          }
        : { status: 200, body: '{"status":"COMPLETE","results":[]}' },
    );
    // The forwarder's target blips once; Google answers one append with 503.
    forwardServer.answer({ status: 503, body: 'upstream unavailable' });
    google.script((request) => request.path.endsWith(':append'), {
      status: 503,
      body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } },
    });
    // SES throttles the first send.
    const realSes = new SesEmailSender(ses, { from: 'Agency Ops <ops@agency.example>', consumer: 'email' });
    let throttles = 1;
    const throttlingSes: EmailSender = {
      send: (email) =>
        throttles-- > 0
          ? Promise.reject(
              classifySesError(
                Object.assign(new Error('Maximum sending rate exceeded.'), {
                  name: 'TooManyRequestsException',
                  $metadata: { httpStatusCode: 429 },
                }),
              ),
            )
          : realSes.send(email),
    };

    const handlers: Record<(typeof CONSUMERS)[number], ConsumerHandler> = {
      slack: consumer('slack', (base) =>
        makeSlackNotifier({ ...base, slack: new SlackWebhook(slackUrl, 2_000) }),
      ),
      hubspot: consumer('hubspot', (base) =>
        makeCrmUpdater({
          ...base,
          target: new HubSpotTarget({
            token: hubspotToken,
            baseUrl: hubspotServer.url,
            objectType: 'contacts',
            idProperty: 'leadsie_user_id',
            mapping: DEFAULT_HUBSPOT_MAPPING,
            timeoutMs: 2_000,
          }),
          versions: store,
          ordering: new DynamoDbOrderingGuard(clients.dynamo, 'connections'),
        }),
      ),
      'forward-zapier': consumer('forward-zapier', (base) =>
        makeCrmUpdater({
          ...base,
          target: new WebhookForwarder({
            name: 'forward-zapier',
            secret: forwarderSecret,
            format: 'flat',
            timeoutMs: 2_000,
          }),
          versions: store,
          ordering: new DynamoDbOrderingGuard(clients.dynamo, 'connections'),
        }),
      ),
      sheets: consumer('sheets', (base) =>
        makeSheetsAppender({
          ...base,
          now: Date.now,
          sheet: new GoogleSheetsWriter({
            auth: new GoogleServiceAccountAuth({
              key: googleKey,
              tokenUrl: google.tokenUrl,
              timeoutMs: 2_000,
            }),
            spreadsheetId: SPREADSHEET,
            sheetName: SHEET,
            baseUrl: google.url,
            timeoutMs: 2_000,
          }),
          headerLease: new InMemoryHeaderLease(),
          headerLeaseMs: 60_000,
        }),
      ),
      email: consumer('email', (base) =>
        makeEmailNotifier({
          ...base,
          now: Date.now,
          sender: throttlingSes,
          settings: {
            teamRecipients: ['team@agency.example'],
            teamStatuses: [...DEFAULTS.emailTeamStatuses],
            client: { addresses: {}, template: parseEmailTemplate(DEFAULT_CLIENT_TEMPLATE) },
          },
        }),
      ),
    };

    const json = (result: HttpResult) => JSON.parse(result.body ?? '{}');
    const post = (body: unknown, query: Record<string, string>, headers: Record<string, string> = {}) => {
      const event = webhookPost(JSON.stringify(body), query);
      event.headers = { ...event.headers, ...headers };
      return ingest(event);
    };

    const capture = captureOutput();
    try {
      const published = await post(MAIN, { token: WEBHOOK_TOKEN });
      const duplicate = await post(MAIN, { token: WEBHOOK_TOKEN });
      const quarantined = await post(INVALID, { token: WEBHOOK_TOKEN });
      const wrongQueryToken = await post(MAIN, { token: WRONG_TOKEN });
      const wrongBearerToken = await post(MAIN, {}, { authorization: `Bearer ${WRONG_TOKEN}` });
      snsDown = true;
      const snsDownResult = await post(PENDING, { token: WEBHOOK_TOKEN });
      const [pending] = await store.pendingDeliveries(10);
      const connectionsResult = await connections(READ_TOKEN);
      const wrongReadToken = await connections(WRONG_TOKEN);
      const reconciled = (await reconcilerFn({}, lambdaContext('reconciler'))) as ReconcileSummary;
      await Promise.all(
        CONSUMERS.map((name) =>
          drainQueue(sqs, queues[name].queueUrl, handlers[name], { deadlineMs: 30_000 }),
        ),
      );
      const deadLettered = Object.fromEntries(
        await Promise.all(
          CONSUMERS.map(async (name) => [name, (await takeAll(sqs, queues[name].dlqUrl)).length]),
        ),
      );
      outcomes = {
        published: json(published),
        duplicate: json(duplicate),
        quarantined,
        wrongQueryToken,
        wrongBearerToken,
        snsDown: snsDownResult,
        connections: connectionsResult,
        wrongReadToken,
        reconciled,
        pendingEventId: pending?.eventId ?? '(none pending)',
        deadLettered,
        attempts: {
          slack: slackServer.requests.length,
          forwarder: forwardServer.requests.length,
          googleAppends: google.requests.filter((r) => r.path.endsWith(':append')).length,
        },
      };
    } finally {
      lines = capture.lines();
      capture.stop();
    }
  });

  afterAll(async () => {
    await Promise.all([
      slackServer?.close(),
      hubspotServer?.close(),
      forwardServer?.close(),
      google?.close(),
    ]);
    await moto?.stop();
  });

  it('ran the flow it claims: every path taken, with the answers and outcomes expected', () => {
    expect(outcomes.published.duplicate).toBe(false);
    expect(outcomes.duplicate).toEqual({ eventId: outcomes.published.eventId, duplicate: true });
    expect(outcomes.quarantined.statusCode).toBe(400);
    expect(JSON.parse(outcomes.quarantined.body ?? '{}').quarantineId).toMatch(/^[0-9a-f]{64}$/);
    expect(outcomes.wrongQueryToken.statusCode).toBe(401);
    expect(outcomes.wrongBearerToken.statusCode).toBe(401);
    expect(outcomes.snsDown.statusCode).toBe(503);
    expect(outcomes.connections.statusCode).toBe(200);
    // The answer does carry the client data the logs must not.
    expect(outcomes.connections.body).toContain(CLIENT_NAME);
    expect(outcomes.wrongReadToken.statusCode).toBe(401);
    expect(outcomes.reconciled).toMatchObject({ found: 1, published: 1, failed: 0, backlog: 0 });
    // Slack: 3 failed attempts, then one success per event; the forwarder and Google: one 503 each,
    // retried in-process; HubSpot dead-lettered the second event.
    expect(outcomes.attempts).toEqual({ slack: 5, forwarder: 3, googleAppends: 3 });
    expect(outcomes.deadLettered).toEqual({ slack: 0, hubspot: 1, 'forward-zapier': 0, sheets: 0, email: 0 });
    expect(google.sheet(SPREADSHEET, SHEET).rows).toHaveLength(3);
  });

  it('captured what the functions printed: their log lines and their EMF metrics', () => {
    expect(lines.length).toBeGreaterThanOrEqual(40);
    const messages = new Set(lines.map((l) => l.json?.message));
    for (const message of [
      'delivery published',
      'duplicate delivery',
      'request quarantined',
      'request rejected',
      'publish failed; the delivery stays pending',
      'reconciler published a pending delivery',
      RECONCILER_RUN_LOG_MESSAGE,
      'sent',
      'delivery failed; will retry',
      'sent to the dead-letter queue',
      'CRM updated',
      'email sent',
    ]) {
      expect(messages, message).toContain(message);
    }
    expect(lines.filter((l) => l.json !== undefined && '_aws' in l.json).length).toBeGreaterThan(0);
    // At INFO, as deployed: nothing below it was printed.
    expect(lines.filter((l) => l.level === 'DEBUG')).toEqual([]);
  });

  it('names no client, request, asset or summary URL in any line at INFO (nor in EMF)', () => {
    const infoLines = lines.filter((l) => !LOG_LEVELS_ABOVE_INFO.has(l.level ?? ''));
    expect(infoLines.length).toBeGreaterThanOrEqual(20);
    expect(leaksIn(infoLines, CLIENT_DATA)).toEqual([]);
  });

  it('holds no token and no consumer secret in any line, at any level', () => {
    expect(lines.filter((l) => LOG_LEVELS_ABOVE_INFO.has(l.level ?? '')).length).toBeGreaterThanOrEqual(5);
    expect(leaksIn(lines, CREDENTIALS)).toEqual([]);
  });

  it('prints JSON only, every log line inside the Lambda context', () => {
    expect(lines.filter((l) => l.json === undefined).map((l) => l.raw)).toEqual([]);
    const logLines = lines.filter((l) => l.level !== undefined);
    expect(logLines.filter((l) => typeof l.json?.function_request_id !== 'string').map((l) => l.raw)).toEqual(
      [],
    );
  });

  it('correlates the lines of a delivery by its eventId, from ingest to every consumer', () => {
    const { eventId } = outcomes.published;
    const pendingId = outcomes.pendingEventId;
    expect(byMessage(lines, 'delivery published').map((l) => l.json?.eventId)).toEqual(
      expect.arrayContaining([eventId, pendingId]),
    );
    expect(byMessage(lines, 'duplicate delivery').map((l) => l.json?.eventId)).toEqual([eventId]);
    expect(
      byMessage(lines, 'publish failed; the delivery stays pending').map((l) => l.json?.eventId),
    ).toEqual([pendingId]);
    expect(byMessage(lines, 'reconciler published a pending delivery').map((l) => l.json?.eventId)).toEqual([
      pendingId,
    ]);
    const delivered = byMessage(lines, 'sent');
    for (const name of CONSUMERS) {
      const ids = delivered.filter((l) => l.json?.consumer === name).map((l) => l.json?.eventId);
      // HubSpot dead-lettered the pending delivery's event; every other consumer delivered both.
      expect(ids.sort(), name).toEqual(name === 'hubspot' ? [eventId] : [eventId, pendingId].sort());
    }
    expect(byMessage(lines, 'delivery failed; will retry').map((l) => l.json?.eventId)).toEqual(
      expect.arrayContaining([eventId]),
    );
  });

  it('names the eventId in the dead-letter line of a connection event', () => {
    // A consumer that refuses an event for good must say which delivery it was, not only the SQS
    // message id: that line is the one an operator searches for.
    const deadLetters = byMessage(lines, 'sent to the dead-letter queue');
    expect(deadLetters.map((l) => l.json?.consumer)).toEqual(['hubspot']);
    expect(deadLetters.map((l) => l.json?.eventId)).toEqual([outcomes.pendingEventId]);
  });

  it('can fail: a consumer that logs the client name at INFO is caught by the same capture and check', async () => {
    const logger = infoLogger('leaky');
    const parsed = parsePayload(MAIN);
    if (!parsed.ok) throw new Error('the marked payload should parse');
    const envelope = buildEnvelope({
      payload: parsed.payload,
      eventId: '01HYGIENELEAKY',
      fingerprint: fingerprint(MAIN),
      receivedAt: new Date().toISOString(),
      version: 1,
    });
    const leaky = withSqsMiddleware(
      makeDeliveryEngine(
        {
          name: 'leaky',
          deadLetters: { send: async () => undefined },
          delayer: { delay: async () => undefined },
          log: logger,
          outcomes: new InMemoryOutcomeLedger(30),
        },
        async (event) => {
          // The deliberate leak: the client's name at INFO.
          logger.info('notifying', { client: event.client?.name });
          return 'notified';
        },
      ),
      logger,
    );
    const capture = captureOutput();
    let leakyLines: CapturedLine[];
    try {
      await leaky(
        { Records: [{ messageId: 'm-1', receiptHandle: 'r-1', body: JSON.stringify(envelope) } as never] },
        lambdaContext('leaky'),
      );
    } finally {
      leakyLines = capture.lines();
      capture.stop();
    }
    expect(byMessage(leakyLines, 'sent'), leakyLines.map((l) => l.raw).join('\n')).toHaveLength(1);
    expect(leaksIn(leakyLines, CLIENT_DATA)).toEqual([
      expect.stringMatching(/^client name \("ZZCLIENT"\) in: .*notifying/),
    ]);
  });
});
