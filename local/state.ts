/**
 * What local mode keeps in its data directory, and how the CLI (`--local`) finds a running local
 * server. The one place these file names and shapes are defined.
 *
 *   <dataDir>/tokens.json         { webhookToken, readToken }      made once, kept (mode 0600)
 *   <dataDir>/server.json         LocalServerState                 while `npm start` runs
 *   <dataDir>/server.lock         { pid, startedAt }               taken before anything else (local/lock.ts)
 *   <dataDir>/dynamodb/           the embedded store (dynalite, LevelDB files)
 *   <dataDir>/outbox/<name>.jsonl what each consumer would have sent (dry run), one JSON line each
 *   <dataDir>/dead-letters/<name>.jsonl  deliveries a consumer gave up on, with the reason
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const DEFAULT_DATA_DIR = '.local';
/** The table local mode creates in its embedded store (the layout the stack deploys). */
export const LOCAL_TABLE_NAME = 'leadsie-webhooks-local';

export interface LocalTokens {
  webhookToken: string;
  readToken: string;
}

/** Written by the running local server so the CLI can reach it and its store. */
export interface LocalServerState {
  pid: number;
  /** `http://127.0.0.1:3000`: the deployed routes are served under it. */
  baseUrl: string;
  /** The embedded DynamoDB-compatible endpoint. */
  dynamodbEndpoint: string;
  tableName: string;
  /**
   * Local-only control endpoint on its own loopback port (never part of the deployed API), with
   * `Authorization: Bearer <readToken>`: `POST <adminUrl>/publish` hands an envelope to the
   * in-process topic, as `replay` does on AWS with SNS; `/consumers` lists the consumers, sends to
   * one alone and redrives its dead letters (routes in `local/admin.ts`).
   */
  adminUrl: string;
  startedAt: string;
}

export const dataDirFrom = (env: NodeJS.ProcessEnv = process.env): string =>
  path.resolve(env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR);

export const paths = (dataDir: string) => ({
  tokens: path.join(dataDir, 'tokens.json'),
  server: path.join(dataDir, 'server.json'),
  lock: path.join(dataDir, 'server.lock'),
  dynamodb: path.join(dataDir, 'dynamodb'),
  outbox: path.join(dataDir, 'outbox'),
  outboxOf: (consumer: string) => path.join(dataDir, 'outbox', `${consumer}.jsonl`),
  deadLetters: path.join(dataDir, 'dead-letters'),
  deadLettersOf: (consumer: string) => path.join(dataDir, 'dead-letters', `${consumer}.jsonl`),
});

export class LocalStateError extends Error {
  override name = 'LocalStateError';
}

export const readServerState = async (dataDir: string): Promise<LocalServerState> => {
  const file = paths(dataDir).server;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new LocalStateError(`local mode is not running (no ${file}); start it with: npm start`);
  }
  const state = JSON.parse(text) as LocalServerState;
  try {
    process.kill(state.pid, 0);
  } catch {
    throw new LocalStateError(
      `local mode is not running (process ${state.pid} has exited); start it with: npm start`,
    );
  }
  return state;
};

export const writeServerState = async (dataDir: string, state: LocalServerState): Promise<void> => {
  await writeFile(paths(dataDir).server, `${JSON.stringify(state, null, 2)}\n`);
};

export const removeServerState = async (dataDir: string): Promise<void> => {
  await rm(paths(dataDir).server, { force: true });
};

export const readTokens = async (dataDir: string): Promise<LocalTokens> => {
  const file = paths(dataDir).tokens;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalTokens;
  } catch {
    throw new LocalStateError(`no local tokens in ${file}; start local mode once with: npm start`);
  }
};

export const writeTokens = async (dataDir: string, tokens: LocalTokens): Promise<void> => {
  await mkdir(dataDir, { recursive: true });
  const file = paths(dataDir).tokens;
  await writeFile(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
};
