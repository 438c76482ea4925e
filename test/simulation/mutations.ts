/**
 * Known-bad mutations: each replaces one port (or wraps one dependency) with a broken version of
 * what production relies on, without touching production code. The simulation must catch each
 * within the CI seeds (test/simulation/simulation.test.ts), which is what shows it can find bugs.
 */
import { namedError } from './faults.ts';

export const MUTATIONS = {
  'no-once-claim': 'the outcome ledger says "claimed" to every claim (the once-only claim removed)',
  'publish-errors-transient':
    'every publish error looks transient to the use cases (the classifier can never say permanent)',
  'reconciler-one-page': 'the pending listing stops after its first page',
  'no-version-check':
    'the version check reads no stored version and the ordering guard lets every send through, so no event is ever stale',
} as const;

export type MutationName = keyof typeof MUTATIONS;

export const isMutation = (name: string): name is MutationName => Object.hasOwn(MUTATIONS, name);

/**
 * A publish error as the classifier would see it if it could never say permanent: the error is
 * renamed to a throttling error (`classifyPublishFailure` reads only the name), its message kept.
 * Wrapping the publisher is equivalent to forcing the classifier, and needs no seam in production.
 */
export const asTransientPublishError = (error: unknown): unknown =>
  error instanceof Error ? namedError('Throttling', `${error.name}: ${error.message}`) : error;
