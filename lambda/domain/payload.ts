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

// ── The fast path ────────────────────────────────────────────────────────────────────────────────
//
// zod's general machinery (issue lists, contexts, a copy of every object) costs about 1 µs per
// asset: as much as the reference script needs to parse and flatten a whole payload. So each
// payload schema is also compiled, from its own zod definition, into plain checks that either give
// the value zod would (the same keys and values, the same transforms) or give up. Giving up costs
// nothing but the time spent: parsePayload then asks zod, which decides and says what is wrong. The
// fast path accepts only what zod accepts, and what it cannot mirror (a type or check it does not
// know) fails the compilation loudly, when the first payload is parsed. `test/bench/` checks the two
// agree on every fixture, golden and generated payload.

/** What a compiled check returns when it gives up. */
const GIVE_UP: unique symbol = Symbol('give up');
type Compiled = (value: unknown) => unknown;

interface ZodDefLike {
  type: string;
  checks?: { _zod: { def: ZodDefLike & Record<string, unknown> } }[];
  [key: string]: unknown;
}
type ZodLike = { _zod: { def: ZodDefLike } };

/** What a zod transform is given besides the value: where it may report an issue (then zod decides). */
class TransformContext {
  readonly issues: unknown[] = [];
  constructor(readonly value: unknown) {}
  addIssue(issue: unknown): void {
    this.issues.push(issue);
  }
}

const unsupported = (what: string): never => {
  throw new Error(
    `payload fast path: cannot mirror zod ${what}; teach compileSchema in lambda/domain/payload.ts`,
  );
};

/** A number check of zod's (`int()`, `gte()`) as a predicate. */
const numberCheck = (def: Record<string, unknown>): ((n: number) => boolean) => {
  if (def.check === 'number_format' && def.format === 'safeint') return Number.isSafeInteger;
  if (def.check === 'greater_than' && typeof def.value === 'number') {
    const bound = def.value;
    return def.inclusive === true ? (n) => n >= bound : (n) => n > bound;
  }
  return unsupported(`number check ${String(def.check)}`);
};

const isPlainRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A JavaScript condition on `r` that holds exactly when the schema accepts `r` and gives it back
 * unchanged, for the leaf schemas (optional, nullable, string, boolean, number, literal); undefined
 * for anything else, which then runs its compiled check.
 */
const inlineCondition = (schema: ZodLike): string | undefined => {
  const def = schema._zod.def;
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  switch (def.type) {
    case 'optional':
    case 'nullable': {
      const inner = inlineCondition(def.innerType as ZodLike);
      if (inner === undefined || checks.length > 0) return undefined;
      return `(r === ${def.type === 'optional' ? 'undefined' : 'null'} || ${inner})`;
    }
    case 'string': {
      let min = 0;
      for (const c of checks) {
        if (c.check !== 'min_length' || typeof c.minimum !== 'number') return undefined;
        min = Math.max(min, c.minimum);
      }
      return min > 0 ? `(typeof r === "string" && r.length >= ${min})` : '(typeof r === "string")';
    }
    case 'boolean':
      return checks.length > 0 ? undefined : '(typeof r === "boolean")';
    case 'number': {
      const parts = ['typeof r === "number"', 'Number.isFinite(r)'];
      for (const c of [...(def.check === undefined ? [] : [def]), ...checks]) {
        if (c.check === 'number_format' && c.format === 'safeint') parts.push('Number.isSafeInteger(r)');
        else if (c.check === 'greater_than' && typeof c.value === 'number' && Number.isFinite(c.value)) {
          parts.push(`r ${c.inclusive === true ? '>=' : '>'} ${c.value}`);
        } else return undefined;
      }
      return `(${parts.join(' && ')})`;
    }
    case 'literal': {
      const values = def.values as unknown[];
      if (
        checks.length > 0 ||
        !values.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
      ) {
        return undefined;
      }
      return `(${values.map((v) => `r === ${JSON.stringify(v)}`).join(' || ')})`;
    }
    default:
      return undefined;
  }
};

/**
 * The check of a loose object, generated as straight-line code (one property read and one inline
 * condition per field, like zod's own JIT, without its issue bookkeeping): an object whose every
 * field comes out as it went in is returned as it is, the same keys and values as zod's copy (in the
 * input's key order, which nothing downstream reads) without allocating one object per asset.
 * Anything else (an integer id made a string, an own `__proto__`) is copied the way zod does.
 */
const looseObjectCheck = (
  fields: { key: string; run: Compiled; optional: boolean }[],
  shape: Record<string, ZodLike>,
  copy: (input: Record<string, unknown>) => unknown,
): Compiled => {
  const lines = [
    'if (typeof v !== "object" || v === null || Array.isArray(v)) return G;',
    'if (Object.hasOwn(v, "__proto__")) return copy(v);',
    'let r;',
  ];
  const runs: Compiled[] = [];
  for (const field of fields) {
    const key = JSON.stringify(field.key);
    const present = field.optional ? `if (${key} in v) {` : `if (!(${key} in v)) return G; {`;
    const condition = inlineCondition(shape[field.key] as ZodLike);
    if (condition !== undefined) {
      lines.push(`${present} r = v[${key}]; if (!${condition}) return G; }`);
    } else {
      runs.push(field.run);
      lines.push(
        `${present} r = runs[${runs.length - 1}](v[${key}]); if (r === G) return G; if (r !== v[${key}]) return copy(v); }`,
      );
    }
  }
  lines.push('return v;');
  // Generated from the schema alone (keys as JSON literals), never from a payload.
  const make = new Function(
    'G',
    'copy',
    'runs',
    `return function looseObject(v) {\n${lines.join('\n')}\n};`,
  ) as (g: typeof GIVE_UP, c: typeof copy, r: Compiled[]) => Compiled;
  return make(GIVE_UP, copy, runs);
};

/** Compiles a zod schema; `optional` says whether an object may leave the key out. */
const compileSchema = (schema: ZodLike): { run: Compiled; optional: boolean } => {
  const def = schema._zod.def;
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  const noChecks = () => {
    if (checks.length > 0) unsupported(`checks on ${def.type}`);
  };
  switch (def.type) {
    case 'string': {
      let min = 0;
      for (const c of checks) {
        if (c.check === 'min_length' && typeof c.minimum === 'number') min = Math.max(min, c.minimum);
        else unsupported(`string check ${String(c.check)}`);
      }
      return { run: (v) => (typeof v === 'string' && v.length >= min ? v : GIVE_UP), optional: false };
    }
    case 'boolean':
      noChecks();
      return { run: (v) => (typeof v === 'boolean' ? v : GIVE_UP), optional: false };
    case 'number': {
      // `z.int()` is a number schema that carries its own format; `.check(z.int(), z.gte(2))` lists them.
      const predicates = [...(def.check === undefined ? [] : [numberCheck(def)]), ...checks.map(numberCheck)];
      return {
        run: (v) =>
          typeof v === 'number' && Number.isFinite(v) && predicates.every((p) => p(v)) ? v : GIVE_UP,
        optional: false,
      };
    }
    case 'literal': {
      noChecks();
      const values = def.values as unknown[];
      return { run: (v) => (values.includes(v) ? v : GIVE_UP), optional: false };
    }
    case 'nullable': {
      noChecks();
      const inner = compileSchema(def.innerType as ZodLike);
      return { run: (v) => (v === null ? null : inner.run(v)), optional: inner.optional };
    }
    case 'optional': {
      noChecks();
      const inner = compileSchema(def.innerType as ZodLike);
      return { run: (v) => (v === undefined ? undefined : inner.run(v)), optional: true };
    }
    case 'array': {
      noChecks();
      const element = compileSchema(def.element as ZodLike).run;
      return {
        run: (v) => {
          if (!Array.isArray(v)) return GIVE_UP;
          // The input array itself unless an element came out different (an integer id made a string).
          let out: unknown[] | undefined;
          for (let i = 0; i < v.length; i++) {
            const item = element(v[i]);
            if (item === GIVE_UP) return GIVE_UP;
            if (out !== undefined) out.push(item);
            else if (item !== v[i]) {
              out = v.slice(0, i);
              out.push(item);
            }
          }
          return out ?? v;
        },
        optional: false,
      };
    }
    case 'union': {
      noChecks();
      // zod's union returns the first option that accepts the value.
      const options = (def.options as ZodLike[]).map((o) => compileSchema(o).run);
      return {
        run: (v) => {
          for (const option of options) {
            const out = option(v);
            if (out !== GIVE_UP) return out;
          }
          return GIVE_UP;
        },
        optional: false,
      };
    }
    case 'pipe': {
      noChecks();
      const first = compileSchema(def.in as ZodLike).run;
      const second = compileSchema(def.out as ZodLike).run;
      return {
        run: (v) => {
          const middle = first(v);
          return middle === GIVE_UP ? GIVE_UP : second(middle);
        },
        optional: false,
      };
    }
    case 'transform': {
      noChecks();
      const transform = def.transform as (value: unknown, ctx: TransformContext) => unknown;
      return {
        run: (v) => {
          const ctx = new TransformContext(v);
          const out = transform(v, ctx);
          if (out instanceof Promise) unsupported('async transforms');
          return ctx.issues.length > 0 ? GIVE_UP : out;
        },
        optional: false,
      };
    }
    case 'object': {
      noChecks();
      const shape = def.shape as Record<string, ZodLike>;
      const fields = Object.keys(shape).map((key) => ({ key, ...compileSchema(shape[key] as ZodLike) }));
      if (fields.some((f) => f.key === '__proto__')) unsupported('a __proto__ key in a shape');
      const catchall = (def.catchall as ZodLike | undefined)?._zod.def.type;
      if (catchall !== undefined && catchall !== 'unknown') unsupported(`a catchall of ${catchall}`);
      const loose = catchall === 'unknown';
      const known = new Set(fields.map((f) => f.key));
      /**
       * zod's object: the shape's keys in order (an absent optional key stays absent), then, for a
       * loose object, every other key in input order but `__proto__`.
       */
      const copy = (input: Record<string, unknown>): unknown => {
        const out: Record<string, unknown> = {};
        for (const field of fields) {
          if (!(field.key in input)) {
            if (field.optional) continue;
            return GIVE_UP;
          }
          const value = field.run(input[field.key]);
          if (value === GIVE_UP) return GIVE_UP;
          out[field.key] = value;
        }
        if (loose) {
          for (const key in input) {
            if (known.has(key) || key === '__proto__') continue;
            out[key] = input[key];
          }
        }
        return out;
      };
      if (!loose) return { run: (v) => (isPlainRecord(v) ? copy(v) : GIVE_UP), optional: false };
      return { run: looseObjectCheck(fields, shape, copy), optional: false };
    }
    default:
      return unsupported(`type ${def.type}`);
  }
};

let fastPaths: { v1: Compiled; v2: Compiled } | undefined;

/** The payload schemas compiled for the fast path (once, on the first payload). */
export const payloadFastPaths = (): { v1: Compiled; v2: Compiled } => {
  fastPaths ??= {
    v1: compileSchema(payloadV1Schema as unknown as ZodLike).run,
    v2: compileSchema(payloadV2Schema as unknown as ZodLike).run,
  };
  return fastPaths;
};

/** What a fast path returns when it leaves the payload to zod. */
export const LEFT_TO_ZOD = GIVE_UP;

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
  const fast = isV2 ? payloadFastPaths().v2(input) : payloadFastPaths().v1(input);
  if (fast !== GIVE_UP) {
    return isV2
      ? { ok: true, payload: { format: 2, data: fast as PayloadV2 } }
      : { ok: true, payload: { format: 1, data: fast as PayloadV1 } };
  }
  const result = isV2 ? payloadV2Schema.safeParse(input) : payloadV1Schema.safeParse(input);
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
