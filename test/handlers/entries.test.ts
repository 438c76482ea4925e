/**
 * The Lambda entries the stack bundles (`HANDLER_ENTRIES` in lambda/contract.ts, and each consumer
 * module's own, from the registry): each file exists,
 * exports what Lambda calls (`handler`), and fails fast at import when its configuration is missing,
 * naming the variable, as a cold start in Lambda would. The handler modules behind them export
 * `makeHandler` and import without any configuration (tests and local mode rely on that).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_MODULES, consumerFolder } from '../../lambda/consumers/registry.ts';
import { ENV, HANDLER_ENTRIES } from '../../lambda/contract.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const entries: [string, string][] = [
  ...Object.entries(HANDLER_ENTRIES),
  ...CONSUMER_MODULES.map((module) => [consumerFolder(module), module.entry] as [string, string]),
];

/** Placeholders for every contract variable, so importing an entry in this process builds its clients. */
const PLACEHOLDERS: Record<string, string> = {
  [ENV.tableName]: 'placeholder-table',
  [ENV.topicArn]: 'arn:aws:sns:us-east-1:000000000000:placeholder-topic',
  [ENV.webhookTokenSecretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:placeholder-webhook',
  [ENV.readTokenSecretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:placeholder-read',
  [ENV.consumerName]: 'placeholder-consumer',
  [ENV.consumerSecretId]: 'placeholder-consumer-secret',
  [ENV.deadLetterQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/placeholder-dlq',
  [ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/placeholder-queue',
  [ENV.sheetsSpreadsheetId]: 'placeholder-spreadsheet-id',
  [ENV.sheetsSheetName]: 'Connections',
  [ENV.emailFrom]: 'placeholder@example.com',
  [ENV.emailTeamRecipients]: '["team@example.com"]',
  [ENV.alarmSlackSecretId]: 'placeholder-alarm-slack-secret',
  [ENV.metricsNamespace]: 'LeadsieWebhooks',
  [ENV.metricsService]: 'PlaceholderStack',
};

describe('handler entries', () => {
  const saved = { ...process.env };
  beforeAll(() => Object.assign(process.env, PLACEHOLDERS, { AWS_REGION: 'us-east-1' }));
  afterAll(() => {
    for (const name of Object.keys(PLACEHOLDERS)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  it('lists at least the ingest and connections entries', () => {
    expect(HANDLER_ENTRIES).toMatchObject({
      ingest: 'lambda/entries/ingest.ts',
      connections: 'lambda/entries/connections.ts',
    });
  });

  it('lists every file in lambda/entries and every consumer entry (a file not listed would never be bundled)', () => {
    const files = [
      ...readdirSync(resolve(ROOT, 'lambda/entries'))
        .filter((name) => name.endsWith('.ts'))
        .map((name) => `lambda/entries/${name}`),
      ...readdirSync(resolve(ROOT, 'lambda/consumers'), { withFileTypes: true })
        .filter((dirent) => dirent.isDirectory())
        .map((dirent) => `lambda/consumers/${dirent.name}/entry.ts`)
        .filter((entry) => existsSync(resolve(ROOT, entry))),
    ].sort();
    expect(entries.map(([, entry]) => entry).sort()).toEqual(files);
  });

  it.each(entries)('%s: %s exists and exports a handler function', async (_name, entry) => {
    const file = resolve(ROOT, entry);
    expect(existsSync(file), `${entry} does not exist`).toBe(true);
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    expect(typeof module.handler).toBe('function');
  });

  it.each(entries)('%s: its handler module exports makeHandler', async (_name, entry) => {
    // A consumer's handler sits beside its entry (`lambda/consumers/<name>/handler.ts`).
    const handlerModule = resolve(
      ROOT,
      entry.startsWith('lambda/consumers/')
        ? entry.replace(/entry\.ts$/, 'handler.ts')
        : entry.replace('lambda/entries/', 'lambda/handlers/'),
    );
    const module = (await import(pathToFileURL(handlerModule).href)) as Record<string, unknown>;
    expect(typeof module.makeHandler).toBe('function');
    expect(typeof module.defaultDeps).toBe('function');
  });
});

/** Runs `await import(entry)` in a fresh Node with tsx, with the contract's variables replaced by `env`. */
const importInChild = async (
  entry: string,
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> => {
  const base = { ...process.env };
  for (const name of Object.values(ENV)) delete base[name];
  try {
    const { stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(`./${entry}`)})`],
      {
        cwd: ROOT,
        env: {
          ...base,
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...env,
        },
        timeout: 30_000,
      },
    );
    return { code: 0, stderr };
  } catch (error) {
    const failure = error as { code?: number; stderr?: string };
    return {
      code: typeof failure.code === 'number' ? failure.code : -1,
      stderr: failure.stderr ?? String(error),
    };
  }
};

describe('handler entries fail fast on missing configuration', () => {
  const ingestEnv = {
    [ENV.tableName]: 'connections',
    [ENV.topicArn]: 'arn:aws:sns:us-east-1:000000000000:events',
    [ENV.webhookTokenSecretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:webhook',
    [ENV.metricsNamespace]: 'LeadsieWebhooks',
    [ENV.metricsService]: 'LeadsieWebhooks',
  };
  const without = (name: string) =>
    Object.fromEntries(Object.entries(ingestEnv).filter(([key]) => key !== name));
  const cases: [string, string, Record<string, string>, RegExp | null][] = [
    ['ingest with every variable set', HANDLER_ENTRIES.ingest, ingestEnv, null],
    ['the ingest handler module, with no variable at all', 'lambda/handlers/ingest.ts', {}, null],
    ...CONSUMER_MODULES.map((module): [string, string, Record<string, string>, RegExp | null] => [
      `the ${consumerFolder(module)} handler module, with no variable at all`,
      module.entry.replace(/entry\.ts$/, 'handler.ts'),
      {},
      null,
    ]),
    [
      'the Slack entry without its secret',
      'lambda/consumers/slack/entry.ts',
      {
        [ENV.consumerName]: 'slack',
        [ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/q',
        [ENV.deadLetterQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/dlq',
        [ENV.metricsNamespace]: 'LeadsieWebhooks',
        [ENV.metricsService]: 'LeadsieWebhooks',
      },
      new RegExp(ENV.consumerSecretId),
    ],
    [
      'the Slack entry with a malformed HTTP timeout',
      'lambda/consumers/slack/entry.ts',
      {
        [ENV.consumerName]: 'slack',
        [ENV.consumerSecretId]: 'leadsie-webhooks/slack-webhook-url',
        [ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/q',
        [ENV.deadLetterQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/dlq',
        [ENV.httpTimeoutMs]: 'soon',
      },
      new RegExp(`${ENV.httpTimeoutMs}.*"soon"`),
    ],
    ['ingest without any variable', HANDLER_ENTRIES.ingest, {}, new RegExp(ENV.tableName)],
    ['ingest without the topic', HANDLER_ENTRIES.ingest, without(ENV.topicArn), new RegExp(ENV.topicArn)],
    [
      'ingest without the webhook token secret',
      HANDLER_ENTRIES.ingest,
      without(ENV.webhookTokenSecretArn),
      new RegExp(ENV.webhookTokenSecretArn),
    ],
    [
      'ingest without the metrics service dimension',
      HANDLER_ENTRIES.ingest,
      without(ENV.metricsService),
      new RegExp(ENV.metricsService),
    ],
    [
      'ingest with a malformed body limit',
      HANDLER_ENTRIES.ingest,
      { ...ingestEnv, [ENV.maxBodyBytes]: 'lots' },
      new RegExp(`${ENV.maxBodyBytes}.*"lots"`),
    ],
    ['connections without any variable', HANDLER_ENTRIES.connections, {}, new RegExp(ENV.tableName)],
    [
      'the alarm notifier with its secret set',
      HANDLER_ENTRIES.alarmNotifier,
      { [ENV.alarmSlackSecretId]: 'leadsie-webhooks/alarm-slack-webhook-url' },
      null,
    ],
    [
      'the alarm notifier without its secret',
      HANDLER_ENTRIES.alarmNotifier,
      {},
      new RegExp(ENV.alarmSlackSecretId),
    ],
    [
      'connections without the read token secret',
      HANDLER_ENTRIES.connections,
      { [ENV.tableName]: 'connections' },
      new RegExp(ENV.readTokenSecretArn),
    ],
  ];
  const results = new Map<string, { code: number; stderr: string }>();

  beforeAll(async () => {
    // A few children at a time: each costs about half a second of start-up, and all of them at once
    // on a small, busy machine run past their time-out.
    const queue = [...cases];
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const [name, entry, env] = next;
        results.set(name, await importInChild(entry, env));
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  }, 180_000);

  it.each(cases)('%s', (name, _entry, _env, expected) => {
    const result = results.get(name);
    if (expected === null) {
      expect(result, result?.stderr).toMatchObject({ code: 0 });
      return;
    }
    expect(result?.code).not.toBe(0);
    expect(result?.stderr).toMatch(/ConfigurationError/);
    expect(result?.stderr).toMatch(expected);
  });
});
