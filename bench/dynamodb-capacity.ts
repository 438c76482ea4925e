/**
 * DynamoDB capacity, counted the way DynamoDB bills on-demand requests, from the items a request
 * touched and the table's index layout. moto reports 1.0 consumed capacity for everything, so the
 * bench computes it (`test/bench/sdk-calls.moto.test.ts` reads each item back before and after a
 * request and hands both here, with the indexes of `connectionsTableDefinition`: a layout change
 * shows in the bench without touching this file).
 *
 * The rules (DynamoDB developer guide: "Item sizes and formats", "Read/write capacity mode",
 * "Provisioned throughput considerations for global secondary indexes"):
 * - item size: the UTF-8 bytes of every attribute name plus its value (strings: UTF-8 bytes;
 *   binary: its bytes; numbers: one byte per two significant digits, plus one; booleans and null: 1;
 *   lists and maps: 3 bytes, plus 1 per element, plus the elements and a map's keys);
 * - a table write: 1 unit per KB (rounded up) of the larger of the item before and after; a
 *   conditional write whose condition fails: the existing item's size, at least one unit;
 * - an index entry holds the index keys, the table keys and the projected attributes (KEYS_ONLY:
 *   nothing more; INCLUDE: the listed attributes; ALL: every attribute);
 * - a write touches an index only when the item enters it (1 put), leaves it (1 delete), changes an
 *   index key (a delete of the old entry plus a put of the new one), or changes a projected
 *   attribute in place (1 write); each such write is 1 unit per KB of its entry, rounded up;
 * - a read: 1 unit per 4 KB (rounded up) when strongly consistent, half that when eventually
 *   consistent; a GetItem of nothing still costs its unit. A Query rounds the sum of the items it
 *   returns, not each item.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

type Item = Record<string, unknown>;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

const numberBytes = (value: number | bigint): number => {
  const digits = String(value)
    .replace(/^-/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
};

export const valueBytes = (value: unknown): number => {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberBytes(value);
  if (value instanceof Uint8Array) return value.length;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueBytes(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueBytes(v), 0);
  if (typeof value === 'object') {
    return (
      3 + Object.entries(value as Item).reduce((sum, [name, v]) => sum + 1 + utf8(name) + valueBytes(v), 0)
    );
  }
  return 0;
};

/** The size of an item (an unmarshalled DynamoDB item: plain JS values). */
export const itemBytes = (item: Item | undefined): number =>
  item === undefined
    ? 0
    : Object.entries(item).reduce(
        (sum, [name, value]) => (value === undefined ? sum : sum + utf8(name) + valueBytes(value)),
        0,
      );

const writeKb = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/** A global secondary index as the capacity model needs it. */
export interface IndexLayout {
  name: string;
  partitionKey: string;
  sortKey?: string;
  /** `ALL`, `KEYS_ONLY`, or the non-key attributes an INCLUDE projection lists. */
  projection: 'ALL' | 'KEYS_ONLY' | readonly string[];
}

/** The table's keys and its indexes. */
export interface TableLayout {
  partitionKey: string;
  sortKey?: string;
  indexes: readonly IndexLayout[];
}

/** The layout of a CreateTable request (what moto and local mode create, and what the stack deploys). */
export const layoutOf = (definition: CreateTableCommandInput): TableLayout => {
  const keyOf = (schema: { AttributeName?: string; KeyType?: string }[] | undefined, type: string) =>
    schema?.find((k) => k.KeyType === type)?.AttributeName;
  const partitionKey = keyOf(definition.KeySchema, 'HASH');
  if (!partitionKey) throw new Error('the table definition has no partition key');
  return {
    partitionKey,
    sortKey: keyOf(definition.KeySchema, 'RANGE'),
    indexes: (definition.GlobalSecondaryIndexes ?? []).map((index) => {
      const pk = keyOf(index.KeySchema, 'HASH');
      if (!index.IndexName || !pk) throw new Error('an index of the table definition has no name or key');
      const type = index.Projection?.ProjectionType ?? 'ALL';
      return {
        name: index.IndexName,
        partitionKey: pk,
        sortKey: keyOf(index.KeySchema, 'RANGE'),
        projection: type === 'INCLUDE' ? [...(index.Projection?.NonKeyAttributes ?? [])] : type,
      } satisfies IndexLayout;
    }),
  };
};

const keysOf = (table: TableLayout, index: IndexLayout): string[] =>
  [table.partitionKey, table.sortKey, index.partitionKey, index.sortKey].filter(
    (k): k is string => k !== undefined,
  );

/** The entry an item has in an index, or undefined when the item is not in it (a key missing: sparse). */
export const indexEntry = (
  item: Item | undefined,
  table: TableLayout,
  index: IndexLayout,
): Item | undefined => {
  if (!item) return undefined;
  if (item[index.partitionKey] === undefined) return undefined;
  if (index.sortKey !== undefined && item[index.sortKey] === undefined) return undefined;
  if (index.projection === 'ALL') return item;
  const names = new Set([
    ...keysOf(table, index),
    ...(index.projection === 'KEYS_ONLY' ? [] : index.projection),
  ]);
  return Object.fromEntries(Object.entries(item).filter(([name, v]) => names.has(name) && v !== undefined));
};

const same = (a: unknown, b: unknown): boolean => {
  if (a instanceof Set && b instanceof Set) return same([...a].sort(), [...b].sort());
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).filter((k) => (a as Item)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Item)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => same((a as Item)[k], (b as Item)[k]));
  }
  return a === b;
};

export interface WriteUnits {
  table: number;
  /** Units per index written; an index the write did not touch is absent. */
  indexes: Record<string, number>;
  total: number;
}

/** Write units of one write that succeeded (put, update or delete), from the item before and after. */
export const writeUnits = (
  before: Item | undefined,
  after: Item | undefined,
  table: TableLayout,
): WriteUnits => {
  const tableUnits = writeKb(Math.max(itemBytes(before), itemBytes(after)));
  const indexes: Record<string, number> = {};
  for (const index of table.indexes) {
    const was = indexEntry(before, table, index);
    const is = indexEntry(after, table, index);
    let units = 0;
    if (!was && is) units = writeKb(itemBytes(is));
    else if (was && !is) units = writeKb(itemBytes(was));
    else if (was && is) {
      const keyChanged =
        !same(was[index.partitionKey], is[index.partitionKey]) ||
        (index.sortKey !== undefined && !same(was[index.sortKey], is[index.sortKey]));
      if (keyChanged) units = writeKb(itemBytes(was)) + writeKb(itemBytes(is));
      else if (!same(was, is)) units = writeKb(Math.max(itemBytes(was), itemBytes(is)));
    }
    if (units > 0) indexes[index.name] = units;
  }
  const total = tableUnits + Object.values(indexes).reduce((a, b) => a + b, 0);
  return { table: tableUnits, indexes, total };
};

/** Write units of a conditional write whose condition failed: the existing item's size, at least 1. */
export const failedWriteUnits = (existing: Item | undefined): number => writeKb(itemBytes(existing));

/** Read units of a GetItem (or of one item of a BatchGetItem). */
export const readUnits = (item: Item | undefined, consistent: boolean): number => {
  const units = Math.max(1, Math.ceil(itemBytes(item) / 4096));
  return consistent ? units : units / 2;
};

/** Read units of one Query page: the sum of the returned items' sizes, rounded up once. */
export const queryReadUnits = (items: readonly Item[], consistent: boolean): number => {
  const units = Math.max(1, Math.ceil(items.reduce((sum, i) => sum + itemBytes(i), 0) / 4096));
  return consistent ? units : units / 2;
};
