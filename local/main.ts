/**
 * `npm start`: local mode. Reads its settings from the environment (validated, one clear line per
 * bad value), starts the pipeline, prints the URL to paste into a tunnel or curl, and shuts down
 * cleanly on Ctrl-C without losing acknowledged events.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { CONSUMER_MODULES } from '../lambda/consumers/registry.ts';
import { ROUTES } from '../lambda/contract.ts';
import { ConfigurationError } from '../lambda/shared/env.ts';
import { type DataDirLock, lockDataDir, restoreDataDir, snapshotDataDir } from './lock.ts';
import { type LocalServer, LocalStartError, startLocal, temporaryDataDir } from './server.ts';
import { dataDirFrom, paths } from './state.ts';

const USAGE = `Usage: npm start [-- --memory]

Runs the whole pipeline on this machine: the webhook and read API, an embedded DynamoDB-compatible
store, and the Slack, HubSpot and forwarder consumers (dry run: what they would send goes to
<data dir>/outbox/<consumer>.jsonl).

Options:
  --memory     keep the store in memory (a throw-away run); unless LOCAL_DATA_DIR is set, tokens and
               outbox go to a fresh temporary directory, removed when it stops
  -h, --help   this text

Environment:
  HOST, PORT                  where to listen (default 127.0.0.1 and 3000)
  LOCAL_DATA_DIR              data directory (default .local)
  LEADSIE_WEBHOOK_TOKEN       webhook token (default: generated once and kept in the data directory)
  LEADSIE_READ_TOKEN          read token for GET /connections (same)
${CONSUMER_MODULES.map((module) => `${module.local.usage}\n`).join('')}  LOG_LEVEL                   the functions' own JSON logs (default ERROR)
`;

const _optionalUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional();

const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z
    .string()
    .regex(/^\d+$/, 'must be a port number (0-65535)')
    .transform(Number)
    .refine((port) => port <= 65_535, 'must be a port number (0-65535)')
    .default(3000),
  LEADSIE_WEBHOOK_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LEADSIE_READ_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

/** Empty variables count as unset, as a shell user expects of `FOO= npm start`. */
const present = (env: NodeJS.ProcessEnv) =>
  Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));

const main = async (): Promise<number> => {
  // Local mode runs on the Node.js the developer has; the SDK's notice about Node 20 is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs({ options: { memory: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const parsed = envSchema.safeParse(present(process.env));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      process.stderr.write(`error: ${issue.path.join('.')} ${issue.message}\n`);
    }
    return 2;
  }
  const env = parsed.data;
  const memory = args.values.memory === true;
  const throwAway = memory && !process.env.LOCAL_DATA_DIR;
  const dataDir = throwAway ? await temporaryDataDir() : dataDirFrom(process.env);

  // Before anything is opened or written: one server per data directory, and a failed start leaves
  // the directory as it found it.
  const before = throwAway ? null : await snapshotDataDir(dataDir);
  let lock: DataDirLock;
  try {
    lock = await lockDataDir(dataDir);
  } catch (error) {
    if (!(error instanceof LocalStartError)) throw error;
    await restoreDataDir(dataDir, before);
    process.stderr.write(`error: ${error.message}\n`);
    return 1;
  }

  let server: LocalServer;
  try {
    server = await startLocal({
      host: env.HOST,
      port: env.PORT,
      dataDir,
      memory,
      webhookToken: env.LEADSIE_WEBHOOK_TOKEN,
      readToken: env.LEADSIE_READ_TOKEN,
      env: present(process.env),
      say: (line) => process.stdout.write(`${line}\n`),
    });
  } catch (error) {
    await lock.release();
    await restoreDataDir(dataDir, before);
    if (error instanceof LocalStartError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    // A consumer module's own variable (SLACK_WEBHOOK_URL, …) is bad: the same answer as the others.
    if (error instanceof ConfigurationError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const relative = (file: string) => {
    const shown = path.relative(process.cwd(), file) || '.';
    return shown.startsWith('..') ? file : shown;
  };
  // The CLI's --local finds LOCAL_DATA_DIR (else .local); any other data directory (a --memory run's
  // temporary one) must be named, or the commands would reach another server.
  const shown = relative(dataDir);
  const local =
    dataDir === dataDirFrom(process.env)
      ? '--local'
      : `--local --data-dir ${/^[\w@%+=:,./-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", `'\\''`)}'`}`;
  const where = (name: string) =>
    server.live[name] ? 'sends for real' : `dry run → ${relative(paths(dataDir).outboxOf(name))}`;
  process.stdout.write(
    [
      '',
      'leadsie-webhooks local mode',
      `  data directory  ${relative(dataDir)}${memory ? ' (store in memory: a throw-away run)' : ''}`,
      `  webhook URL     ${server.webhookUrl}`,
      `  read API        curl -H "authorization: Bearer ${server.tokens.readToken}" "${server.connectionsUrl}?user=<customUserId>"`,
      ...server.consumers.map(
        (consumer, index) =>
          `${index === 0 ? '  consumers       ' : '                  '}${consumer.name}: ${where(consumer.name)}${consumer.note ? ` (${consumer.note})` : ''}`,
      ),
      '',
      `  try it          npm run --silent cli -- send-test-event ${local}`,
      `                  curl -X POST "${server.webhookUrl}" -H 'content-type: application/json' --data @samples/v2-partial-multi-platform.json`,
      `  console         npm run console -- ${local} --open`,
      '',
      `Serving ${ROUTES.webhook.method} ${ROUTES.webhook.path} and ${ROUTES.connections.method} ${ROUTES.connections.path}. Ctrl-C stops.`,
      '',
    ].join('\n'),
  );

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = () => {
      signals++;
      if (signals > 1) {
        process.stderr.write('stopping now; undelivered consumer messages may be lost\n');
        resolve(130);
        return;
      }
      process.stdout.write('\nstopping: finishing acknowledged deliveries (Ctrl-C again to force)…\n');
      server.stop().then(
        async () => {
          await lock.release();
          if (throwAway) await rm(dataDir, { recursive: true, force: true });
          process.stdout.write('stopped.\n');
          resolve(0);
        },
        (error: unknown) => {
          process.stderr.write(
            `error while stopping: ${error instanceof Error ? error.message : String(error)}\n`,
          );
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
};

process.exitCode = await main();
// The HTTP servers and the store are closed; exit even if a library left a timer behind.
process.exit();
