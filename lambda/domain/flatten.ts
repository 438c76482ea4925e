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

const EDGE_COMMAS_AND_SPACES = /^[, ]+|[, ]+$/g;

/** Python's `s.strip(', ')`: removes any run of commas and spaces at both ends. */
export const stripCommaSpace = (text: string): string => text.replace(EDGE_COMMAS_AND_SPACES, '');

/** The key prefix of an asset type: `"Instagram Account"` → `"instagram_account"`. */
export const typeKey = (type: string): string => type.toLowerCase().replaceAll(' ', '_');

/** Appends one value to the joined field, as the script does: `f"{prev}, {value}".strip(', ')`. */
const append = (record: Map<string, FlatValue>, key: string, value: unknown): void => {
  const previous = record.has(key) ? pythonStr(record.get(key)) : '';
  record.set(key, stripCommaSpace(`${previous}, ${pythonStr(value)}`));
};

const successOfV2 = (asset: { connectionStatus?: string | null; isSuccess?: boolean | null }): unknown => {
  if (typeof asset.isSuccess === 'boolean' && asset.connectionStatus == null) return asset.isSuccess;
  if (asset.connectionStatus == null) return '';
  return asset.connectionStatus === CONNECTED;
};

/** Flattens a validated payload into the seed-compatible flat record. Pure; never throws. */
export const flatten = (payload: LeadsiePayload): FlatRecord => {
  const data = payload.data;
  const record = new Map<string, FlatValue>();
  // `actual_payload.get('user', '')`: absent is "", an explicit null stays null.
  record.set('user_id', data.user === undefined ? '' : data.user);
  record.set('requestUrl', data.requestUrl);
  record.set('requestName', data.requestName);

  if (payload.format === 1) {
    for (const asset of payload.data.connectionAssets) {
      const prefix = typeKey(asset.type);
      append(record, `${prefix}_id`, asset.id);
      append(record, `${prefix}_name`, asset.name === undefined ? '' : asset.name);
      append(record, `${prefix}_is_success`, asset.isSuccess === undefined ? '' : asset.isSuccess);
      append(record, `${prefix}_message`, asset.message === undefined ? '' : asset.message);
    }
  } else {
    const v2 = payload.data;
    record.set('client_name', v2.clientName ?? '');
    record.set('client_summary_url', v2.clientSummaryUrl ?? '');
    for (const asset of v2.connectionAssets) {
      const prefix = typeKey(asset.type);
      append(record, `${prefix}_id`, asset.id);
      append(record, `${prefix}_name`, asset.name ?? '');
      append(record, `${prefix}_is_success`, successOfV2(asset));
      append(record, `${prefix}_message`, asset.notes || asset.message || '');
      append(record, `${prefix}_connection_status`, asset.connectionStatus ?? '');
      append(record, `${prefix}_platform`, asset.platform ?? '');
    }
  }
  return Object.fromEntries(record);
};
