/**
 * Load in local mode, over real HTTP: 5,000 distinct webhooks at concurrency 50 through the
 * handlers the stack deploys, the embedded store and the in-process topic. Every one is answered
 * 200 once, stored once, published once and delivered once to each consumer local mode runs
 * (slack, hubspot, forward, sheets, email: every payload has a user, is not a Leadsie test and is
 * PARTIAL_SUCCESS, which the email consumer's default statuses include). The suite prints the
 * throughput and the p50/p99 latency it saw; it asserts correctness, not speed (CI machines vary).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { percentile, runPool, tally } from '../support/abuse-http.ts';
import { KNOWN_CONSUMERS, startAbuseLocal } from '../support/abuse-local.ts';
import { Cleanup } from '../support/local-harness.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.LOG_LEVEL ??= 'SILENT';

const WEBHOOKS = 5_000;
const CONCURRENCY = 50;

const base = JSON.parse(
  readFileSync(new URL('../fixtures/payloads/v2-partial-multi-platform.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

/** Distinct payloads: each its own user and request, so each is a new delivery with version 1. */
const payload = (i: number): string =>
  JSON.stringify({
    ...base,
    user: `load-user-${i}`,
    requestUrl: `https://app.leadsie.com/request/load-${i}`,
    requestName: `Load test request ${i}`,
  });

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

describe('load (local mode, over HTTP)', () => {
  it(`takes ${WEBHOOKS} distinct webhooks at concurrency ${CONCURRENCY}: each stored once and delivered once per consumer`, {
    timeout: 420_000,
  }, async () => {
    let consoleLines = 0;
    const local = await startAbuseLocal(cleanup, {
      say: () => {
        consoleLines++;
      },
    });
    expect(local.consumers).toEqual(expect.arrayContaining([...KNOWN_CONSUMERS]));
    const bodies = Array.from({ length: WEBHOOKS }, (_, i) => payload(i));
    const latencies: number[] = [];

    const started = performance.now();
    const answers = await runPool(bodies, CONCURRENCY, async (body) => {
      const sent = performance.now();
      // Node's fetch (undici) keeps connections alive: 50 sockets, reused for the whole run.
      const response = await fetch(local.server.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await response.text();
      latencies.push(performance.now() - sent);
      return { status: response.status, text };
    });
    const ingestSeconds = (performance.now() - started) / 1000;

    const statuses = tally(answers.map((a) => a.status));
    expect(statuses, JSON.stringify(answers.find((a) => a.status !== 200))).toEqual({ '200': WEBHOOKS });
    const acknowledged = answers.map((a) => JSON.parse(a.text) as { eventId: string; duplicate: boolean });
    expect(acknowledged.filter((a) => a.duplicate)).toEqual([]);
    const eventIds = new Set(acknowledged.map((a) => a.eventId));
    expect(eventIds.size).toBe(WEBHOOKS);

    // The consumers run alongside the ingest but fall behind it: in local mode everything (the
    // handlers, their SDK clients, dynalite) shares one event loop, and the five consumers make
    // more store calls per event than the ingest does. Wait for what they still have queued.
    const drainStarted = performance.now();
    expect(await local.server.topic.drain(240_000)).toEqual([]);
    const drainSeconds = (performance.now() - drainStarted) / 1000;

    const sorted = (ids: Iterable<string | null>) => [...ids].map(String).sort();
    const expected = sorted(eventIds);
    expect(sorted(local.published.map((e) => e.eventId))).toEqual(expected);
    const stored = await local.storedDeliveries();
    expect(sorted(stored.map((d) => d.eventId))).toEqual(expected);
    expect(stored.filter((d) => d.publishedAt === null || d.version !== 1)).toEqual([]);
    expect(await local.server.store.pendingDeliveries(10)).toEqual([]);
    const lines: string[] = [];
    for (const consumer of local.consumers) {
      const outbox = await local.outbox(consumer);
      expect(outbox, consumer).toHaveLength(WEBHOOKS);
      expect(sorted(outbox.map((line) => line.eventId)), consumer).toEqual(expected);
      expect(await local.deadLetters(consumer), consumer).toEqual([]);
      lines.push(`${consumer} ${outbox.length}`);
    }

    const rate = WEBHOOKS / ingestSeconds;
    console.log(
      `load: ${WEBHOOKS} webhooks at concurrency ${CONCURRENCY} in ${ingestSeconds.toFixed(1)} s: ` +
        `${Math.round(rate)}/s, p50 ${Math.round(percentile(latencies, 50))} ms, ` +
        `p99 ${Math.round(percentile(latencies, 99))} ms, max ${Math.round(Math.max(...latencies))} ms; ` +
        `consumers done ${drainSeconds.toFixed(1)} s later; ${stored.length} stored, ` +
        `${local.published.length} published, outbox lines: ${lines.join(', ')}; ${consoleLines} console lines`,
    );
  });
});
