/**
 * Deployment configuration, read once from the CDK context and validated before any construct is made.
 *
 * Every value has a default, so `cdk synth` works with no context at all. Override a value in the
 * `context` section of `cdk.json` or on the command line (`npx cdk deploy -c throttleRateLimit=25`).
 * Values from `-c key=value` always arrive as strings, so numbers and booleans are coerced here, but
 * only from strings that look exactly like them: `"25"` becomes 25, `"true"` becomes true, while
 * `""`, `"25rps"` or `"yes"` fail with a message naming the key and the value.
 *
 * `consumers` is an object (a JSON string from `-c consumers='{…}'` is parsed first) with one key per
 * consumer module of `lambda/consumers/registry.ts`, each validated by that module's own settings
 * schema (the rules its function reads its environment with, so a bad value fails the synth, not a
 * delivery). Keys are checked strictly: an unknown or misspelt key fails with its full path
 * (`consumers.slak`, `consumers.forwarders[0].includeTestEvent`) and the key it probably meant, never
 * silently ignored. `alarmEmails` is a list of email addresses (or a string holding one: JSON, or
 * addresses separated by commas), each checked. `alarmSlack` is `{"secretName": "…"}` (or its JSON),
 * checked strictly like `consumers`.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Node } from 'constructs';
import { z } from 'zod';
import type { EmailSettingsConfig } from '../lambda/consumers/email/settings.ts';
import type { AnyConsumerModule } from '../lambda/consumers/module.ts';
import { CONSUMER_MODULES, type ConsumersSettings } from '../lambda/consumers/registry.ts';
import { maxReceiveCountOf, type QueueKnobs } from '../lambda/consumers/settings.ts';
import type { SheetsSettings } from '../lambda/consumers/sheets/settings.ts';
import type { SlackSettings } from '../lambda/consumers/slack/settings.ts';
import { DEFAULT_STACK_NAME, DEFAULTS, MAX_KEPT_BODY_BYTES } from '../lambda/contract.ts';
import { DEFAULT_THROTTLE } from './constructs/ingest-api.ts';
import { type ContextKeyRules, contextKeyProblems } from './context-keys.ts';
import { STAGE_CONTEXT_KEYS, selectStage } from './stages.ts';

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

/**
 * Largest body the stack lets you configure: what one table item keeps (`MAX_KEPT_BODY_BYTES`, 300
 * KiB). A larger accepted body could not be stored (DynamoDB's 400 KB item limit: a 503 on every
 * redelivery), nor a larger refused one kept whole in quarantine.
 */
export const MAX_BODY_BYTES_LIMIT = MAX_KEPT_BODY_BYTES;

/**
 * Turns a string into the JSON it holds, as `-c consumers='{"slack":…}'` gives it; a string that is
 * not JSON is an issue of its own, not a confusing "expected object".
 */
const jsonFromContext = (
  value: unknown,
  ctx: { addIssue: (issue: z.core.$ZodRawIssue) => void },
): unknown => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not valid JSON (${(error as Error).message})`, input: value });
    return z.NEVER;
  }
};

/** The characters Secrets Manager allows in a secret name. */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

const secretName = (holds: string) =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `required: the name of the Secrets Manager secret holding ${holds}`
          : 'expected the name of a Secrets Manager secret (a string)',
    })
    .regex(
      SECRET_NAME,
      'a Secrets Manager secret name: 1 to 512 letters, digits and / _ + = . @ - (a name, not an ARN)',
    );

export {
  EMAIL_ENVIRONMENT_BUDGET_BYTES,
  EMAIL_ENVIRONMENT_RESERVE_BYTES,
  emailConsumerFilter,
  emailEnvironment,
  environmentBytes,
  fromAddress,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  MAX_EMAIL_RECIPIENTS,
  sesIdentities,
} from '../lambda/consumers/email/settings.ts';
export { DEFAULT_SHEET_NAME, SPREADSHEET_ID } from '../lambda/consumers/sheets/settings.ts';

export const consumersSchema = z.preprocess(
  jsonFromContext,
  z
    .strictObject({
      // Each consumer module's settings, under its key (`lambda/consumers/registry.ts`); not deployed when absent.
      ...(Object.fromEntries(
        (CONSUMER_MODULES as readonly AnyConsumerModule[]).map((module) => [
          module.contextKey,
          // A schema with a default (the forwarders' list) fills itself in; the others stay absent.
          module.schema._zod.def.type === 'default' ? module.schema : z.optional(module.schema),
        ]),
      ) as unknown as {
        [K in keyof ConsumersSettings]: undefined extends ConsumersSettings[K]
          ? z.ZodOptional<z.ZodType<NonNullable<ConsumersSettings[K]>>>
          : z.ZodType<ConsumersSettings[K]>;
      }),
    })
    .superRefine((consumers, ctx) => {
      // A cross-field rule every consumer shares (the shared fields cannot hold it): the backstop
      // against the horizon, with the engine's schedule.
      for (const [key, value] of Object.entries(consumers)) {
        const entries: [PropertyKey[], unknown][] = Array.isArray(value)
          ? value.map((item, index) => [[key, index], item])
          : [[[key], value]];
        for (const [path, settings] of entries) {
          if (settings === null || typeof settings !== 'object' || !('retryHorizonHours' in settings))
            continue;
          const { problem } = maxReceiveCountOf(settings as QueueKnobs);
          if (problem !== undefined)
            ctx.addIssue({ code: 'custom', path: [...path, 'maxReceiveCount'], message: problem });
        }
      }
    }),
);

/**
 * The object schema reached from `schema` along `path` (through optional, default, pipe and array
 * wrappers), for "unknown key" messages; undefined when the path leads to no object.
 */
const objectShapeAt = (
  schema: z.core.$ZodType,
  path: readonly PropertyKey[],
): readonly string[] | undefined => {
  let current: z.core.$ZodType | undefined = schema;
  let rest = [...path];
  while (current !== undefined) {
    const def = current._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
    if (
      def.type === 'optional' ||
      def.type === 'default' ||
      def.type === 'prefault' ||
      def.type === 'nonoptional'
    ) {
      current = def.innerType as z.core.$ZodType;
    } else if (def.type === 'pipe') {
      const out = def.out as z.core.$ZodType;
      current = out._zod.def.type === 'transform' ? (def.in as z.core.$ZodType) : out;
    } else if (def.type === 'array') {
      if (typeof rest[0] === 'number') rest = rest.slice(1);
      current = def.element as z.core.$ZodType;
    } else if (def.type === 'object') {
      const shape = def.shape as Record<string, z.core.$ZodType>;
      if (rest.length === 0) return Object.keys(shape);
      current = shape[String(rest[0])];
      rest = rest.slice(1);
    } else {
      return undefined;
    }
  }
  return undefined;
};

/** The keys `alarmSlack` accepts, for "unknown key" messages. */
const ALARM_SLACK_KEYS = ['secretName'] as const;

/** Longest token rotation grace: a week; a leaked token should not stay valid longer than that. */
export const MAX_TOKEN_ROTATION_GRACE_HOURS = 168;

/** Largest reconciler batch: what its 60 s timeout can publish with room to spare. */
export const MAX_RECONCILER_BATCH_LIMIT = 1000;

/** Most alarm email subscriptions: a team list, not a mailing list (use a list address for more). */
export const MAX_ALARM_EMAILS = 10;

/**
 * `-c alarmEmails=…` gives a string: a JSON list (`["a@x.com","b@y.org"]`) is parsed as JSON,
 * anything else is read as addresses separated by commas (`a@x.com,b@y.org`).
 */
const addressesFromContext = (
  value: unknown,
  ctx: { addIssue: (issue: z.core.$ZodRawIssue) => void },
): unknown => {
  if (typeof value !== 'string' || value.trim().startsWith('[')) return jsonFromContext(value, ctx);
  return value.split(',').map((address) => address.trim());
};

export const alarmEmailsSchema = z.preprocess(
  addressesFromContext,
  z
    .array(z.email({ error: 'not an email address, such as "ops@example.com"' }), {
      error: 'expected a list of email addresses, such as ["ops@example.com"]',
    })
    .max(MAX_ALARM_EMAILS, `at most ${MAX_ALARM_EMAILS} addresses (use a list address for more)`)
    .refine(
      (list) => new Set(list.map((address) => address.toLowerCase())).size === list.length,
      'an address is listed twice',
    ),
);

/**
 * Where the alarm notifier posts: the secret holding a Slack Incoming Webhook URL (the same kind of
 * secret as the Slack consumer's; the same one, or a webhook of another channel).
 */
export const alarmSlackSchema = z.preprocess(
  (value, ctx) => {
    // `-c alarmSlack=name` (a bare secret name) is the likely slip: say what shape is wanted.
    if (typeof value === 'string' && !value.trim().startsWith('{')) {
      ctx.addIssue({
        code: 'custom',
        input: value,
        message: `expected an object such as {"secretName": "${value}"} (on the command line: -c alarmSlack='{"secretName":"…"}')`,
      });
      return z.NEVER;
    }
    return jsonFromContext(value, ctx);
  },
  z.strictObject(
    {
      /** Secret holding the Slack Incoming Webhook URL alarms are posted to, as a plain string. */
      secretName: secretName('the Slack Incoming Webhook URL alarms are posted to'),
    },
    { error: 'expected an object such as {"secretName": "leadsie-webhooks/alarm-slack-webhook-url"}' },
  ),
);

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
    .default(DEFAULT_STACK_NAME),
  /**
   * Steady-state request rate of the HTTP API's default stage, in requests per second: the stage's
   * limit for every caller together (HTTP APIs have no per-client throttle). See docs/throttling.md.
   * @default 50
   */
  throttleRateLimit: z
    .preprocess(numberFromContext, z.number().positive().max(10_000))
    .default(DEFAULT_THROTTLE.rateLimit),
  /**
   * Burst capacity of the HTTP API's default stage (token bucket size), in requests.
   * @default 500
   */
  throttleBurstLimit: int(1, 5_000).default(DEFAULT_THROTTLE.burstLimit),
  /**
   * Largest webhook body the ingest function accepts, in bytes; larger bodies get 413.
   * @default DEFAULTS.maxBodyBytes (256 KiB)
   */
  maxBodyBytes: int(1, MAX_BODY_BYTES_LIMIT).default(DEFAULTS.maxBodyBytes),
  /**
   * Days a delivery (and its stored body) is kept in the history before DynamoDB's TTL removes it
   * (`ENV.historyRetentionDays`). The latest state of each (user, request) never expires.
   * @default unset: kept for ever
   */
  historyRetentionDays: int(1, 36_500).optional(),
  /**
   * Seconds a function caches a token read from Secrets Manager before reading it again.
   * @default DEFAULTS.secretMaxAgeSeconds (300)
   */
  secretMaxAgeSeconds: int(1, 86_400).default(DEFAULTS.secretMaxAgeSeconds),
  /**
   * Hours after a token rotation (`cli rotate-token`) during which the HTTP functions still accept the
   * previous webhook or read token beside the new one, so Leadsie keeps delivering until the new URL
   * is pasted. Counted from the new value's creation; `rotate-token --revoke-previous` ends it early.
   * @default DEFAULTS.tokenRotationGraceHours (24)
   */
  tokenRotationGraceHours: int(1, MAX_TOKEN_ROTATION_GRACE_HOURS).default(DEFAULTS.tokenRotationGraceHours),
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
   * Memory of the HTTP functions (ingest, connections), in MB (CPU scales with it). A caller waits on
   * their cold start; at 512 MB a CPU-bound init takes half as long as at 256 MB (`npm run bench`).
   * @default 512
   */
  lambdaMemoryMb: int(128, 10_240).default(512),
  /**
   * Memory of the background functions (the consumers and the reconciler), in MB. Nobody waits on
   * them and they spend their time waiting on Slack, HubSpot, Google or SES; 256 MB is three times
   * their measured peak (`npm run bench`) and halves their GB-seconds.
   * @default 256
   */
  backgroundMemoryMb: int(128, 10_240).default(256),
  /**
   * The consumers of the connection events topic, each consumer module's settings under its key
   * (`lambda/consumers/registry.ts`), each deployed only when configured (one subscription, queue,
   * dead-letter queue and function each). May be given as a JSON string
   * (`-c consumers='{"slack":{"secretName":"…"}}'`).
   * @default {} (no consumers; a module whose settings have a default fills it in)
   */
  consumers: consumersSchema.prefault({}),
  /**
   * Minutes between two runs of the reconciler, which publishes deliveries stored but never
   * published (`rate(N minutes)`). A delivery can wait this long for it after a failed publish.
   * @default DEFAULTS.reconcilerIntervalMinutes (5)
   */
  reconcilerIntervalMinutes: int(1, 60).default(DEFAULTS.reconcilerIntervalMinutes),
  /**
   * Most pending deliveries the reconciler completes in one run (`ENV.reconcilerBatchLimit`). Each
   * takes four or five sequential calls, so 1000 still fits its 60 s timeout; the rest waits a run.
   * @default DEFAULTS.reconcilerBatchLimit (500)
   */
  reconcilerBatchLimit: int(1, MAX_RECONCILER_BATCH_LIMIT).default(DEFAULTS.reconcilerBatchLimit),
  /**
   * Email addresses subscribed to the alarm topic. Each address gets a confirmation email from SNS
   * and receives nothing until the link in it is followed. On the command line, a JSON list
   * (`-c alarmEmails='["ops@example.com"]'`) or addresses separated by commas
   * (`-c alarmEmails=ops@example.com,oncall@example.org`).
   * @default [] (subscribe to the AlarmTopicArn output yourself)
   */
  alarmEmails: alarmEmailsSchema.default([]),
  /**
   * Post every alarm notification (ALARM and OK) to Slack: a function subscribed to the alarm topic
   * reads the Incoming Webhook URL from this Secrets Manager secret (made by the operator, not the
   * stack). On the command line: `-c alarmSlack='{"secretName":"leadsie-webhooks/alarm-slack-webhook-url"}'`.
   * @default - none: no function is subscribed
   */
  alarmSlack: alarmSlackSchema.optional(),
});

/** The validated configuration. */
export type Config = z.output<typeof configSchema>;

/** What every consumer's configuration has (the Slack notifier's has exactly this). */
export type ConsumerConfig = SlackSettings;
/** The Google Sheets appender's configuration. */
export type SheetsConfig = SheetsSettings;
/** The email notifier's configuration (with the client template file's text, read at synth). */
export type EmailConfig = EmailSettingsConfig;
/** How a consumer's queue, function and retries behave: what every consumer's configuration has. */
export type { QueueKnobs };

/** The context keys this app reads. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof typeof configSchema.shape)[];

/** What the top-level context may hold: the keys above, the stage keys, and the consumers' names. */
export const CONTEXT_KEY_RULES: ContextKeyRules = {
  known: [...CONFIG_KEYS, ...STAGE_CONTEXT_KEYS],
  consumers: CONSUMER_MODULES.map((module) => module.contextKey),
};

/** Thrown when a context value is missing or bad; the message names each bad key and its value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Longest value quoted in a message; a longer one (a large mapping, an address map) is cut. */
const MAX_SHOWN_CHARS = 200;

const show = (value: unknown): string => {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value);
  return text.length <= MAX_SHOWN_CHARS
    ? text
    : `${text.slice(0, MAX_SHOWN_CHARS)}… (${text.length} characters)`;
};

/** A path as operators write it: `consumers.forwarders[1].name`. */
const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (text, part) =>
      typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part),
    '',
  );

/**
 * The value at `path` of the raw context, looking inside a `consumers` or `alarmEmails` given as a
 * string (JSON, or for `alarmEmails` addresses separated by commas), as the schema reads them.
 */
const valueAt = (raw: Readonly<Record<string, unknown>>, path: readonly PropertyKey[]): unknown => {
  let value: unknown = raw;
  for (const [depth, part] of path.entries()) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
    if (depth === 0 && typeof value === 'string' && path.length > 1) {
      if (part === 'alarmEmails' && !value.trim().startsWith('[')) {
        value = addressesFromContext(value, { addIssue: () => undefined });
        continue;
      }
      try {
        value = JSON.parse(value);
      } catch {
        return undefined;
      }
    }
  }
  return value;
};

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

/** The known key an unknown one was probably meant to be: same but for case, or at most two edits away. */
const closestKey = (key: string, known: readonly string[]): string | undefined =>
  known.find((k) => k.toLowerCase() === key.toLowerCase()) ??
  known.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);

/** The keys the object at `path` accepts (`['consumers']`, `['consumers', 'slack']`, …). */
const knownKeysAt = (path: readonly PropertyKey[]): readonly string[] => {
  if (path[0] === 'alarmSlack') return ALARM_SLACK_KEYS;
  return objectShapeAt(consumersSchema, path.slice(1)) ?? [];
};

/** One line per problem of one zod issue, each naming the full path and the value found there. */
const describeIssue = (raw: Readonly<Record<string, unknown>>, issue: z.core.$ZodIssue): string[] => {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const guess = closestKey(key, known);
      return `'${formatPath(path)}' = ${show(valueAt(raw, path))}: unknown key${
        guess ? `, did you mean '${guess}'?` : ''
      } (known: ${known.join(', ')})`;
    });
  }
  const path = issue.path.length > 0 ? issue.path : ['(root)'];
  return [`'${formatPath(path)}' = ${show(valueAt(raw, issue.path))}: ${issue.message}`];
};

/**
 * Reads and validates the configuration.
 *
 * @param source the app's (or any construct's) `node`, whose context is read key by key; or a plain
 *   record of raw context values, as tests pass them.
 * @throws ConfigError naming every bad key (by its full path, such as `consumers.hubspot.objectType`)
 *   and its value, every unknown key inside `consumers`, and every unknown top-level key (a typo that
 *   would otherwise fall back to the default without a word; see `context-keys.ts`). The selected
 *   stage's settings are read over the top-level ones (see `stages.ts`).
 */
export const loadConfig = (source: Node | Readonly<Record<string, unknown>>): Config => {
  const selection = selectStage(
    source instanceof Node ? { ...source.getAllContext() } : { ...(source as Record<string, unknown>) },
    CONTEXT_KEY_RULES,
  );
  const raw = selection.context;
  const problems = [...selection.problems, ...contextKeyProblems(raw, CONTEXT_KEY_RULES)];

  const input = Object.fromEntries(CONFIG_KEYS.map((key) => [key, raw[key]]));
  const result = configSchema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...describeIssue(input, issue));
  }

  if (problems.length > 0 || !result.success) {
    throw new ConfigError(
      `Invalid CDK context (cdk.json "context" or -c key=value):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return result.data;
};
