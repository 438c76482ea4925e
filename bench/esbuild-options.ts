/**
 * The esbuild options `cdk synth` uses for a function, rebuilt from `HOUSE_BUNDLING` the way
 * aws-cdk-lib's NodejsFunction turns bundling props into esbuild arguments. The benchmark bundles
 * its SDK-only baselines with these, so a baseline differs from a function's asset only in its entry.
 * The benchmark checks on every run (and `test/infra/bundling.test.ts` in the suite) that building a
 * function's entry with these options gives its synthesized `index.mjs` byte for byte.
 */
import type { BuildOptions } from 'esbuild';
import { HOUSE_BUNDLING } from '../lib/constructs/house-function.ts';

/** The props of `HOUSE_BUNDLING` this mapping knows; a new one must be mapped before the bench runs. */
const MAPPED = new Set([
  'format',
  'target',
  'mainFields',
  'banner',
  'minify',
  'sourceMap',
  'sourcesContent',
  'externalModules',
  'forceDockerBundling',
]);

/**
 * How a bundle gets the AWS SDK: as deployed (`HOUSE_BUNDLING`), left to the runtime's copy
 * (`external`), or bundled in (`bundled`). The bench measures both ways.
 */
export type SdkMode = 'deployed' | 'external' | 'bundled';

/** Whether the deployed functions bundle the SDK. */
export const DEPLOYED_SDK_MODE: Exclude<SdkMode, 'deployed'> = HOUSE_BUNDLING.externalModules.some((m) =>
  m.startsWith('@aws-sdk'),
)
  ? 'external'
  : 'bundled';

/**
 * esbuild options for bundling `entry` into `outdir/index.mjs` exactly as the house function does
 * (`sdk: 'deployed'`), or the same with the AWS SDK the other way.
 */
export const houseEsbuildOptions = (
  entry: string,
  outdir: string,
  absWorkingDir: string,
  sdk: SdkMode = 'deployed',
): BuildOptions => {
  const unknown = Object.keys(HOUSE_BUNDLING).filter((key) => !MAPPED.has(key));
  if (unknown.length > 0) {
    throw new Error(`bench/esbuild-options.ts does not map HOUSE_BUNDLING.${unknown.join(', ')} yet`);
  }
  const b = HOUSE_BUNDLING;
  return {
    absWorkingDir,
    entryPoints: [entry],
    bundle: true,
    target: b.target,
    platform: 'node',
    format: b.format,
    outfile: `${outdir}/${b.format === 'esm' ? 'index.mjs' : 'index.js'}`,
    minify: b.minify,
    sourcemap: b.sourceMap,
    sourcesContent: b.sourcesContent,
    external:
      sdk === 'deployed'
        ? [...b.externalModules]
        : sdk === 'external'
          ? [...b.externalModules.filter((m) => !m.startsWith('@aws-sdk')), '@aws-sdk/*']
          : b.externalModules.filter((m) => !m.startsWith('@aws-sdk')),
    banner: { js: b.banner },
    mainFields: [...b.mainFields],
    logLevel: 'silent',
  };
};
