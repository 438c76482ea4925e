/**
 * The email notifier's settings as its function reads them: read once from the environment,
 * with defaults where the contract has them, and a ConfigurationError naming the variable for
 * anything missing or malformed (so a bad setting stops the function at cold start).
 */
import { describe, expect, it } from 'vitest';
import {
  defaultDeps as emailDeps,
  senderEnv,
  settingsFromEnv,
} from '../../../lambda/consumers/email/handler.ts';
import { EMAIL_FACTS, emailEnvironment, emailSettings } from '../../../lambda/consumers/email/settings.ts';
import { readEnv } from '../../../lambda/consumers/settings.ts';
import { ENV } from '../../../lambda/contract.ts';
import { ConfigurationError } from '../../../lambda/shared/env.ts';
import { silentLogger } from '../../support/logger.ts';

const consumerEnv = {
  AWS_REGION: 'us-east-1',
  [ENV.consumerName]: 'c',
  [ENV.deadLetterQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/c-dlq',
  [ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/c',
  [ENV.tableName]: 'connections',
};

const configError = (fn: () => unknown): ConfigurationError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
};

describe('email notifier settings', () => {
  const team = { [ENV.emailTeamRecipients]: '["team@agency.example"]' };

  it('defaults the statuses to PARTIAL_SUCCESS and FAILED, and client emails to off', () => {
    expect(settingsFromEnv(team)).toEqual({
      teamRecipients: ['team@agency.example'],
      teamStatuses: ['PARTIAL_SUCCESS', 'FAILED'],
    });
  });

  it('turns client emails on with the default template, or the agency’s, and the address mapping', () => {
    const settings = settingsFromEnv({
      ...team,
      [ENV.emailTeamStatuses]: '["FAILED"]',
      [ENV.emailClientEnabled]: 'true',
      [ENV.emailClientAddresses]: '{"lead-7731":"owner@bluebird.example"}',
      [ENV.emailClientTemplate]: 'Subject: Thanks {{clientName}}\n\nHi!',
    });
    expect(settings.teamStatuses).toEqual(['FAILED']);
    expect(settings.client?.addresses).toEqual({ 'lead-7731': 'owner@bluebird.example' });
    expect(settings.client?.template.subject).toEqual([
      { literal: 'Thanks ' },
      { placeholder: 'clientName' },
    ]);
    expect(
      settingsFromEnv({ [ENV.emailClientEnabled]: 'true' }).client?.template.body.length,
    ).toBeGreaterThan(1);
  });

  it.each([
    ['nothing to send', {}, /nothing to send: set EMAIL_TEAM_RECIPIENTS .* or EMAIL_CLIENT_ENABLED=true/],
    [
      'recipients not JSON',
      { [ENV.emailTeamRecipients]: 'team@agency.example' },
      /EMAIL_TEAM_RECIPIENTS must be JSON/,
    ],
    [
      'a bad recipient',
      { [ENV.emailTeamRecipients]: '["team@agency.example","nope"]' },
      /EMAIL_TEAM_RECIPIENTS \(1\): not an email address/,
    ],
    [
      'statuses not a list',
      { ...team, [ENV.emailTeamStatuses]: '"FAILED"' },
      /EMAIL_TEAM_STATUSES: expected a list of statuses/,
    ],
    [
      'a bad switch',
      { ...team, [ENV.emailClientEnabled]: 'yes' },
      /EMAIL_CLIENT_ENABLED: expected true or false/,
    ],
    [
      'a bad mapped address',
      { ...team, [ENV.emailClientEnabled]: 'true', [ENV.emailClientAddresses]: '{"u":"x"}' },
      /EMAIL_CLIENT_ADDRESSES \(u\): not an email address/,
    ],
    [
      'a bad template',
      { ...team, [ENV.emailClientEnabled]: 'true', [ENV.emailClientTemplate]: 'Hello' },
      /EMAIL_CLIENT_TEMPLATE: the template must start with a "Subject: …" line/,
    ],
  ])('refuses %s', (_name, env, message) => {
    expect(configError(() => settingsFromEnv(env)).message).toMatch(message);
  });

  it('takes a sender address with or without a display name', () => {
    expect(senderEnv({ [ENV.emailFrom]: 'ops@agency.example' })).toBe('ops@agency.example');
    expect(senderEnv({ [ENV.emailFrom]: 'Agency Ops <ops@agency.example>' })).toBe(
      'Agency Ops <ops@agency.example>',
    );
    expect(configError(() => senderEnv({ [ENV.emailFrom]: 'Agency Ops' })).message).toMatch(
      /EMAIL_FROM: expected an address/,
    );
    expect(configError(() => senderEnv({})).message).toMatch(/EMAIL_FROM is required/);
  });

  it('builds its dependencies without a consumer secret', () => {
    const deps = emailDeps(silentLogger(), {
      ...consumerEnv,
      ...team,
      [ENV.emailFrom]: 'ops@agency.example',
    });
    expect(deps.name).toBe('c');
  });
});

describe('client allowed domains and link hosts: the context, and the variables they become', () => {
  const base = { from: 'ops@agency.example', teamRecipients: ['team@agency.example'] };

  it('encodes the allowed domains (client emails on) and link hosts, and reads them back by the same rules', () => {
    const settings = emailSettings.parse({
      ...base,
      client: { enabled: true, allowedDomains: ['kestrel.example'] },
      linkHosts: ['crm.agency.example'],
    });
    const env = Object.fromEntries(emailEnvironment(settings));
    expect(JSON.parse(env[ENV.emailClientAllowedDomains] ?? '')).toEqual(['kestrel.example']);
    expect(JSON.parse(env[ENV.linkHosts] ?? '')).toEqual(['crm.agency.example']);
    const read = readEnv(EMAIL_FACTS, env);
    expect(read.clientAllowedDomains).toEqual(['kestrel.example']);
    expect(read.linkHosts).toEqual(['crm.agency.example']);
  });

  it('sets no allowed domains while client emails are off', () => {
    const settings = emailSettings.parse({ ...base, client: { allowedDomains: ['kestrel.example'] } });
    expect(Object.fromEntries(emailEnvironment(settings))).not.toHaveProperty(ENV.emailClientAllowedDomains);
  });

  it.each([
    ['an address as a domain', { client: { enabled: true, allowedDomains: ['a@kestrel.example'] } }],
    ['a URL as a domain', { client: { enabled: true, allowedDomains: ['https://kestrel.example'] } }],
    ['a URL as a link host', { linkHosts: ['https://crm.agency.example'] }],
    ['a wildcard link host', { linkHosts: ['*.agency.example'] }],
  ])('refuses %s', (_, extra) => {
    expect(emailSettings.safeParse({ ...base, ...extra }).success).toBe(false);
  });
});
