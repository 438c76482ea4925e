/**
 * The outbox of local mode's dry runs: each consumer module's `dry-run.ts` appends the exact request
 * it would have sent as one JSON line to `<data dir>/outbox/<consumer>.jsonl` through this appender
 * (see `lambda/consumers/dry-run.ts` for the line's shape).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

/** Appends JSON lines to one file, creating its folder; writes are serialised so lines never interleave. */
export const jsonlAppender = (file: string) => {
  let chain: Promise<void> = Promise.resolve();
  return (line: string): Promise<void> => {
    chain = chain.then(async () => {
      await mkdir(path.dirname(file), { recursive: true });
      await appendFile(file, `${line}\n`, 'utf8');
    });
    return chain;
  };
};

export type { OutboxLine } from '../lambda/consumers/dry-run.ts';
