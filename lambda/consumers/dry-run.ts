/**
 * Dry runs of local mode: instead of calling its target, a consumer appends the exact request it
 * would have sent as one JSON line to `<data dir>/outbox/<consumer>.jsonl` (local mode gives it the
 * appender), and the console gets a one-line summary. The consumers' real code (message building,
 * mapping, stale checks, retries) runs unchanged around them. Each consumer's `dry-run.ts` is its
 * sender in this form.
 */
import type { ConnectionEvent } from '../domain/envelope.ts';

export interface OutboxLine {
  at: string;
  consumer: string;
  eventId: string | null;
  version: number | null;
  /** What would have been sent. */
  request: { method: 'POST'; target: string; body: unknown; headers?: Record<string, string> };
}

export type Append = (line: string) => Promise<void>;

/** One line of an event for the console: status, client, request and asset count. */
export const describeEvent = (event: ConnectionEvent): string =>
  `${event.status ?? '(no status)'} ${event.client?.name ?? event.user ?? '(no user)'} – ${event.request.name} (${event.assets.length} asset${event.assets.length === 1 ? '' : 's'})`;
