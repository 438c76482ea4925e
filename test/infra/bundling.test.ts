/**
 * SLOW (about 10-20 s): the one infrastructure test that bundles the functions for real with the
 * local esbuild, as `cdk synth` and `cdk deploy` do, then loads each bundle in a plain Node process
 * the way the Lambda runtime does (ESM `import`, `handler` export), with the environment the stack
 * gives that function. Every consumer is on (Google Sheets and email included), and so is the alarm
 * notifier (`alarmSlack`), so every bundle of `BUNDLE_ENTRIES` (the contract's entries and each consumer module's) is
 * bundled, the reconciler's too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRIES } from '../../bench/synth.ts';
import { ENV, type EnvName } from '../../lambda/contract.ts';
import { HouseFunction, REPO_ROOT } from '../../lib/constructs/house-function.ts';
import { ALARM_SLACK, ALL_CONSUMERS, logicalId, synthStack } from './support.ts';

// Inside the repository (cdk.out/ is git-ignored), like every other synthesized assembly.
mkdirSync(path.join(REPO_ROOT, 'cdk.out'), { recursive: true });
const outdir = mkdtempSync(path.join(REPO_ROOT, 'cdk.out', 'bundling-test-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const { stack, template } = synthStack(
  { consumers: ALL_CONSUMERS, alarmSlack: ALARM_SLACK },
  { bundling: true, outdir },
);
const houseFunctions = stack.node.findAll().filter((c): c is HouseFunction => c instanceof HouseFunction);

/** Every function of the stack, by its construct path, with the handler it bundles. */
const functions = houseFunctions.map((fn) => {
  const handler = Object.keys(BUNDLE_ENTRIES).find(
    (h) => path.join(REPO_ROOT, BUNDLE_ENTRIES[h] as string) === fn.entry,
  );
  return [fn.node.path, handler, fn] as const;
});

/** What a token in a function's environment stands for when the bundle is loaded outside AWS. */
const PLACEHOLDERS: Partial<Record<EnvName, string>> = {
  [ENV.tableName]: 'table',
  [ENV.topicArn]: 'arn:aws:sns:us-east-1:000000000000:topic',
  [ENV.webhookTokenSecretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:webhook',
  [ENV.readTokenSecretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:read',
  [ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/queue',
  [ENV.deadLetterQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/dead-letters',
};

/** The function's environment as the stack sets it, with placeholders for deploy-time values. */
const environmentOf = (fn: HouseFunction): Record<string, string> => {
  const variables = template.toJSON().Resources[logicalId(stack, fn.function)].Properties.Environment
    .Variables as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      const placeholder = PLACEHOLDERS[name as EnvName];
      if (placeholder === undefined) throw new Error(`no placeholder for ${name}`);
      return [name, placeholder];
    }),
  );
};

/** The asset directory of a function: `asset.<hash>` in the assembly, where the code's S3 key is `<hash>.zip`. */
const assetDir = (fn: HouseFunction): string => {
  const id = logicalId(stack, fn.function);
  const code = template.toJSON().Resources[id].Properties.Code as { S3Key: string };
  return path.join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
};

describe('the bundled functions', () => {
  it('cover every bundle of BUNDLE_ENTRIES, and bundle nothing else', () => {
    expect(new Set(functions.map(([, handler]) => handler))).toEqual(new Set(Object.keys(BUNDLE_ENTRIES)));
  });
});

describe.each(functions)('the bundle of %s (%s)', (_path, _handler, fn) => {
  const dir = assetDir(fn);
  const bundle = path.join(dir, 'index.mjs');

  it('is one ESM file, index.mjs, with its source map', () => {
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(true);
  });

  it('starts with the createRequire shim for CommonJS dependencies', () => {
    expect(readFileSync(bundle, 'utf8')).toMatch(/^import \{ createRequire as \w+ \} from 'node:module';/);
  });

  it('bundles the AWS SDK clients it uses instead of importing the runtime copy (it starts faster)', () => {
    const code = readFileSync(bundle, 'utf8');
    expect(code).not.toMatch(/from\s*"@aws-sdk\//);
    // Tree-shaken: only the clients and commands the function uses, not whole SDK packages.
    expect(statSync(bundle).size).toBeLessThan(1024 * 1024);
  });

  it('loads in Node as an ES module, with the environment the stack gives it, and exports a handler function', () => {
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      if (typeof m.handler !== 'function') { console.error('handler is ' + typeof m.handler); process.exit(3); }`;
    const environment = {
      ...environmentOf(fn),
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    expect(() =>
      execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH, ...environment },
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });
});
