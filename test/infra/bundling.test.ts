/**
 * SLOW (about 10-20 s): the one infrastructure test that bundles the functions for real with the
 * local esbuild, as `cdk synth` and `cdk deploy` do, then loads each bundle in a plain Node process
 * the way the Lambda runtime does (ESM `import`, `handler` export).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/contract.ts';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';
import { logicalId, synthStack } from './support.ts';

// Inside the repository (cdk.out/ is git-ignored) so the bundles resolve the external `@aws-sdk/*`
// packages from node_modules when loaded, as Lambda resolves them from the runtime.
mkdirSync(path.join(REPO_ROOT, 'cdk.out'), { recursive: true });
const outdir = mkdtempSync(path.join(REPO_ROOT, 'cdk.out', 'bundling-test-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const { stack, template } = synthStack({}, { bundling: true, outdir });
const functions = [
  ['ingest', stack.api.ingestFunction.function],
  ['connections', stack.api.connectionsFunction.function],
] as const;

/** The asset directory of a function: `asset.<hash>` in the assembly, where the code's S3 key is `<hash>.zip`. */
const assetDir = (fn: (typeof functions)[number][1]): string => {
  const id = logicalId(stack, fn);
  const code = template.toJSON().Resources[id].Properties.Code as { S3Key: string };
  return path.join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
};

describe.each(functions)('the %s bundle', (_name, fn) => {
  const dir = assetDir(fn);
  const bundle = path.join(dir, 'index.mjs');

  it('is one ESM file, index.mjs, with its source map', () => {
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(true);
  });

  it('starts with the createRequire shim for CommonJS dependencies', () => {
    expect(readFileSync(bundle, 'utf8')).toMatch(/^import \{ createRequire as \w+ \} from 'node:module';/);
  });

  it('imports the AWS SDK from the runtime instead of bundling it', () => {
    const code = readFileSync(bundle, 'utf8');
    expect(code).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/);
    // A bundled SDK client alone is several hundred KB minified; these bundles are tens of KB.
    expect(statSync(bundle).size).toBeLessThan(300 * 1024);
  });

  it('loads in Node as an ES module and exports a handler function', () => {
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      if (typeof m.handler !== 'function') { console.error('handler is ' + typeof m.handler); process.exit(3); }`;
    const placeholders = {
      [ENV.tableName]: 'table',
      [ENV.topicArn]: 'arn:aws:sns:us-east-1:000000000000:topic',
      [ENV.webhookTokenSecretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:webhook',
      [ENV.readTokenSecretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:read',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    expect(() =>
      execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH, ...placeholders },
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });
});
