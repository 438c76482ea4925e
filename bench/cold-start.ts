/**
 * Cold-start proxy per function: the synthesized bundle imported in a fresh `node` process, minus a
 * bare `node` start, against a baseline bundle that holds only the AWS SDK clients the function
 * really uses, built with the same esbuild options.
 *
 * - "Really uses": a package from which the bundle imports something other than a bare `*Client`
 *   class (a command, an exception, the DynamoDB document client); `@aws-sdk/client-dynamodb` counts
 *   as used wherever `@aws-sdk/lib-dynamodb` is. A client imported but never sent a command is not
 *   in the baseline, so its cost shows as the function's own.
 * - The baseline imports the same bindings from the same packages as the bundle (external, resolved
 *   from node_modules as Lambda resolves them from its runtime), constructs each client once, as the
 *   function does at module scope, and exports a handler that references them all.
 * - Both ways of getting the AWS SDK are measured (item 7 of the cost issue): the entry rebuilt with
 *   the SDK external (resolved from node_modules, as Lambda resolves its runtime copy) and with the
 *   SDK clients bundled in; the deployed way is the synthesized asset itself, and the other is built
 *   with the same options but for the SDK. Measured on this machine's Node: Lambda's Node 24 runtime
 *   and its own SDK copy may differ.
 * - Each round starts a bare process, then every bundle, its other way and its baseline, in turn, so
 *   drift on the machine hits both sides alike; a figure is the median over rounds of
 *   (process wall time − the round's bare start), with min and max.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';
import { DEPLOYED_SDK_MODE, houseEsbuildOptions, type SdkMode } from './esbuild-options.ts';
import { round, type Summary, summarize } from './stats.ts';
import type { HandlerName, SynthBundle, Synthesized } from './synth.ts';

export interface SdkImport {
  pkg: string;
  names: string[];
}

/** The `import {…} from "@aws-sdk/…"` statements of a minified ESM bundle, merged per package. */
export const sdkImportsOf = (code: string): SdkImport[] => {
  const byPackage = new Map<string, Set<string>>();
  for (const match of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*["'](@aws-sdk\/[^"']+)["']/g)) {
    const names = byPackage.get(match[2] as string) ?? new Set<string>();
    for (const part of (match[1] as string).split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)[0]
        ?.trim();
      if (name) names.add(name);
    }
    byPackage.set(match[2] as string, names);
  }
  if (
    /import\s*\*\s*as\s+\w+\s+from\s*["']@aws-sdk\//.test(code) ||
    /import\s+\w+\s+from\s*["']@aws-sdk\//.test(code)
  ) {
    throw new Error('a bundle imports the AWS SDK by namespace or default import; teach bench/cold-start.ts');
  }
  return [...byPackage.entries()].map(([pkg, names]) => ({ pkg, names: [...names].sort() }));
};

const isBareClient = (name: string) => /Client$/.test(name) && name !== 'DynamoDBDocumentClient';

/** The packages a bundle really uses (see the file comment), and those it imports without using. */
export const usedSdkPackages = (imports: SdkImport[]): { used: SdkImport[]; unused: string[] } => {
  const usedNames = new Set(imports.filter((i) => i.names.some((n) => !isBareClient(n))).map((i) => i.pkg));
  if (usedNames.has('@aws-sdk/lib-dynamodb')) usedNames.add('@aws-sdk/client-dynamodb');
  return {
    used: imports.filter((i) => usedNames.has(i.pkg)),
    unused: imports.filter((i) => !usedNames.has(i.pkg)).map((i) => i.pkg),
  };
};

/** Source of the SDK-only baseline entry: the same imports, each client constructed once. */
export const baselineSource = (used: SdkImport[]): string => {
  const lines: string[] = [];
  const all: string[] = [];
  for (const { pkg, names } of used) {
    lines.push(`import { ${names.join(', ')} } from ${JSON.stringify(pkg)};`);
    all.push(...names);
  }
  const clients: string[] = [];
  for (const name of all) {
    if (isBareClient(name)) clients.push(`new ${name}({})`);
  }
  if (all.includes('DynamoDBDocumentClient')) {
    if (!all.includes('DynamoDBClient')) {
      lines.push(`import { DynamoDBClient } from "@aws-sdk/client-dynamodb";`);
    }
    clients.push('DynamoDBDocumentClient.from(new DynamoDBClient({}))');
  }
  lines.push(`const clients = [${clients.join(', ')}];`);
  lines.push(`export const handler = async () => [clients, ${all.join(', ')}].length;`);
  return `${lines.join('\n')}\n`;
};

/** One way of getting the AWS SDK, measured. */
export interface SdkWay {
  kb: number;
  /** Wall time of the whole process (node start included), ms. */
  absoluteMs: Summary;
  /** The same over the round's bare node start, ms. */
  overBareMs: Summary;
  /** CPU time over the bare start's, ms. */
  cpuOverBareMs: Summary;
}

export interface ColdStartRow {
  handler: HandlerName;
  functions: string[];
  memoryMb: number[];
  /** Packages the bundle imports from the AWS SDK, and those the baseline keeps. */
  sdkImported: string[];
  sdkBaseline: string[];
  /** SDK packages the bundle imports but never sends a command with (pure cold-start cost). */
  sdkUnused: string[];
  bundleKb: number;
  sourceMapKb: number;
  baselineKb: number;
  /** Import cost over a bare node start, ms. */
  bundleMs: Summary;
  baselineMs: Summary;
  /** Median bundle / median baseline; min and max are of the per-round ratios. */
  ratio: Summary;
  /** Peak resident memory of the process that imported the bundle (MB), median over rounds. */
  bundlePeakRssMb: Summary;
  /**
   * The same comparison in CPU time (user + system of the child over the bare start's, ms): far less
   * sensitive than wall time to other work on the machine.
   */
  bundleCpuMs: Summary;
  baselineCpuMs: Summary;
  cpuRatio: Summary;
  /** True when the bench's esbuild options rebuild the entry into the synthesized bytes exactly. */
  sameBytesAsSynth: boolean;
  /** The import measured both ways; `deployed` says which one the stack uses. */
  sdkWays: { deployed: Exclude<SdkMode, 'deployed'>; external: SdkWay; bundled: SdkWay };
}

export interface ColdStartResult {
  rounds: number;
  bareNodeMs: Summary;
  /** CPU time of the bare start itself (user + system), ms. */
  bareNodeCpuMs: Summary;
  rows: ColdStartRow[];
  notDeployed: HandlerName[];
  nodeVersion: string;
  nodeOptions: string;
  target: number;
}

export interface ChildSample {
  wallMs: number;
  maxRssKb: number;
  cpuMs: number;
}

export const CHILD_REPORT =
  'const u = process.resourceUsage(); process.stdout.write(JSON.stringify({ rss: u.maxRSS, cpu: (u.userCPUTime + u.systemCPUTime) / 1000 }));';

export const runChild = (script: string, env: Record<string, string>): ChildSample => {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env,
    encoding: 'utf8',
    cwd: REPO_ROOT,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(`a cold-start child failed (exit ${result.status}):\n${result.stderr}`);
  }
  const report = JSON.parse(result.stdout) as { rss: number; cpu: number };
  return { wallMs, maxRssKb: report.rss, cpuMs: report.cpu };
};

/** A child's script: import the bundle at `url`, check it exports a handler, report its resource use. */
export const importScript = (url: string) =>
  `const m = await import(${JSON.stringify(url)}); if (typeof m.handler !== 'function') process.exit(3); ${CHILD_REPORT}`;

/** The environment of a child: the function's own (from the template) plus what Lambda sets. */
export const lambdaEnvironment = (bundle: SynthBundle): Record<string, string> => {
  const fn = bundle.functions[0];
  if (!fn) throw new Error(`no function runs ${bundle.handler}`);
  return {
    PATH: process.env.PATH ?? '',
    ...fn.environment,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    // Node 20 here; Lambda runs Node 24, where the SDK prints no such notice.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
};

const cpuComparison = (samples: Record<'bundle' | 'baseline' | 'bare', ChildSample[]>) => {
  const over = (side: 'bundle' | 'baseline') =>
    samples[side].map((s, i) => s.cpuMs - (samples.bare[i] as ChildSample).cpuMs);
  const bundle = over('bundle');
  const baseline = over('baseline');
  const bundleCpuMs = summarize(bundle);
  const baselineCpuMs = summarize(baseline);
  const perRound = summarize(bundle.map((b, i) => b / (baseline[i] as number)));
  return {
    bundleCpuMs,
    baselineCpuMs,
    cpuRatio: { ...perRound, median: bundleCpuMs.median / baselineCpuMs.median },
  };
};

const kb = (file: string) => round(statSync(file).size / 1024, 1);

const way = (samples: ChildSample[], bare: ChildSample[], file: string): SdkWay => ({
  kb: kb(file),
  absoluteMs: summarize(samples.map((s) => s.wallMs)),
  overBareMs: summarize(samples.map((s, i) => s.wallMs - (bare[i] as ChildSample).wallMs)),
  cpuOverBareMs: summarize(samples.map((s, i) => s.cpuMs - (bare[i] as ChildSample).cpuMs)),
});

export const measureColdStart = async (
  synth: Synthesized,
  options: { rounds: number; log: (line: string) => void },
): Promise<ColdStartResult> => {
  const work = path.join(synth.outdir, 'bench-cold-start');
  mkdirSync(work, { recursive: true });

  const prepared = [];
  for (const bundle of synth.bundles) {
    const code = readFileSync(path.join(bundle.assetDir, 'index.mjs'), 'utf8');
    // Which SDK bindings the function uses, read from the SDK-external build's import statements.
    const otherWay = DEPLOYED_SDK_MODE === 'bundled' ? 'external' : 'bundled';
    const otherDir = path.join(work, `${otherWay}-${bundle.handler}`);
    await build(houseEsbuildOptions(path.join(REPO_ROOT, bundle.entry), otherDir, REPO_ROOT, otherWay));
    const externalCode =
      DEPLOYED_SDK_MODE === 'external' ? code : readFileSync(path.join(otherDir, 'index.mjs'), 'utf8');
    const imports = sdkImportsOf(externalCode);
    const { used, unused } = usedSdkPackages(imports);

    // The bench's options must rebuild the entry into the very bytes cdk synth packaged.
    const rebuilt = path.join(work, `rebuilt-${bundle.handler}`);
    await build(houseEsbuildOptions(path.join(REPO_ROOT, bundle.entry), rebuilt, REPO_ROOT));
    const sameBytesAsSynth = readFileSync(path.join(rebuilt, 'index.mjs')).equals(
      readFileSync(path.join(bundle.assetDir, 'index.mjs')),
    );

    const baselineDir = path.join(work, `baseline-${bundle.handler}`);
    mkdirSync(baselineDir, { recursive: true });
    const baselineEntry = path.join(baselineDir, 'entry.mjs');
    writeFileSync(baselineEntry, baselineSource(used));
    await build(houseEsbuildOptions(baselineEntry, baselineDir, REPO_ROOT));

    prepared.push({
      bundle,
      imports,
      used,
      unused,
      sameBytesAsSynth,
      env: lambdaEnvironment(bundle),
      bundleUrl: pathToFileURL(path.join(bundle.assetDir, 'index.mjs')).href,
      baselineUrl: pathToFileURL(path.join(baselineDir, 'index.mjs')).href,
      baselineFile: path.join(baselineDir, 'index.mjs'),
      otherWay,
      otherUrl: pathToFileURL(path.join(otherDir, 'index.mjs')).href,
      otherFile: path.join(otherDir, 'index.mjs'),
      samples: {
        bundle: [] as ChildSample[],
        baseline: [] as ChildSample[],
        other: [] as ChildSample[],
        bare: [] as ChildSample[],
      },
    });
  }

  const bareSamples: ChildSample[] = [];
  const nodeOptions = prepared[0]?.env.NODE_OPTIONS ?? '';
  for (let r = 0; r < options.rounds; r++) {
    // The bare start with the same NODE_OPTIONS the functions get (source maps on).
    const bare = runChild(CHILD_REPORT, { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptions });
    bareSamples.push(bare);
    for (const p of prepared) {
      const sides = ['bundle', 'other', 'baseline'] as const;
      const order = sides.map((_, i) => sides[(i + r) % sides.length] as (typeof sides)[number]);
      const urls = { bundle: p.bundleUrl, other: p.otherUrl, baseline: p.baselineUrl };
      for (const side of order) p.samples[side].push(runChild(importScript(urls[side]), p.env));
      p.samples.bare.push(bare);
    }
    options.log(`  cold start: round ${r + 1}/${options.rounds}`);
  }

  const rows: ColdStartRow[] = prepared.map((p) => {
    const over = (side: 'bundle' | 'baseline' | 'other') =>
      p.samples[side].map((s, i) => s.wallMs - (p.samples.bare[i] as ChildSample).wallMs);
    const bundleOver = over('bundle');
    const baselineOver = over('baseline');
    const bundleMs = summarize(bundleOver);
    const baselineMs = summarize(baselineOver);
    const perRound = summarize(bundleOver.map((b, i) => b / (baselineOver[i] as number)));
    return {
      handler: p.bundle.handler,
      functions: p.bundle.functions.map((f) => f.cdkPath.split('/').slice(1, -2).join('/')),
      memoryMb: p.bundle.functions.map((f) => f.memoryMb),
      sdkImported: p.imports.map((i) => i.pkg),
      sdkBaseline: p.used.map((i) => i.pkg),
      sdkUnused: p.unused,
      bundleKb: kb(path.join(p.bundle.assetDir, 'index.mjs')),
      sourceMapKb: kb(path.join(p.bundle.assetDir, 'index.mjs.map')),
      baselineKb: kb(p.baselineFile),
      bundleMs,
      baselineMs,
      ratio: {
        median: bundleMs.median / baselineMs.median,
        min: perRound.min,
        max: perRound.max,
        n: perRound.n,
      },
      bundlePeakRssMb: summarize(p.samples.bundle.map((s) => s.maxRssKb / 1024)),
      ...cpuComparison(p.samples),
      sameBytesAsSynth: p.sameBytesAsSynth,
      sdkWays: {
        deployed: DEPLOYED_SDK_MODE,
        [DEPLOYED_SDK_MODE]: way(p.samples.bundle, p.samples.bare, path.join(p.bundle.assetDir, 'index.mjs')),
        [p.otherWay]: way(p.samples.other, p.samples.bare, p.otherFile),
      } as ColdStartRow['sdkWays'],
    };
  });
  return {
    rounds: options.rounds,
    bareNodeMs: summarize(bareSamples.map((s) => s.wallMs)),
    bareNodeCpuMs: summarize(bareSamples.map((s) => s.cpuMs)),
    rows,
    notDeployed: synth.notDeployed,
    nodeVersion: process.version,
    nodeOptions,
    target: 1.2,
  };
};
