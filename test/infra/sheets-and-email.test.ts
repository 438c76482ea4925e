/**
 * What only the Google Sheets and email consumers have, every consumer on (`ALL_CONSUMERS`: Sheets
 * with its defaults, email with client emails on, an address mapping and the template fixture):
 * their settings as contract variables (and accepted by the functions' own cold-start readers), the
 * table actions of their once-only records, Sheets' one-at-a-time function and own secret, email's
 * SES permission on the sender identity and no secret at all, and the room the email settings leave
 * in Lambda's 4 KB environment. What every consumer has is in `consumers.test.ts`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { senderEnv, settingsFromEnv } from '../../lambda/consumers/email/handler.ts';
import { readEnv } from '../../lambda/consumers/settings.ts';
import { SHEETS_FACTS } from '../../lambda/consumers/sheets/settings.ts';
import { DEFAULTS, ENV, type EnvName } from '../../lambda/contract.ts';
import {
  DEFAULT_SHEET_NAME,
  EMAIL_ENVIRONMENT_BUDGET_BYTES,
  EMAIL_ENVIRONMENT_RESERVE_BYTES,
  emailEnvironment,
  environmentBytes,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
} from '../../lib/config.ts';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';
import {
  ALL_CONSUMERS,
  arnOf,
  logicalId,
  permissionsOfRole,
  ref,
  resourceById,
  statementsOfRole,
  synthStack,
} from './support.ts';

const { config, stack, template } = synthStack({ consumers: ALL_CONSUMERS });
const emailConfig = config.consumers.email;
if (emailConfig === undefined) throw new Error('email is not configured');
const tableId = logicalId(stack, stack.store.table);
const json = (value: unknown) => JSON.stringify(value);

const consumer = (name: 'sheets' | 'email') => {
  const found = stack.consumers[name];
  if (found === undefined) throw new Error(`no consumer ${name}`);
  return found;
};
const fnId = (name: 'sheets' | 'email') => logicalId(stack, consumer(name).fn.function);
const roleId = (name: 'sheets' | 'email') => logicalId(stack, consumer(name).fn.role);
const props = (id: string) => resourceById(template, id).Properties;
const envOf = (name: 'sheets' | 'email') =>
  (props(fnId(name)).Environment as { Variables: Record<string, unknown> }).Variables;
/** The function's variables that hold plain strings (tokens left out), as the function reads them. */
const plainEnvOf = (name: 'sheets' | 'email'): Record<string, string> =>
  Object.fromEntries(
    Object.entries(envOf(name)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );

/** Every variable every consumer function gets from the Subscriber. */
const SUBSCRIBER_ENV = [
  'NODE_OPTIONS',
  'POWERTOOLS_SERVICE_NAME',
  ENV.metricsNamespace,
  ENV.metricsService,
  ENV.consumerName,
  ENV.queueUrl,
  ENV.deadLetterQueueUrl,
  ENV.retryHorizonHours,
  ENV.httpTimeoutMs,
];

/** The once-only records (claim, complete, release): single-item writes and reads of the table. */
const ONCE_RECORD_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'];

const sesIdentityArn = (identity: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      ref('AWS::Partition'),
      ':ses:',
      ref('AWS::Region'),
      ':',
      ref('AWS::AccountId'),
      `:identity/${identity}`,
    ],
  ],
});

const actionsOn = (permissions: Record<string, string[]>, prefix: string) =>
  Object.keys(permissions)
    .filter((action) => action.startsWith(prefix))
    .sort();

describe('the sheets function', () => {
  it('sets exactly the contract variables it reads', () => {
    expect(Object.keys(envOf('sheets')).sort()).toEqual(
      [
        ...SUBSCRIBER_ENV,
        ENV.consumerSecretId,
        ENV.secretMaxAgeSeconds,
        ENV.sheetsSpreadsheetId,
        ENV.sheetsSheetName,
        ENV.tableName,
      ].sort(),
    );
  });

  it.each<[EnvName, () => unknown]>([
    [ENV.sheetsSpreadsheetId, () => ALL_CONSUMERS.sheets.spreadsheetId],
    [ENV.sheetsSheetName, () => DEFAULT_SHEET_NAME],
    [ENV.consumerSecretId, () => ALL_CONSUMERS.sheets.secretName],
    [ENV.tableName, () => ref(tableId)],
  ])('sets %s', (name, value) => {
    expect(envOf('sheets')[name]).toEqual(value());
  });

  it('gets a spreadsheet id its cold start accepts', () => {
    expect(readEnv(SHEETS_FACTS, plainEnvOf('sheets')).spreadsheetId).toBe(
      ALL_CONSUMERS.sheets.spreadsheetId,
    );
  });

  it("reserves no concurrency (a new account's quota of 10 makes any reservation fail the first deploy)", () => {
    expect(props(fnId('sheets'))).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('reads only its own secret, the service account key, by its exact name', () => {
    const permissions = permissionsOfRole(template, roleId('sheets'));
    expect(actionsOn(permissions, 'secretsmanager:')).toEqual(['secretsmanager:GetSecretValue']);
    expect(permissions['secretsmanager:GetSecretValue']).toEqual([
      json({
        'Fn::Join': [
          '',
          [
            'arn:',
            ref('AWS::Partition'),
            ':secretsmanager:',
            ref('AWS::Region'),
            ':',
            ref('AWS::AccountId'),
            `:secret:${ALL_CONSUMERS.sheets.secretName}-??????`,
          ],
        ],
      }),
    ]);
  });

  it('puts, updates and gets single items of the table (its once-only row records), nothing more', () => {
    const permissions = permissionsOfRole(template, roleId('sheets'));
    expect(actionsOn(permissions, 'dynamodb:')).toEqual([...ONCE_RECORD_ACTIONS].sort());
    for (const action of ONCE_RECORD_ACTIONS) expect(permissions[action]).toEqual([json(arnOf(tableId))]);
  });

  it('may not send email', () => {
    expect(json(statementsOfRole(template, roleId('sheets')))).not.toContain('ses:');
  });
});

describe('the email function', () => {
  const templateText = readFileSync(path.join(REPO_ROOT, ALL_CONSUMERS.email.client.templateFile), 'utf8');

  it('sets exactly the contract variables it reads, the client ones because client emails are on', () => {
    expect(Object.keys(envOf('email')).sort()).toEqual(
      [
        ...SUBSCRIBER_ENV,
        ENV.emailFrom,
        ENV.emailTeamRecipients,
        ENV.emailTeamStatuses,
        ENV.emailClientEnabled,
        ENV.emailClientAddresses,
        ENV.emailClientTemplate,
        ENV.tableName,
      ].sort(),
    );
  });

  it.each<[EnvName, () => unknown]>([
    [ENV.emailFrom, () => ALL_CONSUMERS.email.from],
    [ENV.emailClientEnabled, () => 'true'],
    [ENV.tableName, () => ref(tableId)],
  ])('sets %s', (name, value) => {
    expect(envOf('email')[name]).toEqual(value());
  });

  it.each<[EnvName, () => unknown]>([
    [ENV.emailTeamRecipients, () => ALL_CONSUMERS.email.teamRecipients],
    [ENV.emailTeamStatuses, () => DEFAULTS.emailTeamStatuses],
    [ENV.emailClientAddresses, () => ALL_CONSUMERS.email.client.addresses],
  ])('passes %s as JSON', (name, value) => {
    expect(JSON.parse(envOf('email')[name] as string)).toEqual(value());
  });

  it("passes the template file's text, read at synth, as ENV.emailClientTemplate", () => {
    expect(envOf('email')[ENV.emailClientTemplate]).toBe(templateText);
  });

  it('gets settings its cold start accepts: the same recipients, statuses, client addresses and sender', () => {
    const env = plainEnvOf('email');
    const settings = settingsFromEnv(env);
    expect(settings.teamRecipients).toEqual(ALL_CONSUMERS.email.teamRecipients);
    expect(settings.teamStatuses).toEqual(DEFAULTS.emailTeamStatuses);
    expect(settings.client?.addresses).toEqual(ALL_CONSUMERS.email.client.addresses);
    expect(settings.client?.template.subject).toContainEqual({ placeholder: 'assetCount' });
    expect(senderEnv(env)).toBe(ALL_CONSUMERS.email.from);
  });

  it('has no secret and may read none', () => {
    expect(consumer('email').secret).toBeUndefined();
    expect(json(statementsOfRole(template, roleId('email')))).not.toContain('secretsmanager:');
  });

  it('may send email (ses:SendEmail, nothing else of SES) as the From address or its domain only', () => {
    const permissions = permissionsOfRole(template, roleId('email'));
    expect(actionsOn(permissions, 'ses:')).toEqual(['ses:SendEmail']);
    expect(permissions['ses:SendEmail']).toEqual(
      [json(sesIdentityArn('agency.example')), json(sesIdentityArn('ops@agency.example'))].sort(),
    );
  });

  it('puts, updates and gets single items of the table (its once-per-email records), nothing more', () => {
    const permissions = permissionsOfRole(template, roleId('email'));
    expect(actionsOn(permissions, 'dynamodb:')).toEqual([...ONCE_RECORD_ACTIONS].sort());
    for (const action of ONCE_RECORD_ACTIONS) expect(permissions[action]).toEqual([json(arnOf(tableId))]);
  });
});

describe("the email function's environment", () => {
  /** The longest a deploy-time value can be: CloudFormation's generated queue and table names. */
  const LONGEST: Partial<Record<EnvName, string>> = {
    [ENV.queueUrl]: `https://sqs.ap-southeast-2.amazonaws.com/123456789012/${'q'.repeat(80)}`,
    [ENV.deadLetterQueueUrl]: `https://sqs.ap-southeast-2.amazonaws.com/123456789012/${'d'.repeat(80)}`,
    [ENV.tableName]: 't'.repeat(255),
  };
  const configured = new Set<string>(emailEnvironment(emailConfig).map(([name]) => name));

  it('is the configured settings plus what the stack adds, and what the stack adds fits the reserve', () => {
    const added = Object.entries(envOf('email'))
      .filter(([name]) => !configured.has(name))
      .map(([name, value]): [string, string] => {
        if (typeof value === 'string') return [name, value];
        const longest = LONGEST[name as EnvName];
        if (longest === undefined) throw new Error(`no longest value for ${name}`);
        return [name, longest];
      });
    expect(added.map(([name]) => name).sort()).toEqual([...SUBSCRIBER_ENV, ENV.tableName].sort());
    // Joining two JSON objects costs one comma and saves a pair of braces: at most the sum of the two.
    expect(environmentBytes(added)).toBeLessThanOrEqual(EMAIL_ENVIRONMENT_RESERVE_BYTES);
    expect(EMAIL_ENVIRONMENT_BUDGET_BYTES + EMAIL_ENVIRONMENT_RESERVE_BYTES).toBe(
      LAMBDA_ENVIRONMENT_LIMIT_BYTES,
    );
  });

  it('holds the configured settings as config measured them', () => {
    const fromTemplate = Object.entries(envOf('email')).filter(([name]) => configured.has(name));
    expect(environmentBytes(fromTemplate as [string, string][])).toBe(
      environmentBytes(emailEnvironment(emailConfig)),
    );
  });
});
