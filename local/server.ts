/**
 * Local mode: the whole pipeline on one machine, with no AWS account.
 *
 *   HTTP (HOST:PORT) ──API Gateway stand-in──▶ ingest / connections handlers (the deployed code)
 *                                                 │                 │
 *                          dynalite (embedded DynamoDB) ◀───────────┘
 *                                                 │ publish
 *                                                 ▼
 *                         in-process topic (filter policies) ──▶ every consumer module of the registry
 *                                                                  (the deployed handlers; dry run:
 *                                                                   requests go to outbox/*.jsonl)
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { ulid } from 'ulid';
import { connectionsTableDefinition } from '../lambda/adapters/connections-table-definition.ts';
import { DynamoDbConnectionStore } from '../lambda/adapters/dynamodb-connection-store.ts';
import { staticSecret } from '../lambda/adapters/secrets.ts';
import { localEngineSettings, provideLocalEngine } from '../lambda/consumers/local-engine.ts';
import type { LocalConsumer } from '../lambda/consumers/module.ts';
import { CONSUMER_MODULES } from '../lambda/consumers/registry.ts';
import { DynamoDbOutcomeLedger } from '../lambda/consumers/runtime/dynamodb-outcomes.ts';
import { consumerFilterPolicy, DEFAULTS, ROUTES } from '../lambda/contract.ts';
import { makeHandler as makeConnections } from '../lambda/handlers/connections.ts';
import { makeHandler as makeIngest } from '../lambda/handlers/ingest.ts';
import type { HttpEvent, HttpResult } from '../lambda/shared/http.ts';
import { withHttpMiddleware } from '../lambda/shared/middleware.ts';
import { makeAdminHandler } from './admin.ts';
import { BodyTooLargeError, readBody, sendJson, sendResult, toApiEvent } from './api-gateway.ts';
import { requestLine } from './console-line.ts';
import { DeadLetterFile } from './dead-letter-file.ts';
import { jsonlAppender } from './outbox.ts';
import { outcomeLines } from './outcome-lines.ts';
import {
  LOCAL_TABLE_NAME,
  type LocalTokens,
  paths,
  readTokens,
  removeServerState,
  writeServerState,
  writeTokens,
} from './state.ts';
import { assertLocalTableLayout, LocalTableLayoutError } from './table-layout.ts';
import { type LocalSubscription, LocalTopic } from './topic.ts';

export interface LocalOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  /** Keep the store in memory (a throw-away run). */
  memory: boolean;
  webhookToken?: string;
  readToken?: string;
  /**
   * Local mode's environment, which each consumer module reads for its real target
   * (`SLACK_WEBHOOK_URL`, …); a consumer whose target is not set runs in dry run (outbox).
   * @default {}
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Real targets; each absent one runs in dry run (outbox). */
  /** Console lines (requests, outbox, warnings). */
  say: (line: string) => void;
  /** How long a failed consumer delivery waits before it is retried. @default 1000 */
  visibilityTimeoutMs?: number;
  /** @default 5 */
  maxReceiveCount?: number;
  /** Outgoing HTTP timeout of real targets. @default DEFAULTS.httpTimeoutMs */
  httpTimeoutMs?: number;
  /** How long `stop()` lets the consumers finish before keeping the rest as dead letters. @default 10000 */
  drainTimeoutMs?: number;
}

export interface LocalServer {
  baseUrl: string;
  webhookUrl: string;
  connectionsUrl: string;
  adminUrl: string;
  dataDir: string;
  tokens: LocalTokens;
  topic: LocalTopic;
  store: DynamoDbConnectionStore;
  /** Which consumers really send (the others write to the outbox). */
  live: Record<string, boolean>;
  /** The consumers that run, in the registry's order, with what the banner says of each. */
  consumers: readonly Pick<LocalConsumer, 'name' | 'live' | 'note'>[];
  /** Stops accepting requests, finishes what was acknowledged, and closes the store. */
  stop(): Promise<void>;
}

/** One-line errors for what a user can fix: a busy port, an unwritable data directory. */
export class LocalStartError extends Error {
  override name = 'LocalStartError';
}

const listen = (server: Server, port: number, host: string): Promise<AddressInfo> =>
  new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(new LocalStartError(`port ${port} on ${host} is already in use; set PORT to another port`));
      } else if (error.code === 'EACCES') {
        reject(new LocalStartError(`not allowed to listen on ${host}:${port}; set PORT above 1023`));
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        reject(new LocalStartError(`HOST ${host} is not an address of this machine`));
      } else {
        reject(error);
      }
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });

const ensureWritable = async (dataDir: string): Promise<void> => {
  try {
    await mkdir(dataDir, { recursive: true });
    const probe = path.join(dataDir, `.write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new LocalStartError(`data directory ${dataDir} is not writable (${code}); set LOCAL_DATA_DIR`);
  }
};

const resolveTokens = async (options: LocalOptions): Promise<LocalTokens> => {
  let stored: LocalTokens | undefined;
  try {
    stored = await readTokens(options.dataDir);
  } catch {
    stored = undefined;
  }
  const fresh = () => randomBytes(24).toString('base64url');
  const tokens = {
    webhookToken: options.webhookToken || stored?.webhookToken || fresh(),
    readToken: options.readToken || stored?.readToken || fresh(),
  };
  if (tokens.webhookToken === tokens.readToken) {
    throw new LocalStartError('LEADSIE_WEBHOOK_TOKEN and LEADSIE_READ_TOKEN must differ');
  }
  if (!stored || stored.webhookToken !== tokens.webhookToken || stored.readToken !== tokens.readToken) {
    await writeTokens(options.dataDir, tokens);
  }
  return tokens;
};

/** Starts dynalite on a free loopback port and makes sure the table exists. */
const startStore = async (options: LocalOptions) => {
  const dynamo = dynalite({
    ...(options.memory ? {} : { path: paths(options.dataDir).dynamodb }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const address = await listen(dynamo, 0, '127.0.0.1');
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(new CreateTableCommand(connectionsTableDefinition(LOCAL_TABLE_NAME)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // dynalite makes a table ACTIVE asynchronously, even with createTableMs 0: closing it before then
  // would leave the table CREATING on disk for good.
  await waitUntilTableExists(
    { client, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 },
    { TableName: LOCAL_TABLE_NAME },
  );
  if (!options.memory) {
    await assertLocalTableLayout(client, LOCAL_TABLE_NAME, paths(options.dataDir).dynamodb).catch(
      async (error: unknown) => {
        await new Promise((resolve) => dynamo.close(resolve));
        throw error instanceof LocalTableLayoutError ? new LocalStartError(error.message) : error;
      },
    );
  }
  return { dynamo, client, endpoint };
};

export const startLocal = async (options: LocalOptions): Promise<LocalServer> => {
  // Every consumer module checks its variables first: a bad one starts and writes nothing.
  for (const module of CONSUMER_MODULES) module.local.check(options.env ?? {});
  await ensureWritable(options.dataDir);
  const tokens = await resolveTokens(options);
  const { dynamo, client, endpoint } = await startStore(options);
  const store = new DynamoDbConnectionStore(client, LOCAL_TABLE_NAME);
  const logger = new Logger({
    serviceName: 'leadsie-webhooks-local',
    logLevel: (process.env.LOG_LEVEL as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | undefined) ?? 'ERROR',
  });
  const { say } = options;
  const timeoutMs = options.httpTimeoutMs ?? DEFAULTS.httpTimeoutMs;
  const file = paths(options.dataDir);
  // One file per consumer, shared by its queue, its engine, the redrive and stop().
  const deadLetterFiles = new Map<string, DeadLetterFile>();
  const deadLetters = (name: string): DeadLetterFile => {
    let sink = deadLetterFiles.get(name);
    if (!sink) {
      sink = new DeadLetterFile(file.deadLettersOf(name));
      deadLetterFiles.set(name, sink);
    }
    return sink;
  };
  const outbox = (name: string) => jsonlAppender(file.outboxOf(name));

  // The consumers run on the same delivery engine as in AWS, with their outcome records in the local
  // table and delays, horizon and Retry-After scaled down (DELIVERY_TIME_SCALE).
  const engine = localEngineSettings(options.env ?? {});
  provideLocalEngine(store, {
    outcomes: new DynamoDbOutcomeLedger(client, {
      tableName: LOCAL_TABLE_NAME,
      retentionDays: engine.retentionDays,
    }),
    policy: engine.policy,
    timeScale: engine.timeScale,
  });
  const liveConsumers = new Map<string, boolean>();
  const consumerLog = outcomeLines(logger, say, (name) => liveConsumers.get(name) ?? true);

  // Each consumer module builds its consumers, live or dry run; a bad variable stops the start.
  const moduleConsumers: LocalConsumer[] = [];
  try {
    for (const module of CONSUMER_MODULES) {
      moduleConsumers.push(
        ...(await module.local.start({
          env: options.env ?? {},
          store,
          log: consumerLog,
          say,
          outbox,
          httpTimeoutMs: timeoutMs,
        })),
      );
    }
  } catch (error) {
    await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    client.destroy();
    throw error;
  }
  const live = Object.fromEntries(moduleConsumers.map((consumer) => [consumer.name, consumer.live]));
  for (const consumer of moduleConsumers) liveConsumers.set(consumer.name, consumer.live);
  const subscriptions = moduleConsumers.map(
    (consumer): LocalSubscription => ({
      name: consumer.name,
      filterPolicy: consumerFilterPolicy(consumer.filter),
      maxReceiveCount: options.maxReceiveCount,
      deadLetters: deadLetters(consumer.name),
      handler: consumer.handler,
    }),
  );
  const topic = new LocalTopic(subscriptions, {
    visibilityTimeoutMs: options.visibilityTimeoutMs,
    onBatch: (consumer, { failed }) => {
      if (failed > 0)
        say(`[retry] ${consumer}: ${failed} deliver${failed === 1 ? 'y' : 'ies'} failed; will retry`);
    },
  });

  const handlers: Record<string, (event: HttpEvent) => Promise<HttpResult>> = {
    [`${ROUTES.webhook.method} ${ROUTES.webhook.path}`]: lambdaLike(
      withHttpMiddleware(
        makeIngest({
          store,
          quarantine: store,
          publisher: topic,
          webhookToken: staticSecret(tokens.webhookToken),
          maxBodyBytes: DEFAULTS.maxBodyBytes,
          log: logger,
          now: () => new Date(),
          newEventId: ulid,
          leaseMs: DEFAULTS.leaseMs,
        }),
        logger,
      ),
    ),
    [`${ROUTES.connections.method} ${ROUTES.connections.path}`]: lambdaLike(
      withHttpMiddleware(makeConnections({ store, readToken: staticSecret(tokens.readToken) }), logger),
    ),
  };

  const inFlight = new Set<Promise<unknown>>();
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const routeKey = `${req.method} ${url.pathname}`;
    const handler = handlers[routeKey];
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      if (error instanceof BodyTooLargeError)
        return sendJson(res, 413, { message: 'Request Entity Too Large' });
      throw error;
    }
    if (!handler) {
      say(`${req.method} ${url.pathname} → 404`);
      return sendJson(res, 404, { message: 'Not Found' });
    }
    const result = await handler(toApiEvent(req, body, routeKey));
    sendResult(res, result);
    say(requestLine(routeKey, result.statusCode, result.body));
  };
  const http = createServer((req, res) => {
    const work = serve(req, res).catch((error: unknown) => {
      say(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  });

  // Local-only control port (never part of the deployed API): the CLI's --local commands use it.
  const serveAdmin = makeAdminHandler({
    readToken: tokens.readToken,
    topic,
    deadLetters: (name) => deadLetterFiles.get(name),
    say,
  });
  const admin = createServer((req, res) => {
    const work = serveAdmin(req, res).catch((error: unknown) => {
      say(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal Server Error' });
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  });

  let address: AddressInfo;
  let adminAddress: AddressInfo;
  try {
    address = await listen(http, options.port, options.host);
    adminAddress = await listen(admin, 0, '127.0.0.1');
  } catch (error) {
    await close(http).catch(() => undefined);
    await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    throw error;
  }
  const displayHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const baseUrl = `http://${displayHost === '0.0.0.0' ? '127.0.0.1' : displayHost}:${address.port}`;
  const adminUrl = `http://127.0.0.1:${adminAddress.port}`;
  await writeServerState(options.dataDir, {
    pid: process.pid,
    baseUrl,
    dynamodbEndpoint: endpoint,
    tableName: LOCAL_TABLE_NAME,
    adminUrl,
    startedAt: new Date().toISOString(),
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await Promise.all([close(http), close(admin)]);
      await Promise.allSettled([...inFlight]);
      // Every acknowledged event was stored; let the consumers finish, and keep what they could not.
      const left = await topic.drain(options.drainTimeoutMs ?? 10_000);
      topic.stop();
      for (const item of left) {
        await deadLetters(item.consumer).send({
          body: item.body,
          reason: 'local mode stopped before this delivery was made (replay it with the CLI)',
          consumer: item.consumer,
          messageId: item.messageId,
        });
      }
      if (left.length > 0) say(`${left.length} undelivered consumer message(s) kept in ${file.deadLetters}`);
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
      client.destroy();
      await removeServerState(options.dataDir);
    })();
    return stopping;
  };

  return {
    baseUrl,
    webhookUrl: `${baseUrl}${ROUTES.webhook.path}?token=${encodeURIComponent(tokens.webhookToken)}`,
    connectionsUrl: `${baseUrl}${ROUTES.connections.path}`,
    adminUrl,
    dataDir: options.dataDir,
    tokens,
    topic,
    store,
    live,
    consumers: [
      ...moduleConsumers.map(({ name, live, note }) => ({ name, live, ...(note ? { note } : {}) })),
    ],
    stop,
  };
};

/** A middy-wrapped handler called the way Lambda calls it, with an empty context. */
const lambdaLike =
  (handler: (event: HttpEvent, context: never) => Promise<HttpResult | undefined>) =>
  async (event: HttpEvent): Promise<HttpResult> =>
    ((await handler(event, {} as never)) ?? { statusCode: 500, body: '' }) as HttpResult;

/** A fresh temporary data directory, for `--memory` runs and tests. */
export const temporaryDataDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'leadsie-webhooks-'));
