/**
 * Configuration from the CDK context: defaults, coercion of `-c key=value` strings, and a clear
 * error naming the key and the value for anything bad. No synthesis here: `loadConfig` is pure.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { senderEnv } from '../../lambda/consumers/email/handler.ts';
import { MAX_TEMPLATE_CHARS } from '../../lambda/consumers/email/message.ts';
import { EMAIL_INCLUDES_TEST_EVENTS } from '../../lambda/consumers/email/settings.ts';
import { FORWARD_INCLUDES_TEST_EVENTS } from '../../lambda/consumers/forward/settings.ts';
import { HUBSPOT_INCLUDES_TEST_EVENTS } from '../../lambda/consumers/hubspot/settings.ts';
import { SHEETS_INCLUDES_TEST_EVENTS } from '../../lambda/consumers/sheets/settings.ts';
import { SLACK_INCLUDES_TEST_EVENTS } from '../../lambda/consumers/slack/settings.ts';
import { DEFAULTS } from '../../lambda/contract.ts';
import {
  ConfigError,
  DEFAULT_SHEET_NAME,
  EMAIL_ENVIRONMENT_BUDGET_BYTES,
  emailConsumerFilter,
  loadConfig,
  MAX_ALARM_EMAILS,
  MAX_RECONCILER_BATCH_LIMIT,
  MAX_TOKEN_ROTATION_GRACE_HOURS,
  sesIdentities,
} from '../../lib/config.ts';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';
import { ALL_CONSUMERS, CLIENT_TEMPLATE_FIXTURE, projectContext } from './support.ts';

const DEFAULT_CONFIG = {
  stackName: 'LeadsieWebhooks',
  throttleRateLimit: 50,
  throttleBurstLimit: 500,
  maxBodyBytes: DEFAULTS.maxBodyBytes,
  secretMaxAgeSeconds: DEFAULTS.secretMaxAgeSeconds,
  tokenRotationGraceHours: DEFAULTS.tokenRotationGraceHours,
  logRetentionDays: 90,
  tableDeletionProtection: true,
  removalPolicy: RemovalPolicy.RETAIN,
  lambdaMemoryMb: 512,
  backgroundMemoryMb: 256,
  consumers: { forwarders: [] },
  reconcilerIntervalMinutes: DEFAULTS.reconcilerIntervalMinutes,
  reconcilerBatchLimit: DEFAULTS.reconcilerBatchLimit,
  alarmEmails: [],
};

/** The error `loadConfig` throws for this raw context. */
const errorFor = (raw: Record<string, unknown>): ConfigError => {
  try {
    loadConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(raw)}`);
};

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual(DEFAULT_CONFIG);
  });

  it("accepts cdk.json's context (feature flags are not config keys)", () => {
    expect(loadConfig(projectContext())).toEqual(DEFAULT_CONFIG);
  });

  it('reads the context of a construct node', () => {
    const app = new App({ context: { throttleRateLimit: 5, stackName: 'Staging' } });
    expect(loadConfig(app.node)).toMatchObject({ throttleRateLimit: 5, stackName: 'Staging' });
  });

  it('coerces the strings that -c key=value gives to numbers and booleans', () => {
    expect(
      loadConfig({
        throttleRateLimit: '2.5',
        throttleBurstLimit: '50',
        maxBodyBytes: '1024',
        secretMaxAgeSeconds: '60',
        tokenRotationGraceHours: '2',
        logRetentionDays: '30',
        tableDeletionProtection: 'false',
        removalPolicy: 'destroy',
        lambdaMemoryMb: '1024',
        reconcilerIntervalMinutes: '15',
        reconcilerBatchLimit: '200',
      }),
    ).toEqual({
      ...DEFAULT_CONFIG,
      throttleRateLimit: 2.5,
      throttleBurstLimit: 50,
      maxBodyBytes: 1024,
      secretMaxAgeSeconds: 60,
      tokenRotationGraceHours: 2,
      logRetentionDays: 30,
      tableDeletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
      lambdaMemoryMb: 1024,
      reconcilerIntervalMinutes: 15,
      reconcilerBatchLimit: 200,
    });
  });

  it.each<[string, unknown]>([
    ['throttleRateLimit', -1],
    ['throttleRateLimit', '-1'],
    ['throttleRateLimit', 0],
    ['throttleRateLimit', '25rps'],
    ['throttleRateLimit', ''],
    ['throttleBurstLimit', 2.5],
    ['throttleBurstLimit', 0],
    ['maxBodyBytes', 64 * 1024 * 1024],
    ['maxBodyBytes', 300 * 1024 + 1],
    ['secretMaxAgeSeconds', 0],
    ['tokenRotationGraceHours', 0],
    ['tokenRotationGraceHours', MAX_TOKEN_ROTATION_GRACE_HOURS + 1],
    ['tokenRotationGraceHours', 1.5],
    ['tokenRotationGraceHours', '24h'],
    ['logRetentionDays', 7777],
    ['logRetentionDays', '7777'],
    ['logRetentionDays', 9999],
    ['logRetentionDays', 'forever'],
    ['tableDeletionProtection', 'yes'],
    ['tableDeletionProtection', 1],
    ['removalPolicy', 'maybe'],
    ['removalPolicy', 'RETAIN'],
    ['lambdaMemoryMb', 64],
    ['lambdaMemoryMb', '512MB'],
    ['stackName', '1-starts-with-a-digit'],
    ['stackName', 'has spaces'],
    ['reconcilerIntervalMinutes', 0],
    ['reconcilerIntervalMinutes', 61],
    ['reconcilerIntervalMinutes', '61'],
    ['reconcilerIntervalMinutes', 2.5],
    ['reconcilerIntervalMinutes', '5m'],
    ['reconcilerBatchLimit', 0],
    ['reconcilerBatchLimit', MAX_RECONCILER_BATCH_LIMIT + 1],
  ])('rejects %s = %j, naming the key and the value', (key, value) => {
    const { message } = errorFor({ [key]: value });
    expect(message).toContain(`'${key}'`);
    expect(message).toContain(JSON.stringify(value));
  });

  it('lists the CloudWatch retention periods when the retention is not one of them', () => {
    expect(errorFor({ logRetentionDays: 7777 }).message).toContain('1, 3, 5, 7, 14, 30, 60, 90');
  });

  it('lists the removal policies it knows', () => {
    expect(errorFor({ removalPolicy: 'maybe' }).message).toMatch(/"retain".*"destroy"/);
  });

  it('reports every bad key at once', () => {
    const { message } = errorFor({ throttleRateLimit: -1, logRetentionDays: 7777, removalPolicy: 'maybe' });
    for (const key of ['throttleRateLimit', 'logRetentionDays', 'removalPolicy'])
      expect(message).toContain(`'${key}'`);
  });

  it('rejects a key that differs from a known key only by case, instead of silently using the default', () => {
    expect(errorFor({ throttleratelimit: 5 }).message).toContain("did you mean 'throttleRateLimit'");
  });
});

describe('loadConfig: alarmEmails', () => {
  it('takes a list of addresses', () => {
    expect(loadConfig({ alarmEmails: ['ops@example.com', 'oncall@example.org'] }).alarmEmails).toEqual([
      'ops@example.com',
      'oncall@example.org',
    ]);
  });

  it("takes the JSON string -c alarmEmails='[…]' gives", () => {
    expect(loadConfig({ alarmEmails: '["ops@example.com"]' }).alarmEmails).toEqual(['ops@example.com']);
  });

  it('takes one address, or addresses separated by commas, as -c alarmEmails=a,b gives them', () => {
    expect(loadConfig({ alarmEmails: 'ops@example.com' }).alarmEmails).toEqual(['ops@example.com']);
    expect(loadConfig({ alarmEmails: 'ops@example.com, oncall@example.org' }).alarmEmails).toEqual([
      'ops@example.com',
      'oncall@example.org',
    ]);
  });

  it.each<[string, unknown, string]>([
    ['a bad address', ['ops@example.com', 'not-an-address'], `'alarmEmails[1]' = "not-an-address"`],
    [
      'an address with a display name',
      ['Ops <ops@example.com>'],
      `'alarmEmails[0]' = "Ops <ops@example.com>"`,
    ],
    ['an empty address', [''], `'alarmEmails[0]' = ""`],
    ['a bad address inside a JSON string', '["ops@example"]', `'alarmEmails[0]' = "ops@example"`],
    [
      'a JSON list that is not JSON',
      '["ops@example.com"',
      `'alarmEmails' = "[\\"ops@example.com\\"": not valid JSON`,
    ],
    ['a bad address among comma-separated ones', 'ops@example.com, nope', `'alarmEmails[1]' = "nope"`],
    ['an object', { ops: 'ops@example.com' }, `'alarmEmails' = {"ops":"ops@example.com"}: expected a list`],
    ['an address listed twice', ['ops@example.com', 'OPS@example.com'], 'listed twice'],
    [
      'too many addresses',
      Array.from({ length: MAX_ALARM_EMAILS + 1 }, (_, i) => `ops${i}@example.com`),
      `at most ${MAX_ALARM_EMAILS} addresses`,
    ],
  ])('rejects %s, naming the path and the value', (_case, alarmEmails, expected) => {
    expect(errorFor({ alarmEmails }).message).toContain(expected);
  });
});

describe('loadConfig: alarmSlack', () => {
  it('is off unless set', () => {
    expect(loadConfig({}).alarmSlack).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['an object', { secretName: 'leadsie-webhooks/alarm-slack-webhook-url' }],
    [
      "the JSON string -c alarmSlack='{…}' gives",
      '{"secretName":"leadsie-webhooks/alarm-slack-webhook-url"}',
    ],
  ])('takes %s', (_case, alarmSlack) => {
    expect(loadConfig({ alarmSlack }).alarmSlack).toEqual({
      secretName: 'leadsie-webhooks/alarm-slack-webhook-url',
    });
  });

  it.each<[string, unknown, string]>([
    [
      'a bare secret name, saying what shape is wanted',
      'ops/slack',
      `'alarmSlack' = "ops/slack": expected an object such as {"secretName": "ops/slack"}`,
    ],
    [
      'a JSON string that is not JSON',
      '{"secretName":',
      `'alarmSlack' = "{\\"secretName\\":": not valid JSON`,
    ],
    ['a list', ['ops/slack'], `'alarmSlack' = ["ops/slack"]: expected an object such as {"secretName": "`],
    [
      'no secret name',
      {},
      "'alarmSlack.secretName' = undefined: required: the name of the Secrets Manager secret holding the Slack Incoming Webhook URL",
    ],
    [
      'an ARN instead of a name',
      { secretName: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x' },
      `'alarmSlack.secretName' = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x": a Secrets Manager secret name`,
    ],
    [
      'a secret name that is not a string',
      { secretName: 42 },
      `'alarmSlack.secretName' = 42: expected the name`,
    ],
    [
      'a misspelt key',
      { secretName: 'x', secretNmae: 'y' },
      `'alarmSlack.secretNmae' = "y": unknown key, did you mean 'secretName'? (known: secretName)`,
    ],
  ])('rejects %s, naming the path and the value', (_case, alarmSlack, expected) => {
    expect(errorFor({ alarmSlack }).message).toContain(expected);
  });
});

describe('loadConfig: consumers', () => {
  // maxReceiveCount is absent: the Subscriber takes the schedule's backstop for the horizon.
  const knobs = { retryHorizonHours: 24, maxConcurrency: 2, batchSize: 10 };
  const slack = { secretName: 'leadsie-webhooks/slack-webhook-url' };
  const hubspot = { secretName: 'leadsie-webhooks/hubspot-token' };
  const zapier = { name: 'zapier', secretName: 'leadsie-webhooks/forward-zapier' };

  /** The message for `consumers` set to this value. */
  const messageFor = (consumers: unknown) => errorFor({ consumers }).message;

  it('deploys none by default', () => {
    expect(loadConfig({}).consumers).toEqual({ forwarders: [] });
  });

  it('fills in the documented defaults of each consumer', () => {
    expect(loadConfig({ consumers: { slack, hubspot, forwarders: [zapier] } }).consumers).toEqual({
      slack: { ...slack, includeTestEvents: SLACK_INCLUDES_TEST_EVENTS, ...knobs },
      hubspot: {
        ...hubspot,
        objectType: DEFAULTS.hubspotObjectType,
        idProperty: DEFAULTS.hubspotIdProperty,
        includeTestEvents: HUBSPOT_INCLUDES_TEST_EVENTS,
        ...knobs,
      },
      forwarders: [
        {
          ...zapier,
          format: DEFAULTS.forwardFormat,
          includeTestEvents: FORWARD_INCLUDES_TEST_EVENTS,
          ...knobs,
        },
      ],
    });
  });

  it('keeps every configured value', () => {
    const { consumers } = loadConfig({ consumers: ALL_CONSUMERS });
    expect(consumers.slack).toMatchObject(ALL_CONSUMERS.slack);
    expect(consumers.hubspot).toMatchObject(ALL_CONSUMERS.hubspot);
    expect(consumers.forwarders).toMatchObject(ALL_CONSUMERS.forwarders);
    expect(consumers.sheets).toMatchObject(ALL_CONSUMERS.sheets);
    expect(consumers.email).toMatchObject(ALL_CONSUMERS.email);
  });

  it("accepts consumers as a JSON string, as -c consumers='{…}' gives it", () => {
    expect(loadConfig({ consumers: JSON.stringify(ALL_CONSUMERS) }).consumers).toEqual(
      loadConfig({ consumers: ALL_CONSUMERS }).consumers,
    );
  });

  it('coerces knob strings, as inside -c values people sometimes quote them', () => {
    expect(
      loadConfig({ consumers: { slack: { ...slack, batchSize: '5', includeTestEvents: 'false' } } }).consumers
        .slack,
    ).toMatchObject({ batchSize: 5, includeTestEvents: false });
  });

  it('accepts statuses it does not know (forward compatibility)', () => {
    expect(
      loadConfig({ consumers: { slack: { ...slack, statuses: ['REVOKED'] } } }).consumers.slack?.statuses,
    ).toEqual(['REVOKED']);
  });

  it.each<[string, unknown, string]>([
    [
      'a bad objectType',
      { hubspot: { ...hubspot, objectType: 'deals' } },
      '\'consumers.hubspot.objectType\' = "deals"',
    ],
    ['empty statuses', { slack: { ...slack, statuses: [] } }, "'consumers.slack.statuses' = []"],
    [
      'an empty status',
      { slack: { ...slack, statuses: ['SUCCESS', ''] } },
      '\'consumers.slack.statuses[1]\' = ""',
    ],
    [
      'a status with spaces',
      { slack: { ...slack, statuses: [' SUCCESS'] } },
      "'consumers.slack.statuses[0]'",
    ],
    [
      'a status listed twice',
      { slack: { ...slack, statuses: ['FAILED', 'FAILED'] } },
      "'consumers.slack.statuses'",
    ],
    [
      'statuses that are not a list',
      { slack: { ...slack, statuses: 'SUCCESS' } },
      '\'consumers.slack.statuses\' = "SUCCESS"',
    ],
    ['a missing secret name', { slack: {} }, "'consumers.slack.secretName' = undefined: required"],
    [
      'a secret ARN instead of a name',
      { slack: { secretName: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x' } },
      "'consumers.slack.secretName'",
    ],
    [
      'a secret name with spaces',
      { hubspot: { secretName: 'hub spot' } },
      '\'consumers.hubspot.secretName\' = "hub spot"',
    ],
    [
      'maxReceiveCount 0',
      { slack: { ...slack, maxReceiveCount: 0 } },
      "'consumers.slack.maxReceiveCount' = 0",
    ],
    [
      'a maxReceiveCount below the receives the horizon needs',
      { forwarders: [{ ...zapier, retryHorizonHours: 72, maxReceiveCount: '20' }] },
      '\'consumers.forwarders[0].maxReceiveCount\' = "20": maxReceiveCount 20 is below 27, the receives the retry schedule needs to reach its horizon of 72 h',
    ],
    [
      'a retry horizon under an hour',
      { slack: { ...slack, retryHorizonHours: 0.5 } },
      "'consumers.slack.retryHorizonHours' = 0.5: retryHorizonHours must be at least 1",
    ],
    [
      'a retry horizon that leaves a dead letter no time to be noticed',
      { hubspot: { ...hubspot, retryHorizonHours: '312' } },
      '\'consumers.hubspot.retryHorizonHours\' = "312": retryHorizonHours is too long',
    ],
    [
      'a KMS alias instead of a key ARN',
      {
        sheets: {
          secretName: 's',
          spreadsheetId: '1AbC-dEf_123',
          secretKmsKeyArn: 'alias/aws/secretsmanager',
        },
      },
      '\'consumers.sheets.secretKmsKeyArn\' = "alias/aws/secretsmanager": a KMS key ARN',
    ],
    [
      'a KMS key on the email consumer, which has no secret',
      { email: { from: 'ops@agency.example', teamRecipients: ['t@agency.example'], secretKmsKeyArn: 'x' } },
      "'consumers.email.secretKmsKeyArn'",
    ],
    [
      'maxConcurrency 1 (Lambda needs at least 2)',
      { slack: { ...slack, maxConcurrency: 1 } },
      "'consumers.slack.maxConcurrency' = 1",
    ],
    [
      'batchSize 11',
      { forwarders: [{ ...zapier, batchSize: 11 }] },
      "'consumers.forwarders[0].batchSize' = 11",
    ],
    [
      'includeTestEvents "yes"',
      { slack: { ...slack, includeTestEvents: 'yes' } },
      '\'consumers.slack.includeTestEvents\' = "yes"',
    ],
    [
      'an idProperty HubSpot would reject',
      { hubspot: { ...hubspot, idProperty: 'Leadsie ID' } },
      "'consumers.hubspot.idProperty'",
    ],
    [
      'an http baseUrl',
      { hubspot: { ...hubspot, baseUrl: 'http://api.hubapi.com' } },
      "'consumers.hubspot.baseUrl'",
    ],
    [
      'a forwarder format it does not know',
      { forwarders: [{ ...zapier, format: 'xml' }] },
      '\'consumers.forwarders[0].format\' = "xml"',
    ],
    [
      'an upper-case forwarder name',
      { forwarders: [{ ...zapier, name: 'Zapier' }] },
      '\'consumers.forwarders[0].name\' = "Zapier"',
    ],
    [
      'a forwarder name with a trailing hyphen',
      { forwarders: [{ ...zapier, name: 'zap-' }] },
      "'consumers.forwarders[0].name'",
    ],
    [
      'a forwarder name over 32 characters',
      { forwarders: [{ ...zapier, name: 'a'.repeat(33) }] },
      "'consumers.forwarders[0].name'",
    ],
    [
      'a forwarder without a name',
      { forwarders: [{ secretName: 'x' }] },
      "'consumers.forwarders[0].name' = undefined: required",
    ],
    ['forwarders that are not a list', { forwarders: zapier }, "'consumers.forwarders'"],
    ['consumers that are not an object', ['slack'], '\'consumers\' = ["slack"]'],
  ])('rejects %s, naming the path and the value', (_case, consumers, expected) => {
    expect(messageFor(consumers)).toContain(expected);
  });

  it('rejects duplicate forwarder names, naming the second', () => {
    const message = messageFor({ forwarders: [zapier, { ...zapier, secretName: 'other' }] });
    expect(message).toContain(`'consumers.forwarders[1].name' = "zapier": duplicate forwarder name "zapier"`);
  });

  it('rejects forwarder names that differ only by hyphens (their output names would clash)', () => {
    const message = messageFor({
      forwarders: [
        { ...zapier, name: 'a1b' },
        { ...zapier, name: 'a-1b' },
      ],
    });
    expect(message).toContain(`'consumers.forwarders[1].name' = "a-1b"`);
    expect(message).toContain('differ only by hyphens');
  });

  it('rejects a bad propertyMapping, naming the bad entry and what is wrong with it', () => {
    const message = messageFor({
      hubspot: { ...hubspot, propertyMapping: { status: 'leadsie_status', request_name: 'Request Name' } },
    });
    expect(message).toContain("'consumers.hubspot.propertyMapping'");
    expect(message).toContain('"request_name" → "Request Name": not a valid HubSpot property name');
    expect(message).not.toContain('"status" →');
  });

  it('rejects an empty propertyMapping', () => {
    expect(messageFor({ hubspot: { ...hubspot, propertyMapping: {} } })).toContain('maps nothing');
  });

  it("rejects a propertyMapping too long for the function's environment", () => {
    const huge = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`source_key_${i}`, `leadsie_property_${i}`]),
    );
    expect(messageFor({ hubspot: { ...hubspot, propertyMapping: huge } })).toMatch(
      /'consumers\.hubspot\.propertyMapping'.*at most 2048 fit/,
    );
  });

  it('rejects an unknown consumer, naming it and suggesting the one it resembles', () => {
    const message = messageFor({ slak: slack });
    expect(message).toContain(
      `'consumers.slak' = {"secretName":"leadsie-webhooks/slack-webhook-url"}: unknown key`,
    );
    expect(message).toContain("did you mean 'slack'?");
    expect(message).toContain('known: slack, hubspot, forwarders, sheets, email');
  });

  it('rejects an unknown key inside a consumer, naming its path', () => {
    const message = messageFor({ forwarders: [{ ...zapier, includeTestEvent: false }] });
    expect(message).toContain(`'consumers.forwarders[0].includeTestEvent' = false: unknown key`);
    expect(message).toContain("did you mean 'includeTestEvents'?");
  });

  it('rejects a JSON string that is not JSON, saying so', () => {
    expect(messageFor('{"slack": ')).toMatch(/'consumers' = "\{\\"slack\\": ": not valid JSON/);
  });

  it('names nested paths inside a JSON string too', () => {
    expect(messageFor(JSON.stringify({ hubspot: { ...hubspot, objectType: 'deals' } }))).toContain(
      `'consumers.hubspot.objectType' = "deals"`,
    );
  });

  it('reports every bad consumer value at once', () => {
    const message = messageFor({
      slack: { ...slack, statuses: [] },
      hubspot: { ...hubspot, objectType: 'deals' },
      forwarders: [zapier, zapier],
    });
    for (const path of [
      'consumers.slack.statuses',
      'consumers.hubspot.objectType',
      'consumers.forwarders[1].name',
    ])
      expect(message).toContain(`'${path}'`);
  });
});

describe('loadConfig: the Google Sheets and email consumers', () => {
  const sheets = { secretName: 'leadsie-webhooks/google-sheets-key', spreadsheetId: '1AbC-dEf_123' };
  const email = { from: 'ops@agency.example', teamRecipients: ['team@agency.example'] };
  const messageFor = (consumers: unknown) => errorFor({ consumers }).message;
  const tempFile = (text: string) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'leadsie-template-')), 'template.txt');
    writeFileSync(file, text);
    return file;
  };

  it('fills in the documented defaults of the Sheets consumer', () => {
    expect(loadConfig({ consumers: { sheets } }).consumers.sheets).toEqual({
      ...sheets,
      sheetName: DEFAULT_SHEET_NAME,
      includeTestEvents: SHEETS_INCLUDES_TEST_EVENTS,
      retryHorizonHours: 24,
      maxConcurrency: 2,
      batchSize: 10,
    });
  });

  it('fills in the documented defaults of the email consumer: client emails off, no identity', () => {
    expect(loadConfig({ consumers: { email } }).consumers.email).toEqual({
      ...email,
      teamStatuses: [...DEFAULTS.emailTeamStatuses],
      client: { enabled: false, template: undefined },
      includeTestEvents: EMAIL_INCLUDES_TEST_EVENTS,
      retryHorizonHours: 24,
      maxConcurrency: 2,
      batchSize: 10,
    });
  });

  it('reads the client template file at synth, relative to the repository root, and keeps its text', () => {
    const { client } = loadConfig({
      consumers: { email: { ...email, client: { enabled: true, templateFile: CLIENT_TEMPLATE_FIXTURE } } },
    }).consumers.email ?? { client: undefined };
    expect(client?.template).toMatch(/^Subject: Thanks, \{\{clientName\}\}/);
  });

  it('accepts a template of exactly the longest length the function takes', () => {
    const text = `Subject: Thanks\n\n${'a'.repeat(MAX_TEMPLATE_CHARS - 17)}`;
    expect(text).toHaveLength(MAX_TEMPLATE_CHARS);
    const file = tempFile(text);
    expect(
      loadConfig({ consumers: { email: { ...email, client: { enabled: true, templateFile: file } } } })
        .consumers.email?.client.template,
    ).toBe(text);
  });

  it.each([
    ['an address', 'ops@agency.example'],
    ['"Name <address>"', 'Agency Ops <ops@agency.example>'],
  ])('accepts a From that is %s, as the function does', (_case, from) => {
    expect(loadConfig({ consumers: { email: { ...email, from } } }).consumers.email?.from).toBe(from);
    expect(senderEnv({ EMAIL_FROM: from })).toBe(from);
  });

  it.each([
    ['a domain', 'agency.example', ['agency.example']],
    ['a parent domain', 'agency.example', ['agency.example'], 'ops@mail.agency.example'],
    ['the address itself', 'ops@agency.example', ['ops@agency.example']],
    ['nothing (the address and its domain)', undefined, ['agency.example', 'ops@agency.example']],
  ])('scopes sending to the identity given: %s', (_case, identity, expected, from = email.from) => {
    const config = loadConfig({ consumers: { email: { ...email, from, identity } } }).consumers.email;
    if (config === undefined) throw new Error('no email');
    expect(sesIdentities(config)).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>, string[] | undefined]>([
    ['team emails only', {}, ['PARTIAL_SUCCESS', 'FAILED']],
    ['client emails on', { client: { enabled: true } }, ['PARTIAL_SUCCESS', 'FAILED', 'SUCCESS']],
    [
      'client emails on, SUCCESS a team status too',
      { teamStatuses: ['SUCCESS', 'FAILED'], client: { enabled: true } },
      ['SUCCESS', 'FAILED'],
    ],
    ['client emails only (no team)', { teamRecipients: [], client: { enabled: true } }, ['SUCCESS']],
  ])('subscribes the email consumer to what it sends: %s', (_case, extra, statuses) => {
    const config = loadConfig({ consumers: { email: { ...email, ...extra } } }).consumers.email;
    if (config === undefined) throw new Error('no email');
    expect(emailConsumerFilter(config)).toEqual({ statuses, includeTestEvents: false });
  });

  it.each<[string, unknown, string]>([
    [
      'a spreadsheet URL instead of its id',
      { sheets: { ...sheets, spreadsheetId: 'https://docs.google.com/spreadsheets/d/1AbC/edit' } },
      `'consumers.sheets.spreadsheetId' = "https://docs.google.com/spreadsheets/d/1AbC/edit": a spreadsheet id`,
    ],
    [
      'a missing spreadsheet id',
      { sheets: { secretName: sheets.secretName } },
      "'consumers.sheets.spreadsheetId' = undefined: required",
    ],
    [
      'a missing Sheets secret',
      { sheets: { spreadsheetId: '1AbC' } },
      "'consumers.sheets.secretName' = undefined: required",
    ],
    ['an empty sheet name', { sheets: { ...sheets, sheetName: '' } }, `'consumers.sheets.sheetName' = ""`],
    [
      'a sheet name with a line break',
      { sheets: { ...sheets, sheetName: 'Leads\nNew' } },
      "'consumers.sheets.sheetName'",
    ],
    [
      'maxConcurrency 1 for Sheets (one at a time is its reserved concurrency)',
      { sheets: { ...sheets, maxConcurrency: 1 } },
      "'consumers.sheets.maxConcurrency' = 1",
    ],
    [
      'a missing From',
      { email: { teamRecipients: email.teamRecipients } },
      "'consumers.email.from' = undefined: required",
    ],
    ['a From that is no address', { email: { ...email, from: 'ops' } }, `'consumers.email.from' = "ops"`],
    [
      'a From with a quoted display name (the function rejects it)',
      { email: { ...email, from: '"Ops, Inc" <ops@agency.example>' } },
      "'consumers.email.from'",
    ],
    [
      'a From with a non-ASCII display name',
      { email: { ...email, from: 'Agence Opé <ops@agency.example>' } },
      'RFC 2047 encoded-word',
    ],
    [
      'an identity that does not cover the From address',
      { email: { ...email, identity: 'other.example' } },
      `'consumers.email.identity' = "other.example": does not cover the From address ops@agency.example`,
    ],
    [
      'an identity given as an ARN',
      { email: { ...email, identity: 'arn:aws:ses:eu-west-1:123456789012:identity/agency.example' } },
      "'consumers.email.identity'",
    ],
    [
      'a recipient that is no address',
      { email: { ...email, teamRecipients: ['team@agency.example', 'team'] } },
      `'consumers.email.teamRecipients[1]' = "team": not an email address`,
    ],
    [
      'a recipient with a display name',
      { email: { ...email, teamRecipients: ['Team <team@agency.example>'] } },
      "'consumers.email.teamRecipients[0]'",
    ],
    [
      'a recipient listed twice',
      { email: { ...email, teamRecipients: ['team@agency.example', 'Team@agency.example'] } },
      "'consumers.email.teamRecipients'",
    ],
    [
      'more than 50 recipients',
      { email: { ...email, teamRecipients: Array.from({ length: 51 }, (_, i) => `t${i}@agency.example`) } },
      "'consumers.email.teamRecipients'",
    ],
    [
      'no recipient and client emails off: nothing to send',
      { email: { from: email.from } },
      "'consumers.email.teamRecipients' = undefined: nothing to send",
    ],
    ['empty team statuses', { email: { ...email, teamStatuses: [] } }, "'consumers.email.teamStatuses' = []"],
    [
      'client.enabled "yes"',
      { email: { ...email, client: { enabled: 'yes' } } },
      `'consumers.email.client.enabled' = "yes": expected true or false`,
    ],
    [
      'a client address that is no address',
      { email: { ...email, client: { enabled: true, addresses: { 'acme-42': 'owner' } } } },
      `'consumers.email.client.addresses.acme-42' = "owner": not an email address`,
    ],
    [
      'a missing template file',
      { email: { ...email, client: { enabled: true, templateFile: 'templates/missing.txt' } } },
      `'consumers.email.client.templateFile' = "templates/missing.txt": cannot read ${path.join(
        REPO_ROOT,
        'templates/missing.txt',
      )}: no such file (the path is relative to the repository root)`,
    ],
    [
      'a template file without a Subject line',
      { email: { ...email, client: { enabled: true, templateFile: 'package.json' } } },
      `'consumers.email.client.templateFile' = "package.json"`,
    ],
  ])('rejects %s, naming the path and the value', (_case, consumers, expected) => {
    expect(messageFor(consumers)).toContain(expected);
  });

  it('rejects a template file over 2000 characters, naming the file and its length', () => {
    const file = tempFile(`Subject: Thanks\n\n${'a'.repeat(MAX_TEMPLATE_CHARS)}`);
    expect(messageFor({ email: { ...email, client: { enabled: true, templateFile: file } } })).toContain(
      `'consumers.email.client.templateFile' = ${JSON.stringify(file)}: ${file}: the template is ${
        MAX_TEMPLATE_CHARS + 17
      } characters; at most ${MAX_TEMPLATE_CHARS}`,
    );
  });

  it("rejects email settings that would not fit in the function's 4 KB environment, saying what takes the room", () => {
    const addresses = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`client-user-${i}`, `owner.${i}@client-company.example`]),
    );
    const message = messageFor({
      email: { ...email, client: { enabled: true, addresses, templateFile: CLIENT_TEMPLATE_FIXTURE } },
    });
    expect(message).toMatch(
      new RegExp(
        `'consumers\\.email' = .*: the email settings take \\d+ bytes of the function's environment \\(team recipients \\d+, client addresses \\d+, client template \\d+\\); at most ${EMAIL_ENVIRONMENT_BUDGET_BYTES} fit`,
      ),
    );
    // The value is cut, not the whole address map.
    expect(message.split('\n')[1]?.length).toBeLessThan(800);
  });

  it('counts the client settings only when client emails are on (off, they are not passed)', () => {
    const addresses = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`client-user-${i}`, `owner.${i}@client-company.example`]),
    );
    expect(
      loadConfig({ consumers: { email: { ...email, client: { enabled: false, addresses } } } }).consumers
        .email,
    ).toBeDefined();
  });

  it('rejects an unknown key inside email.client, suggesting the one it resembles', () => {
    const message = messageFor({ email: { ...email, client: { enable: true } } });
    expect(message).toContain(`'consumers.email.client.enable' = true: unknown key, did you mean 'enabled'?`);
    expect(message).toContain('(known: enabled, addresses, allowedDomains, templateFile)');
  });

  it('rejects an unknown key inside sheets, suggesting the one it resembles', () => {
    expect(messageFor({ sheets: { ...sheets, sheetname: 'Leads' } })).toContain(
      `'consumers.sheets.sheetname' = "Leads": unknown key, did you mean 'sheetName'?`,
    );
  });
});
