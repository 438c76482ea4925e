/**
 * Local mode's console shows what the consumers really did: a line per real send
 * (`[slack] posted 200 in 12 ms`) and a line per skip with its reason (`[hubspot] skipped: no user`),
 * from the delivery engine's own log lines. Slack posts for real, to a loopback server; HubSpot runs
 * dry and skips an event without a user.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, pollUntil, startTestLocal } from '../support/local-harness.ts';
import { startTargetServer } from '../support/target-server.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/payloads/${name}`, import.meta.url), 'utf8');

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('local mode prints a line per real send and per skip', () => {
  it('[slack] posted 200 in N ms for a real post, [hubspot] skipped: no user, no posted line for a dry run', async () => {
    const slack = await startTargetServer({ status: 200, body: 'ok' });
    cleanup.add(() => slack.close());
    const { server, lines } = await startTestLocal(cleanup, {
      env: { SLACK_WEBHOOK_URL: `${slack.url}/services/T0/B0/local` },
    });
    const body = fixture('v1-success-no-user.json');
    const answer = await fetch(server.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(answer.status).toBe(200);
    expect(await server.topic.drain(10_000)).toEqual([]);
    await pollUntil('the slack line', () => lines.find((line) => line.startsWith('[slack] ')));

    expect(slack.requests).toHaveLength(1);
    expect(lines).toContainEqual(expect.stringMatching(/^\[slack\] posted 200 in \d+ ms$/));
    expect(lines).toContain('[hubspot] skipped: no user');
    // The dry-run forwarder's send is its outbox line, not a "posted" line.
    expect(lines.filter((line) => line.startsWith('[forward] '))).toEqual([]);
  });

  it('every live consumer says what its target answered: [hubspot] upserted 200, [forward] posted 200', async () => {
    const target = await startTargetServer({ status: 200, body: '{"status":"COMPLETE","results":[]}' });
    cleanup.add(() => target.close());
    const { server, lines } = await startTestLocal(cleanup, {
      env: {
        SLACK_WEBHOOK_URL: `${target.url}/slack`,
        HUBSPOT_ACCESS_TOKEN: 'local-test-token',
        HUBSPOT_BASE_URL: `${target.url}/hubspot`,
        FORWARD_WEBHOOK_URL: `${target.url}/forward`,
        FORWARD_WEBHOOK_SECRET: 'a-local-signing-secret',
      },
    });
    const answer = await fetch(server.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: fixture('v1-failed.json'),
    });
    expect(answer.status).toBe(200);
    expect(await server.topic.drain(10_000)).toEqual([]);
    for (const [consumer, said] of [
      ['slack', 'posted 200'],
      ['hubspot', 'upserted 200'],
      ['forward', 'posted 200'],
    ]) {
      const line = await pollUntil(`the ${consumer} line`, () =>
        lines.find((l) => l.startsWith(`[${consumer}] `)),
      );
      expect(line).toMatch(new RegExp(`^\\[${consumer}\\] ${said} in \\d+ ms$`));
    }
  });
});
