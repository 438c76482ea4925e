/**
 * DynamoDB capacity, counted the way DynamoDB bills on-demand requests, from the items a request
 * really touched (read back before and after it by `test/bench/sdk-calls.moto.test.ts`):
 *
 * - item size: the UTF-8 bytes of every attribute name plus its value (strings: UTF-8 bytes;
 *   numbers: about one byte per two significant digits plus one; booleans and null: 1; lists and
 *   maps: 3 bytes plus 1 per element plus the elements);
 * - a write: 1 WRU per KB (rounded up) of the larger of the item before and after; a conditional
 *   write whose condition fails: the existing item's size, at least 1 WRU; each global secondary
 *   index (projection ALL here) the item enters, leaves or changes in: one more write of its size,
 *   two when an index key changes value;
 * - a read: 1 RRU per 4 KB (rounded up) when strongly consistent, half that otherwise, at least one
 *   unit even when there is no item.
 */

type Item = Record<string, unknown>;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

const numberBytes = (value: number): number => {
  const digits = String(Math.abs(value))
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
};

export const valueBytes = (value: unknown): number => {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number') return numberBytes(value);
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
    : Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueBytes(value), 0);

const kb = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

export interface IndexKeys {
  name: string;
  partitionKey: string;
  sortKey: string;
}

const indexKeyOf = (item: Item | undefined, index: IndexKeys): string | undefined => {
  if (!item) return undefined;
  const pk = item[index.partitionKey];
  const sk = item[index.sortKey];
  return pk === undefined || sk === undefined ? undefined : JSON.stringify([pk, sk]);
};

/** Write units of one write that succeeded, table and indexes, from the item before and after. */
export const writeUnits = (
  before: Item | undefined,
  after: Item | undefined,
  indexes: readonly IndexKeys[],
): { table: number; indexes: Record<string, number> } => {
  const table = kb(Math.max(itemBytes(before), itemBytes(after)));
  const perIndex: Record<string, number> = {};
  for (const index of indexes) {
    const was = indexKeyOf(before, index);
    const is = indexKeyOf(after, index);
    let units = 0;
    if (was === undefined && is !== undefined) units = kb(itemBytes(after));
    else if (was !== undefined && is === undefined) units = kb(itemBytes(before));
    else if (was !== undefined && is !== undefined) {
      if (was !== is) units = kb(itemBytes(before)) + kb(itemBytes(after));
      else if (JSON.stringify(before) !== JSON.stringify(after))
        units = kb(Math.max(itemBytes(before), itemBytes(after)));
    }
    if (units > 0) perIndex[index.name] = units;
  }
  return { table, indexes: perIndex };
};

/** Write units of a conditional write whose condition failed: the existing item's size, at least 1. */
export const failedWriteUnits = (existing: Item | undefined): number => kb(itemBytes(existing));

/** Read units of a GetItem. */
export const readUnits = (item: Item | undefined, consistent: boolean): number => {
  const units = Math.max(1, Math.ceil(itemBytes(item) / 4096));
  return consistent ? units : units / 2;
};
