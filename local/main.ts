/**
 * `npm start`: local mode. Reads its settings from the environment (validated, one clear line per
 * bad value), starts the pipeline, prints the URL to paste into a tunnel or curl, and shuts down
 * cleanly on Ctrl-C without losing acknowledged events.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ROUTES } from '../lambda/contract.ts';
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
  SLACK_WEBHOOK_URL           send to this Slack incoming webhook instead of the outbox
  HUBSPOT_ACCESS_TOKEN        send to HubSpot with this private-app token (HUBSPOT_BASE_URL, default
                              https://api.hubapi.com)
  FORWARD_WEBHOOK_URL         forward to this URL, signed with FORWARD_WEBHOOK_SECRET (both needed)
  GOOGLE_SERVICE_ACCOUNT_KEY_FILE, SHEETS_SPREADSHEET_ID
                              append rows to this spreadsheet as that service account (both needed;
                              SHEETS_SHEET_NAME, default Connections)
  EMAIL_FROM                  send emails through Amazon SES from this verified identity (AWS
                              credentials from the default chain); EMAIL_TEAM_RECIPIENTS (comma-separated,
                              default team@example.com in dry run), EMAIL_CLIENT_ENABLED=true to thank clients
  LOG_LEVEL                   the functions' own JSON logs (default ERROR)
`;

const optionalUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional();

const envSchema = z
  .object({
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z
      .string()
      .regex(/^\d+$/, 'must be a port number (0-65535)')
      .transform(Number)
      .refine((port) => port <= 65_535, 'must be a port number (0-65535)')
      .default(3000),
    LEADSIE_WEBHOOK_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    LEADSIE_READ_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    SLACK_WEBHOOK_URL: optionalUrl,
    HUBSPOT_ACCESS_TOKEN: z.string().min(1).optional(),
    HUBSPOT_BASE_URL: optionalUrl,
    FORWARD_WEBHOOK_URL: optionalUrl,
    FORWARD_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    GOOGLE_SERVICE_ACCOUNT_KEY_FILE: z.string().min(1).optional(),
    SHEETS_SPREADSHEET_ID: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be the id from the spreadsheet URL')
      .optional(),
    SHEETS_SHEET_NAME: z.string().min(1).optional(),
    EMAIL_FROM: z.string().min(3).optional(),
    EMAIL_TEAM_RECIPIENTS: z
      .string()
      .transform((list) =>
        list
          .split(',')
          .map((address) => address.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.email({ error: 'must be comma-separated email addresses' })).min(1))
      .optional(),
    EMAIL_CLIENT_ENABLED: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.GOOGLE_SERVICE_ACCOUNT_KEY_FILE) !== Boolean(env.SHEETS_SPREADSHEET_ID)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.SHEETS_SPREADSHEET_ID ? 'GOOGLE_SERVICE_ACCOUNT_KEY_FILE' : 'SHEETS_SPREADSHEET_ID'],
        message: 'GOOGLE_SERVICE_ACCOUNT_KEY_FILE and SHEETS_SPREADSHEET_ID go together',
      });
    }
    if (Boolean(env.FORWARD_WEBHOOK_URL) !== Boolean(env.FORWARD_WEBHOOK_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.FORWARD_WEBHOOK_URL ? 'FORWARD_WEBHOOK_SECRET' : 'FORWARD_WEBHOOK_URL'],
        message: 'FORWARD_WEBHOOK_URL and FORWARD_WEBHOOK_SECRET go together',
      });
    }
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

  let sheetsServiceAccountKey: string | undefined;
  if (env.GOOGLE_SERVICE_ACCOUNT_KEY_FILE) {
    try {
      sheetsServiceAccountKey = await readFile(env.GOOGLE_SERVICE_ACCOUNT_KEY_FILE, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      process.stderr.write(`error: GOOGLE_SERVICE_ACCOUNT_KEY_FILE cannot be read (${code})\n`);
      return 2;
    }
  }

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
      slackWebhookUrl: env.SLACK_WEBHOOK_URL,
      hubspotAccessToken: env.HUBSPOT_ACCESS_TOKEN,
      hubspotBaseUrl: env.HUBSPOT_BASE_URL,
      forwardWebhookUrl: env.FORWARD_WEBHOOK_URL,
      forwardWebhookSecret: env.FORWARD_WEBHOOK_SECRET,
      sheetsServiceAccountKey,
      sheetsSpreadsheetId: env.SHEETS_SPREADSHEET_ID,
      sheetsSheetName: env.SHEETS_SHEET_NAME,
      emailFrom: env.EMAIL_FROM,
      emailTeamRecipients: env.EMAIL_TEAM_RECIPIENTS,
      emailClientEnabled: env.EMAIL_CLIENT_ENABLED === 'true',
      say: (line) => process.stdout.write(`${line}\n`),
    });
  } catch (error) {
    await lock.release();
    await restoreDataDir(dataDir, before);
    if (error instanceof LocalStartError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
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
  const where = (name: keyof LocalServer['live']) =>
    server.live[name] ? 'sends for real' : `dry run → ${relative(paths(dataDir).outboxOf(name))}`;
  process.stdout.write(
    [
      '',
      'leadsie-webhooks local mode',
      `  data directory  ${relative(dataDir)}${memory ? ' (store in memory: a throw-away run)' : ''}`,
      `  webhook URL     ${server.webhookUrl}`,
      `  read API        curl -H "authorization: Bearer ${server.tokens.readToken}" "${server.connectionsUrl}?user=<customUserId>"`,
      `  consumers       slack: ${where('slack')}`,
      `                  hubspot: ${where('hubspot')} (Leadsie test payloads skipped)`,
      `                  forward: ${where('forward')}`,
      `                  sheets: ${where('sheets')} (Leadsie test payloads skipped)`,
      `                  email: ${where('email')} (PARTIAL_SUCCESS and FAILED; test payloads skipped)`,
      '',
      `  try it          npm run --silent cli -- send-test-event ${local}`,
      `                  curl -X POST "${server.webhookUrl}" -H 'content-type: application/json' --data @samples/v2-partial-multi-platform.json`,
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
