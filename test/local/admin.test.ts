/**
 * Local mode's admin endpoint for the consumers (local/admin.ts), over real HTTP against a running
 * local server whose consumers all run dry (outbox files): the list the CLI chooses consumers from,
 * a message for one consumer alone (the engine's once-only rule and `force` included), the redrive
 * of its dead-letter file, and the errors each route answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { consumerFilterPolicy, FORCE_MESSAGE_ATTRIBUTE } from '../../lambda/contract.ts';
import { eventMessageAttributes } from '../../lambda/use-cases/inspect-deliveries.ts';
import type { LocalServer } from '../../local/server.ts';
import { paths } from '../../local/state.ts';
import { sampleEnvelope } from '../support/envelopes.ts';
import { Cleanup, readJsonl, startTestLocal } from '../support/local-harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const admin = async (server: LocalServer, method: string, route: string, body?: unknown, token?: string) => {
  const response = await fetch(`${server.adminUrl}${route}`, {
    method,
    headers: token === '' ? {} : { authorization: `Bearer ${token ?? server.tokens.readToken}` },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as unknown };
};

const event = sampleEnvelope('v1-failed.json', {
  eventId: '01ADMINCONSUMERS0000000001',
  receivedAt: new Date().toISOString(),
  version: 1,
});

describe('local mode: the admin endpoint of the consumers', () => {
  it('lists the consumers with the filter policies the topic routes by', async () => {
    const { server } = await startTestLocal(cleanup);
    const listed = await admin(server, 'GET', '/consumers');
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual(
      server.consumers.map(({ name }) => {
        const policy = server.topic.subscriptions().find((s) => s.name === name)?.filterPolicy;
        return policy === undefined ? { name } : { name, filterPolicy: policy };
      }),
    );
    // HubSpot keeps Leadsie's test payloads out by default: its policy says so.
    expect(listed.json).toContainEqual({
      name: 'hubspot',
      filterPolicy: consumerFilterPolicy({ includeTestEvents: false }),
    });
  });

  it('queues a message for one consumer alone; it is sent once unless forced', async () => {
    const { server, dataDir } = await startTestLocal(cleanup);
    const send = (force: boolean) =>
      admin(server, 'POST', '/consumers/slack/messages', {
        body: JSON.stringify(event),
        attributes: eventMessageAttributes(event, force),
      });
    const outboxes = async () =>
      Object.fromEntries(
        await Promise.all(
          server.consumers.map(async ({ name }) => [
            name,
            (await readJsonl(paths(dataDir).outboxOf(name))).length,
          ]),
        ),
      );
    const none = Object.fromEntries(server.consumers.map(({ name }) => [name, 0]));

    expect(await send(false)).toEqual({ status: 202, json: { queued: 'slack' } });
    expect(await server.topic.drain(10_000)).toEqual([]);
    expect(await outboxes()).toEqual({ ...none, slack: 1 });

    expect((await send(false)).status).toBe(202);
    expect(await server.topic.drain(10_000)).toEqual([]);
    expect(await outboxes()).toEqual({ ...none, slack: 1 });

    expect(eventMessageAttributes(event, true)[FORCE_MESSAGE_ATTRIBUTE.name]).toBeDefined();
    expect((await send(true)).status).toBe(202);
    expect(await server.topic.drain(10_000)).toEqual([]);
    expect(await outboxes()).toEqual({ ...none, slack: 2 });
  });

  it('redrives the dead letters written before the given time back on the queue', async () => {
    const { server, dataDir } = await startTestLocal(cleanup);
    const file = paths(dataDir).deadLettersOf('slack');
    // Not an event: the engine dead-letters it at once, with its reason.
    expect((await admin(server, 'POST', '/consumers/slack/messages', { body: 'not json' })).status).toBe(202);
    expect(await server.topic.drain(10_000)).toEqual([]);
    const [letter] = await readJsonl<{ at: string; reason: string }>(file);
    expect(letter?.reason).toBe('the message is not JSON');
    const at = Date.parse(letter?.at ?? '');

    expect(await admin(server, 'POST', '/consumers/slack/redrive', { sentBeforeMs: at })).toEqual({
      status: 200,
      json: { moved: [] },
    });
    expect(await readJsonl(file)).toEqual([letter]);

    expect(await admin(server, 'POST', '/consumers/slack/redrive', { sentBeforeMs: at + 1 })).toEqual({
      status: 200,
      json: { moved: [{ eventId: null, reason: 'the message is not JSON' }] },
    });
    expect(await server.topic.drain(10_000)).toEqual([]);
    // Back on the queue and still poison: dead-lettered again, as a new line.
    const again = await readJsonl<{ at: string; reason: string }>(file);
    expect(again).toHaveLength(1);
    expect(again[0]).not.toEqual(letter);
    expect(again[0]?.reason).toBe('the message is not JSON');
  });

  it('answers 401 without the read token, 404 for an unknown consumer or route, 400 for a bad body, 405 for another method', async () => {
    const { server, dataDir } = await startTestLocal(cleanup);
    expect(await admin(server, 'GET', '/consumers', undefined, '')).toEqual({
      status: 401,
      json: { error: 'A token is required' },
    });
    expect(await admin(server, 'GET', '/consumers', undefined, server.tokens.webhookToken)).toEqual({
      status: 401,
      json: { error: 'The token is not valid' },
    });
    const unknown = await admin(server, 'POST', '/consumers/nope/messages', { body: '{}' });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({
      error: expect.stringMatching(/^no consumer named "nope" \(consumers: slack, /),
    });
    expect((await admin(server, 'POST', '/consumers/nope/redrive', { sentBeforeMs: 0 })).status).toBe(404);
    expect(await admin(server, 'POST', '/consumers/slack/other', {})).toEqual({
      status: 404,
      json: { error: 'Not Found' },
    });

    expect(await admin(server, 'POST', '/consumers/slack/messages', '{"body":')).toEqual({
      status: 400,
      json: { error: 'The body is not valid JSON' },
    });
    const noBody = await admin(server, 'POST', '/consumers/slack/messages', { attributes: {} });
    expect(noBody.status).toBe(400);
    expect(noBody.json).toEqual({
      error: expect.stringMatching(/^The body must be \{ body: string, .*\(body: /),
    });
    const badAttribute = await admin(server, 'POST', '/consumers/slack/messages', {
      body: '{}',
      attributes: { force: { DataType: 'Binary', StringValue: 'true' } },
    });
    expect(badAttribute.status).toBe(400);
    expect(badAttribute.json).toEqual({ error: expect.stringContaining('attributes.force.DataType') });
    const badTime = await admin(server, 'POST', '/consumers/slack/redrive', { sentBeforeMs: 'now' });
    expect(badTime.status).toBe(400);
    expect(badTime.json).toEqual({
      error: expect.stringMatching(/^The body must be \{ sentBeforeMs: number \}/),
    });

    expect(await admin(server, 'GET', '/consumers/slack/messages')).toEqual({
      status: 405,
      json: { error: 'POST only' },
    });
    expect(await admin(server, 'POST', '/consumers', {})).toEqual({
      status: 405,
      json: { error: 'GET only' },
    });

    // Nothing above reached a consumer.
    expect(await server.topic.drain(10_000)).toEqual([]);
    expect(await readJsonl(paths(dataDir).outboxOf('slack'))).toEqual([]);
  });
});
