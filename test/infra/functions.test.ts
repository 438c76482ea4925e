/**
 * The functions of the default stack (the two API functions and the reconciler): runtime, bundling
 * settings, logging, environment (names from the contract, values pointing at the right resources)
 * and exactly the IAM permissions each API function needs (the reconciler's: `reconciler.test.ts`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONSUMER_MODULES } from '../../lambda/consumers/registry.ts';
import { DEFAULTS, ENV, HANDLER_ENTRIES, NEXT_TABLE_INDEXES } from '../../lambda/contract.ts';
import { HouseFunction, REPO_ROOT } from '../../lib/constructs/house-function.ts';
import {
  arnOf,
  logicalId,
  permissionsOfRole,
  ref,
  resourceById,
  statementsOfRole,
  synthStack,
} from './support.ts';

const { stack, template } = synthStack();
const { api, store, events, reconciler } = stack;
const houseFunctions = stack.node.findAll().filter((c): c is HouseFunction => c instanceof HouseFunction);

const ids = {
  ingest: logicalId(stack, api.ingestFunction.function),
  connections: logicalId(stack, api.connectionsFunction.function),
  reconciler: logicalId(stack, reconciler.fn.function),
  ingestRole: logicalId(stack, api.ingestFunction.role),
  connectionsRole: logicalId(stack, api.connectionsFunction.role),
  reconcilerRole: logicalId(stack, reconciler.fn.role),
  ingestLogs: logicalId(stack, api.ingestFunction.logGroup),
  connectionsLogs: logicalId(stack, api.connectionsFunction.logGroup),
  reconcilerLogs: logicalId(stack, reconciler.fn.logGroup),
  table: logicalId(stack, store.table),
  topic: logicalId(stack, events.topic),
  key: logicalId(stack, events.key),
  webhookSecret: logicalId(stack, api.webhookTokenSecret),
  readSecret: logicalId(stack, api.readTokenSecret),
};

const fn = (id: string) => resourceById(template, id).Properties;
const envOf = (id: string) => (fn(id).Environment as { Variables: Record<string, unknown> }).Variables;
const json = (value: unknown) => JSON.stringify(value);
const functionIds = [ids.ingest, ids.connections, ids.reconciler];
const functions = [
  ['ingest', ids.ingest],
  ['connections', ids.connections],
  ['reconciler', ids.reconciler],
] as const;
const apiFunctions = functions.filter(([name]) => name !== 'reconciler');

describe('every function', () => {
  it('is a house function, and no other function runs code (no CDK helper functions)', () => {
    expect(houseFunctions).toHaveLength(3);
    template.resourceCountIs('AWS::Lambda::Function', houseFunctions.length);
  });

  it('leaves every consumer out until it is configured', () => {
    const entries = houseFunctions.map((f) => f.entry);
    for (const module of CONSUMER_MODULES) expect(entries).not.toContain(path.join(REPO_ROOT, module.entry));
    expect(Object.keys(stack.consumers)).toEqual([]);
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs).not.toContain('SheetsDeadLetterQueueUrl');
    expect(outputs).not.toContain('EmailDeadLetterQueueUrl');
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('ses:');
  });

  it('leaves the alarm notifier out until alarmSlack is configured', () => {
    expect(houseFunctions.map((f) => f.entry)).not.toContain(
      path.join(REPO_ROOT, HANDLER_ENTRIES.alarmNotifier),
    );
    expect(stack.monitoring.alarmSlack).toBeUndefined();
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('AlarmSlackDeadLetterQueueUrl');
  });

  it('bundles a handler entry of the contract, and that file exists', () => {
    const entries = Object.values(HANDLER_ENTRIES).map((entry) => path.join(REPO_ROOT, entry));
    for (const houseFunction of houseFunctions) {
      expect(entries).toContain(houseFunction.entry);
      expect(existsSync(houseFunction.entry)).toBe(true);
    }
  });

  it.each(functions)('%s runs on Node.js 24', (_name, id) => {
    expect(fn(id).Runtime).toBe('nodejs24.x');
  });

  it.each(functions)('%s runs on arm64', (_name, id) => {
    expect(fn(id).Architectures).toEqual(['arm64']);
  });

  it.each(functions)('%s loads the ESM bundle (index.mjs) export `handler`', (_name, id) => {
    expect(fn(id).Handler).toBe('index.handler');
  });

  it.each(functions)('%s enables source maps for stack traces', (_name, id) => {
    expect(envOf(id).NODE_OPTIONS).toBe('--enable-source-maps');
  });

  it.each(functions)('%s has 512 MB if it answers HTTP, 256 MB if it works in the background', (name, id) => {
    expect(fn(id).MemorySize).toBe(name === 'reconciler' ? 256 : 512);
  });

  it.each(apiFunctions)('%s has a 10 s timeout (well under the HTTP API 30 s limit)', (_name, id) => {
    expect(fn(id).Timeout).toBe(10);
  });

  it.each(functions)('%s names its Powertools service after itself', (name, id) => {
    const service = `leadsie-webhooks-${name}`;
    expect(envOf(id).POWERTOOLS_SERVICE_NAME).toBe(service);
  });

  it.each([
    ['ingest', ids.ingest, ids.ingestLogs],
    ['connections', ids.connections, ids.connectionsLogs],
    ['reconciler', ids.reconciler, ids.reconcilerLogs],
  ])(
    '%s logs (as JSON, system level INFO: the REPORT lines stay) to its own log group',
    (_name, id, logGroupId) => {
      expect(fn(id).LoggingConfig).toEqual({
        LogFormat: 'JSON',
        LogGroup: ref(logGroupId),
        SystemLogLevel: 'INFO',
      });
    },
  );

  it('gives no environment variable a secret value, only secret ARNs', () => {
    for (const id of functionIds) expect(json(envOf(id))).not.toMatch(/resolve:secretsmanager|SecretString/);
  });
});

describe('log groups', () => {
  it('are the three function log groups and the API access log, all with 90 days retention', () => {
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(logGroups).toHaveLength(4);
    for (const logGroup of logGroups) expect(logGroup.Properties.RetentionInDays).toBe(90);
  });

  it('are retained when the stack is deleted', () => {
    for (const logGroup of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(logGroup.DeletionPolicy).toBe('Retain');
    }
  });
});

describe('execution roles', () => {
  it('are assumed by Lambda only', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    }
  });

  it('have no managed policies (not AWSLambdaBasicExecutionRole, which writes to every log group)', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.Policies).toBeUndefined();
    }
  });

  it('never allow an action on every resource', () => {
    for (const roleId of [ids.ingestRole, ids.connectionsRole, ids.reconcilerRole]) {
      for (const statement of statementsOfRole(template, roleId)) {
        expect(statement.Effect).toBe('Allow');
        expect([statement.Resource].flat()).not.toContain('*');
      }
    }
  });
});

describe('the ingest function', () => {
  it('sets exactly the contract variables it reads', () => {
    expect(Object.keys(envOf(ids.ingest)).sort()).toEqual(
      [
        'NODE_OPTIONS',
        'POWERTOOLS_SERVICE_NAME',
        ENV.metricsNamespace,
        ENV.metricsService,
        ENV.tableName,
        ENV.topicArn,
        ENV.webhookTokenSecretArn,
        ENV.maxBodyBytes,
        ENV.secretMaxAgeSeconds,
        ENV.tokenRotationGraceHours,
      ].sort(),
    );
  });

  it.each([
    [ENV.tableName, () => ref(ids.table)],
    [ENV.topicArn, () => ref(ids.topic)],
    [ENV.webhookTokenSecretArn, () => ref(ids.webhookSecret)],
    [ENV.maxBodyBytes, () => String(DEFAULTS.maxBodyBytes)],
    [ENV.secretMaxAgeSeconds, () => String(DEFAULTS.secretMaxAgeSeconds)],
    [ENV.tokenRotationGraceHours, () => String(DEFAULTS.tokenRotationGraceHours)],
  ])('sets %s to the right value', (name, expected) => {
    expect(envOf(ids.ingest)[name]).toEqual(expected());
  });

  it('may write and read single items of the table, publish to the topic with its key, read the webhook token, and write its logs: nothing else', () => {
    expect(permissionsOfRole(template, ids.ingestRole)).toEqual({
      'logs:CreateLogStream': [json(arnOf(ids.ingestLogs))],
      'logs:PutLogEvents': [json(arnOf(ids.ingestLogs))],
      'dynamodb:PutItem': [json(arnOf(ids.table))],
      'dynamodb:UpdateItem': [json(arnOf(ids.table))],
      'dynamodb:GetItem': [json(arnOf(ids.table))],
      'sns:Publish': [json(ref(ids.topic))],
      'kms:GenerateDataKey': [json(arnOf(ids.key))],
      'kms:Decrypt': [json(arnOf(ids.key))],
      'secretsmanager:GetSecretValue': [json(ref(ids.webhookSecret))],
    });
  });

  it('cannot read the read token', () => {
    expect(json(statementsOfRole(template, ids.ingestRole))).not.toContain(ids.readSecret);
  });
});

describe('the connections function', () => {
  it('sets exactly the contract variables it reads', () => {
    expect(Object.keys(envOf(ids.connections)).sort()).toEqual(
      [
        'NODE_OPTIONS',
        'POWERTOOLS_SERVICE_NAME',
        ENV.metricsNamespace,
        ENV.metricsService,
        ENV.tableName,
        ENV.readTokenSecretArn,
        ENV.secretMaxAgeSeconds,
        ENV.tokenRotationGraceHours,
      ].sort(),
    );
  });

  it.each([
    [ENV.tableName, () => ref(ids.table)],
    [ENV.readTokenSecretArn, () => ref(ids.readSecret)],
    [ENV.secretMaxAgeSeconds, () => String(DEFAULTS.secretMaxAgeSeconds)],
    [ENV.tokenRotationGraceHours, () => String(DEFAULTS.tokenRotationGraceHours)],
  ])('sets %s to the right value', (name, expected) => {
    expect(envOf(ids.connections)[name]).toEqual(expected());
  });

  it('may query the table and its time index, get and batch-get items, read the read token, and write its logs: nothing else', () => {
    const byTimeIndexArn = {
      'Fn::Join': ['', [arnOf(ids.table), `/index/${NEXT_TABLE_INDEXES.byTime.name}`]],
    };
    expect(permissionsOfRole(template, ids.connectionsRole)).toEqual({
      'logs:CreateLogStream': [json(arnOf(ids.connectionsLogs))],
      'logs:PutLogEvents': [json(arnOf(ids.connectionsLogs))],
      'dynamodb:Query': [json(arnOf(ids.table)), json(byTimeIndexArn)].sort(),
      'dynamodb:GetItem': [json(arnOf(ids.table))],
      'dynamodb:BatchGetItem': [json(arnOf(ids.table))],
      'secretsmanager:GetSecretValue': [json(ref(ids.readSecret))],
    });
  });

  it('cannot read the webhook token, publish, or write the table', () => {
    const statements = json(statementsOfRole(template, ids.connectionsRole));
    expect(statements).not.toContain(ids.webhookSecret);
    expect(statements).not.toMatch(/sns:|kms:|dynamodb:(Put|Update|Delete|BatchWrite|Scan)/);
  });
});
