/**
 * `events show`, `deliveries`, `dead-letters` and `replay --consumer` with `--local`, against the
 * real local server (`startLocal`) and its embedded store. The outcome records are those the engine
 * writes (through the same DynamoDB ledger, on the local endpoint); the queue operations go through
 * the local server's admin endpoint (GET /consumers, POST /consumers/<name>/messages|redrive).
 * Slack posts for real to a loopback server; the other consumers run dry (outbox files).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbOutcomeLedger } from '../../lambda/consumers/runtime/dynamodb-outcomes.ts';
import { type LocalServer, startLocal } from '../../local/server.ts';
import { paths, readServerState } from '../../local/state.ts';
import { lines, runCliCaptured } from '../support/cli-run.ts';
import { Cleanup, readJsonl, startTestLocal } from '../support/local-harness.ts';
import { startTargetServer } from '../support/target-server.ts';

const cli = (args: string[]) => runCliCaptured(args, { env: {} });

describe('operator commands with --local', () => {
  let dataDir: string;
  let server: LocalServer;
  let ledger: DynamoDbOutcomeLedger;
  let local: string[];
  const startedAt = new Date(Date.now() - 1000).toISOString();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cli-ops-local-'));
    server = await startLocal({ host: '127.0.0.1', port: 0, dataDir, memory: true, say: () => {} });
    local = ['--local', '--data-dir', dataDir];
    const state = await readServerState(dataDir);
    ledger = new DynamoDbOutcomeLedger(
      new DynamoDBClient({
        endpoint: state.dynamodbEndpoint,
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      { tableName: state.tableName },
    );
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('shows an event, lists outcomes and dead letters from the local store', async () => {
    const sent = await cli(['send-test-event', '--fixture', 'failed', ...local]);
    expect(sent.code).toBe(0);
    const eventId = JSON.parse(lines(sent.out).slice(1).join('\n')).eventId as string;
    const ref = { eventId, version: 1 };
    const nowMs = Date.now();
    await ledger.claim({ consumer: 'slack', ...ref }, { nowMs, leaseUntil: nowMs + 60_000, force: false });
    await ledger.done({ consumer: 'slack', ...ref }, nowMs, 'posted 200', 1);
    await ledger.deadLettered({ consumer: 'email', ...ref }, nowMs, 'the address was refused', 3);

    const shown = await cli(['events', 'show', eventId, ...local]);
    expect(shown.err).toBe('');
    expect(shown.out).toContain(`event        ${eventId}\n`);
    expect(shown.out).toMatch(/\n {2}email +dead-lettered: the address was refused \(3 tries, /);
    expect(shown.out).toMatch(/\n {2}slack +done: posted 200 \(1 try, /);

    const listed = lines((await cli(['deliveries', '--since', startedAt, ...local])).out);
    // Local mode's own consumers record their outcomes too; these two are the ones written here.
    const written = listed.filter((line) => /\t(email|slack)\t/.test(line));
    expect(written.map((line) => line.split('\t').slice(0, 5))).toEqual([
      [eventId, '1', 'email', 'dead-lettered', '3'],
      [eventId, '1', 'slack', 'done', '1'],
    ]);

    const letters = await cli(['dead-letters', 'list', ...local]);
    expect(lines(letters.out).map((line) => line.split('\t'))).toEqual([
      ['email', eventId, '1', '3', expect.any(String), 'the address was refused'],
    ]);
  });
});

describe('replay --consumer and dead-letters redrive with --local, Slack live on loopback', () => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run());

  it('replays to Slack alone, once unless forced; lists a dead letter and redrives it once fixed', async () => {
    const slack = await startTargetServer({ status: 200, body: 'ok' });
    cleanup.add(() => slack.close());
    const {
      server,
      dataDir,
      lines: said,
    } = await startTestLocal(cleanup, {
      env: { SLACK_WEBHOOK_URL: `${slack.url}/services/T0/B0/local` },
    });
    const local = ['--local', '--data-dir', dataDir];
    const since = new Date(Date.now() - 1000).toISOString();
    const drained = async () => expect(await server.topic.drain(10_000)).toEqual([]);
    const outboxes = async () =>
      Object.fromEntries(
        await Promise.all(
          server.consumers
            .filter((c) => !c.live)
            .map(async (c) => [c.name, (await readJsonl(paths(dataDir).outboxOf(c.name))).length]),
        ),
      );
    const sendEvent = async (fixture: string) => {
      const sent = await cli(['send-test-event', '--fixture', fixture, ...local]);
      expect(sent.code, sent.err).toBe(0);
      return JSON.parse(lines(sent.out).slice(1).join('\n')).eventId as string;
    };

    const first = await sendEvent('failed');
    await drained();
    expect(slack.requests).toHaveLength(1);
    const before = await outboxes();
    // What each consumer did: Slack names Slack's answer; a dry run's outcome says the word alone.
    const outcomes = await cli(['deliveries', '--since', since, ...local]);
    const details = Object.fromEntries(lines(outcomes.out).map((l) => [l.split('\t')[2], l.split('\t')[6]]));
    expect(details).toMatchObject({ slack: 'posted 200' });
    for (const [name, detail] of Object.entries(details)) {
      if (name !== 'slack') expect(detail, name).toMatch(/^[a-z]+$/);
    }

    const replay = await cli(['replay', '--since', since, '--consumer', 'slack', ...local]);
    expect(replay.code, replay.err).toBe(0);
    expect(lines(replay.out)).toEqual([expect.stringContaining(first)]);
    await drained();
    expect(slack.requests).toHaveLength(1);
    expect(said).toContain('[slack] skipped: already sent');
    expect(await outboxes()).toEqual(before);

    const forced = await cli(['replay', '--since', since, '--consumer', 'slack', '--force', ...local]);
    expect(forced.code, forced.err).toBe(0);
    await drained();
    expect(slack.requests).toHaveLength(2);
    expect(await outboxes()).toEqual(before);

    // Slack refuses the next post for good (invalid_payload): dead-lettered at once, with the reason.
    slack.fallback = { status: 400, body: 'invalid_payload' };
    const second = await sendEvent('v2');
    await drained();
    const listed = await cli(['dead-letters', 'list', '--consumer', 'slack', ...local]);
    expect(listed.code, listed.err).toBe(0);
    const rows = lines(listed.out).map((line) => line.split('\t'));
    expect(rows.map((row) => row.slice(0, 2))).toEqual([['slack', second]]);
    expect(rows[0]?.[5]).toMatch(/400/);

    const dry = await cli(['dead-letters', 'redrive', '--consumer', 'slack', '--dry-run', ...local]);
    expect(dry.code, dry.err).toBe(0);
    await drained();
    expect(slack.requests).toHaveLength(3);
    expect(await readJsonl(paths(dataDir).deadLettersOf('slack'))).toHaveLength(1);

    slack.fallback = { status: 200, body: 'ok' };
    const redrive = await cli(['dead-letters', 'redrive', '--consumer', 'slack', ...local]);
    expect(redrive.code, redrive.err).toBe(0);
    expect(lines(redrive.out).map((line) => line.split('\t').slice(0, 3))).toEqual([
      ['slack', second, 'moved'],
    ]);
    await drained();
    expect(slack.requests).toHaveLength(4);
    expect(slack.requests[3]?.body).toEqual(slack.requests[2]?.body);
    expect(await readJsonl(paths(dataDir).deadLettersOf('slack'))).toEqual([]);
    const after = await cli(['dead-letters', 'list', '--consumer', 'slack', ...local]);
    expect(lines(after.out)).toEqual([]);
    const shown = await cli(['events', 'show', second, ...local]);
    expect(shown.out).toMatch(/\n {2}slack +done: posted 200 /);

    // Forced to every consumer: each queue whose filter policy takes the event, as SNS would fan out.
    const all = await cli(['replay', '--since', since, '--force', ...local]);
    expect(all.code, all.err).toBe(0);
    await drained();
    expect(slack.requests).toHaveLength(6);
    const grown = Object.entries(await outboxes()).filter(
      ([name, count]) => count === (before[name] ?? 0) + 3,
    );
    expect(grown.length).toBeGreaterThan(0);
  });
});
