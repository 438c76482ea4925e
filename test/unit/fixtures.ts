/**
 * Reads the committed test fixtures: sample payloads (`test/fixtures/payloads/`) and the golden flat
 * records made by `scripts/make-golden.ts` (`test/fixtures/golden/`). Never reads `../shared`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LeadsiePayload, parsePayload } from '../../lambda/domain/payload.ts';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures');
const PAYLOADS = join(FIXTURES, 'payloads');
const GOLDEN = join(FIXTURES, 'golden');

export type JsonObject = Record<string, unknown>;

const readJson = <T = JsonObject>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

const readJsonl = <T = JsonObject>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);

/** File names of the sample payloads, sorted: `v1-failed.json`, …, `v2-success-google.json`. */
export const fixtureNames = (): string[] =>
  readdirSync(PAYLOADS)
    .filter((name) => name.endsWith('.json'))
    .sort();

/** A sample payload as raw JSON (a fresh copy on every call, so tests may mutate it). */
export const rawFixture = (name: string): JsonObject => readJson(join(PAYLOADS, name));

/** A sample payload, validated; throws with the problems if it does not validate. */
export const parsedFixture = (name: string): LeadsiePayload => {
  const result = parsePayload(rawFixture(name));
  if (!result.ok) throw new Error(`fixture ${name} does not validate: ${JSON.stringify(result.problems)}`);
  return result.payload;
};

/** The golden flat record of a v1 fixture (`v1-failed.json` → `golden/v1-failed.flat.json`). */
export const goldenFixtureFlat = (name: string): JsonObject =>
  readJson(join(GOLDEN, name.replace(/\.json$/, '.flat.json')));

/** The generated golden payloads and the reference script's output for each, same order. */
export const goldenGenerated = (): { payloads: JsonObject[]; flats: JsonObject[] } => ({
  payloads: readJsonl(join(GOLDEN, 'v1-generated.payloads.jsonl')),
  flats: readJsonl(join(GOLDEN, 'v1-generated.flat.jsonl')),
});

/** Candidates the generator left out, each with why (`script: …` or `schema: …`). */
export const goldenExcluded = (): { payload: JsonObject; reason: string }[] =>
  readJsonl(join(GOLDEN, 'v1-generated.excluded.jsonl'));
