/**
 * Writes the JSON Schema of the event envelope, generated from the zod schema the ingest function
 * builds envelopes with, so that subscribers in any language can validate what they receive.
 *
 *   npm run generate:schema        (tsx scripts/generate-envelope-schema.ts)
 *
 * The output is committed as `schema/connection-event.v1.schema.json`; a unit test fails when it is
 * out of date with `envelopeSchema`.
 */
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as z from 'zod/mini';
import { ENVELOPE_SCHEMA_VERSION } from '../lambda/contract.ts';
import { envelopeSchema } from '../lambda/domain/envelope.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the schema is committed, relative to the repository root. */
export const ENVELOPE_SCHEMA_PATH = `schema/connection-event.v${ENVELOPE_SCHEMA_VERSION}.schema.json`;

/** The JSON Schema of the envelope, with an id, a title and a description first. */
export const buildEnvelopeJsonSchema = (): Record<string, unknown> => {
  const { $schema, ...generated } = z.toJSONSchema(envelopeSchema) as Record<string, unknown>;
  return {
    $schema,
    $id: `urn:leadsie-webhooks:schema:connection-event:v${ENVELOPE_SCHEMA_VERSION}`,
    title: `Leadsie connection event (schema version ${ENVELOPE_SCHEMA_VERSION})`,
    description:
      'The body of every message on the leadsie-webhooks "connection events" SNS topic: one Leadsie ' +
      'webhook delivery, validated and normalised. `flat` is the flat record of the "Code by Zapier" ' +
      "script on Leadsie's help page; `version` counts deliveries per (user, request), so a consumer " +
      'can ignore anything older than what it already applied. Generated from the zod schema ' +
      '(npm run generate:schema); do not edit by hand.',
    ...generated,
  };
};

/** The file's text: pretty-printed, two-space indent, trailing newline. */
export const envelopeSchemaText = (): string => `${JSON.stringify(buildEnvelopeJsonSchema(), null, 2)}\n`;

const isMain =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;

if (isMain) {
  const target = resolve(ROOT, ENVELOPE_SCHEMA_PATH);
  writeFileSync(target, envelopeSchemaText());
  console.log(`wrote ${ENVELOPE_SCHEMA_PATH}`);
}
