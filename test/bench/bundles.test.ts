/**
 * What the benchmark's cold-start figures rest on, pinned:
 * - the bench builds its SDK-only baselines with the house function's esbuild options: building an
 *   entry with `houseEsbuildOptions` gives the very bytes a synthesized HouseFunction asset holds;
 * - every Lambda entry, built with the SDK external so its SDK imports can be read, imports only the
 *   packages it sends commands with (an unused client costs tens of milliseconds of cold start, bundled
 *   or not; `lambda/shared/clients.ts` explains how the bundles leave them out);
 * - a consumer's bundle holds its own module only: not the registry, not another consumer's folder
 *   (cold start, and a folder deleted leaves every other bundle as it was).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkImportsOf, usedSdkPackages } from '../../bench/cold-start.ts';
import { houseEsbuildOptions } from '../../bench/esbuild-options.ts';
import { BUNDLE_ENTRIES } from '../../bench/synth.ts';
import { HANDLER_ENTRIES } from '../../lambda/contract.ts';
import { HOUSE_BUNDLING, HouseFunction, REPO_ROOT } from '../../lib/constructs/house-function.ts';

mkdirSync(path.join(REPO_ROOT, 'cdk.out'), { recursive: true });
const work = mkdtempSync(path.join(REPO_ROOT, 'cdk.out', 'bundles-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the bench esbuild options', () => {
  it('map every bundling option of the house function', () => {
    expect(() => houseEsbuildOptions('x.ts', work, REPO_ROOT)).not.toThrow();
    expect(Object.keys(HOUSE_BUNDLING).length).toBeGreaterThan(0);
  });

  it('rebuild a synthesized HouseFunction asset byte for byte', async () => {
    const outdir = path.join(work, 'assembly');
    const app = new App({ outdir });
    new HouseFunction(new Stack(app, 'BundleCheck'), 'Ingest', { handler: 'ingest' });
    app.synth();
    const asset = readdirSync(outdir).find((f) => f.startsWith('asset.'));
    expect(asset).toBeDefined();
    const rebuilt = path.join(work, 'rebuilt');
    await build(houseEsbuildOptions(path.join(REPO_ROOT, HANDLER_ENTRIES.ingest), rebuilt, REPO_ROOT));
    const synthesized = readFileSync(path.join(outdir, asset as string, 'index.mjs'));
    expect(readFileSync(path.join(rebuilt, 'index.mjs')).equals(synthesized)).toBe(true);
  });
});

describe.each(Object.entries(BUNDLE_ENTRIES))('the %s bundle', (name, entry) => {
  let built: { code: string; inputs: string[] };
  beforeAll(async () => {
    const dir = path.join(work, `entry-${name}`);
    const result = await build({
      ...houseEsbuildOptions(path.join(REPO_ROOT, entry), dir, REPO_ROOT, 'external'),
      metafile: true,
    });
    built = {
      code: readFileSync(path.join(dir, 'index.mjs'), 'utf8'),
      inputs: Object.keys(result.metafile.inputs),
    };
  });

  it('imports only the AWS SDK packages it sends commands with', () => {
    const imports = sdkImportsOf(built.code);
    expect(imports.length).toBeGreaterThan(0);
    expect(usedSdkPackages(imports).unused).toEqual([]);
  });

  const own = /^lambda\/consumers\/([^/]+)\/entry\.ts$/.exec(entry)?.[1];
  // The alarm notifier reuses Slack's sender, so only a consumer's bundle is held to its own folder;
  // none may hold the registry.
  it(
    own === undefined ? 'holds no registry' : 'holds neither the registry nor a consumer folder but its own',
    () => {
      expect(built.inputs).toContain(entry);
      expect(built.inputs).not.toContain('lambda/consumers/registry.ts');
      if (own === undefined) return;
      const strays = built.inputs.filter(
        (input) =>
          /^lambda\/consumers\/[^/]+\//.test(input) &&
          !input.startsWith('lambda/consumers/runtime/') &&
          !input.startsWith(`lambda/consumers/${own}/`),
      );
      expect(strays).toEqual([]);
    },
  );
});
