/**
 * Payload validation: both formats accepted, forward compatible (unknown fields kept, unknown enum-like
 * values accepted), and every rejection names the exact path and problem.
 */
import { describe, expect, it, vi } from 'vitest';
import { formatPath, type ParseResult, parsePayload } from '../../lambda/domain/payload.ts';
import { fixtureNames, type JsonObject, rawFixture } from './fixtures.ts';

const ok = (result: ParseResult) => {
  if (!result.ok) throw new Error(`expected the payload to be accepted: ${JSON.stringify(result.problems)}`);
  return result.payload;
};

/** A minimal valid v1 payload; spread and override what the case is about. */
const v1 = (extra: JsonObject = {}): JsonObject => ({
  requestUrl: 'https://app.leadsie.com/request/r',
  requestName: 'R',
  connectionAssets: [{ type: 'Page', id: '1', name: 'n', isSuccess: true, message: '' }],
  ...extra,
});

/** A minimal valid v2 payload. */
const v2 = (extra: JsonObject = {}): JsonObject => ({
  requestUrl: 'https://app.leadsie.com/request/r',
  requestName: 'R',
  apiVersion: 2,
  connectionAssets: [{ type: 'Shopify Store', id: 's', platform: 'Shopify', connectionStatus: 'Connected' }],
  ...extra,
});

const without = (payload: JsonObject, key: string): JsonObject => {
  const { [key]: _removed, ...rest } = payload;
  return rest;
};

describe('accepted payloads', () => {
  it.each(fixtureNames().map((name) => ({ name, format: name.startsWith('v2-') ? 2 : 1 })))(
    'fixture $name is accepted as format $format',
    ({ name, format }) => {
      const raw = rawFixture(name);
      const payload = ok(parsePayload(raw));
      expect(payload.format).toBe(format);
      expect(payload.data).toEqual(raw);
    },
  );

  it.each<{ name: string; payload: JsonObject; format: 1 | 2 }>([
    { name: 'apiVersion absent', payload: v1(), format: 1 },
    { name: 'apiVersion 1', payload: v1({ apiVersion: 1 }), format: 1 },
    { name: 'apiVersion null', payload: v1({ apiVersion: null }), format: 1 },
    { name: 'apiVersion 2', payload: v2(), format: 2 },
    { name: 'a future apiVersion 7 (read as v2, kept as sent)', payload: v2({ apiVersion: 7 }), format: 2 },
  ])('$name picks format $format', ({ payload, format }) => {
    const parsed = ok(parsePayload(payload));
    expect(parsed.format).toBe(format);
    expect(parsed.data.apiVersion).toBe(payload.apiVersion);
  });

  it('keeps unknown fields, at the top and on assets (loose objects)', () => {
    const raw = v1({
      leadsieTestClientId: 'client-1',
      somethingNew: { nested: [1, 2] },
      connectionAssets: [{ type: 'Page', id: '1', name: 'n', isSuccess: true, futureField: 'kept' }],
    });
    const parsed = ok(parsePayload(raw));
    expect(parsed.data).toEqual(raw);
    expect((parsed.data as JsonObject).somethingNew).toEqual({ nested: [1, 2] });
    expect((parsed.data.connectionAssets[0] as JsonObject).futureField).toBe('kept');
  });

  it('keeps v2 fields it does not model (shopifyCollaboratorCode on the fixture)', () => {
    const parsed = ok(parsePayload(rawFixture('v2-partial-multi-platform.json')));
    expect((parsed.data.connectionAssets[3] as JsonObject).shopifyCollaboratorCode).toBe('4821');
  });

  it.each<{ name: string; payload: JsonObject }>([
    {
      name: 'an unknown v1 asset type',
      payload: v1({ connectionAssets: [{ type: 'Snapchat Thing', id: '1' }] }),
    },
    {
      name: 'an unknown v2 asset type',
      payload: v2({ connectionAssets: [{ type: 'Pinterest Board', id: '1' }] }),
    },
    { name: 'an unknown status', payload: v1({ status: 'SOMETHING_NEW' }) },
    { name: 'an unknown accessLevel', payload: v1({ accessLevel: 'owner' }) },
    {
      name: 'an unknown connectionStatus',
      payload: v2({ connectionAssets: [{ type: 'Page', id: '1', connectionStatus: 'Revoked' }] }),
    },
    {
      name: 'an unknown asset accessLevel',
      payload: v2({ connectionAssets: [{ type: 'Page', id: '1', accessLevel: 'Superuser' }] }),
    },
    { name: 'zero assets', payload: v1({ connectionAssets: [] }) },
    { name: 'an asset with only type and id', payload: v1({ connectionAssets: [{ type: 'Page', id: '' }] }) },
    { name: 'user null', payload: v1({ user: null }) },
    { name: 'user ""', payload: v1({ user: '' }) },
    { name: 'an empty requestName', payload: v1({ requestName: '' }) },
    {
      name: 'nulls in every optional v1 asset field',
      payload: v1({
        connectionAssets: [{ type: 'Page', id: '1', name: null, isSuccess: null, message: null, time: null }],
      }),
    },
    {
      name: 'platformPermissionsGranted as a string or an array of strings',
      payload: v2({
        connectionAssets: [
          { type: 'A', id: '1', platformPermissionsGranted: 'MANAGER' },
          { type: 'B', id: '2', platformPermissionsGranted: ['Viewer', 'Editor'] },
        ],
      }),
    },
    {
      name: 'nulls in the v2 optional fields',
      payload: v2({
        clientName: null,
        clientSummaryUrl: null,
        connectionAssets: [
          { type: 'A', id: '1', platform: null, connectionStatus: null, notes: null, assignedUsers: null },
        ],
      }),
    },
  ])('accepts $name', ({ payload }) => {
    const parsed = ok(parsePayload(payload));
    expect(parsed.data).toEqual(payload);
  });
});

describe('rejected payloads', () => {
  const notAnObject = (received: string) => [
    { path: '(root)', message: `expected a JSON object, received ${received}` },
  ];
  const invalid = (expected: string, received: string) =>
    `Invalid input: expected ${expected}, received ${received}`;

  it.each<{ name: string; payload: unknown; problems: { path: string; message: string }[] }>([
    { name: 'an array', payload: [v1()], problems: notAnObject('an array') },
    { name: 'a string', payload: JSON.stringify(v1()), problems: notAnObject('a string') },
    { name: 'null', payload: null, problems: notAnObject('null') },
    { name: 'a number', payload: 42, problems: notAnObject('a number') },
    { name: 'a boolean', payload: true, problems: notAnObject('a boolean') },
    {
      name: 'missing requestUrl',
      payload: without(v1(), 'requestUrl'),
      problems: [{ path: 'requestUrl', message: 'missing (expected string)' }],
    },
    {
      name: 'an empty requestUrl',
      payload: v1({ requestUrl: '' }),
      problems: [{ path: 'requestUrl', message: 'requestUrl must not be empty' }],
    },
    {
      name: 'missing requestName',
      payload: without(v1(), 'requestName'),
      problems: [{ path: 'requestName', message: 'missing (expected string)' }],
    },
    {
      name: 'missing requestName (v2)',
      payload: without(v2(), 'requestName'),
      problems: [{ path: 'requestName', message: 'missing (expected string)' }],
    },
    {
      name: 'missing connectionAssets',
      payload: without(v1(), 'connectionAssets'),
      problems: [{ path: 'connectionAssets', message: 'missing (expected array)' }],
    },
    {
      name: 'connectionAssets an object',
      payload: v1({ connectionAssets: { type: 'Page', id: '1' } }),
      problems: [{ path: 'connectionAssets', message: invalid('array', 'object') }],
    },
    {
      name: 'connectionAssets null',
      payload: v2({ connectionAssets: null }),
      problems: [{ path: 'connectionAssets', message: invalid('array', 'null') }],
    },
    {
      name: 'an asset without id',
      payload: v1({ connectionAssets: [{ type: 'Page', id: '1' }, { type: 'Page' }] }),
      problems: [{ path: 'connectionAssets[1].id', message: 'missing (expected string)' }],
    },
    {
      name: 'an asset without type',
      payload: v2({ connectionAssets: [{ type: 'Page', id: '1' }, { type: 'Page', id: '2' }, { id: '3' }] }),
      problems: [{ path: 'connectionAssets[2].type', message: 'missing (expected string)' }],
    },
    {
      name: 'an asset with an empty type',
      payload: v1({ connectionAssets: [{ type: '', id: '1' }] }),
      problems: [{ path: 'connectionAssets[0].type', message: 'asset type must not be empty' }],
    },
    {
      name: 'an asset that is not an object',
      payload: v1({ connectionAssets: ['Page'] }),
      problems: [{ path: 'connectionAssets[0]', message: invalid('object', 'string') }],
    },
    {
      name: 'a fractional asset id (integers are read as their string)',
      payload: v1({ connectionAssets: [{ type: 'Page', id: 1.5 }] }),
      problems: [{ path: 'connectionAssets[0].id', message: 'expected a string (or an integer)' }],
    },
    {
      name: 'a boolean asset id',
      payload: v1({ connectionAssets: [{ type: 'Page', id: true }] }),
      problems: [{ path: 'connectionAssets[0].id', message: 'expected a string (or an integer)' }],
    },
    {
      name: 'isSuccess "yes"',
      payload: v1({ connectionAssets: [{ type: 'Page', id: '1', isSuccess: 'yes' }] }),
      problems: [{ path: 'connectionAssets[0].isSuccess', message: invalid('boolean', 'string') }],
    },
    {
      name: 'user 42',
      payload: v1({ user: 42 }),
      problems: [{ path: 'user', message: invalid('string', 'number') }],
    },
    {
      name: 'status a number',
      payload: v1({ status: 1 }),
      problems: [{ path: 'status', message: invalid('string', 'number') }],
    },
    {
      name: 'apiVersion "2" (a string is not a version; read as v1, which wants 1)',
      payload: v2({ apiVersion: '2' }),
      problems: [{ path: 'apiVersion', message: 'expected a number (1, or 2 and later), received a string' }],
    },
    {
      name: 'apiVersion 0',
      payload: v1({ apiVersion: 0 }),
      problems: [{ path: 'apiVersion', message: 'Invalid input: expected 1' }],
    },
    {
      name: 'apiVersion 2.5',
      payload: v2({ apiVersion: 2.5 }),
      problems: [{ path: 'apiVersion', message: 'Invalid input: expected int, received number' }],
    },
    {
      name: 'connectionStatus a number (v2)',
      payload: v2({ connectionAssets: [{ type: 'Page', id: '1', connectionStatus: 5 }] }),
      problems: [{ path: 'connectionAssets[0].connectionStatus', message: invalid('string', 'number') }],
    },
    {
      name: 'platformPermissionsGranted 5 (v2)',
      payload: v2({ connectionAssets: [{ type: 'Page', id: '1', platformPermissionsGranted: 5 }] }),
      problems: [
        {
          path: 'connectionAssets[0].platformPermissionsGranted',
          message: 'expected a string or a list of strings',
        },
      ],
    },
    {
      name: 'several problems at once, in payload order',
      payload: { requestName: 5, connectionAssets: [{}] },
      problems: [
        { path: 'requestUrl', message: 'missing (expected string)' },
        { path: 'requestName', message: invalid('string', 'number') },
        { path: 'connectionAssets[0].type', message: 'missing (expected string)' },
        { path: 'connectionAssets[0].id', message: 'missing (expected string)' },
      ],
    },
  ])('rejects $name', ({ payload, problems }) => {
    expect(parsePayload(payload)).toEqual({ ok: false, problems });
  });
});

describe('formatPath', () => {
  it.each<[PropertyKey[], string]>([
    [[], '(root)'],
    [['requestUrl'], 'requestUrl'],
    [['connectionAssets', 2, 'id'], 'connectionAssets[2].id'],
    [['connectionAssets', 0, 'assignedUsers', 1, 'name'], 'connectionAssets[0].assignedUsers[1].name'],
    [[0], '[0]'],
  ])('%j renders as %s', (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});

describe('strings that are not well-formed Unicode', () => {
  /** Every string field the schemas name, filled in, plus fields they do not know. */
  const fullV1 = (): JsonObject => ({
    user: 'lead-1',
    requestUrl: 'https://app.leadsie.com/request/r',
    requestName: 'R',
    accessLevel: 'admin',
    status: 'SUCCESS',
    extra: 'kept',
    connectionAssets: [
      { type: 'Page', id: '1', name: 'n', isSuccess: true, message: 'm', time: 't', note: 'unknown' },
    ],
  });
  const fullV2 = (): JsonObject => ({
    user: 'lead-1',
    requestUrl: 'https://app.leadsie.com/request/r',
    requestName: 'R',
    accessLevel: 'admin',
    status: 'SUCCESS',
    apiVersion: 2,
    clientName: 'Client',
    clientSummaryUrl: 'https://app.leadsie.com/summary/s',
    extra: { nested: ['kept'] },
    connectionAssets: [
      {
        type: 'Ad Account',
        id: 'a',
        name: 'n',
        time: 't',
        platform: 'Meta',
        connectionStatus: 'Connected',
        notes: 'notes',
        statusLastCheckedAt: 'then',
        linkToAsset: 'https://x.test',
        accessLevel: 'admin',
        assignedUsers: [{ id: 'u', name: 'User', role: 'admin', isSuccess: true }],
        connectedAccount: { id: 'c', name: 'Account' },
        platformPermissionsGranted: ['ads_read', 'ads_management'],
        isSuccess: true,
        message: 'm',
        unknown: 'kept',
      },
      { type: 'Page', id: 'p', platformPermissionsGranted: 'pages_read' },
    ],
  });

  /** The path (formatPath form) of every string leaf of a value. */
  const stringPaths = (value: unknown, path: (string | number)[] = []): (string | number)[][] => {
    if (typeof value === 'string') return [path];
    if (typeof value !== 'object' || value === null) return [];
    return Object.entries(value).flatMap(([key, item]) =>
      stringPaths(item, [...path, Array.isArray(value) ? Number(key) : key]),
    );
  };
  const setAt = (payload: JsonObject, path: (string | number)[], value: unknown): JsonObject => {
    let target = payload as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
    target[path.at(-1) as string | number] = value;
    return payload;
  };

  const cases = [
    ...stringPaths(fullV1()).map((path) => ({ format: 1, make: fullV1, path })),
    ...stringPaths(fullV2()).map((path) => ({ format: 2, make: fullV2, path })),
  ].map((c) => ({ ...c, name: `v${c.format} ${formatPath(c.path)}` }));

  it('covers every string field of both formats', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(ok(parsePayload(fullV1())).format).toBe(1);
    expect(ok(parsePayload(fullV2())).format).toBe(2);
  });

  it.each(
    cases.flatMap((c) => ['\udc00', 'a\ud800', '\ud83d'.repeat(2), '\ude00\ud83d'].map((s) => ({ ...c, s }))),
  )('refuses $name holding $s, naming that path', ({ make, path, s }) => {
    const result = parsePayload(setAt(make(), path, s));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { path: formatPath(path), message: expect.stringMatching(/lone surrogate .*not well-formed Unicode/) },
    ]);
  });

  it.each([
    { name: 'at the top', payload: { ...v1(), 'k\udc00': 1 }, path: '(root)' },
    { name: 'of a v2 payload', payload: { ...v2(), '\ud800': 'x' }, path: '(root)' },
    {
      name: 'of an asset',
      payload: v1({ connectionAssets: [{ type: 'Page', id: '1', '\udfff': true }] }),
      path: 'connectionAssets[0]',
    },
    {
      name: 'deep in an unknown field',
      payload: v2({ extra: { list: [{ ok: 1 }, { '\udc00\udc00': null }] } }),
      path: 'extra.list[1]',
    },
  ])(
    'refuses a key $name with a lone surrogate, naming its object and the key escaped',
    ({ payload, path }) => {
      const result = parsePayload(payload);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]?.path).toBe(path);
      expect(result.problems[0]?.message).toMatch(
        /^the key ".*\\ud[89a-f][0-9a-f]{2}.*" has a lone surrogate/,
      );
      expect(result.problems[0]?.message.isWellFormed()).toBe(true);
    },
  );

  it('accepts surrogate pairs (emoji and other astral characters) anywhere', () => {
    const payload = v2({ clientName: '😀 Client 𝄞', '🔑': '🗝️' });
    expect(ok(parsePayload(payload)).data).toMatchObject({ clientName: '😀 Client 𝄞' });
  });

  it('lists every lone surrogate, up to the problem limit', () => {
    const assets = Array.from({ length: 60 }, (_, i) => ({ type: 'Page', id: String(i), name: '\udc00' }));
    const result = parsePayload(v1({ requestName: '\ud800', connectionAssets: assets }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(51);
    expect(result.problems[0]?.path).toBe('requestName');
    expect(result.problems[1]?.path).toBe('connectionAssets[0].name');
    expect(result.problems[50]).toEqual({
      path: '(root)',
      message: 'and more strings that are not well-formed',
    });
  });
});

describe('compiled validation, once a container is warm', () => {
  it('validates the first payloads with the runtime parser, then with the schemas compiled by zod, answering alike', async () => {
    vi.resetModules();
    const fresh = await import('../../lambda/domain/payload.ts');
    const payload = rawFixture('v2-partial-multi-platform.json');
    const bad = { ...v1(), connectionAssets: [{ type: 'Page' }] };
    const first = fresh.parsePayload(payload);
    const firstBad = fresh.parsePayload(bad);
    expect(fresh.payloadSchemasCompiled()).toBe(false);
    for (let i = 2; i < fresh.COMPILE_AFTER_PAYLOADS; i++) fresh.parsePayload(payload);
    expect(fresh.payloadSchemasCompiled()).toBe(false);
    fresh.parsePayload(payload);
    expect(fresh.payloadSchemasCompiled()).toBe(true);
    expect(fresh.parsePayload(payload)).toEqual(first);
    expect(fresh.parsePayload(bad)).toEqual(firstBad);
    expect(firstBad.ok).toBe(false);
  });
});
