/**
 * Progress on standard error, so standard output stays clean data. On a terminal: one line redrawn
 * in place (a bar when the fraction done is known), at most every `redrawMs`. Elsewhere (a pipe, a
 * CI log): a plain line every `every` items, none in between.
 */
import type { CommandIo } from './command.ts';

export interface Progress {
  /** One more item; `text` says where things stand, `fraction` (0–1) how far, when known. */
  tick(count: number, text: string, fraction?: number): void;
  /** Clears the terminal line; the caller prints its summary after. */
  done(): void;
}

const BAR_WIDTH = 24;

export const bar = (fraction: number): string => {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(clamped * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(clamped * 100)).padStart(3)}%`;
};

export const progress = (
  io: Pick<CommandIo, 'stderr' | 'stderrIsTTY'>,
  options: { label: string; every: number; redrawMs?: number; now?: () => number },
): Progress => {
  const now = options.now ?? Date.now;
  if (io.stderrIsTTY) {
    const redrawMs = options.redrawMs ?? 100;
    let lastDraw = Number.NEGATIVE_INFINITY;
    let drawn = false;
    return {
      tick: (_count, text, fraction) => {
        const at = now();
        if (at - lastDraw < redrawMs) return;
        lastDraw = at;
        drawn = true;
        const line = `${options.label} ${fraction === undefined ? '' : `${bar(fraction)} `}${text}`;
        io.stderr(`\r\x1b[K${line}`);
      },
      done: () => {
        if (drawn) io.stderr('\r\x1b[K');
      },
    };
  }
  return {
    tick: (count, text) => {
      if (options.every > 0 && count % options.every === 0) io.stderr(`${options.label}: ${text}\n`);
    },
    done: () => {},
  };
};
