/**
 * The README's "Try it locally" section, run as written: its fenced `sh` blocks, each line through
 * a shell in the repository, `npm start` left running in the background as the second terminal
 * needs it. Only the environment differs from a developer's: a fresh data directory
 * (`LOCAL_DATA_DIR`, which `npm start` and the CLI's `--local` both read) and a free port, so the
 * test touches neither the repository's `.local/` nor a server already running. `npm ci` is not run
 * (the dependencies are installed already; running it would replace them under the other tests).
 *
 * Then every consumer the banner shows in dry run, and every outbox file the section names, must
 * have received a line: the promise of the quick start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pollUntil, readJsonl } from '../support/local-harness.ts';
import { freePort } from '../support/moto.ts';
import { REPO } from '../support/npm-start.ts';

/** What `npm start` and the CLI read that a developer's shell might have set: left out here. */
const SETTINGS =
  /^(HOST|PORT|LOCAL_DATA_DIR|LEADSIE_|SLACK_|HUBSPOT_|FORWARD_|GOOGLE_|SHEETS_|EMAIL_|LOG_LEVEL$)/;

/** The commands of the fenced `sh` blocks of one README section, in order, comments dropped. */
const sectionCommands = (readme: string, heading: string): string[] => {
  const start = readme.indexOf(`\n## ${heading}`);
  if (start < 0) throw new Error(`no section "## ${heading}" in the README`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const commands: string[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of (block[1] ?? '').split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command !== '' && !command.startsWith('#')) commands.push(command);
    }
  }
  return commands;
};

const shell = (command: string, env: NodeJS.ProcessEnv): ChildProcess =>
  // Its own process group, so the server (npm → tsx → node) can be stopped as a whole.
  spawn('sh', ['-c', command], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });

describe('the README quick start', () => {
  it('fills the outbox of every consumer it names, run as written', { timeout: 180_000 }, async (context) => {
    const readme = await readFile(path.join(REPO, 'README.md'), 'utf8');
    const commands = sectionCommands(readme, 'Try it locally');
    expect(commands[0]).toBe('npm ci');
    expect(commands).toContain('npm start');
    const cliCommands = commands.filter((c) => c !== 'npm ci' && c !== 'npm start');
    expect(cliCommands.length).toBeGreaterThan(0);
    const start = readme.indexOf('\n## Try it locally');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const promised = [...section.matchAll(/`(?:\.local\/outbox\/)?(\w+)\.jsonl`/g)].map((m) => m[1]);
    expect(promised.length).toBeGreaterThan(0);

    const dataDir = await mkdtemp(path.join(tmpdir(), 'readme-quick-start-'));
    context.onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !SETTINGS.test(name)),
    );
    Object.assign(env, {
      LOCAL_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });

    const server = shell('npm start', env);
    let out = '';
    let err = '';
    server.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    server.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    const exited = new Promise((resolve) => server.once('close', resolve));
    context.onTestFinished(async () => {
      if (server.exitCode === null && server.signalCode === null && server.pid !== undefined) {
        process.kill(-server.pid, 'SIGKILL');
        await exited;
      }
    });
    await pollUntil(
      "npm start's banner",
      () => {
        if (server.exitCode !== null) throw new Error(`npm start exited ${server.exitCode}:\n${out}\n${err}`);
        return out.includes('Ctrl-C stops.') ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    // "  consumers       slack: dry run → <outbox file>" and the lines under it.
    const outboxes = new Map(
      [...out.matchAll(/^\s+(?:consumers\s+)?([\w-]+): dry run → (\S+)/gm)].map((m) => [
        m[1] ?? '',
        path.resolve(REPO, m[2] ?? ''),
      ]),
    );
    expect([...outboxes.keys()].sort()).toEqual(expect.arrayContaining([...promised].sort()));

    for (const command of cliCommands) {
      const child = shell(command, env);
      let output = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      const code = await new Promise((resolve) => child.once('close', resolve));
      expect(code, `${command}\n${output}`).toBe(0);
    }

    for (const [name, file] of outboxes) {
      const written = await pollUntil(
        `a line in ${name}'s outbox (${file})`,
        async () => {
          const entries = await readJsonl(file);
          return entries.length > 0 ? entries : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      expect(written.length, name).toBeGreaterThan(0);
    }

    if (server.pid !== undefined) process.kill(-server.pid, 'SIGINT');
    await exited;
  });
});
