/**
 * Export connections: the latest state of every (user, request), optionally only those received at
 * or after a time, in a deterministic order (user, then request URL; deliveries without a user
 * first), whatever order the store yields them in. The caller renders them (CSV, JSONL, JSON).
 */
import type { StoredLatestConnection } from './ports.ts';

export interface ExportInput {
  /** Every latest connection, in any order (the store's `allLatest()`). */
  connections: AsyncIterable<StoredLatestConnection>;
  /** Keep only connections whose latest delivery was received at or after this time. */
  since?: Date;
  /** Called after each connection read, with the numbers read and kept so far. */
  onProgress?: (read: number, kept: number) => void;
}

export interface ExportResult {
  /** Sorted by `compareConnections`. */
  connections: StoredLatestConnection[];
  /** How many the store yielded, before `since`. */
  read: number;
}

/** Code-unit order, the same on every machine whatever its locale. */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** User (no user first), then request URL: one (user, request) is one latest item, so this is total. */
export const compareConnections = (
  a: Pick<StoredLatestConnection, 'user' | 'requestUrl'>,
  b: Pick<StoredLatestConnection, 'user' | 'requestUrl'>,
): number => {
  if (a.user !== b.user) {
    if (a.user === null) return -1;
    if (b.user === null) return 1;
    return compareText(a.user, b.user);
  }
  return compareText(a.requestUrl, b.requestUrl);
};

/** True when the connection's latest delivery arrived at or after `since` (always, without one). */
export const receivedSince = (
  connection: Pick<StoredLatestConnection, 'receivedAt'>,
  since?: Date,
): boolean => since === undefined || Date.parse(connection.receivedAt) >= since.getTime();

export const exportConnections = async (input: ExportInput): Promise<ExportResult> => {
  const kept: StoredLatestConnection[] = [];
  let read = 0;
  for await (const connection of input.connections) {
    read++;
    if (receivedSince(connection, input.since)) kept.push(connection);
    input.onProgress?.(read, kept.length);
  }
  return { connections: kept.sort(compareConnections), read };
};
