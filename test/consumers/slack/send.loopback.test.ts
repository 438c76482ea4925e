/**
 * The Slack Incoming Webhook adapter against a loopback server standing in for Slack: the exact
 * request it sends, and how each of Slack's answers (200 `ok`, 429 with Retry-After, 5xx, the
 * documented 4xx error words), a hung server and a refused connection are classified and retried.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import { TargetTimeoutError } from '../../../lambda/adapters/http-target.ts';
import { staticSecret } from '../../../lambda/adapters/secrets.ts';
import { buildSlackMessage } from '../../../lambda/consumers/slack/message.ts';
import { SlackWebhook } from '../../../lambda/consumers/slack/send.ts';
import type { ConnectionEvent } from '../../../lambda/domain/envelope.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../../lambda/domain/errors.ts';
import { sampleEnvelope } from '../../support/envelopes.ts';
import { rejection } from '../../support/errors.ts';
import { type ScriptedAnswer, startTargetServer, type TargetServer } from '../../support/target-server.ts';

const WEBHOOK_PATH = '/services/T000/B000/XXX';
/** Small enough to keep the hung-server test fast, large enough for loopback answers. */
const TIMEOUT_MS = 300;

const eventOf = (fixture: string): ConnectionEvent =>
  sampleEnvelope(fixture, {
    eventId: '01JZ0000000000000000000000',
    receivedAt: '2026-06-14T10:02:20.000Z',
    version: 3,
  });

/** A loopback port nothing listens on: bound once, then released. */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

describe('SlackWebhook against a loopback Slack', () => {
  let server: TargetServer;
  let webhookUrl: string;
  let slack: SlackWebhook;
  const event = eventOf('v2-partial-multi-platform.json');
  const message = buildSlackMessage(event);

  beforeAll(async () => {
    server = await startTargetServer();
    webhookUrl = server.url + WEBHOOK_PATH;
    slack = new SlackWebhook(staticSecret(webhookUrl), TIMEOUT_MS);
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.requests.length = 0;
    server.fallback = { status: 200, body: 'ok' };
  });

  it('POSTs the Block Kit message as JSON to the webhook path, and resolves on 200 ok', async () => {
    await expect(slack.send(message)).resolves.toStrictEqual({ status: 200 });

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(WEBHOOK_PATH);
    expect(request?.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request?.body ?? '') as unknown;
    expect(body).toEqual(JSON.parse(JSON.stringify(buildSlackMessage(event))));
    expect(body).toEqual({ text: expect.any(String), blocks: expect.any(Array) });
    expect(request?.body).toBe(JSON.stringify(message));
  });

  it('leaves a 429 with Retry-After: 30 to the queue: RetryableDeliveryError(30) after one request', async () => {
    server.answer({ status: 429, body: 'rate_limited', headers: { 'Retry-After': '30' } });

    const error = await rejection(slack.send(message));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as RetryableDeliveryError).retryAfterSeconds).toBe(30);
    expect(error.message).toContain('429');
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    { status: 400, word: 'invalid_payload' },
    { status: 403, word: 'invalid_token' },
    { status: 403, word: 'action_prohibited' },
    { status: 404, word: 'channel_not_found' },
    { status: 410, word: 'channel_is_archived' },
  ])(
    'makes $status $word a PermanentDeliveryError with Slack’s word, not the URL, after 1 request',
    async ({ status, word }) => {
      server.answer({ status, body: word });

      const error = await rejection(slack.send(message));

      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect(error.message).toContain(word);
      expect(error.message).toContain(String(status));
      expect(error.message).not.toContain(WEBHOOK_PATH);
      expect(error.message).not.toContain(server.url);
      expect(server.requests).toHaveLength(1);
    },
  );

  it('times out on a hung Slack with a RetryableDeliveryError after exactly 1 request (no in-process retry)', async () => {
    server.answer({ hang: true });

    const started = performance.now();
    const error = await rejection(slack.send(message));
    const elapsedMs = performance.now() - started;

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error).toBeInstanceOf(TargetTimeoutError);
    expect(error.message).toBe(`Slack gave no answer within ${TIMEOUT_MS} ms`);
    expect(server.requests).toHaveLength(1);
    // Gave up at the timeout, not at some later retry.
    expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 1000);
  });
});

/**
 * Answers that make the adapter wait out p-retry's backoff (250 ms, then 500 ms, with jitter) run
 * concurrently, each against its own server, so the waits overlap instead of adding up.
 */
describe.concurrent('SlackWebhook retries with backoff (a loopback Slack each)', () => {
  const message = buildSlackMessage(eventOf('v2-partial-multi-platform.json'));

  const slackAnswering = async (
    onTestFinished: TestContext['onTestFinished'],
    fallback: ScriptedAnswer,
    ...first: ScriptedAnswer[]
  ): Promise<{ server: TargetServer; slack: SlackWebhook }> => {
    const server = await startTargetServer(fallback);
    onTestFinished(() => server.close());
    server.answer(...first);
    return { server, slack: new SlackWebhook(staticSecret(server.url + WEBHOOK_PATH), TIMEOUT_MS) };
  };

  it('retries a 429 with Retry-After: 1 in-process and resolves when Slack then answers 200', async ({
    expect,
    onTestFinished,
  }) => {
    const { server, slack } = await slackAnswering(
      onTestFinished,
      { status: 200, body: 'ok' },
      { status: 429, body: 'rate_limited', headers: { 'Retry-After': '1' } },
    );

    await expect(slack.send(message)).resolves.toStrictEqual({ status: 200 });

    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.body).toBe(server.requests[0]?.body);
  });

  // Slack asks to wait Retry-After seconds: the in-process retry of a short Retry-After (≤ 2 s) must
  // not land inside that window.
  it('waits at least the Retry-After (1 s) before the in-process retry', async ({
    expect,
    onTestFinished,
  }) => {
    const { server, slack } = await slackAnswering(
      onTestFinished,
      { status: 200, body: 'ok' },
      { status: 429, body: 'rate_limited', headers: { 'Retry-After': '1' } },
    );

    const started = performance.now();
    await slack.send(message);
    const elapsedMs = performance.now() - started;

    expect(server.requests).toHaveLength(2);
    expect(elapsedMs).toBeGreaterThanOrEqual(1000);
  });

  it('gives up on three 500s with RetryableDeliveryError after exactly 3 requests (1 + 2 retries)', async ({
    expect,
    onTestFinished,
  }) => {
    const { server, slack } = await slackAnswering(onTestFinished, { status: 500, body: 'internal_error' });

    const error = await rejection(slack.send(message));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toBe('Slack answered 500: internal_error');
    expect(error.message).not.toContain(WEBHOOK_PATH);
    expect(server.requests).toHaveLength(3);
  });

  it('resolves after 2 requests when a 500 is followed by 200', async ({ expect, onTestFinished }) => {
    const { server, slack } = await slackAnswering(
      onTestFinished,
      { status: 200, body: 'ok' },
      { status: 500, body: 'internal_error' },
    );

    await expect(slack.send(message)).resolves.toStrictEqual({ status: 200 });

    expect(server.requests).toHaveLength(2);
  });

  it('makes a refused connection a RetryableDeliveryError that does not show the webhook URL', async ({
    expect,
  }) => {
    const port = await closedPort();
    const refused = new SlackWebhook(staticSecret(`http://127.0.0.1:${port}${WEBHOOK_PATH}`), TIMEOUT_MS);

    const error = await rejection(refused.send(message));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error).not.toBeInstanceOf(TargetTimeoutError);
    expect(error.message).toContain('Slack could not be reached');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(WEBHOOK_PATH);
  });
});
