/**
 * The Teams adapter against a loopback server standing in for a Teams Workflows webhook: the server
 * checks the request as Microsoft documents it (POST, JSON, a `message` with one Adaptive Card
 * attachment, the card's type, version and schema, the `sig` of the URL) and answers `202 Accepted`,
 * or 400 with Power Automate's error JSON. Then every answer Teams gives is classified: 202 accepted,
 * a legacy webhook's 200 (posted, or "delivery failed" inside a 200), 429 with Retry-After, 5xx, 4xx,
 * a hung server and a refused connection. Last, the URL read from a real secret on moto.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import { type BackoffOptions, TargetTimeoutError } from '../../../lambda/adapters/http-target.ts';
import { CachedSecret, staticSecret } from '../../../lambda/adapters/secrets.ts';
import { buildTeamsMessage, type TeamsMessage } from '../../../lambda/consumers/teams/message.ts';
import { redact, TeamsWebhook } from '../../../lambda/consumers/teams/send.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../../lambda/domain/errors.ts';
import { sampleEnvelope } from '../../support/envelopes.ts';
import { rejection } from '../../support/errors.ts';
import { type MotoServer, motoAvailable, startMoto } from '../../support/moto.ts';
import {
  type RecordedRequest,
  type ScriptedAnswer,
  startTargetServer,
  type TargetServer,
} from '../../support/target-server.ts';

const SIG = 'Zx9sIgNaTuRe0123456789abcdefABCDEF';
/** The shape of a Workflows webhook URL (host aside): the `sig` is the credential. */
const WEBHOOK_PATH =
  '/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke' +
  `?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`;
/** Generous: a loaded machine must not turn a slow loopback answer into a timeout. */
const TIMEOUT_MS = 10_000;
/** Short, for the hung-server test only. */
const HANG_TIMEOUT_MS = 300;
const NO_RETRY: BackoffOptions = { retries: 0, minDelayMs: 1, maxInlineWaitSeconds: 0 };

const message = buildTeamsMessage(
  sampleEnvelope('v2-partial-multi-platform.json', {
    eventId: '01JZ0000000000000000000000',
    receivedAt: '2026-06-14T10:02:20.000Z',
    version: 3,
  }),
);

const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

/** What is wrong with a request, as the Teams Workflows trigger and Teams would see it; [] when nothing. */
const problemsOf = (request: RecordedRequest): string[] => {
  const problems: string[] = [];
  if (request.method !== 'POST') problems.push(`method ${request.method}`);
  if (request.headers['content-type'] !== 'application/json') problems.push('content-type');
  if (new URL(request.path, 'http://x').searchParams.get('sig') !== SIG) problems.push('sig');
  let body: unknown;
  try {
    body = JSON.parse(request.body);
  } catch {
    return [...problems, 'body is not JSON'];
  }
  const message = body as Partial<TeamsMessage>;
  if (message.type !== 'message') problems.push('type is not "message"');
  const attachments = Array.isArray(message.attachments) ? message.attachments : [];
  if (attachments.length !== 1) problems.push('not exactly one attachment');
  const [attachment] = attachments;
  if (attachment?.contentType !== 'application/vnd.microsoft.card.adaptive') problems.push('contentType');
  const card = attachment?.content;
  if (card?.type !== 'AdaptiveCard') problems.push('content.type');
  if (card?.$schema !== 'http://adaptivecards.io/schemas/adaptive-card.json') problems.push('$schema');
  // Teams renders Adaptive Cards up to 1.5.
  if (!/^1\.[0-5]$/.test(String(card?.version))) problems.push(`version ${String(card?.version)}`);
  if (!Array.isArray(card?.body) || card.body.length === 0) problems.push('empty body');
  for (const element of card?.body ?? []) {
    if (element.type !== 'RichTextBlock' || !Array.isArray(element.inlines)) problems.push('element');
    for (const inline of element.inlines ?? []) {
      if (inline.type !== 'TextRun' || typeof inline.text !== 'string') problems.push('inline');
    }
  }
  if (Buffer.byteLength(request.body) > 28 * 1024) problems.push('over 28 KB');
  return problems;
};

/** A Workflows webhook: 202 for a good request, else Power Automate's 400 error JSON. */
const workflowsWebhook = (request: RecordedRequest): ScriptedAnswer => {
  const problems = problemsOf(request);
  if (problems.length === 0) return { status: 202, body: '' };
  return {
    status: 400,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code: 'InvalidRequestContent', message: problems.join('; ') } }),
  };
};

describe('TeamsWebhook against a loopback Teams Workflows webhook', () => {
  let server: TargetServer;
  let webhookUrl: string;
  let teams: TeamsWebhook;

  beforeAll(async () => {
    server = await startTargetServer();
    webhookUrl = server.url + WEBHOOK_PATH;
    teams = new TeamsWebhook(staticSecret(webhookUrl), TIMEOUT_MS, NO_RETRY);
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.reset();
    server.respondWith(undefined);
    server.fallback = { status: 202, body: '' };
  });

  it('POSTs the card as JSON to the exact webhook URL; 202 is "accepted", not "posted"', async () => {
    server.respondWith(workflowsWebhook);

    const receipt = await teams.send(message);

    expect(receipt).toStrictEqual({ status: 202, outcome: 'accepted' });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(WEBHOOK_PATH);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toBe('leadsie-webhooks');
    expect(request?.body).toBe(JSON.stringify(message));
    expect(problemsOf(request as RecordedRequest)).toStrictEqual([]);
  });

  it('the fake Workflows webhook refuses a card it would not render (so the test above can fail)', async () => {
    server.respondWith(workflowsWebhook);
    const broken = structuredClone(message) as unknown as { attachments: { content: { version: string } }[] };
    const [attachment] = broken.attachments;
    if (attachment) attachment.content.version = '2.0';

    const error = await rejection(teams.send(broken as unknown as TeamsMessage));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toBe('Teams answered 400: InvalidRequestContent: version 2.0');
  });

  it.each([
    { body: '1', why: 'a legacy Incoming Webhook' },
    { body: '', why: 'an empty 200' },
  ])('200 from $why is "posted"', async ({ body }) => {
    server.answer({ status: 200, body });
    await expect(teams.send(message)).resolves.toStrictEqual({ status: 200, outcome: 'posted' });
  });

  it.each([
    { inner: 429, kind: RetryableDeliveryError },
    { inner: 502, kind: RetryableDeliveryError },
    { inner: 413, kind: PermanentDeliveryError },
    { inner: 400, kind: PermanentDeliveryError },
  ])('a legacy 200 that says it failed with $inner is a $kind.name', async ({ inner, kind }) => {
    server.answer({
      status: 200,
      body: `Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error ${inner} with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=deadbeef.0..`,
    });

    const error = await rejection(teams.send(message));

    expect(error).toBeInstanceOf(kind);
    if (kind === PermanentDeliveryError) expect(error).not.toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain(`Teams answered 200 but did not deliver`);
    expect(error.message).toContain(`HTTP error ${inner}`);
  });

  it('leaves a 429 with Retry-After: 30 to the queue: RetryableDeliveryError(30) after one request', async () => {
    server.answer({ status: 429, body: '', headers: { 'Retry-After': '30' } });

    const error = await rejection(new TeamsWebhook(staticSecret(webhookUrl), TIMEOUT_MS).send(message));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as RetryableDeliveryError).retryAfterSeconds).toBe(30);
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    { status: 400, code: 'TriggerInputSchemaMismatch', retryable: false },
    { status: 401, code: 'DirectApiAuthorizationRequired', retryable: false },
    { status: 403, code: 'AuthorizationFailed', retryable: false },
    { status: 404, code: 'WorkflowNotFound', retryable: false },
    { status: 502, code: 'BadGateway', retryable: true },
  ])(
    '$status $code: Power Automate’s code and words, never the URL or its sig',
    async ({ status, code, retryable }) => {
      server.answer({
        status,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          error: { code, message: `The request to '${webhookUrl}' failed (sig=${SIG}).` },
        }),
      });

      const error = await rejection(teams.send(message));

      expect(error).toBeInstanceOf(retryable ? RetryableDeliveryError : PermanentDeliveryError);
      expect(error.message).toContain(`Teams answered ${status}: ${code}: The request to '…' failed`);
      expect(error.message).not.toContain(SIG);
      expect(error.message).not.toContain('0123456789abcdef0123456789abcdef');
      expect(error.message).not.toContain(server.url);
      expect(server.requests).toHaveLength(1);
    },
  );

  it('a redirect is refused, not followed', async () => {
    server.answer({ status: 302, headers: { location: 'https://evil.example/' } });

    const error = await rejection(teams.send(message));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toContain('redirect');
  });

  it('times out on a hung webhook with a TargetTimeoutError after exactly 1 request', async () => {
    server.answer({ hang: true });

    const error = await rejection(new TeamsWebhook(staticSecret(webhookUrl), HANG_TIMEOUT_MS).send(message));

    expect(error).toBeInstanceOf(TargetTimeoutError);
    expect(error.message).toBe(`Teams gave no answer within ${HANG_TIMEOUT_MS} ms`);
    expect(server.requests).toHaveLength(1);
  });

  it('a refused connection is retryable and does not show the URL', async () => {
    const port = await closedPort();
    const refused = new TeamsWebhook(
      staticSecret(`http://127.0.0.1:${port}${WEBHOOK_PATH}`),
      TIMEOUT_MS,
      NO_RETRY,
    );

    const error = await rejection(refused.send(message));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain('Teams could not be reached');
    expect(error.message).not.toContain(SIG);
  });

  it('an unparsable URL is permanent, and not shown', async () => {
    const error = await rejection(
      new TeamsWebhook(staticSecret(`not a url ${SIG}`), TIMEOUT_MS).send(message),
    );

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toBe('Teams has an invalid URL; check its configuration');
  });

  it('redact cuts the URL, its long path segments and any sig= value', () => {
    const url = server.url + WEBHOOK_PATH;
    expect(redact(`see ${url} and /workflows/0123456789abcdef0123456789abcdef and ?sig=other`, url)).toBe(
      'see … and /workflows/… and ?sig=…',
    );
  });
});

/** Answers that make the adapter wait out p-retry's backoff run concurrently, a server each. */
describe.concurrent('TeamsWebhook retries briefly in-process (a loopback webhook each)', () => {
  const teamsAnswering = async (
    onTestFinished: TestContext['onTestFinished'],
    fallback: ScriptedAnswer,
    ...first: ScriptedAnswer[]
  ) => {
    const server = await startTargetServer(fallback);
    onTestFinished(() => server.close());
    server.answer(...first);
    return { server, teams: new TeamsWebhook(staticSecret(server.url + WEBHOOK_PATH), TIMEOUT_MS) };
  };

  it('a 500 then 202: accepted after 2 requests', async ({ expect, onTestFinished }) => {
    const { server, teams } = await teamsAnswering(onTestFinished, { status: 202 }, { status: 500 });
    await expect(teams.send(message)).resolves.toStrictEqual({ status: 202, outcome: 'accepted' });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.body).toBe(server.requests[0]?.body);
  });

  it('three 503s: RetryableDeliveryError after 3 requests', async ({ expect, onTestFinished }) => {
    const { server, teams } = await teamsAnswering(onTestFinished, {
      status: 503,
      body: 'Service Unavailable',
    });
    const error = await rejection(teams.send(message));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toBe('Teams answered 503: Service Unavailable');
    expect(server.requests).toHaveLength(3);
  });
});

describe.skipIf(!motoAvailable())('TeamsWebhook with its URL in a Secrets Manager secret on moto', () => {
  let moto: MotoServer;
  let server: TargetServer;

  beforeAll(async () => {
    [moto, server] = await Promise.all([startMoto(), startTargetServer()]);
  });

  afterAll(async () => {
    await Promise.all([moto.stop(), server.close()]);
  });

  it('reads the URL once through CachedSecret and posts to it', async () => {
    server.respondWith(workflowsWebhook);
    const client = new SecretsManagerClient({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const reads: string[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        reads.push('GetSecretValue');
        return next(args);
      },
      { step: 'initialize', name: 'countReads' },
    );
    const created = await client.send(
      new CreateSecretCommand({ Name: 'leadsie/teams-webhook', SecretString: server.url + WEBHOOK_PATH }),
    );
    reads.length = 0;
    const teams = new TeamsWebhook(
      new CachedSecret(client, created.ARN ?? '', 300_000),
      TIMEOUT_MS,
      NO_RETRY,
    );

    await expect(teams.send(message)).resolves.toStrictEqual({ status: 202, outcome: 'accepted' });
    await expect(teams.send(message)).resolves.toStrictEqual({ status: 202, outcome: 'accepted' });

    expect(reads).toHaveLength(1);
    expect(server.requests.map((r) => r.path)).toStrictEqual([WEBHOOK_PATH, WEBHOOK_PATH]);
  });
});
