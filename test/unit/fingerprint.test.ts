/**
 * The fingerprint recognises a redelivery: equal payloads give equal fingerprints however their keys
 * were ordered or spaced, and any change of content gives a different one.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JsonSyntaxError } from '../../lambda/domain/canonical-json.ts';
import { canonicalJson, fingerprint, fingerprintOfJson } from '../../lambda/domain/fingerprint.ts';
import { fixtureNames, type JsonObject, rawFixture } from './fixtures.ts';

const base = (): JsonObject => ({
  user: 'lead-1',
  requestUrl: 'https://app.leadsie.com/request/r',
  requestName: 'R',
  status: 'SUCCESS',
  connectionAssets: [
    { type: 'Page', id: '1', name: 'A', isSuccess: true, message: '', meta: { a: 1, b: [1, 2] } },
    { type: 'Pixel', id: '2', name: 'B', isSuccess: false, message: 'm' },
  ],
});

/** Rebuilds every object with its keys in reverse order, at every depth. */
const reverseKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reverseKeys(v)]),
  );
};

describe('fingerprint', () => {
  it('has the format sha256:<64 lower-case hex>', () => {
    expect(fingerprint(base())).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('is the SHA-256 of the canonical JSON', () => {
    const expected = createHash('sha256').update('{"a":1,"b":[2,{"c":null,"d":"é"}]}', 'utf8').digest('hex');
    expect(fingerprint({ b: [2, { d: 'é', c: null }], a: 1 })).toBe(`sha256:${expected}`);
  });

  it('is stable for a known input (a change of algorithm breaks redelivery detection)', () => {
    expect(fingerprint({})).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });

  it.each(fixtureNames())('is deterministic for %s', (name) => {
    expect(fingerprint(rawFixture(name))).toBe(fingerprint(rawFixture(name)));
  });

  it('gives different fingerprints to different fixtures', () => {
    const all = fixtureNames().map((name) => fingerprint(rawFixture(name)));
    expect(new Set(all).size).toBe(all.length);
  });

  it('ignores key order, at every depth', () => {
    const reordered = reverseKeys(base());
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(base()));
    expect(fingerprint(reordered)).toBe(fingerprint(base()));
  });

  it('ignores white space in the JSON it was parsed from', () => {
    const compact = JSON.parse(JSON.stringify(base()));
    const spaced = JSON.parse(JSON.stringify(base(), null, 4).replaceAll('\n', '\r\n'));
    expect(fingerprint(spaced)).toBe(fingerprint(compact));
  });

  it('ignores keys whose value is undefined (they do not exist in JSON)', () => {
    expect(fingerprint({ ...base(), extra: undefined })).toBe(fingerprint(base()));
  });

  /** A copy of base() with the value at `path` replaced (or removed, for REMOVE). */
  const REMOVE = Symbol('remove');
  const withValue = (path: (string | number)[], value: unknown): JsonObject => {
    const copy = base();
    let target = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
    const last = path.at(-1) as string | number;
    if (value === REMOVE) delete target[last];
    else target[last] = value;
    return copy;
  };
  const assets = () => base().connectionAssets as JsonObject[];

  it.each<{ name: string; changed: JsonObject }>([
    { name: 'a top-level string', changed: withValue(['user'], 'lead-2') },
    { name: 'a string by case only', changed: withValue(['status'], 'success') },
    { name: 'a string by a trailing space', changed: withValue(['requestName'], 'R ') },
    { name: 'a string to null', changed: withValue(['user'], null) },
    { name: 'a key removed', changed: withValue(['status'], REMOVE) },
    { name: 'a key added', changed: withValue(['accessLevel'], 'admin') },
    { name: 'a key added with null', changed: withValue(['accessLevel'], null) },
    { name: 'a key renamed', changed: { ...withValue(['user'], REMOVE), User: 'lead-1' } },
    { name: 'an asset boolean', changed: withValue(['connectionAssets', 0, 'isSuccess'], false) },
    { name: 'an asset message', changed: withValue(['connectionAssets', 1, 'message'], 'm2') },
    { name: 'a deeply nested number', changed: withValue(['connectionAssets', 0, 'meta', 'b', 1], 3) },
    { name: 'a number to its string', changed: withValue(['connectionAssets', 0, 'meta', 'a'], '1') },
    { name: 'an empty object added', changed: withValue(['extra'], {}) },
    { name: 'the order of the assets', changed: { ...base(), connectionAssets: assets().reverse() } },
    {
      name: 'the order of a nested array',
      changed: withValue(['connectionAssets', 0, 'meta', 'b'], [2, 1]),
    },
    { name: 'an asset removed', changed: { ...base(), connectionAssets: assets().slice(0, 1) } },
    { name: 'an asset duplicated', changed: { ...base(), connectionAssets: [...assets(), assets()[1]] } },
  ])('changes when $name changes', ({ changed }) => {
    expect(changed).not.toEqual(base());
    expect(fingerprint(changed)).not.toBe(fingerprint(base()));
  });

  it('tells {} from [] and "" from null', () => {
    expect(fingerprint({ a: {} })).not.toBe(fingerprint({ a: [] }));
    expect(fingerprint({ a: '' })).not.toBe(fingerprint({ a: null }));
  });
});

describe('canonicalJson', () => {
  it.each<[unknown, string]>([
    [null, 'null'],
    [true, 'true'],
    [1.5, '1.5'],
    ['a"b', '"a\\"b"'],
    [[3, 1, 2], '[3,1,2]'],
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ z: { y: 1, x: [{ b: 1, a: 2 }] } }, '{"z":{"x":[{"a":2,"b":1}],"y":1}}'],
    [{ B: 1, a: 2, _: 3 }, '{"B":1,"_":3,"a":2}'],
    [{}, '{}'],
    [[], '[]'],
  ])('%j is %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('round-trips: parsing the canonical JSON gives the same value', () => {
    for (const name of fixtureNames()) {
      const raw = rawFixture(name);
      expect(JSON.parse(canonicalJson(raw))).toEqual(raw);
    }
  });
});

/**
 * The algorithm of earlier releases, frozen here as the reference: a SHA-256 over the canonical JSON
 * of the parsed value. Deliveries stored before an upgrade carry this fingerprint, so wherever the
 * numbers of a body print back as written, the fingerprint of its text must equal it.
 */
const referenceCanonical = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(referenceCanonical).join(',')}]`;
  const object = value as Record<string, unknown>;
  const members = Object.keys(object)
    .sort()
    .filter((key) => object[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${referenceCanonical(object[key])}`);
  return `{${members.join(',')}}`;
};
const referenceFingerprint = (value: unknown): string =>
  `sha256:${createHash('sha256').update(referenceCanonical(value), 'utf8').digest('hex')}`;

const ROOT = new URL('../../', import.meta.url);
/** Every JSON text the repository ships as a payload, fixture or golden file, one body each. */
const committedBodies = (): { name: string; text: string }[] => {
  const bodies: { name: string; text: string }[] = [];
  for (const dir of ['test/fixtures/payloads/', 'samples/', 'test/fixtures/golden/']) {
    for (const file of readdirSync(new URL(dir, ROOT)).sort()) {
      const text = readFileSync(new URL(dir + file, ROOT), 'utf8');
      if (file.endsWith('.json')) bodies.push({ name: dir + file, text });
      if (file.endsWith('.jsonl')) {
        text
          .split('\n')
          .filter((line) => line !== '')
          .forEach((line, i) => {
            bodies.push({ name: `${dir}${file}:${i + 1}`, text: line });
            // The generator's payloads, and the excluded ones, are also bodies on their own.
            const parsed = JSON.parse(line) as { payload?: unknown };
            if (parsed.payload !== undefined) {
              bodies.push({ name: `${dir}${file}:${i + 1} payload`, text: JSON.stringify(parsed.payload) });
            }
          });
      }
    }
  }
  return bodies;
};

describe('fingerprintOfJson: the text, numbers as written', () => {
  const bodies = committedBodies();

  it('reads every committed payload, fixture and golden file', () => {
    expect(bodies.length).toBeGreaterThan(450);
    expect(bodies.some((b) => b.name.startsWith('samples/'))).toBe(true);
    expect(bodies.some((b) => b.name.startsWith('test/fixtures/golden/'))).toBe(true);
  });

  it("equals the earlier releases' fingerprint for every committed body, as sent and re-spaced", () => {
    const differing: string[] = [];
    for (const { name, text } of bodies) {
      const expected = referenceFingerprint(JSON.parse(text));
      const spaced = JSON.stringify(JSON.parse(text), null, 3).replaceAll('\n', '\r\n');
      if (fingerprintOfJson(text) !== expected || fingerprintOfJson(spaced) !== expected)
        differing.push(name);
      // The value-based function of this module is still the same algorithm.
      if (fingerprint(JSON.parse(text)) !== expected) differing.push(`${name} (fingerprint)`);
    }
    expect(differing).toEqual([]);
  });

  it('is stable for a known text (a change of algorithm breaks redelivery detection)', () => {
    expect(fingerprintOfJson('{}')).toBe(
      'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    );
    expect(fingerprintOfJson(' {"b": [2, {"d": "\\u00e9", "c": null}], "a": 1}')).toBe(
      fingerprint({ a: 1, b: [2, { c: null, d: 'é' }] }),
    );
  });

  it('ignores key order and white space, numbers included', () => {
    expect(fingerprintOfJson('{"a":1.0,"b":[1e2,{"y":-0,"x":12345678901234567890}]}')).toBe(
      fingerprintOfJson('{ "b" : [ 1e2 , { "x" : 12345678901234567890 , "y" : -0 } ] ,\n\t"a" : 1.0 }'),
    );
  });

  /** Two bodies that JSON.parse makes one value, so the earlier fingerprint made them one delivery. */
  it.each<[string, string, string]>([
    ['integers beyond 2^53', '9007199254740993', '9007199254740992'],
    ['long integers that parse alike', '12345678901234567890', '12345678901234567891'],
    ['-0 and 0', '-0', '0'],
    ['1e309 and null', '1e309', 'null'],
    ['-1e309 and null', '-1e309', 'null'],
    ['1.0 and 1', '1.0', '1'],
    ['1e2 and 100', '1e2', '100'],
    ['1E2 and 1e2', '1E2', '1e2'],
    ['1e+2 and 1e2', '1e+2', '1e2'],
    ['0.10 and 0.1', '0.10', '0.1'],
    ['1e-7 and 1E-7', '1e-7', '1E-7'],
    ['2.50 and 2.5', '2.50', '2.5'],
  ])('tells apart %s', (_, a, b) => {
    const body = (n: string) => `{"requestUrl":"u","connectionAssets":[{"id":"1","meta":{"n":${n}}}]}`;
    expect(JSON.stringify(JSON.parse(body(a)))).toBe(JSON.stringify(JSON.parse(body(b))));
    expect(fingerprintOfJson(body(a))).not.toBe(fingerprintOfJson(body(b)));
  });

  it('throws on a text that is not JSON', () => {
    expect(() => fingerprintOfJson('{"a":')).toThrow(JsonSyntaxError);
  });
});
