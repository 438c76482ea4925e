/**
 * Duplicate storm, over real HTTP against local mode: the same payload sent 100 times at once is
 * stored once, published once and delivered once per consumer. Each answer is 200 (`duplicate:
 * false` exactly once, `true` for the others, all with the same eventId) or 409 "being processed"
 * with Retry-After (another request holds the delivery); a retried 409 then answers 200 duplicate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type RawAnswer, sendRaw, tally } from '../support/abuse-http.ts';
import { type AbuseLocal, KNOWN_CONSUMERS, startAbuseLocal } from '../support/abuse-local.ts';
import { Cleanup } from '../support/local-harness.ts';
import { fixtureText } from '../support/pipeline.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.LOG_LEVEL ??= 'SILENT';

const STORM = 100;

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const postAll = (local: AbuseLocal, bodies: string[]): Promise<RawAnswer[]> => {
  const path = new URL(local.server.webhookUrl).pathname + new URL(local.server.webhookUrl).search;
  return Promise.all(
    bodies.map((body) =>
      sendRaw(local.server.baseUrl, { path, headers: { 'content-type': 'application/json' }, body }),
    ),
  );
};

/** Classifies each answer; fails on anything but 200 (new or duplicate) and 409 in flight. */
const outcomes = (answers: RawAnswer[]) =>
  answers.map((answer) => {
    const json = answer.json as { eventId?: string; duplicate?: boolean; error?: string } | undefined;
    if (answer.status === 200 && json?.duplicate === false) return 'new';
    if (answer.status === 200 && json?.duplicate === true) return 'duplicate';
    if (answer.status === 409) {
      expect(json?.error).toMatch(/being processed by another request; retry shortly/);
      expect(answer.headers['retry-after']).toBe('5');
      return 'in flight';
    }
    throw new Error(`unexpected answer ${answer.status}: ${answer.text}`);
  });

/**
 * The storm's invariants: one new, one eventId, one stored delivery, one publish, one line per
 * consumer (every consumer wants these: a user, not a Leadsie test, PARTIAL_SUCCESS for email), no
 * dead letters; the 409s answered 200 duplicate when retried. Returns the counts for the summary.
 */
const expectOneDelivery = async (
  local: AbuseLocal,
  answers: RawAnswer[],
  retryBody: (i: number) => string,
) => {
  const kinds = outcomes(answers);
  const counts = tally(kinds);
  expect(counts.new, JSON.stringify(counts)).toBe(1);
  const eventIds = new Set(
    answers.filter((a) => a.status === 200).map((a) => (a.json as { eventId: string }).eventId),
  );
  expect(eventIds.size).toBe(1);
  const [eventId] = eventIds;

  // Leadsie retries what answered 409: each retry is now a plain duplicate of the same delivery.
  const retried = kinds.flatMap((kind, i) => (kind === 'in flight' ? [i] : []));
  const retries = await postAll(
    local,
    retried.map((i) => retryBody(i)),
  );
  for (const answer of retries) {
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ eventId, duplicate: true });
  }

  expect(await local.server.topic.drain(10_000)).toEqual([]);
  expect(local.published.map((event) => event.eventId)).toEqual([eventId]);
  const stored = await local.storedDeliveries();
  expect(stored.map((delivery) => delivery.eventId)).toEqual([eventId]);
  expect(stored[0]?.publishedAt).not.toBeNull();
  expect(await local.server.store.pendingDeliveries()).toEqual([]);
  const lines: Record<string, number> = {};
  expect(local.consumers).toEqual(expect.arrayContaining([...KNOWN_CONSUMERS]));
  for (const consumer of local.consumers) {
    const outbox = await local.outbox(consumer);
    expect(
      outbox.map((line) => line.eventId),
      consumer,
    ).toEqual([eventId]);
    expect(await local.deadLetters(consumer), consumer).toEqual([]);
    lines[consumer] = outbox.length;
  }
  return { counts, retries: retries.length, stored: stored.length, lines };
};

const summary = (
  label: string,
  result: Awaited<ReturnType<typeof expectOneDelivery>>,
  published: number,
): string =>
  `duplicate storm (${label}): ${STORM} concurrent requests: ${result.counts.new ?? 0} new, ` +
  `${result.counts.duplicate ?? 0} duplicate, ${result.counts['in flight'] ?? 0} in flight (409, retried: ` +
  `${result.retries} × 200 duplicate); ${result.stored} stored, ${published} published, outbox lines ` +
  Object.entries(result.lines)
    .map(([consumer, n]) => `${consumer} ${n}`)
    .join(', ');

describe('duplicate storm (local mode, over HTTP)', () => {
  it(`stores, publishes and delivers one payload sent ${STORM} times at once exactly once`, async () => {
    const local = await startAbuseLocal(cleanup);
    const body = fixtureText('v2-partial-multi-platform');
    const answers = await postAll(local, new Array(STORM).fill(body));
    const result = await expectOneDelivery(local, answers, () => body);
    console.log(summary('identical bodies', result, local.published.length));
  });

  it(`treats ${STORM} concurrent redeliveries with other key orders and spacing as the same delivery`, async () => {
    const local = await startAbuseLocal(cleanup);
    const payload = JSON.parse(fixtureText('v1-partial-success')) as Record<string, unknown>;
    const entries = Object.entries(payload);
    // Every body differs byte for byte; all have the same canonical JSON, so the same fingerprint.
    const variant = (i: number): string => {
      const rotated = [...entries.slice(i % entries.length), ...entries.slice(0, i % entries.length)];
      return JSON.stringify(Object.fromEntries(rotated), null, i % 5);
    };
    const bodies = Array.from({ length: STORM }, (_, i) => variant(i));
    expect(new Set(bodies).size).toBeGreaterThan(STORM / 4);
    const answers = await postAll(local, bodies);
    const result = await expectOneDelivery(local, answers, variant);
    console.log(summary('reordered and respaced bodies', result, local.published.length));
  });
});
