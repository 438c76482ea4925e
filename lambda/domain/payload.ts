/**
 * The Leadsie webhook payload, in both formats Leadsie sends.
 *
 * - v1 (Leadsie's help page): `user?`, `requestUrl`, `requestName`, `accessLevel`, `status`,
 *   `connectionAssets[{ type, name, id, isSuccess, message?, time }]`.
 * - v2 (current Leadsie, `apiVersion: 2`): adds `clientName`, `clientSummaryUrl`; assets carry
 *   `platform`, `connectionStatus`, `notes`, `linkToAsset`, … instead of `isSuccess`/`message`.
 *
 * Forward compatible by design: unknown fields are kept (loose objects), enum-like fields are plain
 * strings (an unknown status or asset type never rejects a delivery). A payload is rejected only when
 * it is not a JSON object, lacks what identity and flattening need (`requestUrl`, `requestName`, a
 * `connectionAssets` array whose items have a `type` and an `id`), or carries a wrong type.
 *
 * Built with `zod/mini` (same validation, a fraction of the classic build's size and import cost).
 */

import { en } from 'zod/locales';
import * as z from 'zod/mini';

z.config(en());

/** Connection statuses Leadsie documents for v2 assets; others are accepted as they come. */
export const KNOWN_CONNECTION_STATUSES = [
  'Connected',
  'In progress',
  'Unknown',
  'Insufficient permissions',
  'Not Connected',
] as const;

/** The v2 connection status that counts as a successful connection. */
export const CONNECTED = 'Connected';

const optionalString = z.optional(z.nullable(z.string()));
const optionalBoolean = z.optional(z.nullable(z.boolean()));

/** Fields common to every asset: what identity and flattening need. */
/** Asset ids are strings; an integer id (which Python prints the same way) is read as its string. */
const assetId = z.pipe(
  z.union([z.string(), z.int()], {
    error: (issue) =>
      issue.input === undefined ? 'missing (expected string)' : 'expected a string (or an integer)',
  }),
  z.transform((id: string | number) => String(id)),
);

const assetCore = {
  type: z.string().check(z.minLength(1, 'asset type must not be empty')),
  id: assetId,
  name: optionalString,
  time: optionalString,
};

export const assetV1Schema = z.looseObject({
  ...assetCore,
  isSuccess: optionalBoolean,
  message: optionalString,
});

export const assetV2Schema = z.looseObject({
  ...assetCore,
  platform: optionalString,
  connectionStatus: optionalString,
  wasInitialGrantSuccessful: optionalBoolean,
  notes: optionalString,
  statusLastCheckedAt: optionalString,
  linkToAsset: optionalString,
  accessLevel: optionalString,
  assignedUsers: z.optional(
    z.nullable(
      z.array(
        z.looseObject({
          id: optionalString,
          name: optionalString,
          role: optionalString,
          isSuccess: optionalBoolean,
        }),
      ),
    ),
  ),
  connectedAccount: z.optional(z.nullable(z.looseObject({ id: optionalString, name: optionalString }))),
  wasInvitedByEmail: optionalBoolean,
  wasCreatedByLeadsie: optionalBoolean,
  platformPermissionsGranted: z.optional(
    z.nullable(
      z.union([z.string(), z.array(z.string())], { error: 'expected a string or a list of strings' }),
    ),
  ),
  // Older-style fields, tolerated on v2 assets too.
  isSuccess: optionalBoolean,
  message: optionalString,
});

const payloadCore = {
  user: optionalString,
  requestUrl: z.string().check(z.minLength(1, 'requestUrl must not be empty')),
  requestName: z.string(),
  accessLevel: optionalString,
  status: optionalString,
};

export const payloadV1Schema = z.looseObject({
  ...payloadCore,
  apiVersion: z.optional(z.nullable(z.literal(1))),
  connectionAssets: z.array(assetV1Schema),
});

export const payloadV2Schema = z.looseObject({
  ...payloadCore,
  apiVersion: z.number().check(z.int(), z.gte(2)),
  clientName: optionalString,
  clientSummaryUrl: optionalString,
  connectionAssets: z.array(assetV2Schema),
});

export type AssetV1 = z.infer<typeof assetV1Schema>;
export type AssetV2 = z.infer<typeof assetV2Schema>;
export type PayloadV1 = z.infer<typeof payloadV1Schema>;
export type PayloadV2 = z.infer<typeof payloadV2Schema>;

/** A validated payload, tagged with the format it was read as. */
export type LeadsiePayload = { format: 1; data: PayloadV1 } | { format: 2; data: PayloadV2 };

/** One problem found in a payload: where (`connectionAssets[2].id`) and what. */
export interface PayloadProblem {
  path: string;
  message: string;
}

export type ParseResult = { ok: true; payload: LeadsiePayload } | { ok: false; problems: PayloadProblem[] };

/** Renders a zod issue path as `connectionAssets[2].id` (or `(root)` for the payload itself). */
export const formatPath = (path: readonly PropertyKey[]): string => {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
};

const describe = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
};

/** zod says a missing field was "received undefined"; JSON has no undefined, so say "missing". */
const readable = (message: string): string =>
  message.replace(/^Invalid input: expected (.+), received undefined$/, 'missing (expected $1)');

/** Deepest nesting accepted (a Leadsie payload is 4 levels deep); deeper is rejected before anything recurses. */
export const MAX_NESTING_DEPTH = 64;

/** The nesting depth of a JSON value, measured without recursion (a hostile body cannot blow the stack). */
export const nestingDepth = (value: unknown, stopAbove = Number.POSITIVE_INFINITY): number => {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > stopAbove) return deepest;
    for (const child of Object.values(current)) stack.push([child, level]);
  }
  return deepest;
};

/**
 * Validates a parsed JSON value as a Leadsie payload. `apiVersion` picks the format: absent or 1 is
 * v1, an integer of 2 or more is v2 (a future version is read with the v2 schema and kept as sent).
 */
export const parsePayload = (input: unknown): ParseResult => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      problems: [{ path: '(root)', message: `expected a JSON object, received ${describe(input)}` }],
    };
  }
  if (nestingDepth(input, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
    return {
      ok: false,
      problems: [{ path: '(root)', message: `nested more than ${MAX_NESTING_DEPTH} levels deep` }],
    };
  }
  const apiVersion = (input as { apiVersion?: unknown }).apiVersion;
  if (apiVersion !== undefined && apiVersion !== null && typeof apiVersion !== 'number') {
    return {
      ok: false,
      problems: [
        {
          path: 'apiVersion',
          message: `expected a number (1, or 2 and later), received ${describe(apiVersion)}`,
        },
      ],
    };
  }
  const isV2 = typeof apiVersion === 'number' && apiVersion >= 2;
  const result = isV2 ? payloadV2Schema.safeParse(input) : payloadV1Schema.safeParse(input);
  if (result.success) {
    return isV2
      ? { ok: true, payload: { format: 2, data: result.data as PayloadV2 } }
      : { ok: true, payload: { format: 1, data: result.data as PayloadV1 } };
  }
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({
      path: formatPath(issue.path),
      message: readable(issue.message),
    })),
  };
};
