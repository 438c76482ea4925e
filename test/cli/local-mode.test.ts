/**
 * The CLI's `--local` paths against the real local server (`startLocal`, as `npm start` runs it) on
 * loopback ports: the webhook URL from its state files, test events through its API Gateway
 * stand-in, replay through its admin endpoint into its in-process topic, export from its embedded
 * store. Plus the one-line errors when local mode is not running.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../lambda/domain/envelope.ts';
import { type LocalServer, startLocal } from '../../local/server.ts';
import { paths, writeServerState } from '../../local/state.ts';
import { type CliRun, lines, runCliCaptured } from '../support/cli-run.ts';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCliCaptured(args, { env });

const answerOf = (run: CliRun) => JSON.parse(lines(run.out).slice(1).join('\n')) as { eventId: string };

describe('--local against the local server', () => {
  let dataDir: string;
  let server: LocalServer;
  /** Every envelope the in-process topic routed, from ingest or from the admin endpoint. */
  const routed: ConnectionEvent[] = [];
  const startedAt = new Date(Date.now() - 1000).toISOString();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cli-local-'));
    server = await startLocal({
      host: '127.0.0.1',
      port: 0,
      dataDir,
      memory: true,
      say: () => {},
      visibilityTimeoutMs: 50,
    });
    const route = server.topic.route.bind(server.topic);
    server.topic.route = (event) => {
      routed.push(structuredClone(event));
      return route(event);
    };
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const local = ['--local', '--data-dir'];

  it('prints the local webhook URL, with --data-dir or LOCAL_DATA_DIR', async () => {
    const run = await cli(['url', ...local, dataDir]);
    expect(run).toEqual({ code: 0, out: `${server.webhookUrl}\n`, err: '' });
    expect(run.out).toBe(
      `${server.baseUrl}/leadsie/webhook?token=${encodeURIComponent(server.tokens.webhookToken)}\n`,
    );
    expect((await cli(['url', '--local'], { LOCAL_DATA_DIR: dataDir })).out).toBe(run.out);
  });

  it('sends test events, replays them through the admin endpoint exactly, and exports them', async () => {
    const sent: string[] = [];
    for (const fixture of ['v1', 'v2', 'failed']) {
      const run = await cli(['send-test-event', '--fixture', fixture, ...local, dataDir]);
      expect(run.code).toBe(0);
      expect(lines(run.out)[0]).toBe('HTTP 200 OK');
      sent.push(answerOf(run).eventId);
    }
    expect(routed.map((e) => e.eventId)).toEqual(sent);
    const published = routed.splice(0);
    expect(published.every((e) => e.user === 'test-user-cli' && e.isTest)).toBe(true);

    const dry = await cli(['replay', '--since', startedAt, '--dry-run', ...local, dataDir]);
    expect(dry.code).toBe(0);
    expect(lines(dry.out).map((line) => line.split('\t')[1])).toEqual(sent);
    expect(routed).toEqual([]);

    const real = await cli(['replay', '--since', startedAt, ...local, dataDir]);
    expect(real.code).toBe(0);
    expect(real.out).toBe(dry.out);
    expect(real.err).toBe('sent 3, skipped 0, failed 0 of 3 deliveries in the time range\n');
    expect(routed.splice(0)).toEqual(published);

    const exported = await cli(['export', '--format', 'jsonl', ...local, dataDir]);
    expect(exported.code).toBe(0);
    const rows = lines(exported.out).map((line) => JSON.parse(line));
    expect(rows.map((r) => r.eventId).sort()).toEqual([...sent].sort());
    expect(rows.map((r) => r.requestUrl)).toEqual([...rows.map((r) => r.requestUrl)].sort());
    const csv = await cli(['export', ...local, dataDir]);
    expect(csv.out.split('\r\n')[0]?.startsWith('user,requestUrl,requestName,clientName,status,')).toBe(true);
  });

  it('counts every delivery the admin endpoint refuses, and exits 1', async () => {
    await cli(['send-test-event', ...local, dataDir]);
    routed.splice(0);
    // The CLI reads the read token from tokens.json: a wrong one is refused by the admin endpoint.
    const tokensFile = paths(dataDir).tokens;
    await writeFile(
      tokensFile,
      JSON.stringify({ ...server.tokens, readToken: 'not-the-read-token-0123456789' }),
    );
    const run = await cli(['replay', '--since', startedAt, ...local, dataDir]);
    await writeFile(tokensFile, JSON.stringify(server.tokens));
    expect(run.code).toBe(1);
    expect(run.out).toBe('');
    const failures = lines(run.err).filter((line) => line.startsWith('failed '));
    expect(failures).toHaveLength(4);
    expect(failures[0]).toMatch(/could not publish it: local admin endpoint answered 401/);
    expect(lines(run.err).at(-1)).toBe('sent 0, skipped 0, failed 4 of 4 deliveries in the time range');
    expect(routed).toEqual([]);
  });
});

describe('--local when local mode is not running', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-local-off-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['url', []],
    ['send-test-event', []],
    ['replay', ['--since', '2026-01-01']],
    ['export', []],
  ])('%s says how to start it', async (command, args) => {
    const run = await cli([command, ...args, '--local', '--data-dir', dir]);
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      `${command}: local mode is not running (no ${join(dir, 'server.json')}); start it with: npm start\n`,
    );
  });

  it('notices a server that has exited without cleaning up', async () => {
    const exited = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeServerState(dir, {
      pid: exited,
      baseUrl: 'http://127.0.0.1:9',
      dynamodbEndpoint: 'http://127.0.0.1:9',
      tableName: 't',
      adminUrl: 'http://127.0.0.1:9',
      startedAt: new Date().toISOString(),
    });
    const run = await cli(['url', '--local', '--data-dir', dir]);
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      `url: local mode is not running (process ${exited} has exited); start it with: npm start\n`,
    );
  });
});
