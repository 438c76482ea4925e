/**
 * The sample payloads in `samples/` that `send-test-event` posts, and how one is made fresh: the
 * test user, and a request name no earlier run used (so the fingerprint is new and the delivery is
 * stored and published, not recognised as a redelivery).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export const SAMPLES = {
  v1: 'v1-partial-success.json',
  v2: 'v2-partial-multi-platform.json',
  failed: 'v1-failed.json',
} as const;

export type SampleName = keyof typeof SAMPLES;

export const SAMPLE_NAMES = Object.keys(SAMPLES) as SampleName[];

/**
 * Leadsie's convention for test deliveries: a user starting with `test-user-` is flagged
 * `isTest: true` in the event, so consumers that exclude tests (CRM updates) skip it.
 */
export const DEFAULT_TEST_USER = 'test-user-cli';

export const isSampleName = (name: string): name is SampleName => Object.hasOwn(SAMPLES, name);

/** The sample's path, relative to the repository root (for messages). */
export const samplePath = (name: SampleName): string => `samples/${SAMPLES[name]}`;

export const readSample = async (name: SampleName): Promise<Record<string, unknown>> => {
  const text = await readFile(new URL(`../${samplePath(name)}`, import.meta.url), 'utf8');
  return JSON.parse(text) as Record<string, unknown>;
};

/** The suffix that makes a request name new: ` (cli test <ISO time> <8 hex>)`. */
export const freshSuffix = (now: Date, random: () => string = () => randomBytes(4).toString('hex')): string =>
  ` (cli test ${now.toISOString()} ${random()})`;

/** The sample as sent: `user` set, the request name made new. The input is not changed. */
export const freshen = (
  payload: Record<string, unknown>,
  options: { user: string; suffix: string },
): Record<string, unknown> => ({
  ...payload,
  user: options.user,
  requestName: `${String(payload.requestName ?? 'Leadsie test')}${options.suffix}`,
});
