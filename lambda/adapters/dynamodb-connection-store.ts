/**
 * The connection store on DynamoDB: one table, items told apart by key prefixes (see `TABLE` in
 * `lambda/contract.ts` for the layout and the indexes).
 *
 * A new delivery costs four writes and no read: its body (an item of its own, `DELIVERY#<fp>` /
 * `BODY`, written once and never rewritten), the delivery item (conditional on its fingerprint, which
 * is what makes redeliveries duplicates), the latest item (version incremented in the same update),
 * and the "published" mark. The delivery item stays small, so the updates that rewrite it (and the
 * indexes it is in) are billed for a small item. Reads happen only on the duplicate path.
 *
 * Indexes: `NEXT_TABLE_INDEXES` (keys only, or the few attributes readers filter on); a reader queries
 * the index for keys and fetches whole items with BatchGetItem. While a stack is part-way through
 * the index upgrade (docs/storage.md) the new index may not exist or still be backfilling: the store
 * then reads the previous one (`TABLE.indexes`, same key attributes), and back once that one is gone.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DEFAULTS, NEXT_TABLE_INDEXES, STATE_PARTITIONS, TABLE } from '../contract.ts';
import type {
  DeliveryIndexReader,
  DeliverySummary,
  EventFilter,
  EventSummariesPage,
} from '../use-cases/list-events.ts';
import type {
  AdvanceResult,
  ConnectionStore,
  CreateDeliveryResult,
  LatestConnection,
  NewDelivery,
  NewQuarantineEntry,
  OnceClaim,
  OnceKey,
  PendingDeliveries,
  PublishRetry,
  QuarantineEntry,
  QuarantineStore,
  RecentConnectionsReader,
  RecentDeliveriesPage,
  StoredDelivery,
  StoredLatestConnection,
} from '../use-cases/ports.ts';

const { partitionKey: PK, sortKey: SK, indexes } = TABLE;
const { pending: PENDING, quarantined: QUARANTINED } = STATE_PARTITIONS;
const DELIVERY_SK = 'DELIVERY';
const BODY_SK = 'BODY';
const DAY_SECONDS = 86_400;

type IndexKind = keyof typeof NEXT_TABLE_INDEXES;

/** Retention of what may expire (the table's TTL attribute); absent: kept for ever. */
export interface StoreRetention {
  /** Days a delivery (and its body) is kept after it arrived; the latest state never expires. */
  historyDays?: number;
  /** Days a quarantine entry is kept once resolved or discarded. */
  resolvedQuarantineDays?: number;
}

/** True for DynamoDB's answer to a query of an index that does not exist, or is still backfilling. */
const isIndexMissing = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ValidationException' && /index/i.test(error.message);
const QUARANTINE_SK = 'QUARANTINE';

/** Key builders: the only place key formats are spelled out. */
export const keys = {
  delivery: (fingerprint: string) => ({ [PK]: `DELIVERY#${fingerprint}`, [SK]: DELIVERY_SK }),
  /** The raw body of a delivery, in an item of its own next to it. */
  body: (fingerprint: string) => ({ [PK]: `DELIVERY#${fingerprint}`, [SK]: BODY_SK }),
  quarantine: (id: string) => ({ [PK]: `QUARANTINE#${id}`, [SK]: QUARANTINE_SK }),
  userPartition: (user: string | null) => (user === null ? 'NOUSER' : `USER#${user}`),
  latest: (user: string | null, requestUrl: string) => ({
    [PK]: keys.userPartition(user),
    [SK]: `REQUEST#${requestUrl}`,
  }),
  /** JSON of the pair, so no user or URL containing a separator can collide with another. */
  history: (user: string | null, requestUrl: string) => `HISTORY#${JSON.stringify([user, requestUrl])}`,
  month: (receivedAt: string) => `DELIVERIES#${receivedAt.slice(0, 7)}`,
  order: (receivedAt: string, eventId: string) => `${receivedAt}#${eventId}`,
  /** Upper bound of the `PENDING` sort keys due at `at` (`<nextAttemptAt>#<eventId>`, eventIds are ASCII). */
  dueBy: (at: string) => `${at}#\uffff`,
};

/** The `byTime` partitions (`DELIVERIES#yyyy-mm`) that hold [since, until], oldest first. */
export const monthsBetween = (since: Date, until: Date): string[] => {
  const months: string[] = [];
  let year = since.getUTCFullYear();
  let month = since.getUTCMonth();
  const lastYear = until.getUTCFullYear();
  const lastMonth = until.getUTCMonth();
  while (year < lastYear || (year === lastYear && month <= lastMonth)) {
    months.push(`DELIVERIES#${year}-${String(month + 1).padStart(2, '0')}`);
    month++;
    if (month === 12) {
      month = 0;
      year++;
    }
  }
  return months;
};

/** The month before `yyyy-mm`, as `yyyy-mm`. */
const previousMonth = (month: string): string => {
  const year = Number(month.slice(0, 4));
  const index = Number(month.slice(5, 7)) - 1;
  return index === 0 ? `${year - 1}-12` : `${year}-${String(index).padStart(2, '0')}`;
};

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof Error && error.name === 'ConditionalCheckFailedException');

export class DynamoDbConnectionStore
  implements ConnectionStore, QuarantineStore, PendingDeliveries, RecentConnectionsReader, DeliveryIndexReader
{
  private readonly doc: DynamoDBDocumentClient;
  /** The indexes read: the new ones, unless one was missing (a stack part-way through its upgrade). */
  private layout: 'next' | 'previous' = 'next';

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retention: StoreRetention = {
      resolvedQuarantineDays: DEFAULTS.resolvedQuarantineRetentionDays,
    },
  ) {
    this.doc = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
  }

  private indexName(kind: IndexKind): string {
    return this.layout === 'next' ? NEXT_TABLE_INDEXES[kind].name : TABLE.indexes[kind].name;
  }

  /** One Query of an index by kind, falling back to the previous layout's index when the new one is missing. */
  private async queryIndex(
    kind: IndexKind,
    input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'IndexName'>,
  ) {
    try {
      return await this.doc.send(new QueryCommand({ ...input, IndexName: this.indexName(kind) }));
    } catch (error) {
      if (!isIndexMissing(error)) throw error;
      // Either way: the new index is not there yet, or (a container that outlived the upgrade) the
      // old one is gone.
      this.layout = this.layout === 'next' ? 'previous' : 'next';
      return this.doc.send(new QueryCommand({ ...input, IndexName: this.indexName(kind) }));
    }
  }

  /** Whole items by key (BatchGetItem, a hundred keys a call, unprocessed keys asked again), by `pk|sk`. */
  private async batchGet(itemKeys: Record<string, unknown>[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    for (let start = 0; start < itemKeys.length; start += 100) {
      let request: Record<string, unknown>[] | undefined = itemKeys.slice(start, start + 100);
      for (let round = 0; request && request.length > 0; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
        const result = await this.doc.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: request } } }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) found.set(itemId(item), item);
        request = result.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
  }

  /** The whole deliveries (body included) of index items, in their order; expired or deleted ones left out. */
  private async wholeDeliveries(indexItems: Record<string, unknown>[]): Promise<StoredDelivery[]> {
    const fingerprints = indexItems
      .map((item) => String(item[PK] ?? ''))
      .filter((pk) => pk.startsWith('DELIVERY#'))
      .map((pk) => pk.slice('DELIVERY#'.length));
    const found = await this.batchGet(fingerprints.flatMap((fp) => [keys.delivery(fp), keys.body(fp)]));
    const out: StoredDelivery[] = [];
    for (const fp of fingerprints) {
      const item = found.get(itemId(keys.delivery(fp)));
      if (item) out.push(toDelivery(item, found.get(itemId(keys.body(fp)))));
    }
    return out;
  }

  /** Whole items of index items (quarantine entries, outcome records), in their order. */
  private async wholeItems(indexItems: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const itemKeys = indexItems.map((item) => ({ [PK]: item[PK], [SK]: item[SK] }));
    const found = await this.batchGet(itemKeys);
    return itemKeys.flatMap((key) => {
      const item = found.get(itemId(key));
      return item === undefined ? [] : [item];
    });
  }

  private expiresAfter(isoTime: string, days: number | undefined): number | undefined {
    return days === undefined ? undefined : Math.floor(Date.parse(isoTime) / 1000) + days * DAY_SECONDS;
  }

  async createDelivery(delivery: NewDelivery): Promise<CreateDeliveryResult> {
    const order = keys.order(delivery.receivedAt, delivery.eventId);
    const expiresAt = this.expiresAfter(delivery.receivedAt, this.retention.historyDays);
    // The body first: a delivery item is never without it. Written once (a redelivery with other
    // white space keeps the first body), so its condition failing is the duplicate path, not an error.
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.body(delivery.fingerprint),
            type: 'body',
            // Compressed: DynamoDB bills writes per KB, and JSON bodies shrink several times over.
            [COMPRESSED.rawBody]: gzip(delivery.rawBody),
            [TABLE.ttlAttribute]: expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.delivery(delivery.fingerprint),
            type: 'delivery',
            fingerprint: delivery.fingerprint,
            eventId: delivery.eventId,
            receivedAt: delivery.receivedAt,
            user: delivery.user,
            requestUrl: delivery.requestUrl,
            requestName: delivery.requestName,
            status: delivery.status,
            apiVersion: delivery.apiVersion,
            // What the console filters on (the indexes' INCLUDE lists).
            clientName: delivery.clientName,
            accessLevel: delivery.accessLevel,
            isTest: delivery.isTest,
            platforms: delivery.platforms,
            assetTypes: delivery.assetTypes,
            leaseUntil: delivery.leaseUntil,
            [TABLE.ttlAttribute]: expiresAt,
            [indexes.history.partitionKey]: keys.history(delivery.user, delivery.requestUrl),
            [indexes.history.sortKey]: order,
            [indexes.byTime.partitionKey]: keys.month(delivery.receivedAt),
            [indexes.byTime.sortKey]: order,
            [indexes.byState.partitionKey]: PENDING,
            [indexes.byState.sortKey]: order,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      return { created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // The body is read only when the caller may need it: to resume an unpublished delivery.
    const existing = await this.getDelivery(delivery.fingerprint, { unlessDone: true });
    if (existing === null) {
      // The condition failed yet the item is gone: only a concurrent delete does that.
      throw new Error(`delivery ${delivery.fingerprint} vanished while being recorded`);
    }
    return { created: false, existing };
  }

  /**
   * A delivery and its body (two consistent reads: GetItem is all the ingest function may do);
   * with `unlessDone`, a published or quarantined one without its body (rawBody empty).
   */
  async getDelivery(
    fingerprint: string,
    options: { unlessDone?: boolean } = {},
  ): Promise<StoredDelivery | null> {
    const result = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.delivery(fingerprint), ConsistentRead: true }),
    );
    if (!result.Item) return null;
    if (result.Item.rawBody !== undefined) return toDelivery(result.Item);
    // `unlessDone`: a published or quarantined delivery comes without its body (the duplicate path).
    const done = result.Item.publishedAt !== undefined || result.Item.quarantineId !== undefined;
    if (options.unlessDone && done) return toDelivery(result.Item);
    const body = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.body(fingerprint), ConsistentRead: true }),
    );
    return toDelivery(result.Item, body.Item);
  }

  async claimDelivery(fingerprint: string, nowMs: number, leaseUntil: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delivery(fingerprint),
          UpdateExpression: 'SET leaseUntil = :leaseUntil',
          ConditionExpression:
            'attribute_exists(#pk) AND attribute_not_exists(publishedAt) AND attribute_not_exists(quarantineId) AND leaseUntil <= :now',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':leaseUntil': leaseUntil, ':now': nowMs },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async advanceLatest(latest: LatestConnection): Promise<AdvanceResult> {
    const order = keys.order(latest.receivedAt, latest.eventId);
    const { flat, ...rest } = latest;
    // The flat record compressed: the item is rewritten on every delivery and billed per KB.
    const fields: Record<string, unknown> = {
      ...rest,
      [COMPRESSED.flat]: gzip(JSON.stringify(flat)),
      type: 'latest',
      latestOrder: order,
    };
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':one': 1, ':order': order };
    const sets = Object.entries(fields).map(([name, value], index) => {
      names[`#f${index}`] = name;
      values[`:f${index}`] = value;
      return `#f${index} = :f${index}`;
    });
    try {
      const result = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.latest(latest.user, latest.requestUrl),
          // `flat` is removed: an item written before compression carried it uncompressed.
          UpdateExpression: `SET ${sets.join(', ')} REMOVE #flat ADD #version :one`,
          ConditionExpression: 'attribute_not_exists(#latestOrder) OR #latestOrder < :order',
          ExpressionAttributeNames: {
            ...names,
            '#version': 'version',
            '#latestOrder': 'latestOrder',
            '#flat': 'flat',
          },
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return { version: Number(result.Attributes?.version) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // Either a newer delivery is the latest state, or this very delivery already advanced it (its
    // request died before recording the version): only the second keeps its version.
    const current = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.latest(latest.user, latest.requestUrl),
        ConsistentRead: true,
      }),
    );
    if (current.Item?.eventId === latest.eventId) return { version: Number(current.Item.version) };
    return { superseded: true };
  }

  async releaseLease(fingerprint: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delivery(fingerprint),
          UpdateExpression: 'SET leaseUntil = :zero',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(publishedAt)',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':zero': 0 },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async recordPublishFailure(
    delivery: Pick<StoredDelivery, 'fingerprint' | 'eventId'>,
    version: number,
    retry?: PublishRetry,
  ): Promise<void> {
    if (retry === undefined) {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delivery(delivery.fingerprint),
          UpdateExpression: 'SET version = :version, leaseUntil = :zero',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':version': version, ':zero': 0 },
        }),
      );
      return;
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delivery(delivery.fingerprint),
          // Its place in the pending index moves to the next attempt time: not read again before.
          UpdateExpression:
            'SET version = :version, leaseUntil = :zero, publishAttempts = :attempts, #stateSk = :next',
          ConditionExpression: 'attribute_exists(#statePk) AND attribute_not_exists(publishedAt)',
          ExpressionAttributeNames: {
            '#statePk': indexes.byState.partitionKey,
            '#stateSk': indexes.byState.sortKey,
          },
          ExpressionAttributeValues: {
            ':version': version,
            ':zero': 0,
            ':attempts': retry.attempts,
            ':next': keys.order(retry.nextAttemptAt, delivery.eventId),
          },
        }),
      );
    } catch (error) {
      // Published or quarantined meanwhile: nothing left to retry.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async quarantineDelivery(fingerprint: string, version: number | null, quarantineId: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.delivery(fingerprint),
        UpdateExpression: `SET quarantineId = :id, leaseUntil = :zero${version === null ? '' : ', version = :version'} REMOVE #statePk, #stateSk`,
        ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(publishedAt)',
        ExpressionAttributeNames: {
          '#pk': PK,
          '#statePk': indexes.byState.partitionKey,
          '#stateSk': indexes.byState.sortKey,
        },
        ExpressionAttributeValues: {
          ':id': quarantineId,
          ':zero': 0,
          ...(version === null ? {} : { ':version': version }),
        },
      }),
    );
  }

  async requeueDelivery(
    delivery: Pick<StoredDelivery, 'fingerprint' | 'eventId'>,
    dueAt: string,
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delivery(delivery.fingerprint),
          UpdateExpression:
            'SET #statePk = :pending, #stateSk = :due, publishAttempts = :zero, leaseUntil = :zero REMOVE quarantineId',
          ConditionExpression: 'attribute_exists(quarantineId) AND attribute_not_exists(publishedAt)',
          ExpressionAttributeNames: {
            '#statePk': indexes.byState.partitionKey,
            '#stateSk': indexes.byState.sortKey,
          },
          ExpressionAttributeValues: {
            ':pending': PENDING,
            ':due': keys.order(dueAt, delivery.eventId),
            ':zero': 0,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async markPublished(fingerprint: string, version: number, publishedAt: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.delivery(fingerprint),
        UpdateExpression:
          'SET version = :version, publishedAt = :publishedAt REMOVE #statePk, #stateSk, quarantineId',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: {
          '#pk': PK,
          '#statePk': indexes.byState.partitionKey,
          '#stateSk': indexes.byState.sortKey,
        },
        ExpressionAttributeValues: { ':version': version, ':publishedAt': publishedAt },
      }),
    );
  }

  async latestForUser(user: string | null): Promise<StoredLatestConnection[]> {
    const items: StoredLatestConnection[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: { ':pk': keys.userPartition(user), ':prefix': 'REQUEST#' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) items.push(toLatest(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async latestVersion(user: string | null, requestUrl: string): Promise<number | null> {
    const result = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.latest(user, requestUrl),
        ProjectionExpression: '#version',
        ExpressionAttributeNames: { '#version': 'version' },
        ConsistentRead: true,
      }),
    );
    return result.Item?.version === undefined ? null : Number(result.Item.version);
  }

  // ── recent connections (`RecentConnectionsReader`): the `byTime` index, then whole latest items ──

  /**
   * One Query of the month bucket that `before` falls in, newest first. A position in a month with
   * nothing left before it is `<yyyy-mm>\uffff`: after every key of that month, in that month.
   */
  async deliveriesBefore(before: string, since: string, limit: number): Promise<RecentDeliveriesPage> {
    const month = before.slice(0, 7);
    const page = await this.queryIndex('byTime', {
      TableName: this.tableName,
      KeyConditionExpression: '#timePk = :month AND #timeSk < :before',
      ExpressionAttributeNames: { '#timePk': indexes.byTime.partitionKey, '#timeSk': indexes.byTime.sortKey },
      ExpressionAttributeValues: { ':month': `DELIVERIES#${month}`, ':before': before },
      ScanIndexForward: false,
      Limit: limit,
    });
    const items = page.Items ?? [];
    const inWindow = items.filter((item) => str(item[indexes.byTime.sortKey]) >= since);
    const deliveries = inWindow.map((item) => ({
      user: strOrNull(item.user),
      requestUrl: str(item.requestUrl),
      eventId: str(item.eventId),
      position: str(item[indexes.byTime.sortKey]),
    }));
    // Past `since` within this month: nothing older is wanted.
    if (inWindow.length < items.length) return { deliveries, next: null };
    const last = deliveries.at(-1);
    if (page.LastEvaluatedKey !== undefined && last !== undefined) return { deliveries, next: last.position };
    // This month is read to its start: the previous one, if the window reaches into it.
    if (since.slice(0, 7) >= month) return { deliveries, next: null };
    return { deliveries, next: `${previousMonth(month)}\uffff` };
  }

  /**
   * One Query of the month bucket `before` falls in, newest first, `filter` applied to the attributes
   * the index projects (`NEXT_TABLE_INDEXES.byTime`), for the console's events page. Paged like
   * `deliveriesBefore`; `next` continues after the last item read, matched or not.
   */
  async deliverySummaries(
    before: string,
    since: string,
    limit: number,
    filter: EventFilter,
  ): Promise<EventSummariesPage> {
    const month = before.slice(0, 7);
    const names: Record<string, string> = {
      '#timePk': indexes.byTime.partitionKey,
      '#timeSk': indexes.byTime.sortKey,
    };
    const values: Record<string, unknown> = {
      ':month': `DELIVERIES#${month}`,
      ':before': before,
      ':since': since,
    };
    const conditions: string[] = [];
    const statuses = filter.statuses ?? [];
    if (statuses.length > 0) {
      names['#status'] = 'status';
      statuses.forEach((status, index) => {
        values[`:status${index}`] = status;
      });
      conditions.push(`#status IN (${statuses.map((_, index) => `:status${index}`).join(', ')})`);
    }
    if (filter.user !== undefined) {
      names['#user'] = 'user';
      values[':user'] = filter.user;
      conditions.push('#user = :user');
    }
    if (filter.platform !== undefined) {
      names['#platforms'] = 'platforms';
      values[':platform'] = filter.platform;
      conditions.push('contains(#platforms, :platform)');
    }
    if (filter.assetType !== undefined) {
      names['#assetTypes'] = 'assetTypes';
      values[':assetType'] = filter.assetType;
      conditions.push('contains(#assetTypes, :assetType)');
    }
    if (filter.isTest !== undefined) {
      names['#isTest'] = 'isTest';
      values[':isTest'] = filter.isTest;
      // A delivery stored before `isTest` was kept is not a test payload as far as anyone knows.
      conditions.push(
        filter.isTest ? '#isTest = :isTest' : '(attribute_not_exists(#isTest) OR #isTest = :isTest)',
      );
    }
    if (filter.text !== undefined && filter.text !== '') {
      names['#clientName'] = 'clientName';
      names['#requestName'] = 'requestName';
      values[':text'] = filter.text;
      conditions.push('(contains(#clientName, :text) OR contains(#requestName, :text))');
    }
    const page = await this.queryIndex('byTime', {
      TableName: this.tableName,
      KeyConditionExpression: '#timePk = :month AND #timeSk BETWEEN :since AND :before',
      ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: limit,
    });
    const deliveries = (page.Items ?? [])
      .filter((item) => str(item[indexes.byTime.sortKey]) < before)
      .map(toDeliverySummary);
    const lastRead = page.LastEvaluatedKey?.[indexes.byTime.sortKey];
    if (lastRead !== undefined) return { deliveries, next: str(lastRead) };
    // This month is read to its start (or to `since`): the previous one, if the range reaches into it.
    if (since.slice(0, 7) >= month) return { deliveries, next: null };
    return { deliveries, next: `${previousMonth(month)}\uffff` };
  }

  /** The latest items of the pairs, by BatchGetItem (each pair once). */
  async latestOf(pairs: { user: string | null; requestUrl: string }[]): Promise<StoredLatestConnection[]> {
    const unique = new Map<string, Record<string, string>>();
    for (const { user, requestUrl } of pairs) {
      const key = keys.latest(user, requestUrl);
      unique.set(itemId(key), key);
    }
    const found = await this.batchGet([...unique.values()]);
    return [...unique.keys()].flatMap((id) => {
      const item = found.get(id);
      return item === undefined ? [] : [toLatest(item)];
    });
  }

  /** Up to `limit` pending deliveries, due or not, soonest due first (for tests and local checks). */
  async pendingDeliveries(limit = 100): Promise<StoredDelivery[]> {
    const out: StoredDelivery[] = [];
    for await (const page of this.statePages(PENDING)) {
      for (const delivery of await this.wholeDeliveries(page.Items ?? [])) {
        if (out.length >= limit) return out;
        out.push(delivery);
      }
    }
    return out;
  }

  async *duePending(now: Date): AsyncGenerator<StoredDelivery[]> {
    for await (const page of this.statePages(PENDING, { dueBy: keys.dueBy(now.toISOString()) })) {
      yield await this.wholeDeliveries(page.Items ?? []);
    }
  }

  async countPending(): Promise<number> {
    let count = 0;
    for await (const page of this.statePages(PENDING, { select: 'COUNT' })) count += page.Count ?? 0;
    return count;
  }

  /**
   * The pages of one partition of the `byState` index (`STATE_PARTITIONS`), in sort-key order; `dueBy`:
   * only sort keys up to it; `COUNT`: counts only, no items read.
   */
  private async *statePages(partition: string, options: { select?: 'COUNT'; dueBy?: string } = {}) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.queryIndex('byState', {
        TableName: this.tableName,
        KeyConditionExpression:
          options.dueBy === undefined
            ? '#statePk = :partition'
            : '#statePk = :partition AND #stateSk <= :dueBy',
        ExpressionAttributeNames: {
          '#statePk': indexes.byState.partitionKey,
          ...(options.dueBy === undefined ? {} : { '#stateSk': indexes.byState.sortKey }),
        },
        ExpressionAttributeValues: {
          ':partition': partition,
          ...(options.dueBy === undefined ? {} : { ':dueBy': options.dueBy }),
        },
        Select: options.select,
        ExclusiveStartKey: startKey,
      });
      yield page;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /**
   * Every delivery received in [since, until), oldest first, read month by month from the `byTime`
   * index (for replay). `until` defaults to now.
   */
  async *deliveriesBetween(since: Date, until: Date = new Date()): AsyncGenerator<StoredDelivery> {
    const from = keys.order(since.toISOString(), '');
    const to = keys.order(until.toISOString(), '');
    for (const month of monthsBetween(since, until)) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.queryIndex('byTime', {
          TableName: this.tableName,
          KeyConditionExpression: '#timePk = :month AND #timeSk BETWEEN :from AND :to',
          ExpressionAttributeNames: {
            '#timePk': indexes.byTime.partitionKey,
            '#timeSk': indexes.byTime.sortKey,
          },
          ExpressionAttributeValues: { ':month': month, ':from': from, ':to': to },
          ExclusiveStartKey: startKey,
        });
        const inRange = (page.Items ?? []).filter((item) => String(item[indexes.byTime.sortKey]) < to);
        for (const delivery of await this.wholeDeliveries(inRange)) yield delivery;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
  }

  /** The latest state of every (user, request), in no particular order (for export). */
  async *allLatest(): AsyncGenerator<StoredLatestConnection> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: '#type = :latest',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':latest': 'latest' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield toLatest(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /** The delivery history of one (user, request), newest first. */
  async history(user: string | null, requestUrl: string, limit = 50): Promise<StoredDelivery[]> {
    const page = await this.queryIndex('history', {
      TableName: this.tableName,
      KeyConditionExpression: '#historyPk = :historyPk',
      ExpressionAttributeNames: { '#historyPk': indexes.history.partitionKey },
      ExpressionAttributeValues: { ':historyPk': keys.history(user, requestUrl) },
      ScanIndexForward: false,
      Limit: limit,
    });
    return this.wholeDeliveries(page.Items ?? []);
  }

  // ── quarantined requests (`QuarantineStore`) ──
  //
  // | item              | pk                  | sk           | byState                                 |
  // |-------------------|---------------------|--------------|-----------------------------------------|
  // | refused request   | `QUARANTINE#<sha256>` | `QUARANTINE` | `QUARANTINED` / `<receivedAt>#<sha256>` (until resolved) |
  //
  // One item per distinct body: Leadsie's retries of the same body add attempts, not items.

  async quarantine(entry: NewQuarantineEntry): Promise<{ attempts: number }> {
    const result = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.quarantine(entry.id),
        UpdateExpression: [
          'SET #type = :type, id = :id, receivedAt = :at, body = :body, bodyBytes = :bodyBytes,',
          'reason = :reason, #statePk = :quarantined, firstReceivedAt = if_not_exists(firstReceivedAt, :at),',
          // The content type Leadsie sent, not one a `quarantine retry --content-type` sent later.
          'contentType = if_not_exists(contentType, :contentType), #stateSk = if_not_exists(#stateSk, :order)',
          entry.fingerprint === undefined ? '' : ', fingerprint = :fingerprint',
          'REMOVE resolvedAt, resolvedEventId, resolution, #expiresAt ADD attempts :one',
        ].join(' '),
        ExpressionAttributeNames: {
          '#type': 'type',
          '#statePk': indexes.byState.partitionKey,
          '#stateSk': indexes.byState.sortKey,
          '#expiresAt': TABLE.ttlAttribute,
        },
        ExpressionAttributeValues: {
          ':type': 'quarantine',
          ':id': entry.id,
          ':at': entry.receivedAt,
          ':contentType': entry.contentType,
          ':body': entry.body,
          ':bodyBytes': entry.bodyBytes,
          ':reason': entry.reason,
          ':quarantined': QUARANTINED,
          ':order': keys.order(entry.receivedAt, entry.id),
          ':one': 1,
          ...(entry.fingerprint === undefined ? {} : { ':fingerprint': entry.fingerprint }),
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return { attempts: Number(result.Attributes?.attempts ?? 1) };
  }

  async *quarantined(): AsyncGenerator<QuarantineEntry> {
    for await (const page of this.statePages(QUARANTINED)) {
      for (const item of await this.wholeItems(page.Items ?? [])) yield toQuarantineEntry(item);
    }
  }

  async resolveQuarantined(id: string, eventId: string, resolvedAt: string): Promise<boolean> {
    return this.closeQuarantined(id, { resolvedAt, resolvedEventId: eventId, resolution: 'ingested' });
  }

  async discardQuarantined(id: string, discardedAt: string): Promise<boolean> {
    return this.closeQuarantined(id, { resolvedAt: discardedAt, resolution: 'discarded' });
  }

  /** Sets `fields` on an entry and takes it out of the unresolved list; false when there is none. */
  private async closeQuarantined(id: string, closed: Record<string, string>): Promise<boolean> {
    const names: Record<string, string> = {
      '#pk': PK,
      '#statePk': indexes.byState.partitionKey,
      '#stateSk': indexes.byState.sortKey,
    };
    const values: Record<string, string | number> = {};
    const expiresAt = this.expiresAfter(closed.resolvedAt ?? '', this.retention.resolvedQuarantineDays);
    const fields: Record<string, string | number> =
      expiresAt === undefined || Number.isNaN(expiresAt)
        ? closed
        : { ...closed, [TABLE.ttlAttribute]: expiresAt };
    const sets = Object.entries(fields).map(([name, value], index) => {
      names[`#f${index}`] = name;
      values[`:f${index}`] = value;
      return `#f${index} = :f${index}`;
    });
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.quarantine(id),
          UpdateExpression: `SET ${sets.join(', ')} REMOVE #statePk, #stateSk`,
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async countQuarantined(): Promise<number> {
    let count = 0;
    for await (const page of this.statePages(QUARANTINED, { select: 'COUNT' })) count += page.Count ?? 0;
    return count;
  }

  // ── idempotency records of the Sheets and email consumers (`IdempotencyLedger`) ──
  //
  // | item                  | pk                                   | sk                          |
  // |-----------------------|--------------------------------------|-----------------------------|
  // | a sheet row, once     | `SHEETROW#<spreadsheetId>#<sheet>`   | `EVENT#<eventId>`           |
  // | an email, once        | `EMAIL#<eventId>`                    | `SENT#<consumer>#<kind>`    |
  //
  // A spreadsheet id has no `#` (the handler checks), and an email's kind is a fixed word at the end,
  // so no two keys collide. These items carry no index attribute: they stay out of every index.

  /** The table key of a once-only side effect. */
  onceItemKey(key: OnceKey): Record<string, string> {
    if (key.kind === 'sheet-row') {
      return { [PK]: `SHEETROW#${key.spreadsheetId}#${key.sheetName}`, [SK]: `EVENT#${key.eventId}` };
    }
    return { [PK]: `EMAIL#${key.eventId}`, [SK]: `SENT#${key.consumer}#${key.email}` };
  }

  /**
   * Claims a side effect: a new item (`pending`, leased until `leaseUntil`), or an existing pending
   * one whose lease has run out (a failed or crashed attempt: `recovering`). Two conditional writes
   * at most, then one consistent read to say why neither applied.
   */
  async claimOnce(key: OnceKey, nowMs: number, leaseUntil: number): Promise<OnceClaim> {
    const itemKey = this.onceItemKey(key);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...itemKey,
            type: `once:${key.kind}`,
            eventId: key.eventId,
            state: 'pending',
            leaseUntil,
            claimedAt: new Date(nowMs).toISOString(),
            attempts: 1,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      return { outcome: 'claimed', recovering: false };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKey,
          UpdateExpression: 'SET leaseUntil = :leaseUntil, claimedAt = :claimedAt ADD attempts :one',
          ConditionExpression: 'attribute_exists(#pk) AND #state = :pending AND leaseUntil <= :now',
          ExpressionAttributeNames: { '#pk': PK, '#state': 'state' },
          ExpressionAttributeValues: {
            ':leaseUntil': leaseUntil,
            ':claimedAt': new Date(nowMs).toISOString(),
            ':one': 1,
            ':pending': 'pending',
            ':now': nowMs,
          },
        }),
      );
      return { outcome: 'claimed', recovering: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const current = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: itemKey, ConsistentRead: true }),
    );
    const item = current.Item;
    if (item?.state === 'done') return { outcome: 'done', doneAt: strOrNull(item.doneAt) };
    if (item?.state === 'pending') return { outcome: 'busy', leaseUntil: Number(item.leaseUntil ?? 0) };
    // Only a concurrent delete (or a released claim taken over in between) gets here.
    return { outcome: 'busy', leaseUntil: nowMs };
  }

  /** Marks a claimed side effect done. */
  async completeOnce(key: OnceKey, doneAt: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.onceItemKey(key),
        UpdateExpression: 'SET #state = :done, doneAt = :doneAt REMOVE leaseUntil',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK, '#state': 'state' },
        ExpressionAttributeValues: { ':done': 'done', ':doneAt': doneAt },
      }),
    );
  }

  /** Gives a pending claim back (lease 0); a done one is left alone. */
  async releaseOnce(key: OnceKey): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.onceItemKey(key),
          UpdateExpression: 'SET leaseUntil = :zero',
          ConditionExpression: 'attribute_exists(#pk) AND #state = :pending',
          ExpressionAttributeNames: { '#pk': PK, '#state': 'state' },
          ExpressionAttributeValues: { ':zero': 0, ':pending': 'pending' },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}

/** Attributes stored gzip-compressed (Binary), each read back in its uncompressed form too. */
export const COMPRESSED = { rawBody: 'rawBodyGz', flat: 'flatGz' } as const;

const gzip = (text: string): Uint8Array => gzipSync(Buffer.from(text, 'utf8'));
const gunzip = (value: unknown): string | undefined =>
  value instanceof Uint8Array ? gunzipSync(value).toString('utf8') : undefined;

/** The raw body of an item: compressed, or (stored before compression) a plain string. */
const rawBodyOf = (item: Record<string, unknown> | undefined): string | undefined =>
  item === undefined ? undefined : (gunzip(item[COMPRESSED.rawBody]) ?? strOrUndefined(item.rawBody));

const strOrUndefined = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

const str = (value: unknown): string => (typeof value === 'string' ? value : String(value ?? ''));
const strOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const itemId = (item: Record<string, unknown>): string => `${String(item[PK])}|${String(item[SK])}`;

/** A delivery item and its body item (a delivery stored before the body had an item of its own carries it inline). */
const toDelivery = (item: Record<string, unknown>, body?: Record<string, unknown>): StoredDelivery => ({
  fingerprint: str(item.fingerprint),
  eventId: str(item.eventId),
  receivedAt: str(item.receivedAt),
  user: strOrNull(item.user),
  requestUrl: str(item.requestUrl),
  requestName: str(item.requestName),
  status: strOrNull(item.status),
  apiVersion: Number(item.apiVersion ?? 1),
  rawBody: rawBodyOf(item) ?? rawBodyOf(body) ?? '',
  leaseUntil: Number(item.leaseUntil ?? 0),
  version: item.version === undefined ? null : Number(item.version),
  publishedAt: strOrNull(item.publishedAt),
  publishAttempts: Number(item.publishAttempts ?? 0),
  quarantineId: strOrNull(item.quarantineId),
});

const flatOf = (item: Record<string, unknown>): StoredLatestConnection['flat'] => {
  const text = gunzip(item[COMPRESSED.flat]);
  return (text === undefined ? (item.flat ?? {}) : JSON.parse(text)) as StoredLatestConnection['flat'];
};

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const toDeliverySummary = (item: Record<string, unknown>): DeliverySummary => ({
  eventId: str(item.eventId),
  fingerprint: str(item.fingerprint),
  receivedAt: str(item.receivedAt),
  user: strOrNull(item.user),
  requestUrl: str(item.requestUrl),
  requestName: str(item.requestName),
  clientName: strOrNull(item.clientName),
  status: strOrNull(item.status),
  accessLevel: strOrNull(item.accessLevel),
  isTest: typeof item.isTest === 'boolean' ? item.isTest : null,
  platforms: strings(item.platforms),
  assetTypes: strings(item.assetTypes),
  position: str(item[indexes.byTime.sortKey]),
});

const toLatest = (item: Record<string, unknown>): StoredLatestConnection => ({
  user: strOrNull(item.user),
  requestUrl: str(item.requestUrl),
  requestName: str(item.requestName),
  clientName: strOrNull(item.clientName),
  status: strOrNull(item.status),
  accessLevel: strOrNull(item.accessLevel),
  apiVersion: Number(item.apiVersion ?? 1),
  isTest: item.isTest === true,
  eventId: str(item.eventId),
  fingerprint: str(item.fingerprint),
  receivedAt: str(item.receivedAt),
  flat: flatOf(item),
  version: Number(item.version ?? 0),
});

const toQuarantineEntry = (item: Record<string, unknown>): QuarantineEntry => {
  const reason = (item.reason ?? {}) as Partial<QuarantineEntry['reason']>;
  return {
    id: str(item.id),
    fingerprint: strOrNull(item.fingerprint),
    receivedAt: str(item.receivedAt),
    firstReceivedAt: str(item.firstReceivedAt ?? item.receivedAt),
    contentType: strOrNull(item.contentType),
    body: item.body instanceof Uint8Array ? item.body : new Uint8Array(),
    bodyBytes: Number(item.bodyBytes ?? 0),
    reason: {
      status: Number(reason.status ?? 400),
      kind: str(reason.kind),
      message: str(reason.message),
      problems: Array.isArray(reason.problems) ? reason.problems : [],
    },
    attempts: Number(item.attempts ?? 1),
    resolvedEventId: strOrNull(item.resolvedEventId),
    resolvedAt: strOrNull(item.resolvedAt),
  };
};
