/**
 * The email notifier's settings: `consumers.email` of the cdk.json context. One rule per fact: the
 * From address, the team's addresses and statuses, and the client email's switch, address map and
 * template are checked by the same rules at synth and at cold start (`EMAIL_FACTS`). The template
 * file is read at synth and travels in the function's environment, which Lambda caps at 4 KB: an
 * email configuration that would not fit is refused at synth.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod/mini';
import { type ConsumerFilter, DEFAULTS, ENV, type EnvName } from '../../contract.ts';
import { linkHostList } from '../../domain/links.ts';
import {
  bool,
  booleanFact,
  envOf,
  includeTestEvents,
  jsonFact,
  queueFields,
  statusList,
  textFact,
} from '../settings.ts';
import { EmailTemplateError, isEmailAddress, parseEmailTemplate } from './message.ts';

/** A team's inbox should not fill up with Leadsie's test payloads. */
export const EMAIL_INCLUDES_TEST_EVENTS = false;

/** Most team recipients: what one SES SendEmail call takes. */
export const MAX_EMAIL_RECIPIENTS = 50;

/** An email address as the email function accepts it (`isEmailAddress`, `local@domain.tld`). */
const emailAddress = z
  .string({ error: 'expected an email address (a string), such as "team@agency.example"' })
  .check(
    z.refine(
      isEmailAddress,
      'not an email address (local@domain.tld, no display name), such as "team@agency.example"',
    ),
  );

/** `Name <address>`: the form of a From value with a display name. */
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

const from = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'required: the From address, a verified SES identity, such as "ops@agency.example" or "Agency <ops@agency.example>"'
        : 'expected the From address (a string)',
  })
  .check(
    z.superRefine((value, ctx) => {
      if (!isEmailAddress(fromAddress(value))) {
        ctx.addIssue({
          code: 'custom',
          input: value,
          message:
            'expected an address ("ops@agency.example") or "Name <address>" with no quotes or line breaks in the name',
        });
      } else if (!/^[\x20-\x7e]*$/.test(value)) {
        ctx.addIssue({
          code: 'custom',
          input: value,
          message:
            'SES takes ASCII here: write a non-ASCII display name as an RFC 2047 encoded-word (=?UTF-8?B?…?=) and a non-ASCII domain in Punycode',
        });
      }
    }),
  );

const teamRecipients = z
  .array(emailAddress, { error: 'expected a list of email addresses, such as ["team@agency.example"]' })
  .check(
    z.maxLength(
      MAX_EMAIL_RECIPIENTS,
      `at most ${MAX_EMAIL_RECIPIENTS} addresses, what one SES email takes (use a list address)`,
    ),
    z.refine(
      (list) => new Set(list.map((address) => address.toLowerCase())).size === list.length,
      'an address is listed twice',
    ),
  );

const teamStatuses = statusList('for PARTIAL_SUCCESS and FAILED');

const clientAddresses = z.record(
  z.string().check(z.minLength(1, 'a user id cannot be empty')),
  emailAddress,
  { error: 'expected an object of user id → email address, such as {"acme-42": "owner@acme.example"}' },
);

/** Domains a client's own address (its user id) may be at: `acme.example` allows it and its subdomains. */
const allowedDomains = z
  .array(
    z
      .string({ error: 'a domain is a string, such as "acme.example"' })
      .check(
        z.refine((value) => DOMAIN.test(value), 'a domain such as "acme.example": no "@", scheme or path'),
      ),
    { error: 'expected a list of domains, such as ["acme.example"]' },
  )
  .check(z.maxLength(100, 'at most 100 domains (map addresses one by one, or use a parent domain)'));

/** A client thank-you template: a `Subject: …` line, then the body, with `{{placeholder}}`s. */
const clientTemplate = z.string().check(
  z.superRefine((source, ctx) => {
    try {
      parseEmailTemplate(source);
    } catch (error) {
      if (!(error instanceof EmailTemplateError)) throw error;
      ctx.addIssue({ code: 'custom', input: source, message: error.message });
    }
  }),
);

/** What crosses to the function, each fact with its variable and its rule. */
export const EMAIL_FACTS = {
  from: textFact(ENV.emailFrom, from),
  teamRecipients: jsonFact(ENV.emailTeamRecipients, teamRecipients),
  teamStatuses: jsonFact(ENV.emailTeamStatuses, teamStatuses),
  clientEnabled: booleanFact(ENV.emailClientEnabled),
  clientAddresses: jsonFact(ENV.emailClientAddresses, clientAddresses),
  clientAllowedDomains: jsonFact(ENV.emailClientAllowedDomains, allowedDomains),
  linkHosts: jsonFact(ENV.linkHosts, linkHostList()),
  clientTemplate: textFact(ENV.emailClientTemplate, clientTemplate),
  tableName: textFact(ENV.tableName, z.string()),
};

/** The repository root, which `templateFile` is relative to (this file is three folders below it). */
const repositoryRoot = () => path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const emailClientSettings = z.strictObject({
  /**
   * Thank the client by email on SUCCESS, when `addresses` maps the user to an address or the user
   * id is an address at one of `allowedDomains`. Needs SES production access: in the sandbox, SES
   * sends only to verified identities.
   * @default false
   */
  enabled: z._default(bool(), false),
  /**
   * User id → the client's address: the addresses the agency vouches for.
   * @default - none
   */
  addresses: z.optional(clientAddresses),
  /**
   * Domains (subdomains included) at which a user id that is itself an email address gets the
   * email. The payload's user alone is never enough: without a mapping or an allowed domain, no
   * client email is sent (recorded as `client-domain-not-allowed`).
   * @default - none: only mapped users get the email
   */
  allowedDomains: z.optional(allowedDomains),
  /**
   * A file with the thank-you template (a `Subject: …` line, then the body, with `{{placeholder}}`s),
   * relative to the repository root. Read at synth; at most 2000 characters.
   * @default - the built-in thank-you (`DEFAULT_CLIENT_TEMPLATE` of `message.ts`)
   */
  templateFile: z.optional(
    z
      .string({ error: 'expected the path of a template file, relative to the repository root' })
      .check(z.minLength(1, 'expected the path of a template file, relative to the repository root')),
  ),
});

/** The client email settings, with the template file's text (read at synth and checked by the fact's rule). */
const emailClient = z.pipe(
  emailClientSettings,
  z.transform((client, ctx) => {
    if (client.templateFile === undefined) return { ...client, template: undefined as string | undefined };
    const file = path.resolve(repositoryRoot(), client.templateFile);
    let template: string;
    try {
      template = readFileSync(file, 'utf8');
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      ctx.issues.push({
        code: 'custom',
        path: ['templateFile'],
        input: client.templateFile,
        message: `cannot read ${file}: ${reason} (the path is relative to the repository root)`,
      });
      return z.NEVER;
    }
    const checked = z.safeParse(clientTemplate, template);
    if (!checked.success) {
      ctx.issues.push({
        code: 'custom',
        path: ['templateFile'],
        input: client.templateFile,
        message: `${file}: ${checked.error.issues[0]?.message}`,
      });
      return z.NEVER;
    }
    return { ...client, template: template as string | undefined };
  }),
);

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
  new TextEncoder().encode(JSON.stringify(Object.fromEntries(variables))).length;

/** What the email environment is built from. */
export interface EmailEnvironmentInput {
  from: string;
  teamRecipients: string[];
  teamStatuses: string[];
  client: {
    enabled: boolean;
    addresses?: Record<string, string> | undefined;
    allowedDomains?: string[] | undefined;
    template?: string | undefined;
  };
  linkHosts?: string[] | undefined;
}

/**
 * The settings of the email function as contract variables, in the order they are set: the stack
 * sets them, the schema's size check measures them. The client's settings only when client emails
 * are on: off, the function ignores them.
 */
export const emailEnvironment = (email: EmailEnvironmentInput): [EnvName, string][] =>
  envOf(EMAIL_FACTS, {
    from: email.from,
    teamRecipients: email.teamRecipients,
    teamStatuses: email.teamStatuses,
    clientEnabled: email.client.enabled,
    ...(email.client.enabled
      ? {
          clientAddresses: email.client.addresses,
          clientAllowedDomains: email.client.allowedDomains,
          clientTemplate: email.client.template,
        }
      : {}),
    linkHosts: email.linkHosts,
  });

export const emailSettings = z
  .strictObject({
    /**
     * The From of every email: a verified SES identity's address, or `Name <address>`. ASCII only
     * (SES needs a non-ASCII display name as an RFC 2047 encoded-word, `=?UTF-8?B?…?=`).
     */
    from,
    /**
     * The verified SES identity the function may send as (`ses:SendEmail` on its ARN only): the From
     * address, its domain, or a parent domain of it.
     * @default - both the From address and its domain: SES authorizes against whichever is verified
     */
    identity: z.optional(
      z
        .string({ error: 'expected an SES identity: a domain ("agency.example") or an address' })
        .check(
          z.refine(
            (identity) => DOMAIN.test(identity) || isEmailAddress(identity),
            'an SES identity is a domain ("agency.example") or an email address, without "arn:" or a display name',
          ),
        ),
    ),
    /**
     * The team's addresses: one email per event with a status of `teamStatuses`, to all of them.
     * @default [] (no team email; then client emails must be on)
     */
    teamRecipients: z._default(teamRecipients, []),
    /**
     * The statuses that email the team.
     * @default DEFAULTS.emailTeamStatuses (PARTIAL_SUCCESS and FAILED)
     */
    teamStatuses: z._default(teamStatuses, [...DEFAULTS.emailTeamStatuses]),
    /**
     * The thank-you email to the client on SUCCESS.
     * @default { enabled: false }
     */
    client: z._default(emailClient, { enabled: false, template: undefined }),
    /**
     * Hosts, besides Leadsie's, that links in the emails may point to (subdomains included); a
     * summary or request URL anywhere else is left out.
     * @default - Leadsie's hosts only
     */
    linkHosts: z.optional(linkHostList()),
    /**
     * Email about Leadsie's test events too; `false` filters them out at the subscription.
     * @default false
     */
    includeTestEvents: includeTestEvents(EMAIL_INCLUDES_TEST_EVENTS),
    ...queueFields(),
  })
  .check(
    z.superRefine((email, ctx) => {
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
          ...(email.client.enabled && email.client.allowedDomains !== undefined
            ? [`client allowed domains ${bytesOf(ENV.emailClientAllowedDomains)}`]
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
    }),
  );

export type EmailSettingsConfig = z.output<typeof emailSettings>;

/**
 * What the email subscription lets through: the team's statuses (when there is a team) and, with
 * client emails on, SUCCESS; Leadsie's test events only when `includeTestEvents`.
 */
export const emailConsumerFilter = (
  email: Pick<EmailSettingsConfig, 'teamRecipients' | 'teamStatuses' | 'client' | 'includeTestEvents'>,
): ConsumerFilter => {
  const statuses = new Set(email.teamRecipients.length > 0 ? email.teamStatuses : []);
  if (email.client.enabled) statuses.add('SUCCESS');
  return { statuses: [...statuses], includeTestEvents: email.includeTestEvents };
};
