/**
 * The ordering guard of the CRM updater (`OrderingGuard` in `use-cases/ports.ts`): one item per
 * (consumer, user, request) in the connections table, holding the lease of the send in progress and
 * the version last applied.
 *
 *   pk = ORDER#<consumer>#<JSON of [user, requestUrl]>   sk = ORDER
 *
 * Taking the lease is one conditional update (no live lease, and no newer version applied); giving
 * it back is one more, conditional on the owner, which also records the version applied. A refused
 * take says why through the item as it was (`ReturnValuesOnConditionCheckFailure`), or a consistent
 * read where the store cannot return it (dynalite). Updates only, so the function needs no DeleteItem;
 * the item expires with the table's TTL attribute a while after its last send.
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { TABLE } from '../contract.ts';
import type { OrderClaim, OrderingGuard, OrderKey } from '../use-cases/ports.ts';

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE;
const ORDER_SK = 'ORDER';

/**
 * Kept a day past its last lease. The stored latest version is read before every take, so the
 * applied version only has to outlive an invocation that read it before a newer send; a day is far
 * more than that, and short enough to leave no clutter.
 */
export const ORDER_ITEM_KEEP_SECONDS = 24 * 60 * 60;

/** The key of the guard's item of one (consumer, user, request). */
export const orderItemKey = (key: OrderKey): Record<string, string> => ({
  // JSON of the pair, so no user or URL holding a separator can collide with another (as `keys.history`).
  [PK]: `ORDER#${key.consumer}#${JSON.stringify([key.user, key.requestUrl])}`,
  [SK]: ORDER_SK,
});

const isConditionFailure = (error: unknown): error is ConditionalCheckFailedException =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof Error && error.name === 'ConditionalCheckFailedException');

interface GuardState {
  leaseUntil?: number;
  appliedVersion?: number;
}

/** Why a take was refused, from the item as it is; null when nothing refuses it any more (a release in between). */
const refusal = (state: GuardState | null, version: number, nowMs: number): OrderClaim | null => {
  if (state?.appliedVersion !== undefined && state.appliedVersion > version) {
    return { outcome: 'stale', appliedVersion: state.appliedVersion };
  }
  if (state?.leaseUntil !== undefined && state.leaseUntil > nowMs) {
    return { outcome: 'busy', leaseUntil: state.leaseUntil };
  }
  return null;
};

/** Tries of a take whose refusal was gone when it was read (the holder released in between). */
const TAKE_TRIES = 2;

export class DynamoDbOrderingGuard implements OrderingGuard {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async acquire(key: OrderKey, version: number, nowMs: number, leaseUntil: number): Promise<OrderClaim> {
    for (let tries = 1; ; tries++) {
      const owner = randomUUID();
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: orderItemKey(key),
            UpdateExpression:
              'SET #type = :type, #consumer = :consumer, #owner = :owner, leaseUntil = :leaseUntil, #ttl = :ttl',
            ConditionExpression:
              '(attribute_not_exists(leaseUntil) OR leaseUntil <= :now) AND ' +
              '(attribute_not_exists(appliedVersion) OR appliedVersion <= :version)',
            ExpressionAttributeNames: {
              '#type': 'type',
              '#consumer': 'consumer',
              '#owner': 'owner',
              '#ttl': TTL,
            },
            ExpressionAttributeValues: {
              ':type': 'order',
              ':consumer': key.consumer,
              ':owner': owner,
              ':leaseUntil': leaseUntil,
              ':ttl': Math.ceil(leaseUntil / 1000) + ORDER_ITEM_KEEP_SECONDS,
              ':now': nowMs,
              ':version': version,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { outcome: 'acquired', owner };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const state = error.Item !== undefined ? stateOf(error.Item) : await this.read(key);
        const refused = refusal(state, version, nowMs);
        if (refused !== null) return refused;
        // Released between the take and the read: take it again, or come back shortly.
        if (tries >= TAKE_TRIES) return { outcome: 'busy', leaseUntil: nowMs };
      }
    }
  }

  async release(key: OrderKey, owner: string, appliedVersion: number | null): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: orderItemKey(key),
          UpdateExpression:
            appliedVersion === null
              ? 'SET leaseUntil = :zero REMOVE #owner'
              : 'SET leaseUntil = :zero, appliedVersion = :version REMOVE #owner',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':zero': 0,
            ':owner': owner,
            ...(appliedVersion === null ? {} : { ':version': appliedVersion }),
          },
        }),
      );
      return true;
    } catch (error) {
      // Taken over after the lease ran out: nothing of ours to give back.
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  private async read(key: OrderKey): Promise<GuardState | null> {
    const result = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: orderItemKey(key), ConsistentRead: true }),
    );
    return result.Item === undefined ? null : (result.Item as GuardState);
  }
}

const stateOf = (item: Record<string, AttributeValue>): GuardState => unmarshall(item) as GuardState;

/**
 * The same rules in a Map (unit tests, the simulation, local mode: one process, where every
 * invocation shares it). Single-threaded JavaScript makes each method atomic, as a conditional
 * write is; owners are numbered, so a seeded run replays exactly.
 */
export class InMemoryOrderingGuard implements OrderingGuard {
  readonly items = new Map<string, { owner: string | null; leaseUntil: number; appliedVersion?: number }>();
  private owners = 0;

  async acquire(key: OrderKey, version: number, nowMs: number, leaseUntil: number): Promise<OrderClaim> {
    const id = itemId(key);
    const item = this.items.get(id);
    const refused = refusal(item ?? null, version, nowMs);
    if (refused !== null) return refused;
    const owner = `owner-${++this.owners}`;
    this.items.set(id, { ...item, owner, leaseUntil });
    return { outcome: 'acquired', owner };
  }

  async release(key: OrderKey, owner: string, appliedVersion: number | null): Promise<boolean> {
    const id = itemId(key);
    const item = this.items.get(id);
    if (item?.owner !== owner) return false;
    this.items.set(id, {
      ...item,
      owner: null,
      leaseUntil: 0,
      ...(appliedVersion === null ? {} : { appliedVersion }),
    });
    return true;
  }
}

const itemId = (key: OrderKey): string => {
  const { pk, sk } = orderItemKey(key) as { pk: string; sk: string };
  return `${pk}|${sk}`;
};
