/**
 * The Discord adapter against a loopback server standing in for Discord's Execute Webhook: the server
 * checks the request as Discord documents it (POST, JSON, `?wait=true`, `allowed_mentions` with
 * nothing to parse, 1 to 10 embeds within every embed limit) and answers 200 with the message, or
 * 400 `50035 Invalid Form Body` with the path of each invalid field. Then every answer Discord gives
 * is classified: 200 with an id, 204, 429 with `Retry-After` and `retry_after`, 401/404 with Discord's
 * codes, 5xx, a hung server and a refused connection. Last, the URL read from a real secret on moto.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import { type BackoffOptions, TargetTimeoutError } from '../../../lambda/adapters/http-target.ts';
import { CachedSecret, staticSecret } from '../../../lambda/adapters/secrets.ts';
import {
  buildDiscordMessage,
  DISCORD_LIMITS,
  type DiscordMessage,
} from '../../../lambda/consumers/discord/message.ts';
import {
  DiscordWebhook,
  formErrors,
  retryAfterOf,
  withWait,
} from '../../../lambda/consumers/discord/send.ts';
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

const WEBHOOK_ID = '1234567890123456789';
const TOKEN = 'aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345';
const WEBHOOK_PATH = `/api/webhooks/${WEBHOOK_ID}/${TOKEN}`;
/** Generous: a loaded machine must not turn a slow loopback answer into a timeout. */
const TIMEOUT_MS = 10_000;
/** Short, for the hung-server test only. */
const HANG_TIMEOUT_MS = 300;
const NO_RETRY: BackoffOptions = { retries: 0, minDelayMs: 1, maxInlineWaitSeconds: 0 };

const message = buildDiscordMessage(
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

const json = (status: number, body: unknown, headers: Record<string, string> = {}): ScriptedAnswer => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** Discord's validation errors of a request, nested as Discord nests them; {} when it is valid. */
const formErrorsOf = (request: RecordedRequest): Record<string, unknown> => {
  const errors: Record<string, unknown> = {};
  const fail = (path: string[], message: string) => {
    let node = errors;
    for (const key of path) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    node._errors = [{ code: 'BASE_TYPE_MAX_LENGTH', message }];
  };
  let body: Partial<DiscordMessage> & { content?: unknown };
  try {
    body = JSON.parse(request.body) as typeof body;
  } catch {
    fail([], 'The request body contains invalid JSON.');
    return errors;
  }
  if (JSON.stringify(body.allowed_mentions) !== JSON.stringify({ parse: [] })) {
    fail(['allowed_mentions'], 'Must be {"parse": []} for this test server.');
  }
  const embeds = Array.isArray(body.embeds) ? body.embeds : [];
  if (embeds.length === 0 && typeof body.content !== 'string') fail([], 'Cannot send an empty message');
  if (embeds.length > DISCORD_LIMITS.embeds) fail(['embeds'], 'Must be 10 or fewer in length.');
  let total = 0;
  embeds.forEach((embed, i) => {
    const at = ['embeds', String(i)];
    const max = (path: string[], value: unknown, limit: number) => {
      if (typeof value === 'string' && value.length > limit)
        fail(path, `Must be ${limit} or fewer in length.`);
      if (typeof value === 'string') total += value.length;
    };
    max([...at, 'title'], embed.title, DISCORD_LIMITS.title);
    max([...at, 'description'], embed.description, DISCORD_LIMITS.description);
    max([...at, 'footer', 'text'], embed.footer?.text, DISCORD_LIMITS.footerText);
    if ((embed.fields ?? []).length > DISCORD_LIMITS.fields)
      fail([...at, 'fields'], 'Must be 25 or fewer in length.');
    (embed.fields ?? []).forEach((field, j) => {
      max([...at, 'fields', String(j), 'name'], field.name, DISCORD_LIMITS.fieldName);
      max([...at, 'fields', String(j), 'value'], field.value, DISCORD_LIMITS.fieldValue);
    });
    if (embed.url !== undefined && !/^https?:\/\//.test(embed.url))
      fail([...at, 'url'], 'Not a well formed URL.');
  });
  if (total > DISCORD_LIMITS.total) fail(['embeds'], 'Embed size exceeds maximum size of 6000');
  return errors;
};

/** Execute Webhook: checks the request line and headers, then the body; 200 with the message (wait=true). */
const discordWebhook = (request: RecordedRequest): ScriptedAnswer => {
  const url = new URL(request.path, 'http://x');
  if (request.method !== 'POST') return json(405, { message: '405: Method Not Allowed', code: 0 });
  if (url.pathname !== WEBHOOK_PATH) return json(404, { message: 'Unknown Webhook', code: 10015 });
  if (request.headers['content-type'] !== 'application/json') {
    return json(400, { message: 'Cannot send an empty message', code: 50006 });
  }
  const errors = formErrorsOf(request);
  if (Object.keys(errors).length > 0) return json(400, { code: 50035, errors, message: 'Invalid Form Body' });
  if (url.searchParams.get('wait') !== 'true') return { status: 204 };
  return json(200, {
    id: '1300000000000000001',
    type: 0,
    channel_id: '1200000000000000001',
    webhook_id: WEBHOOK_ID,
  });
};

describe('DiscordWebhook against a loopback Discord', () => {
  let server: TargetServer;
  let webhookUrl: string;
  let discord: DiscordWebhook;

  beforeAll(async () => {
    server = await startTargetServer();
    webhookUrl = server.url + WEBHOOK_PATH;
    discord = new DiscordWebhook(staticSecret(webhookUrl), TIMEOUT_MS, NO_RETRY);
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.reset();
    server.fallback = { status: 204 };
  });

  it('POSTs the embed as JSON with ?wait=true; 200 gives the message id', async () => {
    server.respondWith(discordWebhook);

    const receipt = await discord.send(message);

    expect(receipt).toStrictEqual({ status: 200, outcome: 'posted', messageId: '1300000000000000001' });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`${WEBHOOK_PATH}?wait=true`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toBe('leadsie-webhooks');
    expect(request?.body).toBe(JSON.stringify(message));
    const body = JSON.parse(request?.body ?? '') as DiscordMessage;
    expect(body.allowed_mentions).toStrictEqual({ parse: [] });
    expect(formErrorsOf(request as RecordedRequest)).toStrictEqual({});
  });

  it('keeps the URL’s own parameters (thread_id) next to wait=true', async () => {
    server.respondWith(discordWebhook);
    const inThread = new DiscordWebhook(staticSecret(`${webhookUrl}?thread_id=42`), TIMEOUT_MS, NO_RETRY);

    await inThread.send(message);

    expect(server.requests[0]?.path).toBe(`${WEBHOOK_PATH}?thread_id=42&wait=true`);
    expect(withWait('https://discord.com/api/webhooks/1/t?wait=false')).toBe(
      'https://discord.com/api/webhooks/1/t?wait=true',
    );
  });

  it('a 204 (no body) is posted too, without an id', async () => {
    server.answer({ status: 204 });
    await expect(discord.send(message)).resolves.toStrictEqual({ status: 204, outcome: 'posted' });
  });

  it('the fake Discord refuses an embed over a limit (so the first test can fail), naming the field', async () => {
    server.respondWith(discordWebhook);
    const broken = structuredClone(message);
    const field = broken.embeds[0]?.fields[4];
    if (field) field.value = 'x'.repeat(1025);

    const error = await rejection(discord.send(broken));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toBe(
      'Discord answered 400: Invalid Form Body (code 50035): embeds.0.fields.4.value: Must be 1024 or fewer in length.',
    );
  });

  it('the fake Discord refuses a message without allowed_mentions', async () => {
    server.respondWith(discordWebhook);
    const { allowed_mentions: _, ...pinging } = message;

    const error = await rejection(discord.send(pinging as DiscordMessage));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toContain('allowed_mentions: Must be');
  });

  it.each([
    { header: '2', body: 1.5, expected: 2, why: 'the header when it is longer' },
    { header: '1', body: 12.3, expected: 13, why: 'retry_after, rounded up, when it is longer' },
    { header: undefined, body: 0.2, expected: 1, why: 'retry_after alone, rounded up' },
    { header: '7', body: undefined, expected: 7, why: 'the header alone (a Cloudflare 429 has no JSON)' },
  ])(
    '429: waits $why ($expected s), left to the queue after one request',
    async ({ header, body, expected }) => {
      server.answer({
        status: 429,
        headers: {
          'content-type': 'application/json',
          ...(header === undefined ? {} : { 'Retry-After': header }),
        },
        body:
          body === undefined
            ? 'error code: 1015'
            : JSON.stringify({ message: 'You are being rate limited.', retry_after: body, global: false }),
      });

      const error = await rejection(discord.send(message));

      expect(error).toBeInstanceOf(RetryableDeliveryError);
      expect((error as RetryableDeliveryError).retryAfterSeconds).toBe(expected);
      expect(error.message).toContain('Discord answered 429');
      expect(server.requests).toHaveLength(1);
    },
  );

  it('429 global: says so', async () => {
    server.answer(json(429, { message: 'You are being rate limited.', retry_after: 30, global: true }));

    const error = await rejection(discord.send(message));

    expect(error.message).toBe('Discord answered 429 (global rate limit): You are being rate limited.');
    expect((error as RetryableDeliveryError).retryAfterSeconds).toBe(30);
  });

  it.each([
    { status: 401, code: 50027, words: 'Invalid Webhook Token' },
    { status: 404, code: 10015, words: 'Unknown Webhook' },
    { status: 403, code: 50013, words: 'Missing Permissions' },
  ])(
    '$status $words: permanent, with Discord’s words and code, never the token',
    async ({ status, code, words }) => {
      server.answer(json(status, { message: `${words} for ${webhookUrl}`, code }));

      const error = await rejection(discord.send(message));

      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect(error.message).toBe(`Discord answered ${status}: ${words} for … (code ${code})`);
      expect(error.message).not.toContain(TOKEN);
    },
  );

  it('a 500 is retryable', async () => {
    server.answer(json(500, { message: '500: Internal Server Error', code: 0 }));
    const error = await rejection(discord.send(message));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toBe('Discord answered 500: 500: Internal Server Error (code 0)');
  });

  it('times out on a hung Discord with a TargetTimeoutError after exactly 1 request', async () => {
    server.answer({ hang: true });

    const error = await rejection(
      new DiscordWebhook(staticSecret(webhookUrl), HANG_TIMEOUT_MS).send(message),
    );

    expect(error).toBeInstanceOf(TargetTimeoutError);
    expect(error.message).toBe(`Discord gave no answer within ${HANG_TIMEOUT_MS} ms`);
    expect(server.requests).toHaveLength(1);
  });

  it('a refused connection is retryable and does not show the token', async () => {
    const port = await closedPort();
    const refused = new DiscordWebhook(
      staticSecret(`http://127.0.0.1:${port}${WEBHOOK_PATH}`),
      TIMEOUT_MS,
      NO_RETRY,
    );

    const error = await rejection(refused.send(message));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain('Discord could not be reached');
    expect(error.message).not.toContain(TOKEN);
  });

  it('an unparsable URL is permanent, and not shown', async () => {
    const error = await rejection(new DiscordWebhook(staticSecret(`x ${TOKEN}`), TIMEOUT_MS).send(message));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toBe('Discord has an invalid URL; check its configuration');
  });

  it('formErrors and retryAfterOf read Discord’s shapes, and nothing else', () => {
    expect(formErrors({ embeds: { 0: { title: { _errors: [{ message: 'too long' }] } } } })).toStrictEqual([
      'embeds.0.title: too long',
    ]);
    expect(formErrors(null)).toStrictEqual([]);
    const answer = (body: string) => ({ status: 429, headers: new Headers(), body });
    expect(retryAfterOf(answer('{"retry_after": -1}'))).toBeUndefined();
    expect(retryAfterOf(answer('{"retry_after": "5"}'))).toBeUndefined();
    expect(retryAfterOf(answer('not json'))).toBeUndefined();
  });
});

describe.concurrent('DiscordWebhook retries briefly in-process (a loopback Discord each)', () => {
  const discordAnswering = async (
    onTestFinished: TestContext['onTestFinished'],
    fallback: ScriptedAnswer,
    ...first: ScriptedAnswer[]
  ) => {
    const server = await startTargetServer(fallback);
    onTestFinished(() => server.close());
    server.answer(...first);
    server.respondWith(undefined);
    return { server, discord: new DiscordWebhook(staticSecret(server.url + WEBHOOK_PATH), TIMEOUT_MS) };
  };

  it('a short retry_after (0.4 s) is waited for (a whole second), then posted', async ({
    expect,
    onTestFinished,
  }) => {
    const { server, discord } = await discordAnswering(
      onTestFinished,
      json(200, { id: '99' }),
      json(429, { message: 'You are being rate limited.', retry_after: 0.4, global: false }),
    );

    const started = performance.now();
    await expect(discord.send(message)).resolves.toStrictEqual({
      status: 200,
      outcome: 'posted',
      messageId: '99',
    });

    expect(server.requests).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('three 502s: RetryableDeliveryError after 3 requests', async ({ expect, onTestFinished }) => {
    const { server, discord } = await discordAnswering(onTestFinished, { status: 502, body: 'Bad Gateway' });
    const error = await rejection(discord.send(message));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toBe('Discord answered 502: Bad Gateway');
    expect(server.requests).toHaveLength(3);
  });
});

describe.skipIf(!motoAvailable())('DiscordWebhook with its URL in a Secrets Manager secret on moto', () => {
  let moto: MotoServer;
  let server: TargetServer;

  beforeAll(async () => {
    [moto, server] = await Promise.all([startMoto(), startTargetServer()]);
  });

  afterAll(async () => {
    await Promise.all([moto.stop(), server.close()]);
  });

  it('reads the URL through CachedSecret and posts to it', async () => {
    server.respondWith(discordWebhook);
    const client = new SecretsManagerClient({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const created = await client.send(
      new CreateSecretCommand({ Name: 'leadsie/discord-webhook', SecretString: server.url + WEBHOOK_PATH }),
    );
    const discord = new DiscordWebhook(
      new CachedSecret(client, created.ARN ?? '', 300_000),
      TIMEOUT_MS,
      NO_RETRY,
    );

    const receipt = await discord.send(message);

    expect(receipt.messageId).toBe('1300000000000000001');
    expect(server.requests.map((r) => r.path)).toStrictEqual([`${WEBHOOK_PATH}?wait=true`]);
  });
});
