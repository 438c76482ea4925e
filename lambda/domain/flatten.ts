/**
 * The flat record: the seed-compatible shape agencies already use in their Zaps, made by the
 * "Code by Zapier" script on Leadsie's help page. For every v1 payload that script accepts, this
 * produces exactly its output, quirks included:
 *
 * - `user_id` is the payload's `user`, `""` when absent and `null` when sent as null;
 * - each asset type becomes a key prefix: lower-cased, spaces (only spaces) turned into `_`;
 * - per prefix, `_id`, `_name`, `_is_success` and `_message` join the assets' values with `", "`,
 *   and every join strips leading and trailing commas and spaces (so empty values vanish, and a
 *   name ending in ", " loses it);
 * - values print as Python prints them: `True`/`False`, `None` for null.
 *
 * v2 payloads use the same key scheme (`_is_success` is `connectionStatus === "Connected"`,
 * `_message` is `notes`) plus `client_name`, `client_summary_url`, `<prefix>_connection_status` and
 * `<prefix>_platform`. The README documents the mapping.
 */
import { CONNECTED, type LeadsiePayload } from './payload.ts';

export type FlatValue = string | null;
export type FlatRecord = Record<string, FlatValue>;

/** How Python's `str()` prints a JSON value, as the reference script's f-strings do. */
export const pythonStr = (value: unknown): string => {
  if (value === undefined || value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return String(value);
};

const isCommaOrSpace = (code: number): boolean => code === 44 || code === 32;

/** Python's `s.strip(', ')`: removes any run of commas and spaces at both ends. */
export const stripCommaSpace = (text: string): string => {
  let start = 0;
  let end = text.length;
  while (start < end && isCommaOrSpace(text.charCodeAt(start))) start++;
  while (end > start && isCommaOrSpace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
};

/** Python's `s.rstrip(', ')`. */
const stripEndCommaSpace = (text: string): string => {
  let end = text.length;
  while (end > 0 && isCommaOrSpace(text.charCodeAt(end - 1))) end--;
  return end === text.length ? text : text.slice(0, end);
};

/** The key prefix of an asset type: `"Instagram Account"` → `"instagram_account"`. */
export const typeKey = (type: string): string => type.toLowerCase().replaceAll(' ', '_');

/** Flat-record keys per format and asset type: a handful of types recur in every payload. */
const KEY_CACHE_LIMIT = 1000;
const keyCache = new Map<readonly string[], Map<string, string[]>>();

const keysOfType = (suffixes: readonly string[], type: string): string[] => {
  let byType = keyCache.get(suffixes);
  if (byType === undefined) {
    byType = new Map();
    keyCache.set(suffixes, byType);
  }
  let keys = byType.get(type);
  if (keys === undefined) {
    const prefix = typeKey(type);
    keys = suffixes.map((suffix) => `${prefix}_${suffix}`);
    // Bounded: types are Leadsie's, but a payload could make up any number of them.
    if (byType.size >= KEY_CACHE_LIMIT) byType.clear();
    byType.set(type, keys);
  }
  return keys;
};

/**
 * The joined fields of one key prefix (`ad_account`): `values[i]` is the field `keys[i]` so far, or
 * undefined before its first value. Every asset of a prefix appends to all its keys, in order.
 */
interface PrefixFields {
  keys: string[];
  values: (string | undefined)[];
}

const V1_SUFFIXES = ['id', 'name', 'is_success', 'message'] as const;
const V2_SUFFIXES = ['id', 'name', 'is_success', 'message', 'connection_status', 'platform'] as const;

/**
 * The flat record under construction. `append` is the script's `f"{prev}, {value}".strip(', ')`,
 * computed without rescanning `prev`: a value `append` made is already stripped (no comma or space
 * at either end), so only the new value's end needs looking at. A key that is also one of the
 * record's first keys (`user_id` for an asset type "User", `client_name` for "Client") starts from
 * that value, and its first append takes the general way, as the script does.
 */
class FlatBuilder {
  /**
   * A plain object: its keys (`user_id`, `<prefix>_<suffix>`, …) are never array indexes nor
   * `__proto__`, so it keeps insertion order, as the script's dict does.
   */
  private readonly record: FlatRecord = {};
  private readonly byType = new Map<string, PrefixFields>();
  private readonly byPrefix = new Map<string, PrefixFields>();

  constructor(private readonly suffixes: readonly string[]) {}

  set(key: string, value: FlatValue): void {
    this.record[key] = value;
  }

  /** The fields of an asset type's prefix (types differing only in case share them, as in the script). */
  fieldsOf(type: string): PrefixFields {
    let fields = this.byType.get(type);
    if (fields === undefined) {
      const keys = keysOfType(this.suffixes, type);
      // Keyed by the first key: types with the same prefix share their fields.
      const first = keys[0] as string;
      fields = this.byPrefix.get(first);
      if (fields === undefined) {
        fields = { keys, values: [] };
        this.byPrefix.set(first, fields);
      }
      this.byType.set(type, fields);
    }
    return fields;
  }

  append(fields: PrefixFields, index: number, value: unknown): void {
    const text = typeof value === 'string' ? value : pythonStr(value);
    const previous = fields.values[index];
    if (previous === undefined) {
      const key = fields.keys[index] as string;
      // `strip(', ' + text)` is `strip(text)` when there is nothing before it.
      fields.values[index] = Object.hasOwn(this.record, key)
        ? stripCommaSpace(`${pythonStr(this.record[key])}, ${text}`)
        : stripCommaSpace(text);
    } else if (previous === '') {
      fields.values[index] = stripCommaSpace(text);
    } else {
      const last = text.length === 0 ? 44 : text.charCodeAt(text.length - 1);
      if (!isCommaOrSpace(last)) {
        fields.values[index] = `${previous}, ${text}`;
      } else {
        const tail = stripEndCommaSpace(text);
        if (tail !== '') fields.values[index] = `${previous}, ${tail}`;
      }
    }
  }

  /** The record: its first keys, then each prefix's keys in the order the prefixes first appeared. */
  build(): FlatRecord {
    for (const fields of this.byPrefix.values()) {
      for (let i = 0; i < fields.keys.length; i++) {
        const value = fields.values[i];
        if (value !== undefined) this.record[fields.keys[i] as string] = value;
      }
    }
    return this.record;
  }
}

const successOfV2 = (asset: { connectionStatus?: string | null; isSuccess?: boolean | null }): unknown => {
  if (typeof asset.isSuccess === 'boolean' && asset.connectionStatus == null) return asset.isSuccess;
  if (asset.connectionStatus == null) return '';
  return asset.connectionStatus === CONNECTED;
};

/** Flattens a validated payload into the seed-compatible flat record. Pure; never throws. */
export const flatten = (payload: LeadsiePayload): FlatRecord => {
  const data = payload.data;
  const flat = new FlatBuilder(payload.format === 1 ? V1_SUFFIXES : V2_SUFFIXES);
  // `actual_payload.get('user', '')`: absent is "", an explicit null stays null.
  flat.set('user_id', data.user === undefined ? '' : data.user);
  flat.set('requestUrl', data.requestUrl);
  flat.set('requestName', data.requestName);

  if (payload.format === 1) {
    for (const asset of payload.data.connectionAssets) {
      const fields = flat.fieldsOf(asset.type);
      flat.append(fields, 0, asset.id);
      flat.append(fields, 1, asset.name === undefined ? '' : asset.name);
      flat.append(fields, 2, asset.isSuccess === undefined ? '' : asset.isSuccess);
      flat.append(fields, 3, asset.message === undefined ? '' : asset.message);
    }
  } else {
    const v2 = payload.data;
    flat.set('client_name', v2.clientName ?? '');
    flat.set('client_summary_url', v2.clientSummaryUrl ?? '');
    for (const asset of v2.connectionAssets) {
      const fields = flat.fieldsOf(asset.type);
      flat.append(fields, 0, asset.id);
      flat.append(fields, 1, asset.name ?? '');
      flat.append(fields, 2, successOfV2(asset));
      flat.append(fields, 3, asset.notes || asset.message || '');
      flat.append(fields, 4, asset.connectionStatus ?? '');
      flat.append(fields, 5, asset.platform ?? '');
    }
  }
  return flat.build();
};
