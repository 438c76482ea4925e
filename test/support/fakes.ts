/**
 * In-memory fakes of the ports in `lambda/use-cases/ports.ts`, for handler and use-case tests.
 *
 * They keep the documented semantics of the DynamoDB store, so a test that passes against them
 * means the same as one against moto:
 * - `createDelivery` is a conditional create by fingerprint (an existing one is returned, untouched);
 * - `claimDelivery` takes over an unpublished delivery only once its lease has run out;
 * - `advanceLatest` keeps one latest item per (user, request), bumps its version counter, answers
 *   `superseded` when a newer delivery (by `receivedAt#eventId`) is already the latest, and gives
 *   the same delivery its version back when it advances twice;
 * - a delivery is pending until `markPublished` or `quarantineDelivery`; `recordPublishFailure` keeps
 *   the version and releases the lease, and with a retry counts the attempt and sets the next attempt
 *   time (`duePending` leaves it out until then); `requeueDelivery` puts a quarantined one back;
 * - `quarantine` keeps one entry per body id (attempts counted, first arrival kept, a resolved entry
 *   coming back unresolved); `resolveQuarantined` answers false for an unknown id.
 *
 * Every value goes in and out as a copy, so a caller can never change the stored state by mutating
 * what it passed or got back. Each call is recorded in `calls`; `failOn` makes a method throw.
 */
import type { ConnectionEvent } from '../../lambda/domain/envelope.ts';
import type {
  AdvanceResult,
  ConnectionStore,
  CreateDeliveryResult,
  EventPublisher,
  LatestConnection,
  NewDelivery,
  NewQuarantineEntry,
  PendingDeliveries,
  PublishRetry,
  QuarantineEntry,
  QuarantineStore,
  RecentConnectionsReader,
  RecentDeliveriesPage,
  StoredDelivery,
  StoredLatestConnection,
} from '../../lambda/use-cases/ports.ts';

export type StoreMethod =
  | keyof ConnectionStore
  | keyof QuarantineStore
  | keyof PendingDeliveries
  | keyof RecentConnectionsReader;

const copy = <T>(value: T): T => structuredClone(value);

/** The order the DynamoDB store compares deliveries of one (user, request) by. */
const orderOf = (item: { receivedAt: string; eventId: string }): string =>
  `${item.receivedAt}#${item.eventId}`;

const latestKey = (user: string | null, requestUrl: string): string => JSON.stringify([user, requestUrl]);

export class InMemoryConnectionStore
  implements ConnectionStore, QuarantineStore, PendingDeliveries, RecentConnectionsReader
{
  /** Every call, in order, by method name. */
  readonly calls: StoreMethod[] = [];
  private readonly deliveryItems = new Map<string, StoredDelivery>();
  /** Next attempt time of each pending delivery (the DynamoDB store's pending sort key). */
  private readonly dueAt = new Map<string, string>();
  private readonly latestItems = new Map<string, StoredLatestConnection>();
  private readonly quarantineItems = new Map<string, QuarantineEntry>();
  private readonly failures = new Map<StoreMethod, Error>();

  /**
   * `pageSize`: how many pending deliveries one page of `duePending` holds (DynamoDB pages by size;
   * a small page makes a test with a few deliveries read several pages). Default: one page.
   */
  constructor(private readonly options: { pageSize?: number } = {}) {}

  /** Makes every later call of `method` reject with `error` (until `heal`). */
  failOn(method: StoreMethod, error: Error = new Error(`${method} failed`)): this {
    this.failures.set(method, error);
    return this;
  }

  heal(): this {
    this.failures.clear();
    return this;
  }

  private enter(method: StoreMethod): void {
    this.calls.push(method);
    const failure = this.failures.get(method);
    if (failure) throw failure;
  }

  private mustGet(fingerprint: string): StoredDelivery {
    const delivery = this.deliveryItems.get(fingerprint);
    // The DynamoDB store's updates are conditional on the item existing.
    if (!delivery) throw new Error(`ConditionalCheckFailedException: no delivery ${fingerprint}`);
    return delivery;
  }

  async createDelivery(delivery: NewDelivery): Promise<CreateDeliveryResult> {
    this.enter('createDelivery');
    const existing = this.deliveryItems.get(delivery.fingerprint);
    if (existing) return { created: false, existing: copy(existing) };
    this.deliveryItems.set(delivery.fingerprint, {
      ...copy(delivery),
      version: null,
      publishedAt: null,
      publishAttempts: 0,
      quarantineId: null,
    });
    this.dueAt.set(delivery.fingerprint, delivery.receivedAt);
    return { created: true };
  }

  async claimDelivery(fingerprint: string, nowMs: number, leaseUntil: number): Promise<boolean> {
    this.enter('claimDelivery');
    const delivery = this.deliveryItems.get(fingerprint);
    if (!delivery || delivery.publishedAt !== null || delivery.quarantineId !== null) return false;
    if (delivery.leaseUntil > nowMs) return false;
    delivery.leaseUntil = leaseUntil;
    return true;
  }

  async advanceLatest(latest: LatestConnection): Promise<AdvanceResult> {
    this.enter('advanceLatest');
    const key = latestKey(latest.user, latest.requestUrl);
    const current = this.latestItems.get(key);
    if (current === undefined || orderOf(current) < orderOf(latest)) {
      const version = (current?.version ?? 0) + 1;
      this.latestItems.set(key, { ...copy(latest), version });
      return { version };
    }
    if (current.eventId === latest.eventId) return { version: current.version };
    return { superseded: true };
  }

  async releaseLease(fingerprint: string): Promise<void> {
    this.enter('releaseLease');
    const delivery = this.deliveryItems.get(fingerprint);
    if (delivery && delivery.publishedAt === null) delivery.leaseUntil = 0;
  }

  async recordPublishFailure(
    key: Pick<StoredDelivery, 'fingerprint' | 'eventId'>,
    version: number,
    retry?: PublishRetry,
  ): Promise<void> {
    this.enter('recordPublishFailure');
    const delivery = this.mustGet(key.fingerprint);
    delivery.version = version;
    delivery.leaseUntil = 0;
    if (retry && this.dueAt.has(key.fingerprint)) {
      delivery.publishAttempts = retry.attempts;
      this.dueAt.set(key.fingerprint, retry.nextAttemptAt);
    }
  }

  async markPublished(fingerprint: string, version: number, publishedAt: string): Promise<void> {
    this.enter('markPublished');
    const delivery = this.mustGet(fingerprint);
    delivery.version = version;
    delivery.publishedAt = publishedAt;
    delivery.quarantineId = null;
    this.dueAt.delete(fingerprint);
  }

  async quarantineDelivery(fingerprint: string, version: number | null, quarantineId: string): Promise<void> {
    this.enter('quarantineDelivery');
    const delivery = this.mustGet(fingerprint);
    if (delivery.publishedAt !== null) throw new Error('ConditionalCheckFailedException: published');
    delivery.quarantineId = quarantineId;
    delivery.leaseUntil = 0;
    if (version !== null) delivery.version = version;
    this.dueAt.delete(fingerprint);
  }

  async requeueDelivery(
    key: Pick<StoredDelivery, 'fingerprint' | 'eventId'>,
    dueAt: string,
  ): Promise<boolean> {
    this.enter('requeueDelivery');
    const delivery = this.deliveryItems.get(key.fingerprint);
    if (!delivery || delivery.quarantineId === null || delivery.publishedAt !== null) return false;
    delivery.quarantineId = null;
    delivery.publishAttempts = 0;
    delivery.leaseUntil = 0;
    this.dueAt.set(key.fingerprint, dueAt);
    return true;
  }

  async getDelivery(fingerprint: string): Promise<StoredDelivery | null> {
    this.enter('getDelivery');
    const delivery = this.deliveryItems.get(fingerprint);
    return delivery ? copy(delivery) : null;
  }

  /**
   * Each page is read when the caller asks for it, after the last key of the page before (as a
   * DynamoDB Query continues from `LastEvaluatedKey`), so what the caller changed in between shows.
   */
  async *duePending(now: Date): AsyncGenerator<StoredDelivery[]> {
    this.enter('duePending');
    const dueBy = now.toISOString();
    const pageSize = this.options.pageSize ?? Number.POSITIVE_INFINITY;
    const sortKey = ([fingerprint, at]: [string, string]): string => `${at}#${fingerprint}`;
    let after = '';
    for (;;) {
      const due = [...this.dueAt.entries()]
        .filter(([fingerprint, at]) => at <= dueBy && sortKey([fingerprint, at]) > after)
        .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
      const page = due.slice(0, pageSize);
      if (page.length > 0) yield page.map(([fingerprint]) => copy(this.mustGet(fingerprint)));
      const last = page.at(-1);
      if (last === undefined || due.length <= pageSize) return;
      after = sortKey(last);
    }
  }

  async countPending(): Promise<number> {
    this.enter('countPending');
    return this.dueAt.size;
  }

  async latestForUser(user: string | null): Promise<StoredLatestConnection[]> {
    this.enter('latestForUser');
    // DynamoDB returns a user's partition in sort-key order, i.e. by request URL.
    return [...this.latestItems.values()]
      .filter((item) => item.user === user)
      .sort((a, b) => (a.requestUrl < b.requestUrl ? -1 : a.requestUrl > b.requestUrl ? 1 : 0))
      .map(copy);
  }

  /** Deliveries in time order as the `byTime` index keeps them (month buckets are the store's own business). */
  async deliveriesBefore(before: string, since: string, limit: number): Promise<RecentDeliveriesPage> {
    this.enter('deliveriesBefore');
    const older = [...this.deliveryItems.values()]
      .map((d) => ({ user: d.user, requestUrl: d.requestUrl, eventId: d.eventId, position: orderOf(d) }))
      .filter((d) => d.position < before && d.position >= since)
      .sort((a, b) => (a.position < b.position ? 1 : a.position > b.position ? -1 : 0));
    const deliveries = older.slice(0, limit);
    const last = deliveries.at(-1);
    return { deliveries, next: older.length > limit && last !== undefined ? last.position : null };
  }

  async latestOf(pairs: { user: string | null; requestUrl: string }[]): Promise<StoredLatestConnection[]> {
    this.enter('latestOf');
    const found = new Map<string, StoredLatestConnection>();
    for (const { user, requestUrl } of pairs) {
      const item = this.latestItems.get(latestKey(user, requestUrl));
      if (item !== undefined) found.set(latestKey(user, requestUrl), copy(item));
    }
    return [...found.values()];
  }

  async latestVersion(user: string | null, requestUrl: string): Promise<number | null> {
    this.enter('latestVersion');
    return this.latestItems.get(latestKey(user, requestUrl))?.version ?? null;
  }

  async quarantine(entry: NewQuarantineEntry): Promise<{ attempts: number }> {
    this.enter('quarantine');
    const current = this.quarantineItems.get(entry.id);
    const attempts = (current?.attempts ?? 0) + 1;
    this.quarantineItems.set(entry.id, {
      ...copy(entry),
      // The first arrival's content type is kept, as the DynamoDB store does.
      contentType: current ? current.contentType : entry.contentType,
      fingerprint: entry.fingerprint ?? current?.fingerprint ?? null,
      firstReceivedAt: current?.firstReceivedAt ?? entry.receivedAt,
      attempts,
      resolvedEventId: null,
      resolvedAt: null,
    });
    return { attempts };
  }

  async *quarantined(): AsyncGenerator<QuarantineEntry> {
    this.enter('quarantined');
    const open = [...this.quarantineItems.values()].filter((entry) => entry.resolvedAt === null);
    open.sort((a, b) => (a.firstReceivedAt < b.firstReceivedAt ? -1 : 1));
    for (const entry of open) yield copy(entry);
  }

  async resolveQuarantined(id: string, eventId: string, resolvedAt: string): Promise<boolean> {
    this.enter('resolveQuarantined');
    const entry = this.quarantineItems.get(id);
    if (!entry) return false;
    entry.resolvedEventId = eventId;
    entry.resolvedAt = resolvedAt;
    return true;
  }

  async discardQuarantined(id: string, discardedAt: string): Promise<boolean> {
    this.enter('discardQuarantined');
    const entry = this.quarantineItems.get(id);
    if (!entry) return false;
    entry.resolvedAt = discardedAt;
    return true;
  }

  async countQuarantined(): Promise<number> {
    this.enter('countQuarantined');
    return [...this.quarantineItems.values()].filter((entry) => entry.resolvedAt === null).length;
  }

  // Inspection helpers for tests (not part of the port).

  /** Every recorded delivery, in insertion order. */
  deliveries(): StoredDelivery[] {
    return [...this.deliveryItems.values()].map(copy);
  }

  /** Deliveries stored but not yet published nor quarantined (the pending index). */
  pending(): StoredDelivery[] {
    return this.deliveries().filter((delivery) => this.dueAt.has(delivery.fingerprint));
  }

  /** Every latest item, in insertion order. */
  latest(): StoredLatestConnection[] {
    return [...this.latestItems.values()].map(copy);
  }

  /** Every quarantine entry, resolved ones included, in insertion order. */
  quarantineEntries(): QuarantineEntry[] {
    return [...this.quarantineItems.values()].map(copy);
  }
}

export class InMemoryEventPublisher implements EventPublisher {
  /** Events published successfully, in order. */
  readonly published: ConnectionEvent[] = [];
  /** Every call of `publish`, successful or not. */
  attempts = 0;
  private failure: Error | undefined;

  /** Makes every later `publish` reject with `error` (until `heal`). */
  failWith(error: Error = new Error('topic unavailable')): this {
    this.failure = error;
    return this;
  }

  heal(): this {
    this.failure = undefined;
    return this;
  }

  async publish(event: ConnectionEvent): Promise<void> {
    this.attempts++;
    if (this.failure) throw this.failure;
    this.published.push(copy(event));
  }
}
