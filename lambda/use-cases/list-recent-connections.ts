/**
 * Recent connections, newest first, a page at a time (`GET /connections` without `user`).
 *
 *   cursor (or now, since) ─▶ time index: deliveries, newest first ─▶ latest items of their
 *   (user, request), whole ─▶ a connection is listed at the place of the delivery that made its
 *   latest state ─▶ page full: a cursor that continues after the last one listed
 *
 * Listing a connection only where its latest delivery stands keeps each connection on one page, with
 * nothing carried from page to page but a position: older deliveries of it are passed over.
 */
import { BadRequestError } from '../domain/errors.ts';
import type { RecentConnectionsReader, StoredLatestConnection } from './ports.ts';

/** Connections per page unless `limit` says otherwise, and the most a page may ask for. */
export const RECENT_PAGE = { defaultLimit: 25, maxLimit: 100 } as const;

/** How far back the list goes unless `since` says otherwise. */
export const RECENT_DEFAULT_DAYS = 90;

/**
 * Index reads one page may make: a request's work stays bounded even when most deliveries in the
 * window are older deliveries of listed connections, or months are empty. A page may then hold fewer
 * connections than asked for, with a cursor to go on.
 */
export const RECENT_MAX_READS = 10;

export interface RecentConnectionsQuery {
  limit: number;
  /** The `next` of a previous page; it carries its own `since`. */
  cursor?: string;
  /** ISO time: the oldest delivery considered (default: {@link RECENT_DEFAULT_DAYS} days before now). */
  since?: string;
  now: Date;
}

export interface RecentConnectionsPage {
  connections: StoredLatestConnection[];
  /** Pass as `cursor` for the next page; null when this is the last. */
  next: string | null;
  since: string;
}

interface Cursor {
  before: string;
  since: string;
}

const encodeCursor = (cursor: Cursor): string =>
  Buffer.from(JSON.stringify({ b: cursor.before, s: cursor.since }), 'utf8').toString('base64url');

const decodeCursor = (text: string): Cursor => {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { b?: unknown; s?: unknown };
    if (typeof value.b === 'string' && typeof value.s === 'string' && value.b !== '' && value.s !== '') {
      return { before: value.b, since: value.s };
    }
  } catch {
    // Falls through to the same answer as a cursor of the wrong shape.
  }
  throw new BadRequestError(
    'The query parameter "cursor" is not one this API gave out (pass "next" as it is)',
  );
};

const pairKey = (user: string | null, requestUrl: string): string => JSON.stringify([user, requestUrl]);

export const listRecentConnections = async (
  reader: RecentConnectionsReader,
  query: RecentConnectionsQuery,
): Promise<RecentConnectionsPage> => {
  const start: Cursor =
    query.cursor !== undefined
      ? decodeCursor(query.cursor)
      : {
          // After every position of a delivery received up to now.
          before: `${query.now.toISOString()}#\uffff`,
          since:
            query.since ?? new Date(query.now.getTime() - RECENT_DEFAULT_DAYS * 86_400_000).toISOString(),
        };
  const { since } = start;
  const connections: StoredLatestConnection[] = [];
  let before: string | null = start.before;
  for (let reads = 0; before !== null && reads < RECENT_MAX_READS; reads++) {
    const page = await reader.deliveriesBefore(before, since, query.limit);
    const unique = new Map<string, { user: string | null; requestUrl: string }>();
    for (const { user, requestUrl } of page.deliveries)
      unique.set(pairKey(user, requestUrl), { user, requestUrl });
    const latest = new Map<string, StoredLatestConnection>();
    if (unique.size > 0) {
      for (const item of await reader.latestOf([...unique.values()])) {
        latest.set(pairKey(item.user, item.requestUrl), item);
      }
    }
    for (const delivery of page.deliveries) {
      const state = latest.get(pairKey(delivery.user, delivery.requestUrl));
      if (state === undefined || state.eventId !== delivery.eventId) continue;
      connections.push(state);
      if (connections.length === query.limit) {
        return { connections, next: encodeCursor({ before: delivery.position, since }), since };
      }
    }
    before = page.next;
  }
  return { connections, next: before === null ? null : encodeCursor({ before, since }), since };
};
