/**
 * The committed JSON Schema of the envelope (`schema/connection-event.v1.schema.json`): it is what a
 * fresh generation from `envelopeSchema` gives, and the envelopes we build validate against it.
 *
 * No JSON Schema validator is a dependency of the project, so `validate` below implements the
 * keywords the generated schema uses, and throws on any other keyword: a schema that grows a keyword
 * it does not understand fails the test instead of passing unchecked.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildEnvelope, type ConnectionEvent } from '../../lambda/domain/envelope.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';
import {
  buildEnvelopeJsonSchema,
  ENVELOPE_SCHEMA_PATH,
  envelopeSchemaText,
} from '../../scripts/generate-envelope-schema.ts';
import { fixtureNames, type JsonObject, parsedFixture } from './fixtures.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const committedText = readFileSync(resolve(ROOT, ENVELOPE_SCHEMA_PATH), 'utf8');
const schema = JSON.parse(committedText) as Schema;

type Schema = { [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'format']);

const typeOf = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
};

const hasType = (value: unknown, type: string): boolean =>
  typeOf(value) === type || (type === 'number' && typeOf(value) === 'integer');

/** Validates `value` against the subset of JSON Schema 2020-12 the generator emits; returns the errors. */
const validate = (s: Schema, value: unknown, at = '$'): string[] => {
  const errors: string[] = [];
  for (const [keyword, arg] of Object.entries(s)) {
    if (ANNOTATIONS.has(keyword)) continue;
    switch (keyword) {
      case 'type': {
        const types = Array.isArray(arg) ? (arg as string[]) : [arg as string];
        if (!types.some((t) => hasType(value, t)))
          errors.push(`${at}: expected ${types.join('|')}, got ${typeOf(value)}`);
        break;
      }
      case 'const':
        if (value !== arg) errors.push(`${at}: expected ${JSON.stringify(arg)}`);
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(arg as string, 'u').test(value))
          errors.push(`${at}: does not match ${arg}`);
        break;
      case 'minimum':
        if (typeof value === 'number' && value < (arg as number)) errors.push(`${at}: below ${arg}`);
        break;
      case 'maximum':
        if (typeof value === 'number' && value > (arg as number)) errors.push(`${at}: above ${arg}`);
        break;
      case 'anyOf':
        if (!(arg as Schema[]).some((option) => validate(option, value, at).length === 0))
          errors.push(`${at}: matches none of anyOf`);
        break;
      case 'items':
        if (Array.isArray(value))
          for (const [i, item] of value.entries())
            errors.push(...validate(arg as Schema, item, `${at}[${i}]`));
        break;
      case 'required':
        if (typeOf(value) === 'object')
          for (const key of arg as string[])
            if (!(key in (value as object))) errors.push(`${at}: missing ${key}`);
        break;
      case 'properties':
        if (typeOf(value) === 'object')
          for (const [key, sub] of Object.entries(arg as Record<string, Schema>))
            if (key in (value as object))
              errors.push(...validate(sub, (value as JsonObject)[key], `${at}.${key}`));
        break;
      case 'propertyNames':
        if (typeOf(value) === 'object')
          for (const key of Object.keys(value as object))
            errors.push(...validate(arg as Schema, key, `${at}{${key}}`));
        break;
      case 'additionalProperties': {
        if (typeOf(value) !== 'object') break;
        const known = new Set(Object.keys((s.properties as object | undefined) ?? {}));
        for (const [key, sub] of Object.entries(value as JsonObject)) {
          if (known.has(key)) continue;
          if (arg === false) errors.push(`${at}: unexpected property ${key}`);
          else if (arg !== true) errors.push(...validate(arg as Schema, sub, `${at}.${key}`));
        }
        break;
      }
      default:
        throw new Error(`${at}: keyword ${keyword} is not implemented by this test's validator`);
    }
  }
  return errors;
};

const envelopeOf = (name: string): ConnectionEvent =>
  buildEnvelope({
    payload: parsedFixture(name),
    eventId: '01JZ0000000000000000000000',
    fingerprint: `sha256:${'0'.repeat(64)}`,
    receivedAt: '2026-07-01T08:15:05.123Z',
    version: 2,
  });

/** The envelope as a subscriber receives it: the JSON text of the SNS message, parsed. */
const asReceived = (envelope: ConnectionEvent): JsonObject => JSON.parse(JSON.stringify(envelope));

describe('committed envelope JSON Schema', () => {
  it('is what a fresh generation gives', () => {
    expect(committedText, 'schema/ is out of date with envelopeSchema: run npm run generate:schema').toBe(
      envelopeSchemaText(),
    );
  });

  it('is pretty-printed with a trailing newline', () => {
    expect(committedText.endsWith('}\n')).toBe(true);
    expect(committedText).toContain('\n  "type": "object",\n');
  });

  it('says which draft, what it is and which version', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe('urn:leadsie-webhooks:schema:connection-event:v1');
    expect(schema.title).toBe('Leadsie connection event (schema version 1)');
    expect(schema.description).toEqual(expect.stringContaining('connection events'));
    expect(Object.keys(schema).slice(0, 4)).toEqual(['$schema', '$id', 'title', 'description']);
    expect(buildEnvelopeJsonSchema()).toEqual(schema);
  });

  it('requires every field of the envelope and of an asset, and allows no others', () => {
    const envelope = envelopeOf('v2-partial-multi-platform.json');
    const properties = schema.properties as Record<string, Schema>;
    expect(schema.required).toEqual(Object.keys(envelope));
    expect(Object.keys(properties)).toEqual(Object.keys(envelope));
    expect(schema.additionalProperties).toBe(false);
    const item = (properties.assets as { items: Schema }).items;
    expect(item.required).toEqual(Object.keys(envelope.assets[0] as object));
    expect(item.additionalProperties).toBe(false);
  });

  it.each<[string, unknown]>([
    ['schemaVersion', { type: 'number', const: 1 }],
    ['eventId', { type: 'string' }],
    ['user', { type: ['string', 'null'] }],
    ['isTest', { type: 'boolean' }],
    ['apiVersion', { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }],
    ['fingerprint', { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' }],
    [
      'flat',
      {
        type: 'object',
        propertyNames: { type: 'string' },
        additionalProperties: { type: ['string', 'null'] },
      },
    ],
  ])('property %s has the expected type', (key, expected) => {
    expect((schema.properties as Record<string, Schema>)[key]).toEqual(expected);
  });

  it.each(fixtureNames())('an envelope of %s validates against it', (name) => {
    expect(validate(schema, asReceived(envelopeOf(name)))).toEqual([]);
  });

  it('an envelope with a test user, no assets, no status and a leap-day time validates against it', () => {
    const result = parsePayload({
      user: 'test-user-1',
      requestUrl: 'u',
      requestName: '',
      connectionAssets: [],
    });
    if (!result.ok) throw new Error('payload rejected');
    const envelope = buildEnvelope({
      payload: result.payload,
      eventId: 'e',
      fingerprint: `sha256:${'f'.repeat(64)}`,
      receivedAt: '2028-02-29T00:00:00Z',
      version: 0,
    });
    expect(validate(schema, asReceived(envelope))).toEqual([]);
  });

  it.each<{ name: string; change: (e: JsonObject) => void; error: string }>([
    {
      name: 'schemaVersion 2',
      change: (e) => Object.assign(e, { schemaVersion: 2 }),
      error: '$.schemaVersion: expected 1',
    },
    { name: 'no fingerprint', change: (e) => delete e.fingerprint, error: '$: missing fingerprint' },
    {
      name: 'an extra field',
      change: (e) => Object.assign(e, { extra: 1 }),
      error: '$: unexpected property extra',
    },
    {
      name: 'receivedAt not ISO',
      change: (e) => Object.assign(e, { receivedAt: '2026-07-01 08:15' }),
      error: '$.receivedAt: does not match',
    },
    { name: 'version -1', change: (e) => Object.assign(e, { version: -1 }), error: '$.version: below 0' },
    {
      name: 'version 1.5',
      change: (e) => Object.assign(e, { version: 1.5 }),
      error: '$.version: expected integer',
    },
    {
      name: 'client a string',
      change: (e) => Object.assign(e, { client: 'C' }),
      error: '$.client: matches none of anyOf',
    },
    {
      name: 'a flat value that is a number',
      change: (e) => Object.assign(e, { flat: { user_id: 1 } }),
      error: '$.flat.user_id: expected string|null, got integer',
    },
    {
      name: 'an asset with ok "true"',
      change: (e) => Object.assign((e.assets as JsonObject[])[0] as JsonObject, { ok: 'true' }),
      error: '$.assets[0].ok: expected boolean|null, got string',
    },
  ])('rejects an envelope with $name (the validator is not vacuous)', ({ change, error }) => {
    const envelope = asReceived(envelopeOf('v2-partial-multi-platform.json'));
    change(envelope);
    const errors = validate(schema, envelope);
    expect(errors.some((e) => e.startsWith(error))).toBe(true);
  });
});
