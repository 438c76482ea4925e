/**
 * Deployment configuration, read once from the CDK context and validated before any construct is made.
 *
 * Every value has a default, so `cdk synth` works with no context at all. Override a value in the
 * `context` section of `cdk.json` or on the command line (`npx cdk deploy -c throttleRateLimit=25`).
 * Values from `-c key=value` always arrive as strings, so numbers and booleans are coerced here, but
 * only from strings that look exactly like them: `"25"` becomes 25, `"true"` becomes true, while
 * `""`, `"25rps"` or `"yes"` fail with a message naming the key and the value.
 *
 * `consumers` is an object (a JSON string from `-c consumers='{…}'` is parsed first) whose keys are
 * checked strictly: an unknown or misspelt key fails with its full path (`consumers.slak`,
 * `consumers.forwarders[0].includeTestEvent`) and the key it probably meant, never silently ignored.
 * A HubSpot property mapping is checked by the same `parsePropertyMapping` the function runs at cold
 * start, so a bad mapping fails the synth, not a delivery. `alarmEmails` is a list of email addresses
 * (or a string holding one: JSON, or addresses separated by commas), each checked.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Node } from 'constructs';
import { z } from 'zod';
import { DEFAULT_INCLUDE_TEST_EVENTS, DEFAULT_STACK_NAME, DEFAULTS } from '../lambda/contract.ts';
import {
  HUBSPOT_PROPERTY_NAME,
  type PropertyMapping,
  parsePropertyMapping,
} from '../lambda/domain/crm-mapping.ts';

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

const statuses = z
  .array(
    z
      .string({ error: 'a status is a string, such as "SUCCESS"' })
      .regex(/^\S(.*\S)?$/, 'a status is a non-empty string with no spaces around it, such as "SUCCESS"'),
    { error: 'expected a list of statuses, such as ["SUCCESS", "PARTIAL_SUCCESS"]' },
  )
  .min(1, 'list at least one status, or leave statuses out to receive every status')
  .max(50, 'at most 50 statuses')
  .refine((list) => new Set(list).size === list.length, 'a status is listed twice');

const includeTestEvents = (fallback: boolean) =>
  z.preprocess(booleanFromContext, z.boolean({ error: 'expected true or false' })).default(fallback);

/** What every consumer may set: which events it receives, and how its queue and function behave. */
const consumerFields = (testEventsByDefault: boolean) => ({
  /**
   * Deliver only events with one of these statuses (Leadsie's are SUCCESS, PARTIAL_SUCCESS and FAILED).
   * @default - every status
   */
  statuses: statuses.optional(),
  /**
   * Deliver Leadsie's test events too; `false` filters them out at the subscription.
   * @default DEFAULT_INCLUDE_TEST_EVENTS: true for Slack and forwarders, false for HubSpot
   */
  includeTestEvents: includeTestEvents(testEventsByDefault),
  /**
   * Receives of a message before SQS moves it to the consumer's dead-letter queue.
   * @default 5
   */
  maxReceiveCount: int(1, 1000).default(5),
  /**
   * Most concurrent invocations of the consumer function (the SQS event source's maximum concurrency).
   * @default 2
   */
  maxConcurrency: int(2, 1000).default(2),
  /**
   * Records per invocation.
   * @default 10
   */
  batchSize: int(1, 10).default(10),
});

/** Largest property mapping, as JSON: Lambda allows 4 KB of environment variables per function in all. */
export const MAX_PROPERTY_MAPPING_CHARS = 2048;

const propertyMapping = z
  .unknown()
  .transform((value, ctx): PropertyMapping => {
    let mapping: PropertyMapping;
    try {
      mapping = parsePropertyMapping(value);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: (error as Error).message.replaceAll('\n', '\n    '),
        input: value,
      });
      return z.NEVER;
    }
    const chars = JSON.stringify(mapping).length;
    if (chars > MAX_PROPERTY_MAPPING_CHARS) {
      ctx.addIssue({
        code: 'custom',
        message: `the mapping is ${chars} characters as JSON; at most ${MAX_PROPERTY_MAPPING_CHARS} fit in the function's environment`,
        input: value,
      });
      return z.NEVER;
    }
    return mapping;
  })
  .optional();

const httpsUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (
      url.protocol === 'https:' && url.username === '' && url.password === '' && !url.search && !url.hash
    );
  } catch {
    return false;
  }
}, 'expected an https:// URL without credentials, query or fragment, such as "https://api.hubapi.com"');

/** A forwarder's name: it becomes the consumer name `forward-<name>` and part of output names. */
export const FORWARDER_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export const slackSchema = z.strictObject({
  /** Secret holding the Slack Incoming Webhook URL, as a plain string. */
  secretName: secretName('the Slack Incoming Webhook URL'),
  ...consumerFields(DEFAULT_INCLUDE_TEST_EVENTS.slack),
});

export const hubspotSchema = z.strictObject({
  /** Secret holding the HubSpot private-app token, as a plain string. */
  secretName: secretName('the HubSpot private-app token'),
  /**
   * The HubSpot object upserted per event.
   * @default DEFAULTS.hubspotObjectType ('contacts')
   */
  objectType: z.enum(['contacts', 'companies']).default(DEFAULTS.hubspotObjectType),
  /**
   * The unique HubSpot property that identifies a record: set to the event's user.
   * @default DEFAULTS.hubspotIdProperty ('leadsie_user_id')
   */
  idProperty: z
    .string()
    .regex(
      HUBSPOT_PROPERTY_NAME,
      'a HubSpot property name: lower-case letters, digits and "_", starting with a letter',
    )
    .default(DEFAULTS.hubspotIdProperty),
  /**
   * Source key → HubSpot property name (see `lambda/domain/crm-mapping.ts`).
   * @default - the handler's DEFAULT_HUBSPOT_MAPPING
   */
  propertyMapping,
  /**
   * Base URL of the HubSpot API.
   * @default - the handler's DEFAULTS.hubspotBaseUrl ('https://api.hubapi.com')
   */
  baseUrl: httpsUrl.optional(),
  ...consumerFields(DEFAULT_INCLUDE_TEST_EVENTS.hubspot),
});

export const forwarderSchema = z.strictObject({
  /** Unique name; the consumer is called `forward-<name>`. */
  name: z
    .string({ error: 'required: a name for the forwarder, such as "zapier"' })
    .max(32, 'at most 32 characters')
    .regex(FORWARDER_NAME, 'lower-case letters and digits, in words joined by single hyphens ("my-zap")'),
  /** Secret holding `{"url": "https://…", "signingSecret": "…"}`. */
  secretName: secretName('the forwarder\'s {"url", "signingSecret"} JSON'),
  /**
   * What is posted: `flat` (the Zapier-compatible flat record) or `envelope` (the whole event).
   * @default DEFAULTS.forwardFormat ('flat')
   */
  format: z.enum(['flat', 'envelope']).default(DEFAULTS.forwardFormat),
  ...consumerFields(DEFAULT_INCLUDE_TEST_EVENTS.forwarder),
});

export const consumersSchema = z.preprocess(
  jsonFromContext,
  z.strictObject({
    /**
     * The Slack notifier.
     * @default - not deployed
     */
    slack: slackSchema.optional(),
    /**
     * The HubSpot updater.
     * @default - not deployed
     */
    hubspot: hubspotSchema.optional(),
    /**
     * Signed webhook forwarders (Zapier, Make, n8n, the agency's own app), one consumer each.
     * @default []
     */
    forwarders: z
      .array(forwarderSchema, { error: 'expected a list of forwarders, such as [{"name": "zapier", …}]' })
      .default([])
      .superRefine((forwarders, ctx) => {
        const seen = new Map<string, string>();
        forwarders.forEach((forwarder, index) => {
          // Output names drop the hyphens, so `a-1b` and `a1b` would clash there.
          const key = forwarder.name.replaceAll('-', '');
          const earlier = seen.get(key);
          if (earlier === undefined) {
            seen.set(key, forwarder.name);
            return;
          }
          ctx.addIssue({
            code: 'custom',
            path: [index, 'name'],
            input: forwarder.name,
            message:
              earlier === forwarder.name
                ? `duplicate forwarder name "${forwarder.name}": each forwarder needs its own`
                : `"${forwarder.name}" and "${earlier}" differ only by hyphens, which output names drop: rename one`,
          });
        });
      }),
  }),
);

/** The keys each object of the `consumers` context accepts, for "unknown key" messages. */
const CONSUMER_OBJECT_KEYS = {
  consumers: Object.keys(consumersSchema.out.shape),
  slack: Object.keys(slackSchema.shape),
  hubspot: Object.keys(hubspotSchema.shape),
  forwarders: Object.keys(forwarderSchema.shape),
} as const;

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
  /**
   * The consumers of the connection events topic: `slack`, `hubspot` and `forwarders`, each deployed
   * only when configured (one subscription, queue, dead-letter queue and function each). May be
   * given as a JSON string (`-c consumers='{"slack":{"secretName":"…"}}'`).
   * @default {} (no consumers)
   */
  consumers: consumersSchema.default({ forwarders: [] }),
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
});

/** The validated configuration. */
export type Config = z.output<typeof configSchema>;

/** What every consumer's configuration has (the Slack notifier's has exactly this). */
export type ConsumerConfig = z.output<typeof slackSchema>;
/** The HubSpot updater's configuration. */
export type HubspotConfig = z.output<typeof hubspotSchema>;
/** One webhook forwarder's configuration. */
export type ForwarderConfig = z.output<typeof forwarderSchema>;

/** The context keys this app reads. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof typeof configSchema.shape)[];

/** Thrown when a context value is missing or bad; the message names each bad key and its value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const show = (value: unknown): string => (value === undefined ? 'undefined' : JSON.stringify(value));

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
  if (path.length === 1) return CONSUMER_OBJECT_KEYS.consumers;
  const consumer = path[1];
  if (consumer === 'slack' || consumer === 'hubspot' || consumer === 'forwarders') {
    return CONSUMER_OBJECT_KEYS[consumer];
  }
  return [];
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
 *   and its value, every unknown key inside `consumers`, and every top-level key that differs from a
 *   known key only by case (a typo that would otherwise fall back to the default without a word).
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
    for (const issue of result.error.issues) problems.push(...describeIssue(input, issue));
  }

  if (problems.length > 0 || !result.success) {
    throw new ConfigError(
      `Invalid CDK context (cdk.json "context" or -c key=value):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return result.data;
};
