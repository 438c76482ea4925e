/**
 * `npm start` twice on one data directory: the second stops with one line before opening the store,
 * the first keeps serving; a lock left by a dead process is taken over; a failed start leaves the
 * data directory as it found it. And `--memory`'s banner commands reach that server, not another.
 * The lock as a unit, and `local/main.ts` in child processes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { lockDataDir } from '../../local/lock.ts';
import { LocalStartError } from '../../local/server.ts';
import { paths } from '../../local/state.ts';
import { lines, runCliCaptured } from '../support/cli-run.ts';
import { freePort, holdPort, pollUntil, readJsonl } from '../support/local-harness.ts';
import { npmStart } from '../support/npm-start.ts';

const tempDir = async (context: TestContext): Promise<string> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'leadsie-start-guard-'));
  context.onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
};

/** The pid of a process that has exited. */
const deadPid = (): number => {
  const run = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(run.stdout.trim());
};

const linesOf = (text: string): string[] => text.split('\n').filter((line) => line !== '');

describe('lockDataDir', () => {
  it('refuses while a live process holds the lock, and takes it once released', async (context) => {
    const dir = await tempDir(context);
    const first = await lockDataDir(dir);
    const held = JSON.parse(await readFile(paths(dir).lock, 'utf8')) as { pid: number };
    expect(held.pid).toBe(process.pid);
    await expect(lockDataDir(dir)).rejects.toThrow(LocalStartError);
    await expect(lockDataDir(dir)).rejects.toThrow(
      new RegExp(`local mode is already running on .* \\(process ${process.pid}, since `),
    );
    await first.release();
    expect(existsSync(paths(dir).lock)).toBe(false);
    const second = await lockDataDir(dir);
    await second.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it.for<[string, () => string]>([
    [
      'a dead process',
      () => `${JSON.stringify({ pid: deadPid(), startedAt: '2026-01-01T00:00:00.000Z' })}\n`,
    ],
    ['garbage', () => 'not a lock'],
  ])('takes over a lock left by %s', async ([, content], context) => {
    const dir = await tempDir(context);
    await writeFile(paths(dir).lock, content());
    const lock = await lockDataDir(dir);
    expect(JSON.parse(await readFile(paths(dir).lock, 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('release leaves a lock that is no longer its own', async (context) => {
    const dir = await tempDir(context);
    const lock = await lockDataDir(dir);
    const other = `${JSON.stringify({ pid: 1, startedAt: 'x' })}\n`;
    await writeFile(paths(dir).lock, other);
    await lock.release();
    expect(await readFile(paths(dir).lock, 'utf8')).toBe(other);
  });
});

// Each case starts `npm start` children; a loaded machine makes a start take long.
describe.concurrent('npm start on a data directory in use', { timeout: 180_000 }, () => {
  it('a second start (another port) stops with one line before touching the store; the first keeps serving', async (context) => {
    const { expect } = context;
    const dataDir = await tempDir(context);
    const first = npmStart(context, { LOCAL_DATA_DIR: dataDir, PORT: String(await freePort()) });
    const webhookUrl = await pollUntil(
      'the first banner',
      () => first.stdout().match(/webhook URL\s+(http:\/\/\S+)/)?.[1],
      { timeoutMs: 60_000 },
    );
    const tokens = readFileSync(paths(dataDir).tokens, 'utf8');
    const state = readFileSync(paths(dataDir).server, 'utf8');
    const pid = (JSON.parse(readFileSync(paths(dataDir).lock, 'utf8')) as { pid: number }).pid;
    expect(pid).toBe(first.child.pid);

    const second = npmStart(context, {
      LOCAL_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      LEADSIE_WEBHOOK_TOKEN: 'a-different-webhook-token',
    });
    const { code } = await second.exit();
    expect(code).toBe(1);
    expect(linesOf(second.stderr())).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error: local mode is already running on .+ \\(process ${pid}, since .+\\); stop it first`,
        ),
      ),
    ]);
    expect(second.stdout()).toBe('');
    // Nothing of the first server's was touched, and it still answers.
    expect(readFileSync(paths(dataDir).tokens, 'utf8')).toBe(tokens);
    expect(readFileSync(paths(dataDir).server, 'utf8')).toBe(state);
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: readFileSync(new URL('../fixtures/payloads/v2-success-google.json', import.meta.url), 'utf8'),
    });
    expect(response.status).toBe(200);

    first.child.kill('SIGINT');
    expect((await first.exit()).code).toBe(0);
    expect(existsSync(paths(dataDir).lock)).toBe(false);
  });

  it('a lock left by a process that died is taken over', async (context) => {
    const { expect } = context;
    const dataDir = await tempDir(context);
    await writeFile(
      paths(dataDir).lock,
      JSON.stringify({ pid: deadPid(), startedAt: '2026-01-01T00:00:00Z' }),
    );
    const run = npmStart(context, { LOCAL_DATA_DIR: dataDir, PORT: String(await freePort()) });
    await pollUntil('the banner', () => (run.stdout().includes('webhook URL') ? true : undefined), {
      timeoutMs: 60_000,
    });
    expect(JSON.parse(readFileSync(paths(dataDir).lock, 'utf8'))).toMatchObject({ pid: run.child.pid });
    run.child.kill('SIGINT');
    expect((await run.exit()).code).toBe(0);
    expect(run.stderr()).toBe('');
  });

  it('a failed start (busy port) writes nothing: a new data directory is not left behind', async (context) => {
    const { expect } = context;
    const held = await holdPort();
    context.onTestFinished(() => held.close());
    const parent = await tempDir(context);
    const dataDir = path.join(parent, 'new-data-dir');
    const run = npmStart(context, { LOCAL_DATA_DIR: dataDir, PORT: String(held.port) });
    expect((await run.exit()).code).toBe(1);
    expect(linesOf(run.stderr())).toEqual([
      `error: port ${held.port} on 127.0.0.1 is already in use; set PORT to another port`,
    ]);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a failed start leaves an existing data directory as it was', async (context) => {
    const { expect } = context;
    const held = await holdPort();
    context.onTestFinished(() => held.close());
    const dataDir = await tempDir(context);
    await writeFile(path.join(dataDir, 'notes.txt'), 'mine');
    const run = npmStart(context, { LOCAL_DATA_DIR: dataDir, PORT: String(held.port) });
    expect((await run.exit()).code).toBe(1);
    expect(await readdir(dataDir)).toEqual(['notes.txt']);
  });
});

describe('npm start -- --memory', { timeout: 180_000 }, () => {
  it('prints --local commands that reach it (its data directory named), not a server in .local', async (context) => {
    const run = npmStart(context, { PORT: String(await freePort()) }, ['--memory']);
    const command = await pollUntil(
      'the banner',
      () => run.stdout().match(/try it\s+npm run --silent cli -- (send-test-event .+)$/m)?.[1],
      { timeoutMs: 60_000 },
    );
    const args = command.split(' ');
    expect(args.slice(0, 3)).toEqual(['send-test-event', '--local', '--data-dir']);
    const dataDir = args[3] as string;
    expect(path.isAbsolute(dataDir)).toBe(true);
    expect(dataDir).not.toBe(path.resolve('.local'));

    const sent = await runCliCaptured([...args, '--fixture', 'failed', '--user', 'memory-run-user']);
    expect(sent.code, sent.err).toBe(0);
    expect(lines(sent.out)[0]).toMatch(/^HTTP 200/);
    const { eventId } = JSON.parse(lines(sent.out).slice(1).join('\n')) as { eventId?: string };
    expect(eventId).toEqual(expect.any(String));
    const slack = await pollUntil('the Slack outbox line', async () => {
      const outbox = await readJsonl<{ eventId: string }>(paths(dataDir).outboxOf('slack'));
      return outbox.length > 0 ? outbox : undefined;
    });
    expect(slack.map((line) => line.eventId)).toContain(eventId);

    run.child.kill('SIGINT');
    expect((await run.exit()).code).toBe(0);
    // The throw-away directory is gone with it.
    expect(existsSync(dataDir)).toBe(false);
  });
});
