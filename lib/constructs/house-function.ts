/**
 * The house Lambda function: every function of the app is made by this construct, so runtime,
 * architecture, bundling, logging and IAM are decided in one place.
 *
 *   HANDLER_ENTRIES[handler] ──esbuild (local, ESM, minified, source maps, SDK inside)──▶ NodejsFunction
 *                                                      │  Node.js 24, arm64
 *                                                      ├─ own IAM role: writes to its own log group only
 *                                                      └─ own log group: retention + removal policy
 *
 * Environment variables are set only through {@link HouseFunction.addEnv}, which takes a name from
 * `ENV` in `lambda/contract.ts` and, in the same call, the IAM grant that makes the value usable.
 * Every function also gets what its logs and EMF metrics need: `POWERTOOLS_SERVICE_NAME` (the
 * `service` key of its log lines), the metrics namespace and the metrics `service` dimension (the
 * stack's name: see `custom-metrics.ts`). Writing EMF metrics is writing log lines: no IAM needed.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type Grant, type IGrantable, type IPrincipal, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type CfnFunction,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
} from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV, type EnvName, HANDLER_ENTRIES, METRICS_NAMESPACE } from '../../lambda/contract.ts';
import { metricsServiceOf } from './custom-metrics.ts';

/** The repository root: `lib/constructs/` is two levels below it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Name of a handler in `HANDLER_ENTRIES`. */
export type HandlerName = keyof typeof HANDLER_ENTRIES;

/**
 * A function bundled from its own entry file rather than by a `HANDLER_ENTRIES` name: a consumer
 * module declares its entry, so adding a consumer touches no list in the contract.
 */
export interface FunctionEntry {
  /** Its name in the role description and the default service name (`slack`). */
  readonly name: string;
  /** Its entry file, relative to the repository root (`lambda/consumers/slack/entry.ts`). */
  readonly entry: string;
}

/** Absolute path of a handler's entry file. */
export const handlerEntryPath = (handler: HandlerName | FunctionEntry): string =>
  path.join(REPO_ROOT, typeof handler === 'string' ? HANDLER_ENTRIES[handler] : handler.entry);

/** The name of a handler, for descriptions. */
const handlerName = (handler: HandlerName | FunctionEntry): string =>
  typeof handler === 'string' ? handler : handler.name;

/**
 * ESM bundles have no `require`; a few CommonJS dependencies still call it for Node built-ins.
 * This shim gives them one, under an alias so it cannot clash with a bundled `createRequire`.
 */
const ESM_REQUIRE_SHIM =
  "import { createRequire as __houseCreateRequire } from 'node:module'; const require = __houseCreateRequire(import.meta.url);";

/**
 * The esbuild settings of every function: one ESM file, minified, with source maps (mappings only),
 * the AWS SDK clients bundled in (tree-shaken, minified) rather than loaded from the runtime's copy:
 * the bench measured the import both ways and this one starts faster (`npm run bench`, section 1,
 * and docs/performance.md). Bundling also pins the SDK version to the lock file. Exported so the benchmark builds its SDK-only baselines
 * with exactly these settings (`bench/esbuild-options.ts`): `test/bench/bundles.test.ts` checks
 * that those options rebuild a synthesized asset byte for byte, and every bench run checks it for
 * each function it measures.
 */
export const HOUSE_BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_SHIM,
  minify: true,
  sourceMap: true,
  // Stack traces need the mappings only; leaving the sources out keeps the asset small.
  sourcesContent: false,
  // Empty, not omitted: NodejsFunction's default leaves `@aws-sdk/*` to the runtime.
  externalModules: [] as string[],
  forceDockerBundling: false,
} as const satisfies BundlingOptions;

/** Properties of a {@link HouseFunction}. */
export interface HouseFunctionProps {
  /** The handler to bundle: its name in `HANDLER_ENTRIES` of `lambda/contract.ts`, or its own entry. */
  readonly handler: HandlerName | FunctionEntry;
  /**
   * What the function does, shown in the Lambda console.
   * @default - no description
   */
  readonly description?: string;
  /**
   * `POWERTOOLS_SERVICE_NAME`: the `service` key of every log line. (The `service` dimension of the
   * metrics is the stack's name, the same for every function: `ENV.metricsService`.)
   * @default `leadsie-webhooks-${handler}`
   */
  readonly serviceName?: string;
  /**
   * Memory in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Timeout of one invocation.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
  /**
   * Removal policy of the function's log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * A Node.js 24 arm64 Lambda function bundled locally by esbuild as a minified ESM file with source
 * maps, with its own role and log group.
 */
export class HouseFunction extends Construct implements IGrantable {
  /** The function. */
  public readonly function: NodejsFunction;
  /** The function's execution role. Its only built-in permission is writing to {@link logGroup}. */
  public readonly role: Role;
  /** The function's log group. */
  public readonly logGroup: LogGroup;
  /** The principal to grant permissions to (the execution role). */
  public readonly grantPrincipal: IPrincipal;
  /** Absolute path of the bundled entry file (`HANDLER_ENTRIES[handler]` under the repository root). */
  public readonly entry: string;

  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    super(scope, id);
    this.entry = handlerEntryPath(props.handler);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // Not AWSLambdaBasicExecutionRole: that managed policy lets a function write to every log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${handlerName(props.handler)} function`,
    });
    // logs:CreateLogStream and logs:PutLogEvents on this log group's ARN (`…:log-group:<name>:*`).
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: this.entry,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      // INFO, not WARN: WARN would drop Lambda's REPORT lines, and with them the init duration and
      // max memory figures that memory sizing reads. The bench prices these lines.
      systemLogLevelV2: SystemLogLevel.INFO,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? `leadsie-webhooks-${handlerName(props.handler)}`,
        [ENV.metricsNamespace]: METRICS_NAMESPACE,
        [ENV.metricsService]: metricsServiceOf(this),
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        ...HOUSE_BUNDLING,
        mainFields: [...HOUSE_BUNDLING.mainFields],
        externalModules: [...HOUSE_BUNDLING.externalModules],
      },
    });
    this.grantPrincipal = this.role;

    // Function adds a DependsOn on the role it is given, on top of the GetAtt of the role's ARN;
    // the duplicate is harmless and is CDK's to render, so tell cfn-lint (W3005) for this resource only.
    (this.function.node.defaultChild as CfnFunction).addMetadata('cfn-lint', {
      config: { ignore_checks: ['W3005'] },
    });
  }

  /**
   * Sets an environment variable named in the contract and, in the same call, grants what the
   * function needs to use its value.
   *
   * @param name a value of `ENV` from `lambda/contract.ts`
   * @param value the value (usually a token: a table name, a topic or secret ARN)
   * @param grant given the function's principal, makes the grant (e.g. `(fn) => table.grant(fn, 'dynamodb:GetItem')`)
   * @returns this function, to chain calls
   */
  public addEnv(
    name: EnvName,
    value: string,
    grant?: (grantee: IGrantable) => Grant | readonly Grant[],
  ): this {
    this.function.addEnvironment(name, value);
    grant?.(this);
    return this;
  }
}
