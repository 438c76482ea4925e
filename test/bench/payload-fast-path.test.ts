/**
 * The payload fast path (the schemas compiled by `z.compile`, `lambda/domain/payload.ts`) must
 * compile, and never change an answer: for every input it gives what zod's runtime parser gives (the
 * same success, keys, values and issues). Checked on every fixture, sample, golden and benchmark
 * payload, and on thousands of variants of them with a field removed, retyped or added.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { v1Payload } from '../../bench/payloads.ts';
import {
  compiledPayloadSchemas,
  parsePayload,
  payloadV1Schema,
  payloadV2Schema,
} from '../../lambda/domain/payload.ts';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const dir = (relative: string) => path.join(REPO_ROOT, relative);

const inputs: [string, unknown][] = [
  ...readdirSync(dir('test/fixtures/payloads')).map((f): [string, unknown] => [
    f,
    readJson(dir(`test/fixtures/payloads/${f}`)),
  ]),
  ...readdirSync(dir('samples'))
    .filter((f) => f.endsWith('.json'))
    .map((f): [string, unknown] => [`samples/${f}`, readJson(dir(`samples/${f}`))]),
  ...['v1-generated.payloads.jsonl', 'v1-generated.excluded.jsonl'].flatMap((file) =>
    readFileSync(dir(`test/fixtures/golden/${file}`), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, i): [string, unknown] => [`${file}:${i + 1}`, JSON.parse(line)]),
  ),
  ...[0, 1, 10, 100].map((n): [string, unknown] => [`bench v1Payload(${n})`, v1Payload(n)]),
];

/** Values a field is swapped for: every JSON type, edge numbers, and strings zod treats specially. */
const REPLACEMENTS: unknown[] = [
  null,
  true,
  false,
  0,
  1,
  2,
  -1,
  1.5,
  2 ** 53,
  '',
  ' ',
  '1',
  [],
  ['a'],
  [1],
  {},
  { id: 'x' },
];

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Variants of a payload: each top-level field and each field of the first two assets removed or retyped, plus extra keys. */
const variants = (payload: Record<string, unknown>): unknown[] => {
  const out: unknown[] = [];
  const keys = [...Object.keys(payload), 'apiVersion', 'clientName', 'leadsieTestClientId'];
  for (const key of keys) {
    const removed = clone(payload);
    delete removed[key];
    out.push(removed);
    for (const value of REPLACEMENTS) out.push({ ...clone(payload), [key]: value });
  }
  const assets = payload.connectionAssets;
  if (Array.isArray(assets)) {
    for (const index of [0, 1]) {
      const asset = assets[index] as Record<string, unknown> | undefined;
      if (typeof asset !== 'object' || asset === null) continue;
      const assetKeys = [
        ...Object.keys(asset),
        'isSuccess',
        'message',
        'notes',
        'assignedUsers',
        'connectedAccount',
        'platformPermissionsGranted',
        'extra',
      ];
      for (const key of assetKeys) {
        for (const value of [
          undefined,
          ...REPLACEMENTS,
          [{ id: 'u', isSuccess: 'no' }],
          [{ id: 'u', role: null }],
        ]) {
          const copy = clone(payload);
          const target = (copy.connectionAssets as Record<string, unknown>[])[index] as Record<
            string,
            unknown
          >;
          if (value === undefined) delete target[key];
          else target[key] = value;
          out.push(copy);
        }
      }
    }
  }
  // `__proto__` as an own key (JSON.parse makes one), which zod leaves out of its copy.
  out.push(JSON.parse(JSON.stringify(payload).replace(/^\{/, '{"__proto__":{"polluted":true},')));
  return out;
};

const zodOf = (input: unknown) => {
  const apiVersion = (input as { apiVersion?: unknown }).apiVersion;
  const isV2 = typeof apiVersion === 'number' && apiVersion >= 2;
  return { isV2, result: (isV2 ? payloadV2Schema : payloadV1Schema).safeParse(input) };
};

describe('the payload fast path', () => {
  // Every input, and variants of every eighth (the golden lines differ little from each other).
  const all = inputs.flatMap(([name, input], n) => [
    [name, input] as const,
    ...(n % 8 === 0 || !name.includes('.jsonl:')
      ? variants(input as Record<string, unknown>).map((v, i) => [`${name} variant ${i}`, v] as const)
      : []),
  ]);

  it(`checks at least a few thousand inputs (${all.length})`, () => {
    expect(all.length).toBeGreaterThan(3000);
  });

  it('compiles both payload schemas, strictly (no silent fall-back to the runtime parser)', () => {
    expect(() => z.compile(payloadV1Schema, { strict: true })).not.toThrow();
    expect(() => z.compile(payloadV2Schema, { strict: true })).not.toThrow();
    const compiled = compiledPayloadSchemas();
    expect(compiled.v1).not.toBe(payloadV1Schema);
    expect(compiled.v2).not.toBe(payloadV2Schema);
  });

  it('refuses, under strict, a schema it cannot compile', () => {
    const async = z.string().check(z.refine(async () => true));
    expect(() => z.compile(async, { strict: true })).toThrow();
  });

  it('gives what the runtime parser gives: success, keys, values and issues', () => {
    const compiled = compiledPayloadSchemas();
    let accepted = 0;
    for (const [name, input] of all) {
      const { isV2, result } = zodOf(input);
      const fast = (isV2 ? compiled.v2 : compiled.v1).safeParse(input);
      expect(fast.success, name).toBe(result.success);
      if (result.success && fast.success) {
        accepted++;
        expect(fast.data, name).toStrictEqual(result.data);
        expect(Object.keys(fast.data), name).toEqual(Object.keys(result.data));
      } else {
        expect(fast.error?.issues, name).toEqual(result.error?.issues);
      }
    }
    expect(accepted).toBeGreaterThan(500);
  });

  it('leaves parsePayload answering exactly as zod alone, problems included', () => {
    for (const [name, input] of all) {
      const parsed = parsePayload(input);
      const { result } = zodOf(input);
      if (parsed.ok) {
        expect(result.success, name).toBe(true);
        expect(parsed.payload.data, name).toStrictEqual(result.success ? result.data : undefined);
      } else if (parsed.problems[0]?.path !== '(root)' && parsed.problems[0]?.path !== 'apiVersion') {
        expect(result.success, name).toBe(false);
      }
    }
  });
});
