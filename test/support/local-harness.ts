/**
 * Helpers for the local-mode tests: a local server on a loopback port with a fresh data directory
 * (stopped and removed by `cleanup`), the JSON-lines files it writes, polling with a deadline, and
 * free loopback ports for `npm start` children.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type LocalOptions, type LocalServer, startLocal } from '../../local/server.ts';

/** A fresh, empty temporary directory (removed by `cleanup`). */
export const freshDir = async (tracked: Cleanup): Promise<string> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'leadsie-local-test-'));
  tracked.add(() => rm(dir, { recursive: true, force: true }));
  return dir;
};

/** Things to undo after a test, last in first out. */
export class Cleanup {
  private readonly steps: (() => Promise<unknown>)[] = [];

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  }
}

export interface TestLocal {
  server: LocalServer;
  /** Every console line the server printed. */
  lines: string[];
  dataDir: string;
}

/**
 * Starts local mode on 127.0.0.1 (a free port), with short retry delays, on `dataDir` (default: a
 * fresh temporary directory). The server is stopped by `cleanup` unless the test stopped it.
 */
export const startTestLocal = async (
  cleanup: Cleanup,
  options: Partial<LocalOptions> = {},
): Promise<TestLocal> => {
  const lines: string[] = [];
  const dataDir = options.dataDir ?? (await freshDir(cleanup));
  const server = await startLocal({
    host: '127.0.0.1',
    port: 0,
    memory: false,
    visibilityTimeoutMs: 50,
    say: (line) => lines.push(line),
    ...options,
    dataDir,
  });
  cleanup.add(() => server.stop());
  return { server, lines, dataDir };
};

/** The JSON lines of a file, parsed; none when the file does not exist. */
export const readJsonl = async <T = Record<string, unknown>>(file: string): Promise<T[]> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
};

/**
 * Calls `probe` until it returns something other than undefined, checking every `intervalMs`;
 * fails with `what` once `timeoutMs` has passed.
 */
export const pollUntil = async <T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 10_000, intervalMs = 20 } = {},
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
};

/** A server holding a loopback port until closed. */
export const holdPort = async (): Promise<{ port: number; close(): Promise<void> }> => {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/** A loopback port nothing listens on right now: bound once, then released. */
export const freePort = async (): Promise<number> => {
  const held = await holdPort();
  await held.close();
  return held.port;
};
