/**
 * Synthesizes the app for real, as `cdk synth` does (the CDK CLI, cdk.json's app, bundling with the
 * local esbuild), into a temporary cloud assembly under `cdk.out/` (git-ignored, and inside the
 * repository so the bundles' external `@aws-sdk/*` imports resolve from node_modules, as Lambda
 * resolves them from its runtime). Every consumer is switched on (the infrastructure tests'
 * `ALL_CONSUMERS`), and so is the alarm notifier (`ALARM_SLACK`), so every function the stack can
 * deploy is bundled and measured.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CONSUMER_MODULES, consumerFolder } from '../lambda/consumers/registry.ts';
import { HANDLER_ENTRIES } from '../lambda/contract.ts';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';
import { ALARM_SLACK, ALL_CONSUMERS } from '../test/infra/support.ts';

/**
 * Every bundle the stack can deploy, by name: the contract's entries, then each consumer module's
 * own, named by its folder (`slack`, `forward`).
 */
export const BUNDLE_ENTRIES: Readonly<Record<string, string>> = {
  ...HANDLER_ENTRIES,
  ...Object.fromEntries(CONSUMER_MODULES.map((module) => [consumerFolder(module), module.entry])),
};

/** A bundle's name in {@link BUNDLE_ENTRIES}. */
export type HandlerName = string;

export interface SynthFunction {
  /** Logical id in the template. */
  logicalId: string;
  /** Construct path (`LeadsieWebhooks/IngestApi/IngestFunction/Function/Resource`). */
  cdkPath: string;
  memoryMb: number;
  timeoutSeconds: number;
  architecture: string;
  runtime: string;
  /** The environment the stack gives the function, deploy-time tokens replaced by placeholders. */
  environment: Record<string, string>;
}

/** One bundle (asset) and every function that runs it. */
export interface SynthBundle {
  handler: HandlerName;
  entry: string;
  /** Absolute path of the asset directory (`asset.<hash>`). */
  assetDir: string;
  functions: SynthFunction[];
}

/** What the cost model reads from the template beyond the functions. */
export interface TemplateFacts {
  /** Resources by CloudFormation type. */
  resourceCounts: Record<string, number>;
  /** The SQS event source of each handler's first function that has one. */
  eventSources: { handler: HandlerName; batchSize: number; windowSeconds: number }[];
  /** The system log level of each handler's functions (Lambda's default, INFO, when unset). */
  systemLogLevels: Partial<Record<HandlerName, string>>;
}

export interface Synthesized {
  outdir: string;
  template: TemplateFacts;
  seconds: number;
  bundles: SynthBundle[];
  /** BUNDLE_ENTRIES bundles the synthesized stack does not deploy (none configured uses them). */
  notDeployed: HandlerName[];
}

/** A stand-in for a deploy-time value, shaped like what the name holds. */
const placeholder = (name: string): string => {
  if (name.endsWith('_ARN'))
    return `arn:aws:service:us-east-1:000000000000:placeholder-${name.toLowerCase()}`;
  if (name.endsWith('_URL')) return `https://example.invalid/placeholder-${name.toLowerCase()}`;
  return `placeholder-${name.toLowerCase()}`;
};

interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export const synthesize = (log: (line: string) => void): Synthesized => {
  mkdirSync(path.join(REPO_ROOT, 'cdk.out'), { recursive: true });
  const outdir = mkdtempSync(path.join(REPO_ROOT, 'cdk.out', 'bench-'));
  const started = performance.now();
  log(
    `synthesizing the app with every consumer and the alarm notifier on into ${path.relative(REPO_ROOT, outdir)} …`,
  );
  const result = spawnSync(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk'),
    [
      'synth',
      '--no-notices',
      '--quiet',
      '-o',
      outdir,
      '-c',
      `consumers=${JSON.stringify(ALL_CONSUMERS)}`,
      '-c',
      `alarmSlack=${JSON.stringify(ALARM_SLACK)}`,
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' } },
  );
  if (result.status !== 0) {
    throw new Error(`cdk synth failed (exit ${result.status}):\n${result.stderr}\n${result.stdout}`);
  }
  const seconds = (performance.now() - started) / 1000;
  return { ...readAssembly(outdir), seconds };
};

/** The bundles of a synthesized cloud assembly, and the functions that run each. */
export const readAssembly = (outdir: string): Omit<Synthesized, 'seconds'> => {
  const templateFile = readdirSync(outdir).find((f) => f.endsWith('.template.json'));
  if (!templateFile) throw new Error(`no template in ${outdir}`);
  const template = JSON.parse(readFileSync(path.join(outdir, templateFile), 'utf8')) as {
    Resources: Record<string, CfnResource>;
  };

  const byAsset = new Map<string, SynthBundle>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const p = resource.Properties;
    const code = p.Code as { S3Key?: string };
    if (!code.S3Key) continue; // inline code (custom resources of CDK itself), not ours
    const assetDir = path.join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    const mapFile = path.join(assetDir, 'index.mjs.map');
    let sources: string[];
    try {
      sources = (JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[] }).sources;
    } catch {
      continue; // not a house function bundle
    }
    const handler = Object.keys(BUNDLE_ENTRIES).find((h) =>
      sources.some((s) => path.resolve(assetDir, s) === path.join(REPO_ROOT, BUNDLE_ENTRIES[h] as string)),
    );
    if (!handler) continue;
    const variables = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
      {}) as Record<string, unknown>;
    const fn: SynthFunction = {
      logicalId,
      cdkPath: String(resource.Metadata?.['aws:cdk:path'] ?? logicalId),
      memoryMb: Number(p.MemorySize ?? 128),
      timeoutSeconds: Number(p.Timeout ?? 3),
      architecture: String((p.Architectures as string[] | undefined)?.[0] ?? 'x86_64'),
      runtime: String(p.Runtime),
      environment: Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [
          name,
          typeof value === 'string' ? value : placeholder(name),
        ]),
      ),
    };
    const bundle = byAsset.get(assetDir) ?? {
      handler,
      entry: BUNDLE_ENTRIES[handler] as string,
      assetDir,
      functions: [],
    };
    bundle.functions.push(fn);
    byAsset.set(assetDir, bundle);
  }
  const bundles = [...byAsset.values()].sort(
    (a, b) => Object.keys(BUNDLE_ENTRIES).indexOf(a.handler) - Object.keys(BUNDLE_ENTRIES).indexOf(b.handler),
  );
  const deployed = new Set(bundles.map((b) => b.handler));
  const notDeployed = Object.keys(BUNDLE_ENTRIES).filter((h) => !deployed.has(h));
  return { outdir, bundles, notDeployed, template: templateFacts(template.Resources, bundles) };
};

const templateFacts = (resources: Record<string, CfnResource>, bundles: SynthBundle[]): TemplateFacts => {
  const resourceCounts: Record<string, number> = {};
  for (const r of Object.values(resources)) resourceCounts[r.Type] = (resourceCounts[r.Type] ?? 0) + 1;
  const handlerOf = (logicalId: string) =>
    bundles.find((b) => b.functions.some((f) => f.logicalId === logicalId))?.handler;
  const eventSources: TemplateFacts['eventSources'] = [];
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const ref = (r.Properties.FunctionName as { Ref?: string } | undefined)?.Ref;
    const handler = ref ? handlerOf(ref) : undefined;
    if (!handler || eventSources.some((e) => e.handler === handler)) continue;
    eventSources.push({
      handler,
      batchSize: Number(r.Properties.BatchSize ?? 10),
      windowSeconds: Number(r.Properties.MaximumBatchingWindowInSeconds ?? 0),
    });
  }
  const systemLogLevels: TemplateFacts['systemLogLevels'] = {};
  for (const b of bundles) {
    const fn = resources[b.functions[0]?.logicalId ?? ''];
    const config = fn?.Properties.LoggingConfig as { SystemLogLevel?: string } | undefined;
    systemLogLevels[b.handler] = config?.SystemLogLevel ?? 'INFO';
  }
  return { resourceCounts, eventSources, systemLogLevels };
};
