/**
 * `cli url`, `send-test-event`, `replay` and `export` run as users run them: the real CLI in a child
 * process from the repository root. Every child starts at once in `beforeAll`; the tests then read
 * their exit status and output. Covers `--help`, usage errors (exit 2, one clear line), and the
 * failures that happen before any AWS resource is reached: no credentials, no region.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/main.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** No AWS configuration at all, except what a case adds: no profile, no files, no instance role. */
const bareEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_'))),
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  NO_COLOR: '1',
  ...extra,
});

const cli = (args: string[], env: NodeJS.ProcessEnv = bareEnv({ AWS_REGION: 'us-east-1' })): Promise<Run> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/cli.ts', ...args], { cwd: ROOT, env });
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
    child.stdin.end();
  });

const NAMES = ['url', 'send-test-event', 'replay', 'export', 'events', 'deliveries', 'dead-letters'] as const;

/** [args, the one line on standard error] of each usage error. */
const USAGE_ERRORS: [string[], string][] = [
  [
    ['replay', '--since', '2026-02-30'],
    'replay: --since "2026-02-30" is not an ISO date (2026-03-01, midnight UTC) or date-time (2026-03-01T09:30:00Z; UTC without a zone) (see: cli replay --help)',
  ],
  [
    ['replay', '--since', 'yesterday'],
    'replay: --since "yesterday" is not an ISO date (2026-03-01, midnight UTC) or date-time (2026-03-01T09:30:00Z; UTC without a zone) (see: cli replay --help)',
  ],
  [
    ['replay', '--since', '2026-03-01', '--until', '03/04/2026'],
    'replay: --until "03/04/2026" is not an ISO date (2026-03-01, midnight UTC) or date-time (2026-03-01T09:30:00Z; UTC without a zone) (see: cli replay --help)',
  ],
  [['replay'], 'replay: replay needs --since TIME (and optionally --until TIME) (see: cli replay --help)'],
  [
    ['replay', '--since', '2026-03-02', '--until', '2026-03-01T23:59:59Z'],
    'replay: --since (2026-03-02T00:00:00.000Z) must be before --until (2026-03-01T23:59:59.000Z) (see: cli replay --help)',
  ],
  [
    ['export', '--format', 'xml'],
    'export: --format must be one of csv, jsonl, json (got "xml") (see: cli export --help)',
  ],
  [
    ['export', '--format', 'json', '--bom'],
    'export: --bom applies to --format csv only (see: cli export --help)',
  ],
  [
    ['export', '--since', '2026-3-1'],
    'export: --since "2026-3-1" is not an ISO date (2026-03-01, midnight UTC) or date-time (2026-03-01T09:30:00Z; UTC without a zone) (see: cli export --help)',
  ],
  [
    ['export', 'connections.csv'],
    'export: export takes no arguments (got "connections.csv"); use --out FILE (see: cli export --help)',
  ],
  [
    ['send-test-event', '--fixture', 'v3'],
    'send-test-event: --fixture must be one of v1, v2, failed (got "v3") (see: cli send-test-event --help)',
  ],
  [
    ['send-test-event', '--file', 'payload.json', '--user', 'someone'],
    'send-test-event: --file sends the file exactly as it is: it cannot be combined with --fixture or --user (see: cli send-test-event --help)',
  ],
  [['url', 'extra'], 'url: url takes no arguments (got "extra") (see: cli url --help)'],
  [
    ['url', '--local', '--stack', 'Other'],
    'url: --local cannot be combined with --stack or --region (see: cli url --help)',
  ],
  [['url', '--data-dir', '.local'], 'url: --data-dir applies to --local only (see: cli url --help)'],
];

const results = new Map<string, Run>();
const key = (args: string[]) => JSON.stringify(args);

beforeAll(async () => {
  const runs: [string[], NodeJS.ProcessEnv | undefined][] = [
    ...NAMES.map((name): [string[], undefined] => [[name, '--help'], undefined]),
    [['--help'], undefined],
    ...USAGE_ERRORS.map(([args]): [string[], undefined] => [args, undefined]),
    [['replay', '--sinse', '2026-01-01'], undefined],
    [['export', '--format'], undefined],
    [['url', '--region', 'eu-west-1'], bareEnv()],
    [
      ['export', '--format', 'json'],
      bareEnv({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' }),
    ],
  ];
  await Promise.all(
    runs.map(async ([args, env]) => {
      results.set(key(args), await cli(args, env));
    }),
  );
});

const result = (args: string[]): Run => {
  const run = results.get(key(args));
  if (!run) throw new Error(`no run for ${key(args)}`);
  return run;
};

describe('--help', () => {
  it.each(NAMES)('%s --help prints its summary and usage, exit 0', (name) => {
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new Error(`no command ${name}`);
    expect(result([name, '--help'])).toEqual({
      code: 0,
      stdout: `${command.summary}\n\n${command.usage}\n`,
      stderr: '',
    });
    expect(command.usage).toMatch(/^Usage:\n {2}cli /);
    expect(command.usage).toMatch(/Exit status: 0 .*, 1 .*2 on a usage error\.$/s);
  });

  it('lists every command in the overview', () => {
    const run = result(['--help']);
    expect(run.code).toBe(0);
    for (const name of ['flatten', ...NAMES])
      expect(run.stdout).toMatch(new RegExp(`^ {2}${name} +\\S`, 'm'));
  });

  it('documents the target options on every command that reaches the pipeline', () => {
    for (const name of NAMES) {
      expect(result([name, '--help']).stdout).toContain('--local             the local server (npm start)');
    }
  });
});

describe('usage errors', () => {
  it.each(USAGE_ERRORS)('%j → exit 2 and one clear line', (args, message) => {
    expect(result(args)).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
  });

  it('rejects an unknown option or a missing value with the usage text', () => {
    const unknown = result(['replay', '--sinse', '2026-01-01']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^Unknown option '--sinse'/);
    expect(unknown.stderr).toContain('Usage:\n  cli replay --since TIME');
    const missing = result(['export', '--format']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^Option '--format <value>' argument missing/);
  });
});

describe('AWS configuration missing', () => {
  it('says so in one line when there are no credentials', () => {
    expect(result(['url', '--region', 'eu-west-1'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'url: no AWS credentials found while reading the outputs of stack "LeadsieWebhooks": configure them (aws configure, aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)\n',
    });
  });

  it('says so in one line when there is no region', () => {
    expect(result(['export', '--format', 'json'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'export: no AWS region while reading the outputs of stack "LeadsieWebhooks": pass --region or set AWS_REGION (or a region in your AWS profile)\n',
    });
  });
});
