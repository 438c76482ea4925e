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
 * start, and email addresses and the client email template by the same `isEmailAddress` and
 * `parseEmailTemplate` the email function runs, so a bad value fails the synth, not a delivery. The
 * template file is read here, at synth, and travels in the function's environment, which Lambda caps
 * at 4 KB: an email configuration that would not fit is refused here too. `alarmEmails` is a list
 * of email addresses (or a string holding one: JSON, or addresses separated by commas), each checked.
 * `alarmSlack` is `{"secretName": "…"}` (or its JSON), checked strictly like `consumers`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Node } from 'constructs';
import { z } from 'zod';
import {
  type ConsumerFilter,
  DEFAULT_INCLUDE_TEST_EVENTS,
  DEFAULT_STACK_NAME,
  DEFAULTS,
  ENV,
  type EnvName,
  MAX_KEPT_BODY_BYTES,
} from '../lambda/contract.ts';
import {
  HUBSPOT_PROPERTY_NAME,
  type PropertyMapping,
  parsePropertyMapping,
} from '../lambda/domain/crm-mapping.ts';
import { EmailTemplateError, isEmailAddress, parseEmailTemplate } from '../lambda/domain/email-message.ts';
import { REPO_ROOT } from './constructs/house-function.ts';
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

/** A list of Leadsie statuses; `whenEmpty` tells what leaving the list out does instead. */
const statusList = (whenEmpty: string) =>
  z
    .array(
      z
        .string({ error: 'a status is a string, such as "SUCCESS"' })
        .regex(/^\S(.*\S)?$/, 'a status is a non-empty string with no spaces around it, such as "SUCCESS"'),
      { error: 'expected a list of statuses, such as ["SUCCESS", "PARTIAL_SUCCESS"]' },
    )
    .min(1, `list at least one status, or leave the list out ${whenEmpty}`)
    .max(50, 'at most 50 statuses')
    .refine((list) => new Set(list).size === list.length, 'a status is listed twice');

const statuses = statusList('to receive every status');

const includeTestEvents = (fallback: boolean) =>
  z.preprocess(booleanFromContext, z.boolean({ error: 'expected true or false' })).default(fallback);

/**
 * How a consumer's queue and function behave.
 * @param maxReceiveCountByDefault the consumer's default `maxReceiveCount`
 */
const queueFields = (maxReceiveCountByDefault = 5) => ({
  /**
   * Receives of a message before SQS moves it to the consumer's dead-letter queue.
   * @default 5 (10 for Google Sheets, whose throttled receives count too)
   */
  maxReceiveCount: int(1, 1000).default(maxReceiveCountByDefault),
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

/** What every consumer may set: which events it receives, and how its queue and function behave. */
const consumerFields = (testEventsByDefault: boolean, maxReceiveCountByDefault = 5) => ({
  /**
   * Deliver only events with one of these statuses (Leadsie's are SUCCESS, PARTIAL_SUCCESS and FAILED).
   * @default - every status
   */
  statuses: statuses.optional(),
  /**
   * Deliver Leadsie's test events too; `false` filters them out at the subscription.
   * @default DEFAULT_INCLUDE_TEST_EVENTS: true for Slack and forwarders, false for HubSpot, Sheets and email
   */
  includeTestEvents: includeTestEvents(testEventsByDefault),
  ...queueFields(maxReceiveCountByDefault),
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

/** A Google spreadsheet id, as in the spreadsheet's URL: `https://docs.google.com/spreadsheets/d/<id>/edit`. */
export const SPREADSHEET_ID = /^[A-Za-z0-9_-]+$/;

/** The sheet (tab) the Google Sheets consumer appends to unless `sheetName` says otherwise. */
export const DEFAULT_SHEET_NAME = 'Connections';

export const sheetsSchema = z.strictObject({
  /** Secret holding the Google service account's JSON key (the file Google downloads), as is. */
  secretName: secretName("the Google service account's JSON key"),
  /** The spreadsheet's id, from its URL (`…/spreadsheets/d/<id>/edit`). */
  spreadsheetId: z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? 'required: the id of the spreadsheet, from its URL (…/spreadsheets/d/<id>/edit)'
          : 'expected the id of the spreadsheet (a string)',
    })
    .regex(
      SPREADSHEET_ID,
      'a spreadsheet id: the letters, digits, - and _ between /d/ and /edit in its URL, not the whole URL',
    ),
  /**
   * The sheet (tab) rows are appended to. It must exist; the consumer writes its header row.
   * @default DEFAULT_SHEET_NAME ('Connections')
   */
  sheetName: z
    .string({ error: 'expected the name of a sheet (tab) of the spreadsheet, such as "Connections"' })
    .min(1, 'a sheet name cannot be empty')
    .max(100, 'at most 100 characters (Google Sheets limit)')
    .regex(/^[^\p{Cc}]*$/u, 'a sheet name holds no control characters (line breaks, tabs)')
    .default(DEFAULT_SHEET_NAME),
  // Ten receives, not five: the function runs one at a time (reserved concurrency 1) while its event
  // source runs up to two, so a receive can be a throttle rather than a failure.
  ...consumerFields(DEFAULT_INCLUDE_TEST_EVENTS.sheets, 10),
});

/** Most team recipients: what one SES SendEmail call takes. */
export const MAX_EMAIL_RECIPIENTS = 50;

/** An email address as the email function accepts it (`isEmailAddress`, `local@domain.tld`). */
const emailAddress = z
  .string({ error: 'expected an email address (a string), such as "team@agency.example"' })
  .refine(
    isEmailAddress,
    'not an email address (local@domain.tld, no display name), such as "team@agency.example"',
  );

/** `Name <address>`, as the email function reads `ENV.emailFrom` (`senderEnv`). */
const DISPLAY_NAME_FORM = /^[^<>"\r\n]*<([^<>]+)>$/;

/** The bare address of a From value: `ops@agency.example` of `Agency Ops <ops@agency.example>`. */
export const fromAddress = (from: string): string => DISPLAY_NAME_FORM.exec(from.trim())?.[1] ?? from.trim();

/** A domain name as SES verifies it: labels of letters, digits and hyphens (non-ASCII as Punycode). */
const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$/;

/**
 * The SES identities `ses:SendEmail` is allowed on for a From address: the configured `identity`
 * alone, or, when none is configured, both the address and its domain (whichever of the two is the
 * verified identity, SES authorizes the call against it).
 */
export const sesIdentities = (email: { from: string; identity?: string | undefined }): string[] => {
  if (email.identity !== undefined) return [email.identity];
  const address = fromAddress(email.from);
  return [address.slice(address.lastIndexOf('@') + 1), address];
};

/** True when the SES identity `identity` (an address or a domain) may send as `address`. */
const identityCovers = (identity: string, address: string): boolean => {
  const wanted = identity.toLowerCase();
  const lower = address.toLowerCase();
  if (wanted.includes('@')) return wanted === lower;
  const domain = lower.slice(lower.lastIndexOf('@') + 1);
  // A verified parent domain covers its subdomains, unless they are verified themselves.
  return domain === wanted || domain.endsWith(`.${wanted}`);
};

export const emailClientSchema = z.strictObject({
  /**
   * Thank the client by email on SUCCESS, when the user id is an email address or `addresses` maps
   * it to one. Needs SES production access: in the sandbox, SES sends only to verified identities.
   * @default false
   */
  enabled: z.preprocess(booleanFromContext, z.boolean({ error: 'expected true or false' })).default(false),
  /**
   * User id → the client's address, for users whose id is not an email address.
   * @default - none: only users whose id is an address get the email
   */
  addresses: z
    .record(z.string().min(1, 'a user id cannot be empty'), emailAddress, {
      error: 'expected an object of user id → email address, such as {"acme-42": "owner@acme.example"}',
    })
    .optional(),
  /**
   * A file with the thank-you template (a `Subject: …` line, then the body, with `{{placeholder}}`s),
   * relative to the repository root. Read at synth; at most 2000 characters.
   * @default - the built-in thank-you (`DEFAULT_CLIENT_TEMPLATE` of `lambda/domain/email-message.ts`)
   */
  templateFile: z
    .string({ error: 'expected the path of a template file, relative to the repository root' })
    .min(1, 'expected the path of a template file, relative to the repository root')
    .optional(),
});

/** The client email settings, with the template file's text (read and checked here). */
const emailClient = emailClientSchema.transform((client, ctx) => {
  if (client.templateFile === undefined) return { ...client, template: undefined };
  const file = path.resolve(REPO_ROOT, client.templateFile);
  let template: string;
  try {
    template = readFileSync(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    ctx.addIssue({
      code: 'custom',
      path: ['templateFile'],
      input: client.templateFile,
      message: `cannot read ${file}: ${reason} (the path is relative to the repository root)`,
    });
    return z.NEVER;
  }
  try {
    parseEmailTemplate(template);
  } catch (error) {
    if (!(error instanceof EmailTemplateError)) throw error;
    ctx.addIssue({
      code: 'custom',
      path: ['templateFile'],
      input: client.templateFile,
      message: `${file}: ${error.message}`,
    });
    return z.NEVER;
  }
  return { ...client, template };
});

/** Lambda's limit on a function's environment: all its variables, measured as their JSON, in bytes. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * Bytes of the email function's environment kept for the variables the stack sets around the
 * configured ones: its name, queue and dead-letter queue URLs, table name, service name, Node
 * options and HTTP timeout, with CloudFormation's longest generated names (checked by
 * `test/infra/sheets-and-email.test.ts`).
 */
export const EMAIL_ENVIRONMENT_RESERVE_BYTES = 1024;

/** Bytes of the environment the email configuration may take: the limit less the reserve. */
export const EMAIL_ENVIRONMENT_BUDGET_BYTES =
  LAMBDA_ENVIRONMENT_LIMIT_BYTES - EMAIL_ENVIRONMENT_RESERVE_BYTES;

/** Size of environment variables as Lambda measures them: the UTF-8 bytes of their JSON object. */
export const environmentBytes = (variables: readonly (readonly [string, string])[]): number =>
  Buffer.byteLength(JSON.stringify(Object.fromEntries(variables)), 'utf8');

export const emailSchema = z
  .strictObject({
    /**
     * The From of every email: a verified SES identity's address, or `Name <address>`. ASCII only
     * (SES needs a non-ASCII display name as an RFC 2047 encoded-word, `=?UTF-8?B?…?=`).
     */
    from: z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? 'required: the From address, a verified SES identity, such as "ops@agency.example" or "Agency <ops@agency.example>"'
            : 'expected the From address (a string)',
      })
      .superRefine((from, ctx) => {
        if (!isEmailAddress(fromAddress(from))) {
          ctx.addIssue({
            code: 'custom',
            message:
              'expected an address ("ops@agency.example") or "Name <address>" with no quotes or line breaks in the name',
          });
        } else if (!/^[\x20-\x7e]*$/.test(from)) {
          ctx.addIssue({
            code: 'custom',
            message:
              'SES takes ASCII here: write a non-ASCII display name as an RFC 2047 encoded-word (=?UTF-8?B?…?=) and a non-ASCII domain in Punycode',
          });
        }
      }),
    /**
     * The verified SES identity the function may send as (`ses:SendEmail` on its ARN only): the From
     * address, its domain, or a parent domain of it.
     * @default - both the From address and its domain: SES authorizes against whichever is verified
     */
    identity: z
      .string({ error: 'expected an SES identity: a domain ("agency.example") or an address' })
      .refine(
        (identity) => DOMAIN.test(identity) || isEmailAddress(identity),
        'an SES identity is a domain ("agency.example") or an email address, without "arn:" or a display name',
      )
      .optional(),
    /**
     * The team's addresses: one email per event with a status of `teamStatuses`, to all of them.
     * @default [] (no team email; then client emails must be on)
     */
    teamRecipients: z
      .array(emailAddress, { error: 'expected a list of email addresses, such as ["team@agency.example"]' })
      .max(
        MAX_EMAIL_RECIPIENTS,
        `at most ${MAX_EMAIL_RECIPIENTS} addresses, what one SES email takes (use a list address)`,
      )
      .refine(
        (list) => new Set(list.map((address) => address.toLowerCase())).size === list.length,
        'an address is listed twice',
      )
      .default([]),
    /**
     * The statuses that email the team.
     * @default DEFAULTS.emailTeamStatuses (PARTIAL_SUCCESS and FAILED)
     */
    teamStatuses: statusList('for PARTIAL_SUCCESS and FAILED').default([...DEFAULTS.emailTeamStatuses]),
    /**
     * The thank-you email to the client on SUCCESS.
     * @default { enabled: false }
     */
    client: emailClient.default({ enabled: false, template: undefined }),
    /**
     * Email about Leadsie's test events too; `false` filters them out at the subscription.
     * @default DEFAULT_INCLUDE_TEST_EVENTS.email (false)
     */
    includeTestEvents: includeTestEvents(DEFAULT_INCLUDE_TEST_EVENTS.email),
    ...queueFields(),
  })
  .superRefine((email, ctx) => {
    if (email.teamRecipients.length === 0 && !email.client.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['teamRecipients'],
        input: email.teamRecipients,
        message:
          'nothing to send: list the team\'s addresses, or turn client emails on ("client": {"enabled": true})',
      });
    }
    if (email.identity !== undefined && !identityCovers(email.identity, fromAddress(email.from))) {
      ctx.addIssue({
        code: 'custom',
        path: ['identity'],
        input: email.identity,
        message: `does not cover the From address ${fromAddress(email.from)}: use that address, its domain or a parent domain of it`,
      });
    }
    const variables = emailEnvironment(email);
    const bytes = environmentBytes(variables);
    if (bytes > EMAIL_ENVIRONMENT_BUDGET_BYTES) {
      const bytesOf = (name: EnvName) => environmentBytes(variables.filter(([n]) => n === name));
      const parts = [
        `team recipients ${bytesOf(ENV.emailTeamRecipients)}`,
        ...(email.client.enabled && email.client.addresses !== undefined
          ? [`client addresses ${bytesOf(ENV.emailClientAddresses)}`]
          : []),
        ...(email.client.enabled && email.client.template !== undefined
          ? [`client template ${bytesOf(ENV.emailClientTemplate)}`]
          : []),
      ];
      ctx.addIssue({
        code: 'custom',
        path: [],
        input: email,
        message:
          `the email settings take ${bytes} bytes of the function's environment (${parts.join(', ')}); ` +
          `at most ${EMAIL_ENVIRONMENT_BUDGET_BYTES} fit in Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} with the ` +
          'variables the stack adds: shorten the template, map fewer client addresses or use a list address for the team',
      });
    }
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
     * The Google Sheets appender.
     * @default - not deployed
     */
    sheets: sheetsSchema.optional(),
    /**
     * The email notifier (Amazon SES).
     * @default - not deployed
     */
    email: emailSchema.optional(),
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
  sheets: Object.keys(sheetsSchema.shape),
  email: Object.keys(emailSchema.shape),
  emailClient: Object.keys(emailClientSchema.shape),
} as const;

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
   * The consumers of the connection events topic: `slack`, `hubspot`, `forwarders`, `sheets` and
   * `email`, each deployed only when configured (one subscription, queue, dead-letter queue and
   * function each). May be given as a JSON string (`-c consumers='{"slack":{"secretName":"…"}}'`).
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
export type ConsumerConfig = z.output<typeof slackSchema>;
/** The HubSpot updater's configuration. */
export type HubspotConfig = z.output<typeof hubspotSchema>;
/** One webhook forwarder's configuration. */
export type ForwarderConfig = z.output<typeof forwarderSchema>;
/** The Google Sheets appender's configuration. */
export type SheetsConfig = z.output<typeof sheetsSchema>;
/** The email notifier's configuration (with the client template file's text, read at synth). */
export type EmailConfig = z.output<typeof emailSchema>;
/** How a consumer's queue and function behave: what every consumer's configuration has. */
export type QueueKnobs = Pick<ConsumerConfig, 'maxReceiveCount' | 'maxConcurrency' | 'batchSize'>;

/**
 * The settings of the email function as contract variables, in the order they are set: the stack
 * sets them, the schema's size check measures them.
 */
export const emailEnvironment = (email: Omit<EmailConfig, keyof QueueKnobs>): [EnvName, string][] => {
  const variables: [EnvName, string][] = [
    [ENV.emailFrom, email.from],
    [ENV.emailTeamRecipients, JSON.stringify(email.teamRecipients)],
    [ENV.emailTeamStatuses, JSON.stringify(email.teamStatuses)],
    [ENV.emailClientEnabled, String(email.client.enabled)],
  ];
  // The client's settings only when client emails are on: off, the function ignores them.
  if (email.client.enabled && email.client.addresses !== undefined) {
    variables.push([ENV.emailClientAddresses, JSON.stringify(email.client.addresses)]);
  }
  if (email.client.enabled && email.client.template !== undefined) {
    variables.push([ENV.emailClientTemplate, email.client.template]);
  }
  return variables;
};

/**
 * What the email subscription lets through: the team's statuses (when there is a team) and, with
 * client emails on, SUCCESS; Leadsie's test events only when `includeTestEvents`.
 */
export const emailConsumerFilter = (
  email: Pick<EmailConfig, 'teamRecipients' | 'teamStatuses' | 'client' | 'includeTestEvents'>,
): ConsumerFilter => {
  const statuses = new Set(email.teamRecipients.length > 0 ? email.teamStatuses : []);
  if (email.client.enabled) statuses.add('SUCCESS');
  return { statuses: [...statuses], includeTestEvents: email.includeTestEvents };
};

/** The context keys this app reads. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof typeof configSchema.shape)[];

/** What the top-level context may hold: the keys above, the stage keys, and the consumers' names. */
export const CONTEXT_KEY_RULES: ContextKeyRules = {
  known: [...CONFIG_KEYS, ...STAGE_CONTEXT_KEYS],
  consumers: CONSUMER_OBJECT_KEYS.consumers,
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
  if (path.length === 1) return CONSUMER_OBJECT_KEYS.consumers;
  const consumer = path[1];
  if (consumer === 'email' && path[2] === 'client') return CONSUMER_OBJECT_KEYS.emailClient;
  if (
    consumer === 'slack' ||
    consumer === 'hubspot' ||
    consumer === 'forwarders' ||
    consumer === 'sheets' ||
    consumer === 'email'
  ) {
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
