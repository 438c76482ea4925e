/**
 * The capacity model against figures worked out by hand from DynamoDB's size and index rules
 * (the rules are listed in `bench/dynamodb-capacity.ts`). Each expectation's arithmetic is in its row.
 */
import { describe, expect, it } from 'vitest';
import {
  failedWriteUnits,
  itemBytes,
  layoutOf,
  queryReadUnits,
  readUnits,
  type TableLayout,
  writeUnits,
} from '../../bench/dynamodb-capacity.ts';

describe('item size', () => {
  it.each([
    ['a string: name + UTF-8 bytes', { pk: 'USER#a' }, 2 + 6],
    ['a multi-byte character', { s: 'é' }, 1 + 2],
    ['a number: one byte per two significant digits, plus one', { n: 123.45 }, 1 + 4],
    ['trailing zeros do not count', { n: 100 }, 1 + 2],
    ['a negative number', { n: -7 }, 1 + 2],
    ['a boolean and a null', { ok: true, x: null }, 2 + 1 + 1 + 1],
    ['a list: 3 + 1 per element + the elements', { l: ['ab', 'c'] }, 1 + 3 + (1 + 2) + (1 + 1)],
    ['a map: 3 + 1 per entry + key + value', { m: { a: 'xy' } }, 1 + 3 + (1 + 1 + 2)],
    ['binary: its bytes', { b: new Uint8Array(10) }, 1 + 10],
    ['an undefined attribute is not stored', { a: 'x', b: undefined }, 1 + 1],
  ])('%s', (_, item, bytes) => {
    expect(itemBytes(item)).toBe(bytes);
  });
});

// A table with one index of each projection type. `keysIdx` is sparse: only items with sPk/sSk.
const LAYOUT: TableLayout = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { name: 'allIdx', partitionKey: 'aPk', sortKey: 'aSk', projection: 'ALL' },
    { name: 'incIdx', partitionKey: 'iPk', sortKey: 'iSk', projection: ['status'] },
    { name: 'keysIdx', partitionKey: 'sPk', sortKey: 'sSk', projection: 'KEYS_ONLY' },
  ],
};

// 3 + 3 + 4 + 4 + 4 + 4 + 8 (status OK) + 4 + 2000 (body) = 2034 bytes: 2 KB for the table and `allIdx`;
// its `incIdx` entry is pk, sk, iPk, iSk, status = 3 + 3 + 4 + 4 + 8 = 22 bytes: 1 KB.
const A = { pk: 'P', sk: 'S', aPk: 'A', aSk: '1', iPk: 'I', iSk: '1', status: 'OK', body: 'b'.repeat(2000) };
// A in the sparse keys-only index too: + sPk PENDING (3 + 7) + sSk x (3 + 1) = 2048 bytes, still 2 KB;
// its `keysIdx` entry: pk, sk, sPk, sSk = 3 + 3 + 10 + 4 = 20 bytes.
const C = { ...A, sPk: 'PENDING', sSk: 'x' };

describe('write units, table and each index by its projection', () => {
  it.each([
    [
      'a new item enters the ALL and INCLUDE indexes, not the sparse one',
      undefined,
      A,
      2,
      { allIdx: 2, incIdx: 1 },
    ],
    [
      // 2134 bytes after: 3 KB for the table and ALL; the INCLUDE entry does not hold the body.
      'an update of an attribute only ALL projects',
      A,
      { ...A, body: 'b'.repeat(2100) },
      3,
      { allIdx: 3 },
    ],
    [
      'an update of an INCLUDE-projected attribute',
      A,
      { ...A, status: 'FAILED' },
      2,
      { allIdx: 2, incIdx: 1 },
    ],
    ['the item enters the KEYS_ONLY index', A, C, 2, { allIdx: 2, keysIdx: 1 }],
    // A key change in an index: a delete of the old entry plus a put of the new one, 1 KB each.
    ['a KEYS_ONLY index key changes: delete + put', C, { ...C, sSk: 'y' }, 2, { allIdx: 2, keysIdx: 2 }],
    ['the item leaves the KEYS_ONLY index', C, A, 2, { allIdx: 2, keysIdx: 1 }],
    ['a delete removes every entry', A, undefined, 2, { allIdx: 2, incIdx: 1 }],
    ['a put of the same item writes no index', A, { ...A }, 2, {}],
    [
      // An unprojected attribute changes: KEYS_ONLY and INCLUDE entries are unchanged. 2048 bytes
      // + version (7 + 2) = 2057 bytes: the item crosses into its third KB.
      'an attribute no index but ALL projects, with the item in every index',
      C,
      { ...C, version: 2 },
      3,
      { allIdx: 3 },
    ],
  ] as const)('%s', (_, before, after, table, indexes) => {
    const units = writeUnits(before, after, LAYOUT);
    expect(units.table).toBe(table);
    expect(units.indexes).toEqual(indexes);
    expect(units.total).toBe(table + Object.values(indexes).reduce((a: number, b: number) => a + b, 0));
  });

  it('a small item costs one unit however small', () => {
    expect(writeUnits(undefined, { pk: 'P', sk: 'S' }, LAYOUT)).toEqual({ table: 1, indexes: {}, total: 1 });
  });

  it('a failed conditional write costs the existing item, at least one unit', () => {
    expect(failedWriteUnits(A)).toBe(2);
    expect(failedWriteUnits(undefined)).toBe(1);
  });
});

describe('read units', () => {
  it.each([
    ['a 2034-byte item, consistent', A, true, 1],
    ['the same, eventually consistent', A, false, 0.5],
    ['5000 bytes: two 4 KB units', { pk: 'x'.repeat(4998) }, true, 2],
    ['5000 bytes, eventually consistent', { pk: 'x'.repeat(4998) }, false, 1],
    ['no item still costs a unit', undefined, true, 1],
  ] as const)('%s', (_, item, consistent, units) => {
    expect(readUnits(item, consistent)).toBe(units);
  });

  it('a query rounds the sum of its items once: 3 x 2034 bytes is 2 units, not 3', () => {
    expect(queryReadUnits([A, A, A], true)).toBe(2);
    expect(queryReadUnits([A, A, A], false)).toBe(1);
  });
});

describe('the layout of a CreateTable request', () => {
  it('reads keys and each projection', () => {
    expect(
      layoutOf({
        TableName: 't',
        AttributeDefinitions: [],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'inc',
            KeySchema: [{ AttributeName: 'iPk', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status'] },
          },
          {
            IndexName: 'keys',
            KeySchema: [
              { AttributeName: 'sPk', KeyType: 'HASH' },
              { AttributeName: 'sSk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      }),
    ).toEqual({
      partitionKey: 'pk',
      sortKey: 'sk',
      indexes: [
        { name: 'inc', partitionKey: 'iPk', sortKey: undefined, projection: ['status'] },
        { name: 'keys', partitionKey: 'sPk', sortKey: 'sSk', projection: 'KEYS_ONLY' },
      ],
    });
  });
});
