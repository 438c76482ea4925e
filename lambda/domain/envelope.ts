/**
 * The event envelope (schema version 1): what the ingest function publishes on the "connection
 * events" topic, and what every subscriber receives. Its JSON Schema is generated from `envelopeSchema`
 * into `schema/connection-event.v1.schema.json` (`npm run generate:schema`); a test keeps it current.
 */
import * as z from 'zod/mini';
import { ENVELOPE_SCHEMA_VERSION, type MESSAGE_ATTRIBUTES } from '../contract.ts';
import { type FlatRecord, flatten, typeKey } from './flatten.ts';
import { CONNECTED, type LeadsiePayload } from './payload.ts';

/**
 * The schemas, built once at module load by the calls below. Each export is one call annotated as
 * pure, so a bundle that only builds envelopes (the ingest function publishes them, it never
 * validates one) leaves the schemas, and the zod code only they use, out (`npm run bench`).
 */
const buildSchemas = () => {
  const nullableString = z.nullable(z.string());

  const envelopeAssetSchema = z.object({
    type: z.string(),
    typeKey: z.string(),
    platform: nullableString,
    id: z.string(),
    name: nullableString,
    ok: z.nullable(z.boolean()),
    connectionStatus: nullableString,
    message: nullableString,
    time: nullableString,
    link: nullableString,
  });

  const envelopeSchema = z.object({
    schemaVersion: z.literal(ENVELOPE_SCHEMA_VERSION),
    eventId: z.string(),
    fingerprint: z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/)),
    receivedAt: z.iso.datetime(),
    user: nullableString,
    request: z.object({ url: z.string(), name: z.string() }),
    client: z.nullable(z.object({ name: nullableString, summaryUrl: nullableString })),
    status: nullableString,
    accessLevel: nullableString,
    apiVersion: z.int().check(z.gte(1)),
    isTest: z.boolean(),
    version: z.number().check(z.int(), z.gte(0)),
    assets: z.array(envelopeAssetSchema),
    flat: z.record(z.string(), nullableString),
  });
  return { envelopeAssetSchema, envelopeSchema };
};

type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;
const schema = <K extends keyof Schemas>(name: K): Schemas[K] => {
  built ??= buildSchemas();
  return built[name];
};

export const envelopeAssetSchema = /* @__PURE__ */ schema('envelopeAssetSchema');
export const envelopeSchema = /* @__PURE__ */ schema('envelopeSchema');

export type EnvelopeAsset = z.infer<typeof envelopeAssetSchema>;
export type ConnectionEvent = z.infer<typeof envelopeSchema>;

/**
 * Leadsie's test deliveries: its documented sample uses a user like `test-user-…` and carries a
 * `leadsieTestClientId` field. This is the one place that rule lives.
 */
export const isLeadsieTestPayload = (payload: LeadsiePayload): boolean => {
  const data = payload.data as Record<string, unknown> & { user?: string | null };
  return (
    'leadsieTestClientId' in data || (typeof data.user === 'string' && data.user.startsWith('test-user-'))
  );
};

/**
 * v1 payloads name no platform; the asset types the v1 help page documents are all Meta (Facebook)
 * assets. Any other v1 type has no known platform.
 */
const V1_META_TYPES = new Set(['ad account', 'page', 'pixel', 'instagram account', 'catalog']);

const orNull = <T>(value: T | null | undefined): T | null => (value === undefined ? null : value);
const nonEmptyOrNull = (value: string | null | undefined): string | null =>
  value === undefined || value === null || value === '' ? null : value;

/** The assets of either format in one normalised shape. */
export const normaliseAssets = (payload: LeadsiePayload): EnvelopeAsset[] => {
  if (payload.format === 1) {
    return payload.data.connectionAssets.map((asset) => ({
      type: asset.type,
      typeKey: typeKey(asset.type),
      platform: V1_META_TYPES.has(asset.type.toLowerCase()) ? 'Meta' : null,
      id: asset.id,
      name: orNull(asset.name),
      ok: orNull(asset.isSuccess),
      connectionStatus: null,
      message: nonEmptyOrNull(asset.message),
      time: orNull(asset.time),
      link: null,
    }));
  }
  return payload.data.connectionAssets.map((asset) => ({
    type: asset.type,
    typeKey: typeKey(asset.type),
    platform: nonEmptyOrNull(asset.platform),
    id: asset.id,
    name: orNull(asset.name),
    ok: asset.connectionStatus == null ? orNull(asset.isSuccess) : asset.connectionStatus === CONNECTED,
    connectionStatus: orNull(asset.connectionStatus),
    message: nonEmptyOrNull(asset.notes || asset.message),
    time: orNull(asset.time),
    link: nonEmptyOrNull(asset.linkToAsset),
  }));
};

export interface EnvelopeInput {
  payload: LeadsiePayload;
  eventId: string;
  fingerprint: string;
  receivedAt: string;
  /** Per-(user, request) counter from the store; 0 for a delivery superseded by a newer one. */
  version: number;
  /** The flat record, when the caller already has it. */
  flat?: FlatRecord;
}

/** Builds the envelope of one delivery. Pure: the same input always gives the same envelope. */
export const buildEnvelope = (input: EnvelopeInput): ConnectionEvent => {
  const { payload } = input;
  const data = payload.data;
  return {
    schemaVersion: ENVELOPE_SCHEMA_VERSION,
    eventId: input.eventId,
    fingerprint: input.fingerprint,
    receivedAt: input.receivedAt,
    user: nonEmptyOrNull(data.user),
    request: { url: data.requestUrl, name: data.requestName },
    client:
      payload.format === 2 && (payload.data.clientName != null || payload.data.clientSummaryUrl != null)
        ? { name: orNull(payload.data.clientName), summaryUrl: orNull(payload.data.clientSummaryUrl) }
        : null,
    status: orNull(data.status),
    accessLevel: orNull(data.accessLevel),
    apiVersion: payload.format === 1 ? 1 : payload.data.apiVersion,
    isTest: isLeadsieTestPayload(payload),
    version: input.version,
    assets: normaliseAssets(payload),
    flat: input.flat ?? flatten(payload),
  };
};

/** Message attribute values of an envelope, for SNS filter policies; unset where the value is null. */
export type EnvelopeAttributes = Partial<Record<keyof typeof MESSAGE_ATTRIBUTES, string | string[]>>;

const distinct = (values: (string | null)[]): string[] => [
  ...new Set(values.filter((v): v is string => v !== null && v !== '')),
];

export const envelopeAttributes = (event: ConnectionEvent): EnvelopeAttributes => {
  const attributes: EnvelopeAttributes = {
    apiVersion: String(event.apiVersion),
    isTest: String(event.isTest),
    hasUser: String(event.user !== null),
    platforms: distinct(event.assets.map((a) => a.platform)),
    assetTypes: distinct(event.assets.map((a) => a.type)),
  };
  if (event.status) attributes.status = event.status;
  if (event.accessLevel) attributes.accessLevel = event.accessLevel;
  return attributes;
};
