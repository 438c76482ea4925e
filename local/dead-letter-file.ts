/**
 * Local mode's dead-letter queue of one consumer: JSON lines in `<data dir>/dead-letters/<name>.jsonl`,
 * one per delivery the consumer gave up on, with its reason. `take` is the redrive's receive-and-delete:
 * it removes the letters written before a time and hands them back, so they can go on the consumer's
 * queue again. Appends and takes run one after the other, so a letter written during a redrive is
 * never lost by its rewrite of the file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeadLetter, DeadLetterSink } from '../lambda/adapters/sqs-queues.ts';

/** One line of the file. */
export interface StoredDeadLetter {
  /** When it was dead-lettered (ISO). */
  at: string;
  consumer: string;
  reason: string;
  messageId: string;
  body: string;
}

const parse = (line: string): StoredDeadLetter | null => {
  try {
    const value = JSON.parse(line) as Partial<StoredDeadLetter>;
    return typeof value.at === 'string' && typeof value.body === 'string'
      ? (value as StoredDeadLetter)
      : null;
  } catch {
    return null;
  }
};

export class DeadLetterFile implements DeadLetterSink {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  send(letter: DeadLetter): Promise<void> {
    const line: StoredDeadLetter = {
      at: this.now().toISOString(),
      consumer: letter.consumer,
      reason: letter.reason,
      messageId: letter.messageId,
      body: letter.body,
    };
    return this.serial(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFile(this.file, `${JSON.stringify(line)}\n`, { flag: 'a' });
    });
  }

  /**
   * Removes the letters dead-lettered before `beforeMs` and returns them, oldest first. A line that
   * cannot be read stays in the file (nobody could redrive it, and nothing is thrown away unseen).
   */
  take(beforeMs: number): Promise<StoredDeadLetter[]> {
    return this.serial(async () => {
      let text: string;
      try {
        text = await readFile(this.file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const taken: StoredDeadLetter[] = [];
      const kept: string[] = [];
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const letter = parse(line);
        if (letter !== null && Date.parse(letter.at) < beforeMs) taken.push(letter);
        else kept.push(line);
      }
      if (taken.length === 0) return [];
      // Written aside and renamed: a crash half-way leaves the old file whole.
      const aside = `${this.file}.${process.pid}.tmp`;
      await writeFile(aside, kept.map((line) => `${line}\n`).join(''));
      await rename(aside, this.file);
      return taken;
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
