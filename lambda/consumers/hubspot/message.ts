/**
 * From a connection event to CRM properties, through a property mapping: source key → CRM property.
 *
 * Source keys are:
 * - any key of the flat record (`requestName`, `user_id`, `client_name`, `meta_ad_account_id`, …),
 *   with its value as the flat record has it (Python-style `True`/`False`, several assets of one
 *   type joined with `", "`, so a `…_is_success` property is text such as `"True, False"`);
 * - the derived keys of every event (`DERIVED_SOURCE_KEYS`): `status`, `access_level`, `request_name`,
 *   `request_url`, `client_name`, `received_at`, `event_id`, `version`, `api_version`. A derived key
 *   wins over a flat key of the same name (`client_name` is null, not `""`, when Leadsie sent none);
 * - patterns containing `<type>` (`<type>_id`), expanded over every asset type key of the event. The
 *   property name may use `<type>` too, and gets the type key made into a valid HubSpot name
 *   (`hubspotTypeName`): `{ "<type>_id": "leadsie_<type>_ids" }` gives `leadsie_meta_ad_account_ids`.
 *
 * Pure: no I/O. `parsePropertyMapping` is used both by the CDK config at synth and by the Lambda at
 * cold start, so a bad mapping fails the deployment before it can fail a delivery.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import type { ConnectionEvent } from '../../domain/envelope.ts';

/** Source key (flat-record key, derived key or `<type>` pattern) → CRM property name. */
export type PropertyMapping = Record<string, string>;

/** The placeholder that expands over the asset types of an event. */
export const TYPE_PLACEHOLDER = '<type>';

/** Keys every event has, whatever its format, beside the flat record's own keys. */
export const DERIVED_SOURCE_KEYS = [
  'status',
  'access_level',
  'request_name',
  'request_url',
  'client_name',
  'received_at',
  'event_id',
  'version',
  'api_version',
] as const;
export type DerivedSourceKey = (typeof DERIVED_SOURCE_KEYS)[number];

/** The default HubSpot mapping: one `leadsie_…` property per fact, three per asset type. */
export const DEFAULT_HUBSPOT_MAPPING: PropertyMapping = Object.freeze({
  status: 'leadsie_status',
  access_level: 'leadsie_access_level',
  request_name: 'leadsie_request_name',
  request_url: 'leadsie_request_url',
  client_name: 'leadsie_client_name',
  received_at: 'leadsie_last_connection_at',
  '<type>_id': 'leadsie_<type>_ids',
  '<type>_name': 'leadsie_<type>_names',
  '<type>_is_success': 'leadsie_<type>_connected',
});

/** A HubSpot property's internal name: lower-case letters, digits and `_`, starting with a letter. */
export const HUBSPOT_PROPERTY_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * An asset type key as a valid HubSpot name part: accents dropped (`über` → `uber`), lower-cased,
 * every run of characters outside `[a-z0-9_]` and of `_` made one `_`, `_` trimmed at both ends, and
 * `type_` put in front when it would not start with a letter (`1st_party` → `type_1st_party`). A key
 * with nothing left (`日本語`) becomes `type_` + 8 hex digits of its SHA-256, stable and distinct.
 */
export const hubspotTypeName = (typeKey: string): string => {
  const name = typeKey
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  if (name === '') return `type_${createHash('sha256').update(typeKey).digest('hex').slice(0, 8)}`;
  return /^[a-z]/.test(name) ? name : `type_${name}`;
};

const describe = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
};

/** What is wrong with one entry of a mapping; empty when nothing is. */
const entryProblems = (key: string, value: unknown): string[] => {
  const problems: string[] = [];
  if (key.trim() === '') problems.push('the source key is empty');
  if (key.replaceAll(TYPE_PLACEHOLDER, '').match(/[<>]/)) {
    problems.push(`the source key has "<" or ">" other than the ${TYPE_PLACEHOLDER} placeholder`);
  }
  if (typeof value !== 'string') {
    problems.push(`the property name must be a string, not ${describe(value)}`);
    return problems;
  }
  if (value.includes(TYPE_PLACEHOLDER) && !key.includes(TYPE_PLACEHOLDER)) {
    problems.push(`the property name uses ${TYPE_PLACEHOLDER} but the source key does not`);
  }
  if (!HUBSPOT_PROPERTY_NAME.test(value.replaceAll(TYPE_PLACEHOLDER, 'type'))) {
    problems.push(
      `not a valid HubSpot property name (lower-case letters, digits and "_", starting with a letter${
        key.includes(TYPE_PLACEHOLDER) ? `, plus ${TYPE_PLACEHOLDER}` : ''
      })`,
    );
  }
  return problems;
};

/**
 * A property mapping, as JSON gives it: an object of non-empty source keys to HubSpot property
 * names; `<type>` may appear in a name only when its key has it too. Every bad entry is an issue at
 * its key's path, all of them reported at once.
 */
export const propertyMappingSchema = z.pipe(
  z
    .record(z.string(), z.unknown(), {
      error: (issue) =>
        `expected a JSON object of source key → HubSpot property name, not ${describe(issue.input)}`,
    })
    .check(
      z.superRefine((mapping, ctx) => {
        const entries = Object.entries(mapping);
        if (entries.length === 0) {
          ctx.addIssue({ code: 'custom', message: 'the mapping maps nothing', input: mapping });
        }
        for (const [key, value] of entries) {
          for (const message of entryProblems(key, value)) {
            ctx.addIssue({ code: 'custom', message, path: [key], input: value });
          }
        }
      }),
    ),
  z.record(z.string(), z.string()),
);

/**
 * Validates a property mapping (parsed JSON). Throws an `Error` whose message lists every bad entry,
 * one per line: `"status" → "Leadsie Status": not a valid HubSpot property name (…)`.
 */
export const parsePropertyMapping = (input: unknown): PropertyMapping => {
  const result = propertyMappingSchema.safeParse(input);
  if (result.success) return Object.fromEntries(Object.entries(result.data));
  const lines = result.error.issues.map((issue) => {
    const key = issue.path[0];
    if (typeof key !== 'string') return `  - ${issue.message}`;
    const value = (input as Record<string, unknown>)[key];
    const shown = value === undefined ? 'undefined' : JSON.stringify(value);
    return `  - ${JSON.stringify(key)} → ${shown}: ${issue.message}`;
  });
  const count = result.error.issues.length;
  throw new Error(
    `Invalid HubSpot property mapping (${count} ${count === 1 ? 'problem' : 'problems'}):\n${lines.join('\n')}`,
  );
};

const derivedValue = (event: ConnectionEvent, key: DerivedSourceKey): string | null => {
  switch (key) {
    case 'status':
      return event.status;
    case 'access_level':
      return event.accessLevel;
    case 'request_name':
      return event.request.name;
    case 'request_url':
      return event.request.url;
    case 'client_name':
      return event.client?.name ?? null;
    case 'received_at':
      return event.receivedAt;
    case 'event_id':
      return event.eventId;
    case 'version':
      return String(event.version);
    case 'api_version':
      return String(event.apiVersion);
  }
};

const isDerived = (key: string): key is DerivedSourceKey =>
  (DERIVED_SOURCE_KEYS as readonly string[]).includes(key);

/** The value of one concrete source key: derived first, then the flat record; undefined when absent. */
const sourceValue = (event: ConnectionEvent, key: string): string | null | undefined => {
  if (isDerived(key)) return derivedValue(event, key);
  return Object.hasOwn(event.flat, key) ? event.flat[key] : undefined;
};

/**
 * The CRM properties of one event under a (validated) mapping, as strings.
 *
 * - A key whose value is null, or absent from this event (a flat key of another asset type, a
 *   `client_name` on v1), is **omitted**, never sent as `""`: HubSpot clears a property given `""`,
 *   and a delivery that does not know a value must not erase one an earlier delivery set.
 * - A value that is `""` in the event (a `…_message` of an asset with no note) is sent as `""`: the
 *   event says it is empty, so an old note is cleared.
 * - Keys with `<type>` expand over the event's asset type keys, in the order the assets come.
 * - When two entries give the same property (two type keys that sanitise alike, `tiktok__ad` and
 *   `tiktok_ad`, or a name without `<type>`), the values are joined with `", "` in mapping order,
 *   empty ones skipped, as the flat record joins the values of one type.
 */
export const crmProperties = (event: ConnectionEvent, mapping: PropertyMapping): Record<string, string> => {
  const typeKeys = [...new Set(event.assets.map((asset) => asset.typeKey))];
  const out = new Map<string, string>();
  const put = (property: string, value: string | null | undefined): void => {
    if (value === null || value === undefined) return;
    const previous = out.get(property);
    if (previous === undefined || previous === '') out.set(property, value);
    else if (value !== '') out.set(property, `${previous}, ${value}`);
  };
  for (const [key, property] of Object.entries(mapping)) {
    if (!key.includes(TYPE_PLACEHOLDER)) {
      put(property, sourceValue(event, key));
      continue;
    }
    for (const typeKey of typeKeys) {
      const flatKey = key.replaceAll(TYPE_PLACEHOLDER, typeKey);
      const value = Object.hasOwn(event.flat, flatKey) ? event.flat[flatKey] : undefined;
      put(property.replaceAll(TYPE_PLACEHOLDER, hubspotTypeName(typeKey)), value);
    }
  }
  return Object.fromEntries(out);
};
