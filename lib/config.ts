/**
 * Deployment configuration, read once from the CDK context and validated before any construct is made.
 *
 * Every value has a default, so `cdk synth` works with no context at all. Override a value in the
 * `context` section of `cdk.json` or on the command line (`npx cdk deploy -c throttleRateLimit=25`).
 * Values from `-c key=value` always arrive as strings, so numbers and booleans are coerced here, but
 * only from strings that look exactly like them: `"25"` becomes 25, `"true"` becomes true, while
 * `""`, `"25rps"` or `"yes"` fail with a message naming the key and the value.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Node } from 'constructs';
import { z } from 'zod';
import { DEFAULTS } from '../lambda/contract.ts';

/** Turns a string that is exactly a decimal number into that number; leaves anything else for zod to reject. */
const numberFromContext = (value: unknown): unknown =>
  typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;

/** Turns `"true"`/`"false"` into booleans; leaves anything else for zod to reject. */
const booleanFromContext = (value: unknown): unknown => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
};

const int = (min: number, max: number) => z.preprocess(numberFromContext, z.number().int().min(min).max(max));

/**
 * Retention periods CloudWatch Logs accepts (`RetentionDays` without `INFINITE`, which is not a
 * CloudWatch value but CDK's way of saying "no retention property").
 */
export const LOG_RETENTION_DAYS: readonly number[] = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

/** Largest body the stack lets you configure: Lambda's 6 MB synchronous payload, less base64 growth. */
export const MAX_BODY_BYTES_LIMIT = 4 * 1024 * 1024;

/** The context schema. Each key's TSDoc says what it sets; `.default()` is the value used when unset. */
export const configSchema = z.object({
  /**
   * CloudFormation stack name.
   * @default 'LeadsieWebhooks'
   */
  stackName: z
    .string()
    .regex(
      /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
      'a stack name starts with a letter and holds only letters, digits and hyphens (max 128)',
    )
    .default('LeadsieWebhooks'),
  /**
   * Steady-state request rate of the HTTP API's default stage, in requests per second. Leadsie sends
   * one webhook per connection change, so 10/s leaves ample room while capping a flood's cost.
   * @default 10
   */
  throttleRateLimit: z.preprocess(numberFromContext, z.number().positive().max(10_000)).default(10),
  /**
   * Burst capacity of the HTTP API's default stage (token bucket size), in requests.
   * @default 20
   */
  throttleBurstLimit: int(1, 5_000).default(20),
  /**
   * Largest webhook body the ingest function accepts, in bytes; larger bodies get 413.
   * @default DEFAULTS.maxBodyBytes (256 KiB)
   */
  maxBodyBytes: int(1, MAX_BODY_BYTES_LIMIT).default(DEFAULTS.maxBodyBytes),
  /**
   * Seconds a function caches a token read from Secrets Manager before reading it again.
   * @default DEFAULTS.secretMaxAgeSeconds (300)
   */
  secretMaxAgeSeconds: int(1, 86_400).default(DEFAULTS.secretMaxAgeSeconds),
  /**
   * Retention of every log group of the stack (functions and API access logs), in days. Must be a
   * value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
   * 1096, 1827, 2192, 2557, 2922, 3288 or 3653.
   * @default 90
   */
  logRetentionDays: z
    .preprocess(
      numberFromContext,
      z.number().refine((days) => LOG_RETENTION_DAYS.includes(days), {
        message: `must be one of the retention periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}`,
      }),
    )
    .default(90)
    .transform((days) => days as RetentionDays),
  /**
   * DynamoDB deletion protection on the connections table. Turn it off only for throw-away stacks.
   * @default true
   */
  tableDeletionProtection: z.preprocess(booleanFromContext, z.boolean()).default(true),
  /**
   * What happens to the stateful resources (table, KMS key, secrets, log groups) when they leave the
   * stack or the stack is deleted: `retain` keeps them, `destroy` deletes them (KMS keys are scheduled
   * for deletion). A throw-away stack needs `destroy` and `tableDeletionProtection=false`.
   * @default 'retain'
   */
  removalPolicy: z
    .enum(['retain', 'destroy'])
    .default('retain')
    .transform((policy) => (policy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN)),
  /**
   * Memory of each Lambda function, in MB (CPU scales with it). 512 MB keeps cold starts of the
   * bundled SDK clients short at a small cost for a low-traffic webhook.
   * @default 512
   */
  lambdaMemoryMb: int(128, 10_240).default(512),
});

/** The validated configuration. */
export type Config = z.output<typeof configSchema>;

/** The context keys this app reads. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof typeof configSchema.shape)[];

/** Thrown when a context value is missing or bad; the message names each bad key and its value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const show = (value: unknown): string => (value === undefined ? 'undefined' : JSON.stringify(value));

/**
 * Reads and validates the configuration.
 *
 * @param source the app's (or any construct's) `node`, whose context is read key by key; or a plain
 *   record of raw context values, as tests pass them.
 * @throws ConfigError naming every bad key and its value, and every key that differs from a known key
 *   only by case (a typo that would otherwise fall back to the default without a word).
 */
export const loadConfig = (source: Node | Readonly<Record<string, unknown>>): Config => {
  const raw: Record<string, unknown> =
    source instanceof Node ? { ...source.getAllContext() } : { ...(source as Record<string, unknown>) };

  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    const known = CONFIG_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
    if (known !== undefined && known !== key)
      problems.push(`'${key}': unknown key, did you mean '${known}'?`);
  }

  const input = Object.fromEntries(CONFIG_KEYS.map((key) => [key, raw[key]]));
  const result = configSchema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '(root)');
      problems.push(`'${key}' = ${show(raw[key])}: ${issue.message}`);
    }
  }

  if (problems.length > 0 || !result.success) {
    throw new ConfigError(
      `Invalid CDK context (cdk.json "context" or -c key=value):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return result.data;
};
