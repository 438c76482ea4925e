/**
 * Events (stored deliveries) of a time range, newest first, filtered, a page at a time: the operator
 * console's events page and its events-per-hour chart.
 *
 *   cursor (or until) ─▶ time index, newest first, the filter applied by the store on the attributes
 *   the index projects (status, user, platforms, asset types, test, client and request name) ─▶
 *   page full: a cursor that continues after the last one listed
 *
 * Only the `byTime` index is read (a Query per month bucket, bounded by the time range), never the
 * table: a filter that matches little costs index reads of the range, not of the whole table.
 */
import { BadRequestError } from '../domain/errors.ts';

/** What the index gives of a delivery: enough to list and filter it, not its body. */
export interface DeliverySummary {
  eventId: string;
  fingerprint: string;
  receivedAt: string;
  user: string | null;
  requestUrl: string;
  requestName: string;
  clientName: string | null;
  status: string | null;
  accessLevel: string | null;
  /** Null for a delivery stored before ingest kept it. */
  isTest: boolean | null;
  platforms: string[];
  assetTypes: string[];
  /** Its place in time order (`<receivedAt>#<eventId>`). */
  position: string;
}

/** Every field narrows the list; an absent one does not. */
export interface EventFilter {
  /** Any of these statuses (as sent, e.g. SUCCESS, FAILED). */
  statuses?: readonly string[];
  /** This user (exact match). */
  user?: string;
  /** Has an asset of this platform. */
  platform?: string;
  /** Has an asset of this type. */
  assetType?: string;
  /** Test payloads only (true), or none (false). */
  isTest?: boolean;
  /** Text contained in the client name or the request name (case as stored). */
  text?: string;
}

export interface EventSummariesPage {
  deliveries: DeliverySummary[];
  /** The position to read before next; null when nothing at or after `since` is left. */
  next: string | null;
}

/** Reads the time index with a filter; the store implements it. */
export interface DeliveryIndexReader {
  /**
   * Deliveries before `before` (a position, exclusive) and at or after `since` (ISO time), newest
   * first, matching `filter`; one read of the index (so possibly fewer than `limit`, `next` set).
   */
  deliverySummaries(
    before: string,
    since: string,
    limit: number,
    filter: EventFilter,
  ): Promise<EventSummariesPage>;
}

/** Events per page unless asked otherwise, and the most a page may ask for. */
export const EVENTS_PAGE = { defaultLimit: 50, maxLimit: 200 } as const;

/** Index reads one page may make, so a filter matching little keeps a page's work bounded. */
export const EVENTS_MAX_READS = 20;

/** Items one index read evaluates: a filter drops some, so reading only `limit` would need many reads. */
const READ_SIZE = 200;

export interface EventsQuery {
  /** ISO time: the oldest delivery listed (included). */
  since: string;
  /** ISO time: the newest delivery listed (included). */
  until: string;
  filter: EventFilter;
  limit: number;
  /** The `next` of a previous page with the same range and filter. */
  cursor?: string;
}

export interface EventsPage {
  events: DeliverySummary[];
  /** Pass as `cursor` for the next page; null when this is the last. */
  next: string | null;
}

const encodeCursor = (position: string): string => Buffer.from(position, 'utf8').toString('base64url');

const decodeCursor = (text: string): string => {
  const position = Buffer.from(text, 'base64url').toString('utf8');
  if (!/^\d{4}-\d{2}/.test(position)) {
    throw new BadRequestError('The cursor is not one this page gave out (follow the "older" link as it is)');
  }
  return position;
};

/** One page of events, newest first. */
export const listEvents = async (reader: DeliveryIndexReader, query: EventsQuery): Promise<EventsPage> => {
  // After every position of a delivery received at `until`.
  let before: string | null =
    query.cursor !== undefined ? decodeCursor(query.cursor) : `${query.until}#\uffff`;
  const events: DeliverySummary[] = [];
  for (let reads = 0; before !== null && reads < EVENTS_MAX_READS; reads++) {
    const page = await reader.deliverySummaries(before, query.since, READ_SIZE, query.filter);
    for (const delivery of page.deliveries) {
      events.push(delivery);
      if (events.length === query.limit) return { events, next: encodeCursor(delivery.position) };
    }
    before = page.next;
  }
  return { events, next: before === null ? null : encodeCursor(before) };
};

/** Every event of [since, until] matching `filter`, newest first (the chart's input). */
export async function* eventsBetween(
  reader: DeliveryIndexReader,
  since: string,
  until: string,
  filter: EventFilter = {},
): AsyncGenerator<DeliverySummary> {
  let before: string | null = `${until}#\uffff`;
  while (before !== null) {
    const page = await reader.deliverySummaries(before, since, READ_SIZE, filter);
    yield* page.deliveries;
    before = page.next;
  }
}
