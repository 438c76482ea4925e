/**
 * `events show`, `deliveries`, `dead-letters` and `replay --consumer` with `--local`, against the
 * real local server (`startLocal`) and its embedded store. The outcome records are those the engine
 * writes (through the same DynamoDB ledger, on the local endpoint). Until the local server serves
 * its consumers on the admin endpoint (GET /consumers, POST /consumers/<name>/messages|redrive),
 * consumer names come from the records, and the queue operations say what is missing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbOutcomeLedger } from '../../lambda/consumers/runtime/dynamodb-outcomes.ts';
import { type LocalServer, startLocal } from '../../local/server.ts';
import { readServerState } from '../../local/state.ts';
import { lines, runCliCaptured } from '../support/cli-run.ts';

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

  it('says what local mode must serve before it can send to one consumer', async () => {
    const redrive = await cli(['dead-letters', 'redrive', '--consumer', 'email', ...local]);
    expect(redrive.code).toBe(1);
    expect(redrive.err).toMatch(
      /^dead-letters: local mode cannot redrive yet: its admin endpoint does not serve POST \/consumers\/email\/redrive/,
    );
    const replay = await cli(['replay', '--since', startedAt, '--consumer', 'slack', ...local]);
    expect(replay.code).toBe(1);
    expect(replay.err).toMatch(/could not publish it: .*POST \/consumers\/slack\/messages/);
  });
});
