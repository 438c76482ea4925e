/**
 * The ordering guard's rules, one suite on both implementations: the in-memory one (unit tests, the
 * simulation, local mode) and the DynamoDB one through the real SDK on moto, where the item's key
 * and its TTL attribute are checked too, and a refusal is read back both from the failed write's
 * `ReturnValuesOnConditionCheckFailure` and, as dynalite needs, from a consistent read.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DynamoDbOrderingGuard,
  InMemoryOrderingGuard,
  ORDER_ITEM_KEEP_SECONDS,
  orderItemKey,
} from '../../lambda/adapters/ordering-guard.ts';
import { TABLE } from '../../lambda/contract.ts';
import type { OrderingGuard, OrderKey } from '../../lambda/use-cases/ports.ts';
import { type MotoServer, motoAvailable } from '../support/moto.ts';
import { createConnectionsTable, startMotoWithClients } from '../support/pipeline.ts';

const T0 = Date.parse('2026-05-04T10:00:00.000Z');
const LEASE = 30_000;
const KEY: OrderKey = { consumer: 'hubspot', user: 'u1', requestUrl: 'https://app.leadsie.com/request/r1' };

/** The rules every implementation keeps. */
const guardRules = (name: string, make: () => OrderingGuard) => {
  describe(name, () => {
    let guard: OrderingGuard;
    beforeEach(() => {
      guard = make();
    });
    const acquired = async (version: number, nowMs = T0) => {
      const claim = await guard.acquire(KEY, version, nowMs, nowMs + LEASE);
      if (claim.outcome !== 'acquired') throw new Error(`expected the lease, got ${JSON.stringify(claim)}`);
      return claim.owner;
    };

    it('gives a free lease, and answers busy with the holder’s end while it is live', async () => {
      const owner = await acquired(2);
      expect(owner).toBeTruthy();
      expect(await guard.acquire(KEY, 3, T0 + 1_000, T0 + 1_000 + LEASE)).toEqual({
        outcome: 'busy',
        leaseUntil: T0 + LEASE,
      });
    });

    it('gives a lease that ran out to another send, with another owner', async () => {
      const first = await acquired(2);
      const second = await acquired(3, T0 + LEASE);
      expect(second).not.toBe(first);
    });

    it('refuses a version older than the one applied, and lets the same or a newer one through', async () => {
      const owner = await acquired(3);
      expect(await guard.release(KEY, owner, 3)).toBe(true);
      expect(await guard.acquire(KEY, 2, T0 + 1, T0 + 1 + LEASE)).toEqual({
        outcome: 'stale',
        appliedVersion: 3,
      });
      const again = await acquired(3, T0 + 2);
      expect(await guard.release(KEY, again, 3)).toBe(true);
      await acquired(4, T0 + 3);
    });

    it('says stale rather than busy when a newer version was applied and another send holds the lease', async () => {
      expect(await guard.release(KEY, await acquired(3), 3)).toBe(true);
      await acquired(5, T0 + 1);
      expect((await guard.acquire(KEY, 2, T0 + 2, T0 + 2 + LEASE)).outcome).toBe('stale');
    });

    it('gives the lease back after a failed send without recording its version', async () => {
      expect(await guard.release(KEY, await acquired(3), 3)).toBe(true);
      expect(await guard.release(KEY, await acquired(5, T0 + 1), null)).toBe(true);
      // Free at once (not busy), and 4 is not stale: 5 was never applied.
      await acquired(4, T0 + 2);
    });

    it('does not let a send whose lease was taken over give it back or record its version', async () => {
      const late = await acquired(3);
      const current = await acquired(4, T0 + LEASE);
      expect(await guard.release(KEY, late, 3)).toBe(false);
      expect(await guard.acquire(KEY, 5, T0 + LEASE + 1, T0 + 2 * LEASE)).toEqual({
        outcome: 'busy',
        leaseUntil: T0 + 2 * LEASE,
      });
      expect(await guard.release(KEY, current, 4)).toBe(true);
      expect(await guard.acquire(KEY, 3, T0 + LEASE + 2, T0 + 2 * LEASE)).toEqual({
        outcome: 'stale',
        appliedVersion: 4,
      });
    });

    it('keeps each consumer, user and request apart (a null user too)', async () => {
      await acquired(2);
      for (const other of [
        { ...KEY, consumer: 'forward-zapier' },
        { ...KEY, user: 'u2' },
        { ...KEY, user: null },
        { ...KEY, requestUrl: 'https://app.leadsie.com/request/r2' },
        // A user holding the separator does not reach another pair's item.
        { ...KEY, user: 'u1","https://app.leadsie.com/request/r1' },
      ]) {
        expect((await guard.acquire(other, 1, T0, T0 + LEASE)).outcome, JSON.stringify(other)).toBe(
          'acquired',
        );
      }
    });
  });
};

guardRules('the in-memory ordering guard', () => new InMemoryOrderingGuard());

describe.skipIf(!motoAvailable())('the DynamoDB ordering guard on moto', () => {
  let moto: MotoServer;
  let dynamo: DynamoDBClient;
  /** A client that never asks for the item back on a refused write, as dynalite cannot answer it. */
  let withoutReturnedItem: DynamoDBClient;

  beforeAll(async () => {
    ({ moto, dynamo } = await startMotoWithClients());
    withoutReturnedItem = new DynamoDBClient({ endpoint: moto.endpoint, region: 'us-east-1' });
    withoutReturnedItem.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { ReturnValuesOnConditionCheckFailure?: string };
        delete input.ReturnValuesOnConditionCheckFailure;
        return next(args);
      },
      { step: 'initialize', name: 'dropReturnValuesOnConditionCheckFailure' },
    );
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    await createConnectionsTable(dynamo);
  });

  guardRules('with the refused item returned', () => new DynamoDbOrderingGuard(dynamo, 'connections'));
  guardRules(
    'with the refused item read back',
    () => new DynamoDbOrderingGuard(withoutReturnedItem, 'connections'),
  );

  const raw = async (key: OrderKey) => {
    const result = await dynamo.send(
      new GetItemCommand({
        TableName: 'connections',
        Key: marshall(orderItemKey(key)),
        ConsistentRead: true,
      }),
    );
    return result.Item ? unmarshall(result.Item) : undefined;
  };

  it('keeps one item per pair under its ORDER# key, expiring a while after its lease', async () => {
    const guard = new DynamoDbOrderingGuard(dynamo, 'connections');
    const claim = await guard.acquire(KEY, 2, T0, T0 + LEASE);
    expect(claim.outcome).toBe('acquired');
    const item = await raw(KEY);
    expect(item).toEqual({
      [TABLE.partitionKey]: 'ORDER#hubspot#["u1","https://app.leadsie.com/request/r1"]',
      [TABLE.sortKey]: 'ORDER',
      type: 'order',
      consumer: 'hubspot',
      owner: claim.outcome === 'acquired' ? claim.owner : '',
      leaseUntil: T0 + LEASE,
      [TABLE.ttlAttribute]: Math.ceil((T0 + LEASE) / 1000) + ORDER_ITEM_KEEP_SECONDS,
    });
    if (claim.outcome !== 'acquired') return;
    expect(await guard.release(KEY, claim.owner, 2)).toBe(true);
    const released = await raw(KEY);
    expect(released).toMatchObject({ leaseUntil: 0, appliedVersion: 2 });
    expect(released).not.toHaveProperty('owner');
    // The TTL attribute is a number of epoch seconds in the future of the lease (what DynamoDB reads).
    expect(released?.[TABLE.ttlAttribute]).toBeGreaterThan((T0 + LEASE) / 1000);
  });
});
