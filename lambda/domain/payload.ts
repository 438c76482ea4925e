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
import { illFormedStrings } from './unicode.ts';

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

/**
 * The schemas, built once at module load by the calls below. Each export is one call annotated as
 * pure, so a bundle that never validates a payload (a consumer needs only `formatPath` and
 * `CONNECTED` from this module) leaves the schemas, and the zod code only they use, out: 11 KB and
 * several milliseconds of every consumer's cold start (`npm run bench`).
 */
const buildSchemas = () => {
  const optionalString = z.optional(z.nullable(z.string()));
  const optionalBoolean = z.optional(z.nullable(z.boolean()));

  /** Asset ids are strings; an integer id (which Python prints the same way) is read as its string. */
  const assetId = z.pipe(
    z.union([z.string(), z.int()], {
      error: (issue) =>
        issue.input === undefined ? 'missing (expected string)' : 'expected a string (or an integer)',
    }),
    z.transform((id: string | number) => String(id)),
  );

  /** Fields common to every asset: what identity and flattening need. */
  const assetCore = {
    type: z.string().check(z.minLength(1, 'asset type must not be empty')),
    id: assetId,
    name: optionalString,
    time: optionalString,
  };

  const assetV1Schema = z.looseObject({
    ...assetCore,
    isSuccess: optionalBoolean,
    message: optionalString,
  });

  const assetV2Schema = z.looseObject({
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

  const payloadV1Schema = z.looseObject({
    ...payloadCore,
    apiVersion: z.optional(z.nullable(z.literal(1))),
    connectionAssets: z.array(assetV1Schema),
  });

  const payloadV2Schema = z.looseObject({
    ...payloadCore,
    apiVersion: z.number().check(z.int(), z.gte(2)),
    clientName: optionalString,
    clientSummaryUrl: optionalString,
    connectionAssets: z.array(assetV2Schema),
  });
  return { assetV1Schema, assetV2Schema, payloadV1Schema, payloadV2Schema };
};

type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;
const schema = <K extends keyof Schemas>(name: K): Schemas[K] => {
  built ??= buildSchemas();
  return built[name];
};

export const assetV1Schema = /* @__PURE__ */ schema('assetV1Schema');
export const assetV2Schema = /* @__PURE__ */ schema('assetV2Schema');
export const payloadV1Schema = /* @__PURE__ */ schema('payloadV1Schema');
export const payloadV2Schema = /* @__PURE__ */ schema('payloadV2Schema');

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
 * True when a JSON value nests more than `limit` levels (the same test as
 * `nestingDepth(value, limit) > limit`, without its allocations). It recurses at most `limit` + 1
 * frames deep, so a hostile body cannot blow the stack.
 */
const deeperThan = (value: unknown, limit: number): boolean => {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  // Leaves are checked here rather than by a call each: most of a payload is leaves.
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'object' && item !== null && deeperThan(item, limit - 1)) return true;
    }
    return false;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null && deeperThan(item, limit - 1)) return true;
  }
  return false;
};

/**
 * The payload schemas compiled by zod (`z.compile`): generated validators with the runtime parser's
 * results, several times faster per payload. `strict`: a schema zod cannot compile throws here, and
 * in a test, instead of silently running on the slower runtime parser.
 */
let compiled: { v1: typeof payloadV1Schema; v2: typeof payloadV2Schema } | undefined;
export const compiledPayloadSchemas = (): { v1: typeof payloadV1Schema; v2: typeof payloadV2Schema } => {
  compiled ??= {
    v1: z.compile(payloadV1Schema, { strict: true }),
    v2: z.compile(payloadV2Schema, { strict: true }),
  };
  return compiled;
};

/**
 * Payloads a container validates with the runtime parser before it compiles the schemas. Compiling
 * costs as much CPU as many validations, so it is kept off a container's first requests (its cold
 * start, which `npm run bench` holds at or under the previous release's) and paid once it is warm.
 */
export const COMPILE_AFTER_PAYLOADS = 20;
let validated = 0;

/** True once this container validates payloads with the compiled schemas. */
export const payloadSchemasCompiled = (): boolean => compiled !== undefined;

const payloadSchemas = (): { v1: typeof payloadV1Schema; v2: typeof payloadV2Schema } => {
  if (compiled !== undefined) return compiled;
  validated++;
  return validated > COMPILE_AFTER_PAYLOADS
    ? compiledPayloadSchemas()
    : { v1: payloadV1Schema, v2: payloadV2Schema };
};

/**
 * Validates a parsed JSON value as a Leadsie payload. `apiVersion` picks the format: absent or 1 is
 * v1, an integer of 2 or more is v2 (a future version is read with the v2 schema and kept as sent).
 */
/**
 * Most assets one payload may carry. A Leadsie request has a few dozen; the event of a payload with
 * this many would not fit in one SNS message anyway (it is refused with 413 before storing).
 */
export const MAX_ASSETS = 2_000;

/** Most problems reported for one payload; the rest are counted in a last line. */
export const MAX_PROBLEMS = 50;

export const parsePayload = (input: unknown): ParseResult => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      problems: [{ path: '(root)', message: `expected a JSON object, received ${describe(input)}` }],
    };
  }
  if (deeperThan(input, MAX_NESTING_DEPTH)) {
    return {
      ok: false,
      problems: [{ path: '(root)', message: `nested more than ${MAX_NESTING_DEPTH} levels deep` }],
    };
  }
  // Anywhere, keys included: a string no UTF-8 or SNS attribute can carry is refused by its path.
  const illFormed = illFormedStrings(input, MAX_PROBLEMS + 1);
  if (illFormed.length > 0) {
    const problems = illFormed.slice(0, MAX_PROBLEMS);
    if (illFormed.length > MAX_PROBLEMS) {
      problems.push({ path: '(root)', message: 'and more strings that are not well-formed' });
    }
    return { ok: false, problems };
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
  const assets = (input as { connectionAssets?: unknown }).connectionAssets;
  if (Array.isArray(assets) && assets.length > MAX_ASSETS) {
    // Checked before zod, which would build one issue per element of a hostile array.
    return {
      ok: false,
      problems: [
        { path: 'connectionAssets', message: `${assets.length} assets; at most ${MAX_ASSETS} are accepted` },
      ],
    };
  }
  const isV2 = typeof apiVersion === 'number' && apiVersion >= 2;
  const schemas = payloadSchemas();
  const result = isV2 ? schemas.v2.safeParse(input) : schemas.v1.safeParse(input);
  if (result.success) {
    return isV2
      ? { ok: true, payload: { format: 2, data: result.data as PayloadV2 } }
      : { ok: true, payload: { format: 1, data: result.data as PayloadV1 } };
  }
  const issues = result.error.issues;
  const problems: PayloadProblem[] = issues.slice(0, MAX_PROBLEMS).map((issue) => ({
    path: formatPath(issue.path),
    message: readable(issue.message),
  }));
  if (issues.length > MAX_PROBLEMS) {
    problems.push({ path: '(root)', message: `and ${issues.length - MAX_PROBLEMS} more problems` });
  }
  return { ok: false, problems };
};
