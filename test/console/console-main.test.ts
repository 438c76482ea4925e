/**
 * `npm run console` as an operator runs it (console/main.ts in a child process): its command-line
 * errors, and a run beside local mode that prints the URL, opens it with `--open` (a stand-in
 * xdg-open on PATH records what it was given), serves the pages, and stops on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cleanup, freshDir, pollUntil, startTestLocal } from '../support/local-harness.ts';
import { REPO } from '../support/npm-start.ts';

interface Run {
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

const runConsole = (args: string[], env: Record<string, string> = {}): Run => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'console/main.ts', ...args], {
    cwd: REPO,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    exit: new Promise((resolve) => child.once('close', (code) => resolve(code))),
    kill: (signal) => child.kill(signal),
  };
};

describe('npm run console', () => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run());

  it('refuses a bad command line with status 2, and a local mode that is not running with status 1', async () => {
    const mixed = runConsole(['--local', '--stack', 'Other']);
    expect(await mixed.exit).toBe(2);
    expect(mixed.stderr()).toBe('console: --local cannot be combined with --stack or --region\n');

    const port = runConsole(['--local', '--port', 'eighty']);
    expect(await port.exit).toBe(2);
    expect(port.stderr()).toBe('console: --port "eighty" is not a port number (0-65535)\n');

    const dir = await freshDir(cleanup);
    const stopped = runConsole(['--local', '--data-dir', dir]);
    expect(await stopped.exit).toBe(1);
    expect(stopped.stderr()).toMatch(
      /^console: local mode is not running \(no .*server\.json\); start it with: npm start\n$/,
    );
  });

  it('prints the URL beside local mode, opens it with --open, serves the pages, and stops on Ctrl-C', async () => {
    const local = await startTestLocal(cleanup);
    const bin = await freshDir(cleanup);
    const opened = path.join(bin, 'opened.txt');
    const fakeOpen = path.join(bin, 'xdg-open');
    await writeFile(fakeOpen, `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`);
    await chmod(fakeOpen, 0o755);

    const run = runConsole(['--local', '--data-dir', local.dataDir, '--open'], {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    });
    cleanup.add(async () => {
      run.kill('SIGKILL');
      await run.exit;
    });
    const url = await pollUntil(
      'the printed URL',
      () => /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}/.exec(run.stdout())?.[0],
      { timeoutMs: 30_000 },
    );
    expect(run.stdout()).toContain(`Operator console for local mode (${local.dataDir}):`);
    expect(
      await pollUntil('xdg-open to be called', () => readFile(opened, 'utf8').catch(() => undefined)),
    ).toBe(url);

    const first = await fetch(url, { redirect: 'manual' });
    expect(first.status).toBe(303);
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const health = await fetch(new URL('/health', url), { headers: { cookie } });
    expect(health.status).toBe(200);
    expect(await health.text()).toContain('Local mode has no CloudWatch alarms.');

    run.kill('SIGINT');
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toBe('');
  });
});
