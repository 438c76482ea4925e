/**
 * Bad input, over real HTTP, against local mode (the handlers the stack deploys, behind the same
 * API Gateway stand-in): well over a hundred hostile or malformed requests, each answered with its
 * documented 4xx and a clear JSON error (or API Gateway's own `{"message": …}` for what never
 * reaches a function), never a 5xx. Then: nothing was published or stored, Object.prototype is
 * untouched, and a valid webhook still answers 200 and reaches every consumer.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, ROUTES } from '../../lambda/contract.ts';
import { MAX_NESTING_DEPTH } from '../../lambda/domain/payload.ts';
import { type RawAnswer, type RawRequest, runPool, sendRaw, tally } from '../support/abuse-http.ts';
import { type AbuseLocal, KNOWN_CONSUMERS, startAbuseLocal } from '../support/abuse-local.ts';
import { Cleanup } from '../support/local-harness.ts';
import { fixtureText } from '../support/pipeline.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.LOG_LEVEL ??= 'SILENT';

const WEBHOOK_TOKEN = 'Abuse-Webhook-Token-0123456789abcdefXYZ';
const READ_TOKEN = 'Abuse-Read-Token-0123456789abcdefghijkl';
const WEBHOOK = ROUTES.webhook.path;
const CONNECTIONS = ROUTES.connections.path;
const AUTHED = `${WEBHOOK}?token=${WEBHOOK_TOKEN}`;
const JSON_TYPE = { 'content-type': 'application/json' };
const MAX_BODY = DEFAULTS.maxBodyBytes;

const V1_TEXT = fixtureText('v1-partial-success');
const V1 = JSON.parse(V1_TEXT) as Record<string, unknown> & { connectionAssets: Record<string, unknown>[] };
const V2 = JSON.parse(fixtureText('v2-partial-multi-platform')) as typeof V1;
const V1_ASSET = V1.connectionAssets[0] as Record<string, unknown>;
const V2_ASSET = V2.connectionAssets[0] as Record<string, unknown>;

/** The v1 sample with top-level fields replaced (undefined removes one). */
const v1 = (fields: Record<string, unknown>): string => JSON.stringify(withFields(V1, fields));
const v2 = (fields: Record<string, unknown>): string => JSON.stringify(withFields(V2, fields));
/** The v1 (or v2) sample whose first asset has these fields replaced. */
const v1Asset = (fields: Record<string, unknown>): string =>
  v1({ connectionAssets: [withFields(V1_ASSET, fields)] });
const v2Asset = (fields: Record<string, unknown>): string =>
  v2({ connectionAssets: [withFields(V2_ASSET, fields)] });
const withFields = (base: Record<string, unknown>, fields: Record<string, unknown>) => {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
};

type Kind =
  /** 400 with `{ error, details }`; `path` must be among the details when given. */
  | { status: 400; error: RegExp; path?: string }
  | { status: 401 | 413 | 415; error: RegExp }
  /** Answered by API Gateway itself (no function ran): `{ message }`. */
  | { status: 404 | 413; gateway: string };

interface Case {
  name: string;
  request: RawRequest;
  expected: Kind;
}

const post = (body: string | Buffer, headers: Record<string, string> = JSON_TYPE): RawRequest => ({
  method: 'POST',
  path: AUTHED,
  headers,
  body,
});
const withQuery = (query: string, body = V1_TEXT): RawRequest => ({
  method: 'POST',
  path: `${WEBHOOK}${query}`,
  headers: JSON_TYPE,
  body,
});

const NOT_JSON = { status: 400, error: /^The body is not valid JSON$/ } as const;
const EMPTY = { status: 400, error: /^The body is empty$/ } as const;
const NOT_UTF8 = { status: 400, error: /^The body is not valid UTF-8$/ } as const;
const invalid = (path: string) =>
  ({ status: 400, error: /^The body is not a valid Leadsie webhook payload$/, path }) as const;
const TOKEN_REQUIRED = { status: 401, error: /^A token is required$/ } as const;
const TOKEN_INVALID = { status: 401, error: /^The token is not valid$/ } as const;
const NOT_FOUND = { status: 404, gateway: 'Not Found' } as const;
const UNSUPPORTED = { status: 415, error: /is not supported; send application\/json$/ } as const;

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));

const CASES: Case[] = [
  // Malformed and truncated JSON.
  { name: 'a lone brace', request: post('{'), expected: NOT_JSON },
  { name: 'the sample cut in half', request: post(V1_TEXT.slice(0, V1_TEXT.length / 2)), expected: NOT_JSON },
  {
    name: 'the sample without its last brace',
    request: post(V1_TEXT.trimEnd().slice(0, -1)),
    expected: NOT_JSON,
  },
  { name: 'a trailing comma', request: post('{"requestUrl": "https://x.test",}'), expected: NOT_JSON },
  { name: 'single quotes', request: post("{'requestUrl': 'https://x.test'}"), expected: NOT_JSON },
  { name: 'unquoted keys', request: post('{requestUrl: "https://x.test"}'), expected: NOT_JSON },
  { name: 'NaN', request: post('{"apiVersion": NaN}'), expected: NOT_JSON },
  { name: 'a comment before the object', request: post(`// from Leadsie\n${V1_TEXT}`), expected: NOT_JSON },
  { name: 'two objects back to back', request: post(`${V1_TEXT}${V1_TEXT}`), expected: NOT_JSON },
  { name: 'a number with a leading zero', request: post('{"apiVersion": 01}'), expected: NOT_JSON },
  { name: 'a hex number', request: post('{"apiVersion": 0x2}'), expected: NOT_JSON },
  {
    name: 'an unterminated string',
    request: post('{"requestUrl": "https://app.leadsie.com'),
    expected: NOT_JSON,
  },
  {
    name: 'a raw control character in a string',
    request: post(bytes('{"requestName": "a', [1], 'b"}')),
    expected: NOT_JSON,
  },
  { name: 'the word undefined', request: post('undefined'), expected: NOT_JSON },
  { name: '200,000 unclosed brackets', request: post('['.repeat(200_000)), expected: NOT_JSON },
  { name: 'JSONP', request: post(`callback(${V1_TEXT})`), expected: NOT_JSON },
  { name: 'a NUL byte', request: post(bytes([0])), expected: NOT_JSON },
  {
    name: 'a form body labelled JSON',
    request: post('requestUrl=https%3A%2F%2Fx.test&requestName=x'),
    expected: NOT_JSON,
  },

  // Empty bodies.
  { name: 'no body at all', request: { method: 'POST', path: AUTHED, headers: JSON_TYPE }, expected: EMPTY },
  { name: 'a zero-length body', request: post(''), expected: EMPTY },
  { name: 'only white space', request: post(' \n\t\r '), expected: EMPTY },
  { name: 'only a byte-order mark', request: post('\ufeff'), expected: EMPTY },

  // Invalid UTF-8.
  {
    name: 'a lone 0xFF byte in a string',
    request: post(bytes('{"requestName": "', [0xff], '"}')),
    expected: NOT_UTF8,
  },
  {
    name: "an overlong '/' (C0 AF)",
    request: post(bytes('{"requestName": "', [0xc0, 0xaf], '"}')),
    expected: NOT_UTF8,
  },
  {
    name: 'a UTF-8-encoded surrogate (ED A0 80)',
    request: post(bytes('{"requestName": "', [0xed, 0xa0, 0x80], '"}')),
    expected: NOT_UTF8,
  },
  {
    name: 'a multi-byte sequence cut off at the end',
    request: post(bytes(V1_TEXT.trimEnd().slice(0, -1), [0xe2, 0x82])),
    expected: NOT_UTF8,
  },
  {
    name: 'UTF-16 with a byte-order mark',
    request: post(Buffer.from(`\ufeff${V1_TEXT}`, 'utf16le')),
    expected: NOT_UTF8,
  },
  {
    name: 'Latin-1 text',
    request: post(Buffer.from(v1({ requestName: 'Café onboarding' }), 'latin1')),
    expected: NOT_UTF8,
  },

  // Valid JSON and valid UTF-8, but a string that is not Unicode text: a lone surrogate escape.
  {
    name: 'a lone surrogate in requestName',
    request: post(v1({ requestName: '\udc00' })),
    expected: invalid('requestName'),
  },
  {
    name: 'a lone surrogate in status',
    request: post(v2({ status: 'SUCCESS\ud800' })),
    expected: invalid('status'),
  },
  {
    name: 'a lone surrogate in a v2 asset platform',
    request: post(v2Asset({ platform: '\udfff' })),
    expected: invalid('connectionAssets[0].platform'),
  },
  {
    name: 'a lone surrogate in a v1 asset type',
    request: post(v1Asset({ type: 'Page\ud83d' })),
    expected: invalid('connectionAssets[0].type'),
  },
  { name: 'a lone surrogate in a key', request: post(v1({ '\udc00': 'x' })), expected: invalid('(root)') },
  {
    name: 'a lone surrogate escape written by hand, upper-case hex',
    request: post(V1_TEXT.replace('{', '{"note": "\\uDC00",')),
    expected: invalid('note'),
  },

  // JSON, but not an object.
  { name: 'an empty array', request: post('[]'), expected: invalid('(root)') },
  { name: 'null', request: post('null'), expected: invalid('(root)') },
  { name: 'a number', request: post('42'), expected: invalid('(root)') },
  { name: 'a string', request: post('"payload"'), expected: invalid('(root)') },
  { name: 'true', request: post('true'), expected: invalid('(root)') },
  { name: 'the sample wrapped in an array', request: post(`[${V1_TEXT}]`), expected: invalid('(root)') },

  // Missing fields.
  { name: 'an empty object', request: post('{}'), expected: invalid('requestUrl') },
  { name: 'no requestUrl', request: post(v1({ requestUrl: undefined })), expected: invalid('requestUrl') },
  { name: 'no requestName', request: post(v1({ requestName: undefined })), expected: invalid('requestName') },
  {
    name: 'no connectionAssets',
    request: post(v1({ connectionAssets: undefined })),
    expected: invalid('connectionAssets'),
  },
  {
    name: 'an asset without a type',
    request: post(v1Asset({ type: undefined })),
    expected: invalid('connectionAssets[0].type'),
  },
  {
    name: 'an asset without an id',
    request: post(v1Asset({ id: undefined })),
    expected: invalid('connectionAssets[0].id'),
  },
  {
    name: '12,000 unknown keys and none of the required ones',
    request: post(JSON.stringify(Object.fromEntries(Array.from({ length: 12_000 }, (_, i) => [`k${i}`, i])))),
    expected: invalid('requestUrl'),
  },

  // Wrong types, everywhere.
  { name: 'requestUrl a number', request: post(v1({ requestUrl: 123 })), expected: invalid('requestUrl') },
  { name: 'requestUrl empty', request: post(v1({ requestUrl: '' })), expected: invalid('requestUrl') },
  { name: 'requestUrl null', request: post(v1({ requestUrl: null })), expected: invalid('requestUrl') },
  {
    name: 'requestUrl an array',
    request: post(v1({ requestUrl: ['https://x.test'] })),
    expected: invalid('requestUrl'),
  },
  { name: 'requestName a number', request: post(v1({ requestName: 5 })), expected: invalid('requestName') },
  { name: 'requestName null', request: post(v1({ requestName: null })), expected: invalid('requestName') },
  { name: 'user a number', request: post(v1({ user: 123 })), expected: invalid('user') },
  { name: 'user an object', request: post(v1({ user: { id: 'crm-1' } })), expected: invalid('user') },
  { name: 'status a number', request: post(v1({ status: 1 })), expected: invalid('status') },
  {
    name: 'accessLevel a boolean',
    request: post(v1({ accessLevel: true })),
    expected: invalid('accessLevel'),
  },
  {
    name: 'connectionAssets an object',
    request: post(v1({ connectionAssets: {} })),
    expected: invalid('connectionAssets'),
  },
  {
    name: 'connectionAssets a string',
    request: post(v1({ connectionAssets: 'Ad Account' })),
    expected: invalid('connectionAssets'),
  },
  {
    name: 'connectionAssets null',
    request: post(v1({ connectionAssets: null })),
    expected: invalid('connectionAssets'),
  },
  {
    name: 'an asset that is null',
    request: post(v1({ connectionAssets: [null] })),
    expected: invalid('connectionAssets[0]'),
  },
  {
    name: 'an asset that is a string',
    request: post(v1({ connectionAssets: ['act_1'] })),
    expected: invalid('connectionAssets[0]'),
  },
  {
    name: 'asset type a number',
    request: post(v1Asset({ type: 7 })),
    expected: invalid('connectionAssets[0].type'),
  },
  {
    name: 'asset type empty',
    request: post(v1Asset({ type: '' })),
    expected: invalid('connectionAssets[0].type'),
  },
  {
    name: 'asset id a boolean',
    request: post(v1Asset({ id: true })),
    expected: invalid('connectionAssets[0].id'),
  },
  {
    name: 'asset id a fraction',
    request: post(v1Asset({ id: 1.5 })),
    expected: invalid('connectionAssets[0].id'),
  },
  {
    name: 'asset id an object',
    request: post(v1Asset({ id: {} })),
    expected: invalid('connectionAssets[0].id'),
  },
  {
    name: 'isSuccess "yes"',
    request: post(v1Asset({ isSuccess: 'yes' })),
    expected: invalid('connectionAssets[0].isSuccess'),
  },
  {
    name: 'asset name a number',
    request: post(v1Asset({ name: 5 })),
    expected: invalid('connectionAssets[0].name'),
  },
  {
    name: 'asset time a number',
    request: post(v1Asset({ time: 1_700_000_000 })),
    expected: invalid('connectionAssets[0].time'),
  },
  { name: 'apiVersion a string', request: post(v1({ apiVersion: '2' })), expected: invalid('apiVersion') },
  { name: 'apiVersion 0', request: post(v1({ apiVersion: 0 })), expected: invalid('apiVersion') },
  { name: 'apiVersion negative', request: post(v1({ apiVersion: -3 })), expected: invalid('apiVersion') },
  { name: 'apiVersion 2.5', request: post(v2({ apiVersion: 2.5 })), expected: invalid('apiVersion') },
  {
    name: 'apiVersion 1e309 (Infinity)',
    request: post(v2({}).replace('"apiVersion":2', '"apiVersion":1e309')),
    expected: invalid('apiVersion'),
  },
  { name: 'v2 clientName a number', request: post(v2({ clientName: 5 })), expected: invalid('clientName') },
  {
    name: 'v2 connectionStatus a number',
    request: post(v2Asset({ connectionStatus: 1 })),
    expected: invalid('connectionAssets[0].connectionStatus'),
  },
  {
    name: 'v2 platformPermissionsGranted a number',
    request: post(v2Asset({ platformPermissionsGranted: 5 })),
    expected: invalid('connectionAssets[0].platformPermissionsGranted'),
  },
  {
    name: 'v2 assignedUsers a string',
    request: post(v2Asset({ assignedUsers: 'me' })),
    expected: invalid('connectionAssets[0].assignedUsers'),
  },
  {
    name: 'v2 connectedAccount a string',
    request: post(v2Asset({ connectedAccount: 'acct' })),
    expected: invalid('connectionAssets[0].connectedAccount'),
  },

  // Prototype pollution: the required fields only reachable through the prototype chain.
  {
    name: 'the required fields under "__proto__"',
    request: post(
      `{"__proto__": ${JSON.stringify({ requestUrl: 'https://x.test', requestName: 'x', connectionAssets: [] })}}`,
    ),
    expected: invalid('requestUrl'),
  },
  {
    name: 'the required fields under "constructor.prototype"',
    request: post(
      `{"constructor": {"prototype": ${JSON.stringify({ requestUrl: 'https://x.test', requestName: 'x', connectionAssets: [] })}}}`,
    ),
    expected: invalid('requestUrl'),
  },
  {
    name: 'an asset\'s type and id under "__proto__"',
    request: post(
      v1({ connectionAssets: ['ASSET'] }).replace('"ASSET"', '{"__proto__": {"type": "Page", "id": "1"}}'),
    ),
    expected: invalid('connectionAssets[0].type'),
  },

  // Deep nesting, huge bodies, huge arrays and strings.
  {
    name: '100,000 nested arrays in an unknown field',
    request: post(v1({ extra: 'DEEP' }).replace('"DEEP"', `${'['.repeat(100_000)}${']'.repeat(100_000)}`)),
    expected: invalid('(root)'),
  },
  {
    name: '1,000 nested objects',
    request: post(`${'{"a":'.repeat(1_000)}1${'}'.repeat(1_000)}`),
    expected: invalid('(root)'),
  },
  {
    name: `one level deeper than ${MAX_NESTING_DEPTH}`,
    request: post(
      v1({ extra: 'DEEP' }).replace(
        '"DEEP"',
        `${'['.repeat(MAX_NESTING_DEPTH)}${']'.repeat(MAX_NESTING_DEPTH)}`,
      ),
    ),
    expected: invalid('(root)'),
  },
  {
    name: 'one byte over the body limit',
    request: post(`${V1_TEXT}${' '.repeat(MAX_BODY + 1 - Buffer.byteLength(V1_TEXT))}`),
    expected: {
      status: 413,
      error: new RegExp(`^The body is ${MAX_BODY + 1} bytes; the limit is ${MAX_BODY}$`),
    },
  },
  {
    name: 'a 1 MB body',
    request: post(v1({ padding: 'x'.repeat(1024 * 1024) })),
    expected: { status: 413, error: new RegExp(`the limit is ${MAX_BODY}$`) },
  },
  {
    name: "a body over API Gateway's 10 MB",
    request: post(Buffer.alloc(10 * 1024 * 1024 + 1, 0x20)),
    expected: { status: 413, gateway: 'Request Entity Too Large' },
  },
  {
    name: '1,500 valid assets (an event too big for SNS)',
    request: post(
      v1({
        connectionAssets: Array.from({ length: 1_500 }, (_, i) => ({
          ...V1_ASSET,
          id: `act_${i}`,
          name: `Account ${i}`,
        })),
      }),
    ),
    expected: { status: 413, error: /more than one SNS message holds \(262144\)$/ },
  },
  {
    name: 'a 130 KB requestName (an event too big for SNS)',
    request: post(v1({ requestName: 'n'.repeat(130 * 1024) })),
    expected: { status: 413, error: /more than one SNS message holds/ },
  },

  // Content types that are not JSON.
  { name: 'text/plain', request: post(V1_TEXT, { 'content-type': 'text/plain' }), expected: UNSUPPORTED },
  {
    name: 'a form',
    request: post('requestUrl=x', { 'content-type': 'application/x-www-form-urlencoded' }),
    expected: UNSUPPORTED,
  },
  {
    name: 'multipart',
    request: post(V1_TEXT, { 'content-type': 'multipart/form-data; boundary=x' }),
    expected: UNSUPPORTED,
  },
  { name: 'XML', request: post('<payload/>', { 'content-type': 'application/xml' }), expected: UNSUPPORTED },
  { name: 'text/json', request: post(V1_TEXT, { 'content-type': 'text/json' }), expected: UNSUPPORTED },

  // Tokens: missing, wrong, in the wrong place, and query-string tricks.
  { name: 'no token', request: withQuery(''), expected: TOKEN_REQUIRED },
  { name: 'an empty token', request: withQuery('?token='), expected: TOKEN_REQUIRED },
  { name: 'a wrong token', request: withQuery('?token=not-the-token'), expected: TOKEN_INVALID },
  {
    name: 'the token one character short',
    request: withQuery(`?token=${WEBHOOK_TOKEN.slice(0, -1)}`),
    expected: TOKEN_INVALID,
  },
  {
    name: 'the token in upper case',
    request: withQuery(`?token=${WEBHOOK_TOKEN.toUpperCase()}`),
    expected: TOKEN_INVALID,
  },
  {
    name: 'the token in lower case',
    request: withQuery(`?token=${WEBHOOK_TOKEN.toLowerCase()}`),
    expected: TOKEN_INVALID,
  },
  {
    name: 'the parameter spelled TOKEN',
    request: withQuery(`?TOKEN=${WEBHOOK_TOKEN}`),
    expected: TOKEN_REQUIRED,
  },
  {
    name: 'the parameter spelled token[]',
    request: withQuery(`?token[]=${WEBHOOK_TOKEN}`),
    expected: TOKEN_REQUIRED,
  },
  // API Gateway joins a repeated parameter with commas: "a,<token>" is not the token.
  {
    name: 'a wrong token, then the right one',
    request: withQuery(`?token=a&token=${WEBHOOK_TOKEN}`),
    expected: TOKEN_INVALID,
  },
  {
    name: 'the right token twice',
    request: withQuery(`?token=${WEBHOOK_TOKEN}&token=${WEBHOOK_TOKEN}`),
    expected: TOKEN_INVALID,
  },
  {
    name: 'a NUL before the token',
    request: withQuery(`?token=%00${WEBHOOK_TOKEN}`),
    expected: TOKEN_INVALID,
  },
  {
    name: 'a NUL after the token',
    request: withQuery(`?token=${WEBHOOK_TOKEN}%00`),
    expected: TOKEN_INVALID,
  },
  {
    name: 'a space after the token',
    request: withQuery(`?token=${WEBHOOK_TOKEN}%20`),
    expected: TOKEN_INVALID,
  },
  {
    name: 'the token in the fragment',
    request: withQuery(`#token=${WEBHOOK_TOKEN}`),
    expected: TOKEN_REQUIRED,
  },
  { name: 'an 8 KB token', request: withQuery(`?token=${'t'.repeat(8 * 1024)}`), expected: TOKEN_INVALID },
  { name: 'the read token', request: withQuery(`?token=${READ_TOKEN}`), expected: TOKEN_INVALID },
  {
    name: 'the token in the body only',
    request: withQuery('', v1({ token: WEBHOOK_TOKEN })),
    expected: TOKEN_REQUIRED,
  },
  {
    name: 'Basic credentials',
    request: {
      ...withQuery(''),
      headers: {
        ...JSON_TYPE,
        authorization: `Basic ${Buffer.from(`:${WEBHOOK_TOKEN}`).toString('base64')}`,
      },
    },
    expected: TOKEN_REQUIRED,
  },
  {
    name: 'Bearer with the token in lower case',
    request: {
      ...withQuery(''),
      headers: { ...JSON_TYPE, authorization: `Bearer ${WEBHOOK_TOKEN.toLowerCase()}` },
    },
    expected: TOKEN_INVALID,
  },
  {
    name: 'Bearer with nothing after it',
    request: { ...withQuery(''), headers: { ...JSON_TYPE, authorization: 'Bearer ' } },
    expected: TOKEN_REQUIRED,
  },
  // The token is checked before the body is read: a hostile body without it learns nothing.
  {
    name: 'an over-limit body without a token',
    request: withQuery('', ' '.repeat(MAX_BODY + 1)),
    expected: TOKEN_REQUIRED,
  },
  {
    name: 'invalid JSON with a wrong token',
    request: withQuery('?token=wrong', '{'),
    expected: TOKEN_INVALID,
  },

  // Wrong methods and paths: API Gateway's own 404, no function runs.
  ...['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'].map(
    (method): Case => ({
      name: `${method} on the webhook`,
      request: { ...post(V1_TEXT), method },
      expected: NOT_FOUND,
    }),
  ),
  ...[
    '/',
    '/leadsie',
    `${WEBHOOK}/`,
    WEBHOOK.toUpperCase(),
    '/leadsie//webhook',
    `${WEBHOOK}%2F`,
    `${WEBHOOK}.json`,
    '/leadsie/webhooks',
    `${WEBHOOK}/${WEBHOOK_TOKEN}`,
    CONNECTIONS,
  ].map(
    (path): Case => ({
      name: `POST ${path.replace(WEBHOOK_TOKEN, '<token>')}`,
      request: { ...post(V1_TEXT), path: `${path}?token=${WEBHOOK_TOKEN}` },
      expected: NOT_FOUND,
    }),
  ),

  // The read route's documented refusals.
  {
    name: 'GET /connections without a token',
    request: { method: 'GET', path: `${CONNECTIONS}?user=crm-1` },
    expected: TOKEN_REQUIRED,
  },
  {
    name: 'GET /connections with the read token in the query',
    request: { method: 'GET', path: `${CONNECTIONS}?user=crm-1&token=${READ_TOKEN}` },
    expected: {
      status: 401,
      error: /^A token in the query string is not accepted here: .*Authorization: Bearer/,
    },
  },
  {
    name: 'GET /connections with the webhook token',
    request: {
      method: 'GET',
      path: `${CONNECTIONS}?user=crm-1`,
      headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` },
    },
    expected: TOKEN_INVALID,
  },
  {
    name: 'GET /connections with an empty user',
    request: {
      method: 'GET',
      path: `${CONNECTIONS}?user=`,
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    },
    expected: { status: 400, error: /^The query parameter "user" is empty/ },
  },
  {
    name: 'GET /connections with a 2,000-character user',
    request: {
      method: 'GET',
      path: `${CONNECTIONS}?user=${'u'.repeat(2_000)}`,
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    },
    expected: { status: 400, error: /longer than 1024 characters$/ },
  },
];

/** Fails with the case's name and what came back unless the answer is exactly the documented one. */
/** Every quarantineId a refused request was answered with. */
const quarantineIds = new Set<string>();

const expectDocumented = (testCase: Case, answer: RawAnswer): void => {
  const what = `${testCase.name}: ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, what).toBeLessThan(500);
  expect(answer.status, what).toBe(testCase.expected.status);
  expect(String(answer.headers['content-type']), what).toMatch(/^application\/json/);
  const json = answer.json as Record<string, unknown> | undefined;
  if ('gateway' in testCase.expected) {
    expect(json, what).toEqual({ message: testCase.expected.gateway });
    return;
  }
  expect(typeof json?.error, what).toBe('string');
  expect(json?.error, what).toMatch(testCase.expected.error);
  if ('path' in testCase.expected && testCase.expected.path !== undefined) {
    const paths = (json?.details as { path: string; message: string }[] | undefined)?.map((d) => d.path);
    expect(paths, what).toContain(testCase.expected.path);
  }
  if (answer.status === 401) expect(answer.headers['www-authenticate'], what).toBe('Bearer');
  // A request without the right token keeps nothing; a refused body with it is kept in quarantine.
  if (answer.status === 401) expect(json, what).not.toHaveProperty('quarantineId');
  if (typeof json?.quarantineId === 'string') quarantineIds.add(json.quarantineId);
  // Every body a function refused on the webhook route (the token was right, or it would be 401) is
  // kept, under the SHA-256 of its bytes exactly as sent.
  const request = testCase.request;
  if ([400, 413, 415].includes(answer.status) && request.path.startsWith(WEBHOOK)) {
    const bytes = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
    expect(json?.quarantineId, what).toBe(createHash('sha256').update(bytes).digest('hex'));
  }
  // Never an echo of the token (it travels in URLs and could land in a log or a proxy's cache).
  expect(answer.text, what).not.toContain(WEBHOOK_TOKEN);
};

describe('bad input over HTTP (local mode)', () => {
  const cleanup = new Cleanup();
  let local: AbuseLocal;
  const statuses: number[] = [];
  /** What the bad requests left behind, counted before the valid webhook at the end. */
  const leftBehind = { published: -1, stored: -1, quarantined: -1 };
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  beforeAll(async () => {
    local = await startAbuseLocal(cleanup, { webhookToken: WEBHOOK_TOKEN, readToken: READ_TOKEN });
  });
  afterAll(() => cleanup.run());

  it('has at least 60 cases, each with a distinct name', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, testCase) => {
    const answer = await sendRaw(local.server.baseUrl, testCase.request);
    statuses.push(answer.status);
    expectDocumented(testCase, answer);
  });

  it('gives the same answers when every case arrives at once', async () => {
    const answers = await runPool(CASES, CASES.length, (testCase) =>
      sendRaw(local.server.baseUrl, testCase.request),
    );
    answers.forEach((answer, i) => {
      statuses.push(answer.status);
      expectDocumented(CASES[i] as Case, answer);
    });
  });

  it('leaves Object.prototype untouched', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect(({} as Record<string, unknown>).requestUrl).toBeUndefined();
    expect(({} as Record<string, unknown>).type).toBeUndefined();
  });

  it('kept every refused body that came with the token in quarantine, one entry per distinct body', async () => {
    const kept: string[] = [];
    for await (const entry of local.server.store.quarantined()) kept.push(entry.id);
    leftBehind.quarantined = kept.length;
    expect(quarantineIds.size).toBeGreaterThanOrEqual(40);
    expect(new Set(kept)).toEqual(quarantineIds);
    expect(kept).toHaveLength(quarantineIds.size);
  });

  it('published nothing, stored no delivery, and no consumer wrote a line', async () => {
    leftBehind.published = local.published.length;
    leftBehind.stored = (await local.storedDeliveries()).length;
    expect(local.published).toEqual([]);
    expect(await local.storedDeliveries()).toEqual([]);
    expect(await local.server.store.pendingDeliveries()).toEqual([]);
    for (const consumer of local.consumers) {
      expect(await local.outbox(consumer), consumer).toEqual([]);
      expect(await local.deadLetters(consumer), consumer).toEqual([]);
    }
  });

  // zod would collect one issue per bad element of a 131,000-item array and overflow the call stack
  // merging them; the asset count is checked before zod, so the answer is a plain 400.
  it('answers 400, not 500, to 131,000 wrong-typed assets', async () => {
    const empty = v1({ connectionAssets: [] });
    const count = Math.floor((MAX_BODY - Buffer.byteLength(empty)) / 2);
    const body = v1({ connectionAssets: new Array(count).fill(0) });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_BODY);
    const answer = await sendRaw(local.server.baseUrl, post(body));
    statuses.push(answer.status);
    expect(answer.status, answer.text.slice(0, 200)).toBe(400);
  });

  // One detail per bad element would make a 2.8 MB answer for 30,000 of them, and past Lambda's 6 MB
  // response limit a 5xx: the details stop at the first problems and count the rest.
  it('keeps a 400 answer small however many problems the payload has', async () => {
    const answer = await sendRaw(
      local.server.baseUrl,
      post(v1({ connectionAssets: new Array(30_000).fill(0) })),
    );
    statuses.push(answer.status);
    expect(answer.status).toBe(400);
    expect(answer.text.length).toBeLessThanOrEqual(64 * 1024);
  });

  it('still answers a valid webhook 200 afterwards (one with pollution keys), and every consumer gets it', async () => {
    const body = v1({ requestName: 'After the abuse' }).replace(
      '{',
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}},',
    );
    const answer = await sendRaw(local.server.baseUrl, post(body));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ eventId: expect.any(String), duplicate: false });
    expect(local.consumers).toEqual(expect.arrayContaining([...KNOWN_CONSUMERS]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect(await local.server.topic.drain(10_000)).toEqual([]);
    const { eventId } = answer.json as { eventId: string };
    expect(local.published.map((event) => event.eventId)).toEqual([eventId]);
    const stored = await local.storedDeliveries();
    expect(stored.map((delivery) => delivery.eventId)).toEqual([eventId]);
    // The raw body is kept exactly as it came, keys and all.
    expect(stored[0]?.rawBody).toBe(body);
    for (const consumer of local.consumers) {
      expect(
        (await local.outbox(consumer)).map((line) => line.eventId),
        consumer,
      ).toEqual([eventId]);
    }

    const counts = tally(statuses);
    const fourXx = statuses.filter((status) => status >= 400 && status < 500).length;
    const fiveXx = statuses.filter((status) => status >= 500).length;
    console.log(
      `bad input: ${CASES.length} cases, ${statuses.length} requests (each case alone, then all at once, then the 2 huge-array cases), ` +
        `${fourXx} answered 4xx, ${fiveXx} answered 5xx, ${leftBehind.published} published, ` +
        `${leftBehind.stored} stored, ${leftBehind.quarantined} distinct bodies quarantined; then a valid webhook: 200, published once; ` +
        `by status: ${Object.entries(counts)
          .map(([status, n]) => `${status}×${n}`)
          .join(', ')}`,
    );
  });
});
