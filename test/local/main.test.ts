/**
 * `npm start` as a developer runs it: `local/main.ts` in a child process (node --import tsx, the
 * repository as working directory), configured by environment variables. The banner and its URL,
 * a webhook through that URL, Ctrl-C, and the one-line errors for bad settings and a busy port.
 * Every child costs about a second, so the cases run at once.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { paths } from '../../local/state.ts';
import { freePort, holdPort, pollUntil, readJsonl } from '../support/local-harness.ts';
// One way to start `npm start`'s entry for every suite that does (killed when the test ends).
import { npmStart as start } from '../support/npm-start.ts';

const FIXTURE = readFileSync(new URL('../fixtures/payloads/v2-success-google.json', import.meta.url), 'utf8');

/** Settings `npm start` reads; the children get only the ones a case sets. */
const tempDir = async (context: TestContext): Promise<string> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'leadsie-local-main-'));
  context.onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
};

const linesOf = (text: string): string[] => text.split('\n').filter((line) => line !== '');

describe.concurrent('npm start (local/main.ts)', () => {
  it('prints the webhook URL, accepts a webhook on it, and stops cleanly on Ctrl-C (exit 0)', async (context) => {
    const { expect } = context;
    const dataDir = await tempDir(context);
    const port = await freePort();
    const run = start(context, { LOCAL_DATA_DIR: dataDir, PORT: String(port) });

    const webhookUrl = await pollUntil(
      'the banner with the webhook URL',
      () => run.stdout().match(/webhook URL\s+(http:\/\/\S+)/)?.[1],
      { timeoutMs: 20_000 },
    );
    const url = new URL(webhookUrl);
    expect(url.origin).toBe(`http://127.0.0.1:${port}`);
    expect(url.pathname).toBe('/leadsie/webhook');
    const token = url.searchParams.get('token');
    const stored = JSON.parse(readFileSync(paths(dataDir).tokens, 'utf8'));
    expect(token).toBe(stored.webhookToken);
    expect(run.stdout()).toContain(`authorization: Bearer ${stored.readToken}`);
    expect(run.stdout()).toContain('Ctrl-C stops.');

    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: FIXTURE,
    });
    const answer = (await response.json()) as { eventId: string; duplicate: boolean };
    expect(response.status).toBe(200);
    expect(answer).toEqual({ eventId: expect.any(String), duplicate: false });

    run.child.kill('SIGINT');
    const { code } = await run.exit();
    expect(code, run.stderr()).toBe(0);
    expect(linesOf(run.stdout())).toContain('stopped.');
    expect(run.stderr()).toBe('');
    // What was acknowledged was delivered before the process ended.
    for (const consumer of ['slack', 'hubspot', 'forward']) {
      const lines = await readJsonl<{ eventId: string }>(paths(dataDir).outboxOf(consumer));
      expect(
        lines.map((line) => line.eventId),
        consumer,
      ).toEqual([answer.eventId]);
    }
    expect(await readdir(dataDir)).not.toContain('server.json');
  });

  it.for<[string, Record<string, string>, string]>([
    ['PORT=abc', { PORT: 'abc' }, 'error: PORT must be a port number (0-65535)'],
    ['PORT=70000', { PORT: '70000' }, 'error: PORT must be a port number (0-65535)'],
    [
      'FORWARD_WEBHOOK_URL without FORWARD_WEBHOOK_SECRET',
      { FORWARD_WEBHOOK_URL: 'https://hooks.example.test/leadsie' },
      'error: FORWARD_WEBHOOK_SECRET FORWARD_WEBHOOK_URL and FORWARD_WEBHOOK_SECRET go together',
    ],
    [
      'SLACK_WEBHOOK_URL=not-a-url',
      { SLACK_WEBHOOK_URL: 'not-a-url' },
      'error: SLACK_WEBHOOK_URL must be an http(s) URL',
    ],
  ])('%s → exit 2 with one error line naming the setting', async ([, env, expected], context) => {
    const { expect } = context;
    const dataDir = await tempDir(context);
    const run = start(context, { LOCAL_DATA_DIR: dataDir, ...env });
    const { code } = await run.exit();
    expect(linesOf(run.stderr())).toEqual([expected]);
    expect(code).toBe(2);
    expect(run.stdout()).toBe('');
    // Nothing was started, so nothing was written.
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('a busy port → exit 1 with "error: port N … already in use"', async (context) => {
    const { expect } = context;
    const held = await holdPort();
    context.onTestFinished(() => held.close());
    const dataDir = await tempDir(context);
    const run = start(context, { LOCAL_DATA_DIR: dataDir, PORT: String(held.port) });
    const { code } = await run.exit();
    expect(code).toBe(1);
    expect(linesOf(run.stderr())).toEqual([
      `error: port ${held.port} on 127.0.0.1 is already in use; set PORT to another port`,
    ]);
    expect(run.stdout()).not.toContain('webhook URL');
  });

  it('--help prints the usage and exits 0', async (context) => {
    const { expect } = context;
    const dataDir = await tempDir(context);
    const run = start(context, { LOCAL_DATA_DIR: dataDir }, ['--help']);
    const { code } = await run.exit();
    expect(code).toBe(0);
    expect(run.stdout()).toMatch(/^Usage: npm start/);
    for (const setting of [
      'PORT',
      'LOCAL_DATA_DIR',
      'SLACK_WEBHOOK_URL',
      'FORWARD_WEBHOOK_SECRET',
      '--memory',
    ]) {
      expect(run.stdout()).toContain(setting);
    }
    expect(run.stderr()).toBe('');
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('an unknown option → exit 2 with the reason and the usage on stderr', async (context) => {
    const { expect } = context;
    const dataDir = await tempDir(context);
    const run = start(context, { LOCAL_DATA_DIR: dataDir }, ['--bogus']);
    const { code } = await run.exit();
    expect(code).toBe(2);
    expect(run.stderr()).toContain("'--bogus'");
    expect(run.stderr()).toContain('Usage: npm start');
    expect(run.stdout()).toBe('');
  });
});
