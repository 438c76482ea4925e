/**
 * `cli flatten`, run as users run it: the real CLI in a child process from the repository root.
 * Every child starts at once in `beforeAll` (each costs about half a second); the tests then read
 * their exit status, standard output and standard error.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatten } from '../../lambda/domain/flatten.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const payloadText = (name: string) =>
  readFileSync(join(ROOT, 'test/fixtures/payloads', `${name}.json`), 'utf8');
const compact = (name: string) => JSON.stringify(JSON.parse(payloadText(name)));
const golden = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'test/fixtures/golden', `${name}.flat.json`), 'utf8'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command from the repository root, feeding `input` on standard input. */
const run = (command: string, args: string[], input = ''): Promise<Run> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(input);
  });

/** The CLI as `npx tsx bin/cli.ts …` runs it, without npx's own start-up. */
const cli = (args: string[], input = '') =>
  run(process.execPath, ['--import', 'tsx', 'bin/cli.ts', ...args], input);

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

let tmp: string;
const results: Record<string, Run> = {};

// Mixed JSONL: valid, blank, invalid JSON, white space only, a schema error, valid v2, and a valid
// line ending in CRLF; the last line has no newline at all.
const MIXED = [
  `${compact('v1-failed')}\n`,
  '\n',
  '{nope\n',
  '   \t\n',
  `${JSON.stringify({ requestName: 'x', connectionAssets: [] })}\n`,
  `${compact('v2-success-google')}\r\n`,
  compact('v1-success-no-user'),
].join('');

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cli-flatten-'));
  const rejected = join(tmp, 'rejected.json');
  writeFileSync(rejected, JSON.stringify({ requestUrl: 'https://x', connectionAssets: [{ type: 'Page' }] }));
  const runs: Record<string, Promise<Run>> = {
    file: cli(['flatten', 'test/fixtures/payloads/v1-partial-success.json']),
    rejectedFile: cli(['flatten', rejected]),
    missingFile: cli(['flatten', join(tmp, 'no-such-file.json')]),
    mixed: cli(['flatten', '--jsonl'], MIXED),
    allValid: cli(
      ['flatten', '--jsonl'],
      `${['v1-failed', 'v1-partial-success', 'v1-success-no-user'].map(compact).join('\n')}\n`,
    ),
    // The documented invocation, once: the npm script.
    help: run('npm', ['run', '--silent', 'cli', '--', '--help']),
    flattenHelp: cli(['flatten', '--help']),
    noCommand: cli([]),
    unknownCommand: cli(['bogus']),
    unknownOption: cli(['flatten', '--bogus', 'test/fixtures/payloads/v1-failed.json']),
  };
  await Promise.all(
    Object.entries(runs).map(async ([name, promise]) => {
      results[name] = await promise;
    }),
  );
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('cli flatten FILE', () => {
  it('prints the flat record of a v1 payload, exactly the golden record (values and key order), exit 0', () => {
    const { code, stdout, stderr } = results.file as Run;
    expect(code, stderr).toBe(0);
    const printed = JSON.parse(stdout);
    const expected = golden('v1-partial-success');
    expect(printed).toEqual(expected);
    expect(Object.keys(printed)).toEqual(Object.keys(expected));
  });

  it('exits 1 for a rejected payload, with the reason (path and problem) on stderr and nothing on stdout', () => {
    const { code, stdout, stderr } = results.rejectedFile as Run;
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^rejected: /);
    expect(stderr).toMatch(/requestName/);
    expect(stderr).toMatch(/connectionAssets\[0\]\.id/);
  });

  it('exits 1 for a missing file, naming the file and why it cannot be read', () => {
    const { code, stdout, stderr } = results.missingFile as Run;
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('no-such-file.json');
    expect(stderr).toMatch(/cannot read .*: no such file/);
  });
});

describe('cli flatten --jsonl', () => {
  it('prints one line per non-blank input line, in order, {"error"} for the rejected ones, exit 1', () => {
    const { code, stdout, stderr } = results.mixed as Run;
    expect(code, stderr).toBe(1);
    const out = lines(stdout).map((line) => JSON.parse(line));
    expect(out).toHaveLength(5);
    expect(out[0]).toEqual(golden('v1-failed'));
    expect(out[1]).toEqual({ error: expect.stringMatching(/^invalid JSON/) });
    expect(out[2]).toEqual({ error: expect.stringMatching(/requestUrl/) });
    const v2 = parsePayload(JSON.parse(payloadText('v2-success-google')));
    expect(v2.ok).toBe(true);
    if (v2.ok) expect(out[3]).toEqual(flatten(v2.payload));
    expect(out[4]).toEqual(golden('v1-success-no-user'));
  });

  it('exits 0 when every line is accepted, one compact JSON line each', () => {
    const { code, stdout, stderr } = results.allValid as Run;
    expect(code, stderr).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.endsWith('\n')).toBe(true);
    expect(lines(stdout).map((line) => JSON.parse(line))).toEqual(
      ['v1-failed', 'v1-partial-success', 'v1-success-no-user'].map(golden),
    );
  });
});

describe('cli usage', () => {
  it('prints the command list for --help (through the npm script), exit 0', () => {
    const { code, stdout, stderr } = results.help as Run;
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^Usage: /);
    expect(stdout).toMatch(/^\s+flatten\s+\S/m);
  });

  it('prints the usage of flatten for flatten --help, exit 0', () => {
    const { code, stdout } = results.flattenHelp as Run;
    expect(code).toBe(0);
    expect(stdout).toContain('cli flatten [FILE]');
    expect(stdout).toContain('--jsonl');
    expect(stdout).toMatch(/Exit status/);
  });

  it('exits 2 without a command, showing the usage on stderr', () => {
    const { code, stdout, stderr } = results.noCommand as Run;
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/a command is required/);
    expect(stderr).toMatch(/Usage: /);
  });

  it('exits 2 for an unknown command, naming it on stderr', () => {
    const { code, stdout, stderr } = results.unknownCommand as Run;
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('unknown command "bogus"');
  });

  it('exits 2 for an unknown option, naming it on stderr with the usage, printing no record', () => {
    const { code, stdout, stderr } = results.unknownOption as Run;
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('--bogus');
    expect(stderr).toContain('cli flatten [FILE]');
  });
});
