/**
 * One `npm start` per data directory, checked before anything is opened or written: a lock file
 * holding the owner's pid (`<dataDir>/server.lock`). A second start on the same directory stops
 * with one line naming the running one; a lock left by a process that has died is taken over.
 *
 * The lock is created whole, in one step (written aside, then hard-linked into place, which fails
 * if it exists), so a reader never sees a half-written one. A dead owner's lock is moved aside
 * with a rename, which only one of two racing starters can win; the winner checks it moved the
 * lock it judged dead, and puts back anything else.
 *
 * And a start that fails leaves the data directory as it found it (`snapshotDataDir` before,
 * `restoreDataDir` after): no tokens.json in a directory that was new.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalStartError } from './server.ts';
import { paths } from './state.ts';

interface LockHolder {
  pid: number;
  startedAt: string;
}

export interface DataDirLock {
  /** Removes the lock, if it is still this process's. */
  release(): Promise<void>;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The lock's text, or undefined when there is none. */
const readText = async (file: string): Promise<string | undefined> => {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

const holderOf = (text: string): LockHolder | undefined => {
  try {
    const holder = JSON.parse(text) as Partial<LockHolder> | null;
    return typeof holder?.pid === 'number' && Number.isInteger(holder.pid) && holder.pid > 0
      ? { pid: holder.pid, startedAt: String(holder.startedAt ?? '') }
      : undefined;
  } catch {
    return undefined;
  }
};

const unwritable = (dataDir: string, error: unknown): LocalStartError => {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return new LocalStartError(`data directory ${dataDir} is not writable (${code}); set LOCAL_DATA_DIR`);
};

/**
 * Takes the data directory's lock, creating the directory if needed.
 * @throws LocalStartError when a live process holds it, or the directory is not writable
 */
export const lockDataDir = async (dataDir: string): Promise<DataDirLock> => {
  const file = paths(dataDir).lock;
  const mine = `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })}\n`;
  const suffix = () => `${process.pid}-${randomBytes(4).toString('hex')}`;
  const draft = `${file}.new-${suffix()}`;
  try {
    await mkdir(dataDir, { recursive: true });
    await writeFile(draft, mine, { mode: 0o600 });
  } catch (error) {
    throw unwritable(dataDir, error);
  }
  try {
    // A few rounds: each either takes the lock, refuses, or clears a dead owner's and tries again.
    for (let round = 0; round < 5; round++) {
      try {
        await link(draft, file);
        return {
          release: async () => {
            if ((await readText(file)) === mine) await rm(file, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unwritable(dataDir, error);
      }
      const seen = await readText(file);
      if (seen === undefined) continue;
      const holder = holderOf(seen);
      if (holder !== undefined && isAlive(holder.pid)) {
        throw new LocalStartError(
          `local mode is already running on ${dataDir} (process ${holder.pid}, since ${holder.startedAt}); ` +
            'stop it first, or set LOCAL_DATA_DIR to another directory for a second one',
        );
      }
      const aside = `${file}.stale-${suffix()}`;
      try {
        await rename(file, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      if ((await readText(aside)) !== seen) {
        // Another starter replaced the dead lock with its own in between: put that one back.
        await link(aside, file).catch(() => undefined);
      }
      await rm(aside, { force: true });
    }
    throw new LocalStartError(`could not take the lock ${file}; if no local server is running, delete it`);
  } finally {
    await rm(draft, { force: true });
  }
};

/** The names at the top of the data directory, or null when it does not exist yet. */
export const snapshotDataDir = async (dataDir: string): Promise<Set<string> | null> => {
  try {
    return new Set(await readdir(dataDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
};

/** Removes what a failed start added: the whole directory if it was new, else the new entries. */
export const restoreDataDir = async (dataDir: string, before: Set<string> | null): Promise<void> => {
  if (before === null) {
    await rm(dataDir, { recursive: true, force: true });
    return;
  }
  for (const name of await snapshotDataDir(dataDir).then((now) => now ?? new Set<string>())) {
    if (!before.has(name)) await rm(path.join(dataDir, name), { recursive: true, force: true });
  }
};
