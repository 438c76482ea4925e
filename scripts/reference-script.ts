/**
 * Where the reference flatten script is: the Python "Code by Zapier" step from Leadsie's help page,
 * run unchanged, which the flat record must equal. It is not part of this repository; the golden
 * files it made are (`test/fixtures/golden/`), so the tests never need it. Only
 * `scripts/make-golden.ts` (to make those files again) and the bench (to time the script against
 * our flatten) run it, and they find it here:
 *
 *   1. `--reference-script PATH` (make-golden),
 *   2. the `LEADSIE_REFERENCE_SCRIPT` environment variable,
 *   3. `../shared/reference/zapier_flatten.py` next to the repository, when it exists.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';

export const REFERENCE_SCRIPT_ENV = 'LEADSIE_REFERENCE_SCRIPT';

/** Where the script is looked for when nothing names it, relative to the repository. */
export const DEFAULT_REFERENCE_SCRIPT = path.join('..', 'shared', 'reference', 'zapier_flatten.py');

export type ReferenceScript = { path: string } | { missing: string };

/**
 * The reference script's absolute path, or why there is none. A relative `given` or environment
 * value is taken from the working directory, as a shell user means it.
 */
export const referenceScript = (
  options: { given?: string | undefined; env?: NodeJS.ProcessEnv; root?: string } = {},
): ReferenceScript => {
  const env = options.env ?? process.env;
  const root = options.root ?? REPO_ROOT;
  const named = options.given ?? env[REFERENCE_SCRIPT_ENV];
  if (named !== undefined && named !== '') {
    const file = path.resolve(named);
    const source = options.given !== undefined ? '--reference-script' : REFERENCE_SCRIPT_ENV;
    return existsSync(file) ? { path: file } : { missing: `${file} (from ${source}) does not exist` };
  }
  const fallback = path.resolve(root, DEFAULT_REFERENCE_SCRIPT);
  return existsSync(fallback)
    ? { path: fallback }
    : {
        missing: `no reference script: pass --reference-script PATH or set ${REFERENCE_SCRIPT_ENV} (looked for ${DEFAULT_REFERENCE_SCRIPT})`,
      };
};
