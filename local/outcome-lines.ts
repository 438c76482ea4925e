/**
 * Local mode's console lines of what the consumers really did: the delivery engine logs each real
 * send (`sent`) and each skip (`skipped`, with its reason); this log passes every line on to the app
 * log and prints those two as `[slack] posted 200 in 180 ms` and `[hubspot] skipped: stale version`. A
 * dry-run consumer's send is not a real one (its outbox line says what it would have sent), so only
 * its skips are printed.
 */
import { outcomeLine, SENT_LOG_MESSAGE, SKIPPED_LOG_MESSAGE } from '../lambda/consumers/runtime/engine.ts';
import type { Log } from '../lambda/use-cases/ports.ts';

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export const outcomeLines = (
  log: Log,
  say: (line: string) => void,
  /** Whether a consumer sends for real; unknown (not started yet) counts as live. */
  isLive: (consumer: string) => boolean,
): Log => ({
  info: (message, ...extra) => {
    log.info(message, ...extra);
    if (message !== SENT_LOG_MESSAGE && message !== SKIPPED_LOG_MESSAGE) return;
    const fields = Object.assign({}, ...extra) as Record<string, unknown>;
    const consumer = text(fields.consumer);
    if (consumer === undefined) return;
    if (message === SENT_LOG_MESSAGE) {
      if (!isLive(consumer)) return;
      say(
        outcomeLine({
          consumer,
          outcome: 'sent',
          detail: text(fields.detail) ?? null,
          ...(typeof fields.durationMs === 'number' ? { durationMs: fields.durationMs } : {}),
        }),
      );
      return;
    }
    say(outcomeLine({ consumer, outcome: 'skipped', reason: text(fields.reason) ?? 'unknown' }));
  },
  warn: (message, ...extra) => log.warn(message, ...extra),
  error: (message, ...extra) => log.error(message, ...extra),
});
