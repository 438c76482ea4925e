/**
 * The top-level keys of the CDK context: each must be one this app reads, so a misspelt key
 * (`consumer`, `alarmEmail`) fails the synth instead of leaving its setting at the default.
 *
 * What is not ours passes: any key containing `:` belongs to the CDK (its feature flags
 * `@aws-cdk/…`, `@aws-cdk-containers/…`, what it sets itself, `aws:cdk:…`, and its lookups' cache
 * entries), as do the few keys the CDK CLI itself keeps in the context without one.
 */

/** Keys the CDK CLI writes into the context itself (`cdk acknowledge`, `cdk cli-telemetry`). */
export const CDK_OWNED_KEYS: readonly string[] = ['acknowledged-issue-numbers', 'cli-telemetry'];

/** True for a key the CDK owns rather than this app. */
export const isCdkKey = (key: string): boolean => key.includes(':') || CDK_OWNED_KEYS.includes(key);

/** Edit distance of two short strings (for "did you mean"). */
const editDistance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
};

/** The known key an unknown one was probably meant to be: the same but for case, or at most two edits away. */
export const didYouMean = (key: string, known: readonly string[]): string | undefined => {
  const lower = key.toLowerCase();
  return (
    known.find((k) => k.toLowerCase() === lower) ??
    known
      .map((k) => ({ k, distance: editDistance(k.toLowerCase(), lower) }))
      .filter(({ distance }) => distance <= 2)
      .sort((a, b) => a.distance - b.distance)[0]?.k
  );
};

export interface ContextKeyRules {
  /** The top-level keys the app reads. */
  readonly known: readonly string[];
  /** The consumers' names: the keys of `consumers`, which do not belong at the top level. */
  readonly consumers: readonly string[];
}

/**
 * One message per top-level key this app does not read, each with what was probably meant: a
 * consumer's settings placed directly under `context` are pointed at `consumers`, a near miss of a
 * known key gets a did-you-mean, anything else the list of known keys.
 */
export const contextKeyProblems = (
  context: Readonly<Record<string, unknown>>,
  rules: ContextKeyRules,
): string[] =>
  Object.keys(context)
    .filter((key) => !isCdkKey(key) && !rules.known.includes(key))
    .map((key) => {
      const lower = key.toLowerCase();
      const consumer =
        rules.consumers.find((name) => name.toLowerCase() === lower) ??
        (didYouMean(key, rules.known) === undefined ? didYouMean(key, rules.consumers) : undefined);
      if (consumer !== undefined) {
        return `'${key}': unknown key: a consumer's settings belong inside 'consumers' ("consumers": { "${consumer}": { … } })`;
      }
      const guess = didYouMean(key, rules.known);
      if (guess !== undefined) return `'${key}': unknown key, did you mean '${guess}'?`;
      return `'${key}': unknown key (known: ${[...rules.known].sort().join(', ')})`;
    });
