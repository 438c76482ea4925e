/**
 * The rules every consumer's settings share, in `zod/mini` because the consumer functions bundle
 * them. A consumer's `settings.ts` builds its one schema from these: the stack validates the
 * `consumers.<key>` context with it at synth, the same rules build the function's environment, and
 * the function reads that environment back with them at cold start (`readEnv`).
 *
 * Values from `-c key=value` arrive as strings, so numbers and booleans are coerced, but only from
 * strings that look exactly like them (`"25"`, `"true"`); anything else fails naming the value.
 */
import * as z from 'zod/mini';
import { DEFAULTS, ENV, type EnvName } from '../contract.ts';
import { ConfigurationError } from '../shared/env.ts';
import { backstopMaxReceiveCount, minReceivesForHorizon, policyWithHorizon } from './runtime/schedule.ts';
import { DEFAULT_RETRY_HORIZON_HOURS, retryHorizonHoursRule } from './runtime/settings.ts';

/** Turns a string that is exactly a decimal number into that number; leaves anything else for zod to reject. */
export const numberFromContext = (value: unknown): unknown =>
  typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;

/** Turns `"true"`/`"false"` into booleans; leaves anything else for zod to reject. */
export const booleanFromContext = (value: unknown): unknown => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
};

/** A whole number in `[min, max]`, from a number or a string holding exactly one. */
export const int = (min: number, max: number) =>
  z.pipe(
    z.transform(numberFromContext),
    z
      .int()
      .check(
        z.minimum(min, `Too small: expected number to be >=${min}`),
        z.maximum(max, `Too big: expected number to be <=${max}`),
      ),
  );

/** True or false, from a boolean or `"true"`/`"false"`. */
export const bool = () =>
  z.pipe(z.transform(booleanFromContext), z.boolean({ error: 'expected true or false' }));

/** The characters Secrets Manager allows in a secret name. */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** The name of the Secrets Manager secret holding `holds`. */
export const secretName = (holds: string) =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `required: the name of the Secrets Manager secret holding ${holds}`
          : 'expected the name of a Secrets Manager secret (a string)',
    })
    .check(
      z.regex(
        SECRET_NAME,
        'a Secrets Manager secret name: 1 to 512 letters, digits and / _ + = . @ - (a name, not an ARN)',
      ),
    );

/** A list of Leadsie statuses; `whenEmpty` tells what leaving the list out does instead. */
export const statusList = (whenEmpty: string) =>
  z
    .array(
      z
        .string({ error: 'a status is a string, such as "SUCCESS"' })
        .check(
          z.regex(
            /^\S(.*\S)?$/,
            'a status is a non-empty string with no spaces around it, such as "SUCCESS"',
          ),
        ),
      { error: 'expected a list of statuses, such as ["SUCCESS", "PARTIAL_SUCCESS"]' },
    )
    .check(
      z.minLength(1, `list at least one status, or leave the list out ${whenEmpty}`),
      z.maxLength(50, 'at most 50 statuses'),
      z.refine((list) => new Set(list).size === list.length, 'a status is listed twice'),
    );

/** A KMS key ARN (not an alias nor a key id: IAM matches `kms:Decrypt` on the key's ARN). */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/** The ARN of the customer-managed KMS key a consumer's secret is encrypted with. */
export const kmsKeyArn = () =>
  z
    .string({ error: 'expected the ARN of a KMS key (a string)' })
    .check(
      z.regex(
        KMS_KEY_ARN,
        'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias or a key id',
      ),
    );

/**
 * How a consumer's queue, its function and the delivery engine behave. `maxReceiveCount` has no
 * default here: it depends on the horizon (`maxReceiveCountOf`).
 */
export const queueFields = () => ({
  /**
   * Hours a failing delivery is retried, with backoff, before it is dead-lettered (the delivery
   * engine's horizon, `ENV.retryHorizonHours`). The engine's rule: at least 1, and short enough for
   * the dead-letter age alarm to fire before SQS's 14 days delete a dead letter.
   * @default 24
   */
  retryHorizonHours: z._default(
    z.pipe(z.transform(numberFromContext), retryHorizonHoursRule),
    DEFAULT_RETRY_HORIZON_HOURS,
  ),
  /**
   * Receives of a message before SQS itself moves it to the dead-letter queue: only a backstop
   * behind the engine's dead-lettering by age (throttled receives count too). At least the receives
   * the schedule needs to reach the horizon (`minReceivesForHorizon`), at most 1000.
   * @default the schedule's backstop for the horizon (`backstopMaxReceiveCount`: 100 for 24 h)
   */
  maxReceiveCount: z.optional(int(1, 1000)),
  /**
   * Most concurrent invocations of the consumer function (the SQS event source's maximum concurrency).
   * @default 2
   */
  maxConcurrency: z._default(int(2, 1000), 2),
  /**
   * Records per invocation.
   * @default 10
   */
  batchSize: z._default(int(1, 10), 10),
});

/** Deliver Leadsie's test events too; `false` filters them out at the subscription. */
export const includeTestEvents = (fallback: boolean) => z._default(bool(), fallback);

/** What every consumer with a secret may set: which events it receives, how its queue, function and retries behave. */
export const consumerFields = (testEventsByDefault: boolean) => ({
  /**
   * Deliver only events with one of these statuses (Leadsie's are SUCCESS, PARTIAL_SUCCESS and FAILED).
   * @default - every status
   */
  statuses: z.optional(statusList('to receive every status')),
  /**
   * Deliver Leadsie's test events too; `false` filters them out at the subscription.
   * @default the consumer's own: true for Slack and forwarders, false for HubSpot, Sheets and email
   */
  includeTestEvents: includeTestEvents(testEventsByDefault),
  /**
   * ARN of the customer-managed KMS key the consumer's secret is encrypted with: its function may
   * `kms:Decrypt` with that key, through Secrets Manager only.
   * @default - the secret uses the AWS-managed key `aws/secretsmanager` (no grant needed)
   */
  secretKmsKeyArn: z.optional(kmsKeyArn()),
  ...queueFields(),
});

/** How a consumer's queue, function and retries behave: what every consumer's settings have. */
export interface QueueKnobs {
  retryHorizonHours: number;
  maxReceiveCount?: number | undefined;
  maxConcurrency: number;
  batchSize: number;
  /** Only consumers with a secret have it. */
  secretKmsKeyArn?: string | undefined;
}

/**
 * The backstop `maxReceiveCount` of a consumer and the fewest receives its horizon needs, from the
 * engine's schedule; `problem` says why a configured value is refused.
 */
export const maxReceiveCountOf = (
  knobs: Pick<QueueKnobs, 'retryHorizonHours' | 'maxReceiveCount'>,
): { value: number; minimum: number; problem?: string } => {
  const policy = policyWithHorizon(knobs.retryHorizonHours);
  const minimum = minReceivesForHorizon(policy);
  const value = knobs.maxReceiveCount ?? backstopMaxReceiveCount(policy);
  return value >= minimum
    ? { value, minimum }
    : {
        value,
        minimum,
        problem:
          `maxReceiveCount ${value} is below ${minimum}, the receives the retry schedule needs to reach its ` +
          `horizon of ${knobs.retryHorizonHours} h even with every delay at its longest: SQS would dead-letter ` +
          `failing deliveries early. Leave it out (default ${backstopMaxReceiveCount(policy)}) or raise it`,
      };
};

/**
 * One fact that crosses from the stack to the function: its variable, and the rule that checks it
 * on both sides. `encode` turns the validated value into the variable's text; the function reads
 * the text back through `decode` and then the same rule.
 */
export interface EnvFact<T> {
  name: EnvName;
  rule: z.ZodMiniType<T>;
  encode: (value: T) => string;
  decode: (text: string) => unknown;
}

/** A fact held as text as is. */
export const textFact = <T extends string>(name: EnvName, rule: z.ZodMiniType<T>): EnvFact<T> => ({
  name,
  rule,
  encode: (value) => value,
  decode: (text) => text,
});

/** A fact held as JSON. */
export const jsonFact = <T>(name: EnvName, rule: z.ZodMiniType<T>): EnvFact<T> => ({
  name,
  rule,
  encode: (value) => JSON.stringify(value),
  decode: (text) => {
    try {
      return JSON.parse(text);
    } catch {
      throw new ConfigurationError(`environment variable ${name} must be JSON, got "${text}"`);
    }
  },
});

/** A fact held as `true`/`false`. */
export const booleanFact = (name: EnvName): EnvFact<boolean> => ({
  name,
  rule: bool(),
  encode: String,
  decode: (text) => text,
});

/** A whole number of at least 1. */
export const positiveIntFact = (name: EnvName): EnvFact<number> => ({
  name,
  rule: int(1, Number.MAX_SAFE_INTEGER),
  encode: String,
  decode: (text) => text,
});

// biome-ignore lint/suspicious/noExplicitAny: each fact has its own value type
type Facts = Record<string, EnvFact<any>>;
type Values<F extends Facts> = { [K in keyof F]: F[K] extends EnvFact<infer T> ? T : never };

/** The variables of the facts whose value is set, in the order the facts are listed. */
export const envOf = <F extends Facts>(
  facts: F,
  values: { [K in keyof F]?: Values<F>[K] | undefined },
): [EnvName, string][] =>
  Object.entries(facts).flatMap(([key, fact]) => {
    const value = values[key];
    return value === undefined ? [] : [[fact.name, fact.encode(value)] as [EnvName, string]];
  });

/**
 * Reads the facts from the environment with their rules: an unset variable is `undefined` (the
 * caller's default applies) unless `required` lists it; a bad one stops the function naming it.
 */
export const readEnv = <F extends Facts, R extends keyof F = never>(
  facts: F,
  env: Readonly<Record<string, string | undefined>>,
  required: readonly R[] = [],
): { [K in keyof F]: K extends R ? Values<F>[K] : Values<F>[K] | undefined } => {
  const out: Record<string, unknown> = {};
  for (const [key, fact] of Object.entries(facts)) {
    const text = env[fact.name];
    if (text === undefined || text.trim() === '') {
      if ((required as readonly string[]).includes(key)) {
        throw new ConfigurationError(`environment variable ${fact.name} is required but not set`);
      }
      continue;
    }
    const result = z.safeParse(fact.rule, fact.decode(text));
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')})` : '';
      throw new ConfigurationError(
        `environment variable ${fact.name}${where}: ${issue?.message ?? 'invalid'}, got "${text}"`,
      );
    }
    out[key] = result.data;
  }
  return out as never;
};

/** What the Subscriber construct sets on every consumer function. */
export const CONSUMER_FACTS = {
  name: textFact(ENV.consumerName, z.string()),
  queueUrl: textFact(ENV.queueUrl, z.string()),
  deadLetterQueueUrl: textFact(ENV.deadLetterQueueUrl, z.string()),
  httpTimeoutMs: positiveIntFact(ENV.httpTimeoutMs),
  secretId: textFact(ENV.consumerSecretId, z.string()),
  secretMaxAgeSeconds: positiveIntFact(ENV.secretMaxAgeSeconds),
};

/** The settings every consumer function reads, with the stack's defaults; the secret when it has one. */
export const readConsumerEnv = (env: Readonly<Record<string, string | undefined>>) => {
  const read = readEnv(CONSUMER_FACTS, env, ['name', 'queueUrl', 'deadLetterQueueUrl']);
  return {
    ...read,
    httpTimeoutMs: read.httpTimeoutMs ?? DEFAULTS.httpTimeoutMs,
    secretMaxAgeMs: (read.secretMaxAgeSeconds ?? DEFAULTS.secretMaxAgeSeconds) * 1000,
  };
};

/** The secret's name, which a consumer with a secret cannot run without. */
export const requiredSecretId = (read: { secretId?: string | undefined }): string => {
  if (read.secretId === undefined) {
    throw new ConfigurationError(`environment variable ${ENV.consumerSecretId} is required but not set`);
  }
  return read.secretId;
};
