/**
 * Local mode's console line per request: clipped with "…" when long, and a quarantine id always
 * whole (it is what `cli quarantine retry` needs), both as a unit and on a real local server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CONSOLE_LINE, requestLine } from '../../local/console-line.ts';
import { Cleanup, startTestLocal } from '../support/local-harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const ROUTE = 'POST /leadsie/webhook';
const ID = 'ab'.repeat(32);

describe('requestLine', () => {
  it('prints a short answer as it is', () => {
    expect(requestLine(ROUTE, 200, '{"eventId":"01J","duplicate":false}')).toBe(
      `${ROUTE} → 200 {"eventId":"01J","duplicate":false}`,
    );
  });

  it('clips a long answer to the maximum, ending with "…"', () => {
    const line = requestLine(ROUTE, 400, JSON.stringify({ error: 'x'.repeat(500) }));
    expect(line).toHaveLength(MAX_CONSOLE_LINE);
    expect(line.endsWith('…')).toBe(true);
    expect(line.startsWith(`${ROUTE} → 400 {"error":"xxx`)).toBe(true);
  });

  it('keeps a quarantine id whole, after the clipped answer', () => {
    const body = JSON.stringify({
      error: 'The body is not a Leadsie payload',
      details: 'y'.repeat(400),
      quarantineId: ID,
    });
    const line = requestLine(ROUTE, 400, body);
    expect(line.length).toBeLessThanOrEqual(MAX_CONSOLE_LINE);
    expect(line).toContain('…');
    expect(line.endsWith(`(quarantineId ${ID})`)).toBe(true);
  });

  it('never cuts inside a character made of two code units', () => {
    const line = requestLine(ROUTE, 400, '🚀'.repeat(300));
    expect(line.endsWith('🚀…')).toBe(true);
  });
});

describe('local mode prints it', () => {
  it('a refused request with a long answer: "…" and the whole quarantine id on its console line', async () => {
    const { server, lines } = await startTestLocal(cleanup);
    const assets = Array.from({ length: 40 }, (_, i) => ({ type: '', id: i }));
    const response = await fetch(server.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestUrl: '', connectionAssets: assets }),
    });
    const answer = (await response.json()) as { quarantineId?: string };
    expect(response.status).toBe(400);
    expect(answer.quarantineId).toMatch(/^[0-9a-f]{64}$/);
    const line = lines.find((l) => l.startsWith(`${ROUTE} → 400`));
    expect(line).toBeDefined();
    expect(line).toContain('…');
    expect(line).toContain(`quarantineId ${answer.quarantineId}`);
  });
});
