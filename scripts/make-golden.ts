/**
 * Makes the golden files for the flat record, from the reference "Code by Zapier" script.
 *
 *   npx tsx scripts/make-golden.ts [--reference-script PATH]
 *
 * The script is found as `scripts/reference-script.ts` says: the option, else LEADSIE_REFERENCE_SCRIPT,
 * else `../shared/reference/zapier_flatten.py` when it exists.
 *
 * 1. Generates a deterministic set of awkward v1 payloads (seeded PRNG, never Math.random) and adds
 *    every v1 fixture from `test/fixtures/payloads/`.
 * 2. Runs `python3 <reference script>` over them (the script from Leadsie's help
 *    page, unchanged). This generator is the only thing that runs it; the tests read what it wrote.
 * 3. Keeps only the payloads that both the script and our schema accept: the project claims exact
 *    equality with the script there and nowhere else. The others are listed, with the reason, in
 *    `v1-generated.excluded.jsonl`.
 *
 * Writes (all under `test/fixtures/golden/`, all committed):
 * - `v1-generated.payloads.jsonl`  one accepted payload per line;
 * - `v1-generated.flat.jsonl`      the script's output for each, same order, as the script printed it;
 * - `v1-generated.excluded.jsonl`  `{ "payload", "reason" }` per candidate left out;
 * - `<fixture>.flat.json`          the script's output for each v1 fixture, pretty-printed.
 *
 * Re-running it with the same seed and the same reference script gives byte-identical files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parsePayload } from '../lambda/domain/payload.ts';
import { referenceScript } from './reference-script.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const reference = referenceScript({
  given: parseArgs({ options: { 'reference-script': { type: 'string' } } }).values['reference-script'],
});
if ('missing' in reference) {
  console.error(`make-golden: ${reference.missing}`);
  process.exit(1);
}
const REFERENCE_SCRIPT = reference.path;
const PAYLOADS_DIR = join(ROOT, 'test/fixtures/payloads');
const GOLDEN_DIR = join(ROOT, 'test/fixtures/golden');
const SEED = 0x1ead51e;
const CANDIDATES = 215;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** mulberry32: small, fast, and the same sequence on every machine. */
const prng = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const random = prng(SEED);
const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
const chance = (p: number): boolean => random() < p;
const pick = <T>(items: readonly T[]): T => {
  const item = items[int(0, items.length - 1)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
};

/** Sentinel for "leave this key out of the object". */
const ABSENT = Symbol('absent');
type Maybe<T> = T | typeof ABSENT;

const TYPES = [
  // The five types Leadsie's v1 help page documents, as it writes them and in other cases.
  'Ad Account',
  'Page',
  'Pixel',
  'Instagram Account',
  'Catalog',
  'AD ACCOUNT',
  'page',
  // Unknown and multi-word types.
  'Google Ads Account',
  'TikTok  Ad Account',
  'ÜBER Type',
  'LinkedIn Page',
  'Snake_Case Type',
  'Hyphen-Type',
  'Dotted.Type',
  ' Leading Space',
  'Trailing Space ',
  'Tab\tType',
  'ΟΔΟΣ ΣΑΣ',
  'İnstagram Hesabı',
  '123',
  // Collides with the payload's own `user_id` key.
  'User',
  'USER',
] as const;

const NAMES: readonly Maybe<string | null>[] = [
  'Northwind Coffee - Main',
  'Bluebird Dental Clinic',
  'Foo, ',
  ' ,Bar',
  ', ',
  ',',
  ' ',
  '',
  'Acme, Inc.',
  ',,leading commas',
  'trailing commas,,',
  '  padded  ',
  'a, b, c',
  'Café Ünïcødé',
  '北京烤鸭',
  'rocket 🚀 page',
  'None',
  'True',
  'tab\there',
  'new\nline',
  '"quoted"',
  "O'Brien",
  'back\\slash',
  'line\u2028separator',
  null,
];

const IDS = [
  'act_1029384756',
  '104857362514',
  '17841400008460056',
  'act_, 1',
  ' 123',
  '456 ',
  ', ',
  ',',
  '',
  '12,34',
  ', lead',
  'trail ,',
  'properties/318273645',
  'id with spaces',
  'Ünï-ïd',
] as const;

const MESSAGES: readonly Maybe<string | null>[] = [
  ABSENT,
  ABSENT,
  '',
  '',
  '',
  null,
  'User is not an admin of this ad account',
  'Business Manager rejected the partner request',
  'Foo, ',
  ' ,Bar',
  ', ',
  'multi, part, message',
  '   ',
  'Ünïcødé message ✓',
  'False',
];

const SUCCESS: readonly (boolean | null)[] = [true, true, true, false, false, null];

const USERS: readonly Maybe<string | null>[] = [
  ABSENT,
  ABSENT,
  null,
  '',
  'lead-7731',
  'crm-contact-48213',
  'test-user-8f3a',
  ' spaced user ',
  'user, with comma',
  'ユーザー',
  'Zoë',
  '👤',
  'None',
];

const STATUSES: readonly Maybe<string | null>[] = [
  'SUCCESS',
  'FAILED',
  'PARTIAL_SUCCESS',
  'SOMETHING_NEW',
  ABSENT,
  null,
];
const ACCESS_LEVELS: readonly Maybe<string | null>[] = ['admin', 'view', 'Manage', ABSENT, null];
const REQUEST_NAMES = ['Northwind Coffee onboarding', '', 'Name, with comma, ', ' ', 'Ünïcødé request 🚀'];

const set = (target: JsonObject, key: string, value: Maybe<Json>): void => {
  if (value !== ABSENT) target[key] = value;
};

const time = (n: number): string => new Date(Date.UTC(2026, 0, 1) + n * 1_000_003).toISOString();

const asset = (type: string, n: number): JsonObject => {
  const out: JsonObject = { type };
  set(out, 'name', pick(NAMES));
  out.id = pick(IDS);
  out.isSuccess = pick(SUCCESS);
  set(out, 'message', pick(MESSAGES));
  if (chance(0.9)) out.time = time(n);
  if (chance(0.05)) out.futureField = { nested: [1, 'two'] };
  return out;
};

const payload = (n: number, user: Maybe<string | null>, assets: JsonObject[]): JsonObject => {
  const out: JsonObject = {};
  set(out, 'user', user);
  out.requestUrl = `https://app.leadsie.com/request/generated-${n}`;
  out.requestName = pick(REQUEST_NAMES);
  set(out, 'accessLevel', pick(ACCESS_LEVELS));
  set(out, 'status', pick(STATUSES));
  if (chance(0.1)) out.apiVersion = 1;
  if (chance(0.05)) out.leadsieTestClientId = `client-${n}`;
  out.connectionAssets = assets;
  return out;
};

/** Hand-picked cases first, so each quirk is covered whatever the PRNG draws. */
const handPicked = (): JsonObject[] => {
  const fixed = (type: string, fields: JsonObject): JsonObject => ({
    type,
    name: 'n',
    id: 'i',
    isSuccess: true,
    message: '',
    time: time(0),
    ...fields,
  });
  const base = (n: number, user: Maybe<string | null>, assets: JsonObject[]): JsonObject => {
    const out: JsonObject = {};
    set(out, 'user', user);
    out.requestUrl = `https://app.leadsie.com/request/hand-picked-${n}`;
    out.requestName = `Hand-picked ${n}`;
    out.status = 'SUCCESS';
    out.accessLevel = 'admin';
    out.connectionAssets = assets;
    return out;
  };
  return [
    base(1, ABSENT, []),
    base(2, null, []),
    base(3, '', []),
    base(4, ABSENT, [fixed('User', { id: 'u-1' })]),
    base(5, null, [fixed('User', { id: 'u-1' }), fixed('user', { id: 'u-2' })]),
    base(6, '', [fixed('USER', { id: 'u-1' })]),
    base(7, 'alice', [fixed('User', { id: 'u-1', name: 'Foo, ' })]),
    base(8, 'alice, ', [fixed('User', { id: ', ' })]),
    base(
      9,
      'lead-1',
      Array.from({ length: 30 }, (_, i) => fixed('Ad Account', { id: `act_${i}`, isSuccess: i % 3 !== 0 })),
    ),
    base(10, 'lead-2', [
      fixed('Page', { name: 'Foo, ', id: ' ,1', message: ', ' }),
      fixed('Page', { name: ' ,Bar', id: '2, ', message: 'Foo, ' }),
      fixed('Page', { name: ', ', id: ', ', message: ' ,Bar' }),
    ]),
    base(11, 'lead-3', [
      fixed('Pixel', { message: null, isSuccess: null, name: null }),
      fixed('Pixel', { isSuccess: false }),
    ]),
    base(12, 'lead-4', [
      { type: 'Catalog', name: 'no message', id: 'c-1', isSuccess: true },
      { type: 'Catalog', name: 'no message either', id: 'c-2', isSuccess: false },
    ]),
    base(13, 'lead-5', [
      fixed('TikTok  Ad Account', {}),
      fixed('Google Ads Account', {}),
      fixed('ÜBER Type', {}),
      fixed('AD ACCOUNT', {}),
      fixed('Ad Account', {}),
      fixed('ad account', {}),
    ]),
    base(14, '', [fixed('Page', { name: '', id: '', message: '' }), fixed('Page', { name: '', id: '' })]),
  ];
};

const randomPayload = (n: number): JsonObject => {
  const shape = random();
  let assets: JsonObject[];
  if (shape < 0.08) {
    assets = [];
  } else if (shape < 0.25) {
    const type = pick(TYPES);
    assets = Array.from({ length: int(6, 30) }, (_, i) => asset(type, n * 100 + i));
  } else {
    assets = Array.from({ length: int(1, 6) }, (_, i) => asset(pick(TYPES), n * 100 + i));
  }
  return payload(n, pick(USERS), assets);
};

/**
 * Payloads only one side accepts, so the excluded list shows both directions: the script needs
 * `name` and `isSuccess` on every asset (our schema does not); our schema needs a non-empty `type`
 * and `requestUrl` and string ids (the script does not).
 */
const oneSided = (): JsonObject[] => {
  const ok = (n: number, assets: JsonObject[]): JsonObject => ({
    user: `one-sided-${n}`,
    requestUrl: `https://app.leadsie.com/request/one-sided-${n}`,
    requestName: `One-sided ${n}`,
    connectionAssets: assets,
  });
  return [
    ok(1, [{ type: 'Page', id: '1', isSuccess: true, message: '' }]),
    ok(2, [{ type: 'Page', name: 'no isSuccess', id: '2', message: '' }]),
    ok(3, [{ type: '', name: 'empty type', id: '3', isSuccess: true }]),
    ok(4, [{ type: 'Page', name: 'numeric id', id: 4, isSuccess: true }]),
    ok(5, [{ type: 'Page', name: 'string isSuccess', id: '5', isSuccess: 'yes' }]),
    { ...ok(6, []), requestUrl: '' },
    { ...ok(7, []), user: 42 },
  ];
};

const v1Fixtures = (): { file: string; payload: JsonObject }[] =>
  readdirSync(PAYLOADS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      payload: JSON.parse(readFileSync(join(PAYLOADS_DIR, file), 'utf8')) as JsonObject,
    }))
    .filter(({ payload }) => (payload.apiVersion ?? 1) === 1);

/** Runs the reference script over the payloads; returns its output lines, one per payload. */
const runReference = (payloads: JsonObject[]): string[] => {
  const input = `${payloads.map((p) => JSON.stringify(p)).join('\n')}\n`;
  const stdout = execFileSync('python3', [REFERENCE_SCRIPT], {
    input,
    encoding: 'utf8',
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = stdout.split('\n').filter((line) => line !== '');
  if (lines.length !== payloads.length) {
    throw new Error(`reference script printed ${lines.length} lines for ${payloads.length} payloads`);
  }
  return lines;
};

const scriptError = (line: string): string | null => {
  const result = JSON.parse(line) as JsonObject;
  return typeof result.error === 'string' ? result.error : null;
};

const main = (): void => {
  const fixtures = v1Fixtures();
  const candidates = [
    ...handPicked(),
    ...Array.from({ length: CANDIDATES }, (_, n) => randomPayload(n)),
    ...oneSided(),
    ...fixtures.map((f) => f.payload),
  ];
  const outputs = runReference(candidates);

  const accepted: { payload: JsonObject; flat: string }[] = [];
  const excluded: { payload: JsonObject; reason: string }[] = [];
  candidates.forEach((payload, i) => {
    const flat = outputs[i] as string;
    const error = scriptError(flat);
    const parsed = parsePayload(payload);
    if (error !== null) excluded.push({ payload, reason: `script: ${error}` });
    else if (!parsed.ok) {
      const problems = parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
      excluded.push({ payload, reason: `schema: ${problems}` });
    } else accepted.push({ payload, flat });
  });

  const fixtureSet = new Set(fixtures.map((f) => f.payload));
  for (const { payload, reason } of excluded) {
    if (fixtureSet.has(payload)) throw new Error(`a v1 fixture was excluded (${reason}): fix the fixture`);
  }

  mkdirSync(GOLDEN_DIR, { recursive: true });
  const jsonl = (lines: string[]): string => `${lines.join('\n')}\n`;
  writeFileSync(
    join(GOLDEN_DIR, 'v1-generated.payloads.jsonl'),
    jsonl(accepted.map((a) => JSON.stringify(a.payload))),
  );
  writeFileSync(join(GOLDEN_DIR, 'v1-generated.flat.jsonl'), jsonl(accepted.map((a) => a.flat)));
  writeFileSync(
    join(GOLDEN_DIR, 'v1-generated.excluded.jsonl'),
    jsonl(excluded.map((e) => JSON.stringify(e))),
  );

  const fixtureOutputs = runReference(fixtures.map((f) => f.payload));
  fixtures.forEach(({ file }, i) => {
    const line = fixtureOutputs[i] as string;
    const error = scriptError(line);
    if (error !== null) throw new Error(`reference script rejected fixture ${file}: ${error}`);
    const target = join(GOLDEN_DIR, file.replace(/\.json$/, '.flat.json'));
    writeFileSync(target, `${JSON.stringify(JSON.parse(line), null, 2)}\n`);
  });

  console.log(
    `golden: ${accepted.length} payloads (${fixtures.length} fixtures among them), ` +
      `${excluded.length} excluded, ${fixtures.length} fixture flat records`,
  );
};

main();
