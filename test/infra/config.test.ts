/**
 * Configuration from the CDK context: defaults, coercion of `-c key=value` strings, and a clear
 * error naming the key and the value for anything bad. No synthesis here: `loadConfig` is pure.
 */
import { App, RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../lambda/contract.ts';
import { ConfigError, loadConfig } from '../../lib/config.ts';
import { projectContext } from './support.ts';

const DEFAULT_CONFIG = {
  stackName: 'LeadsieWebhooks',
  throttleRateLimit: 10,
  throttleBurstLimit: 20,
  maxBodyBytes: DEFAULTS.maxBodyBytes,
  secretMaxAgeSeconds: DEFAULTS.secretMaxAgeSeconds,
  logRetentionDays: 90,
  tableDeletionProtection: true,
  removalPolicy: RemovalPolicy.RETAIN,
  lambdaMemoryMb: 512,
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
        logRetentionDays: '30',
        tableDeletionProtection: 'false',
        removalPolicy: 'destroy',
        lambdaMemoryMb: '1024',
      }),
    ).toEqual({
      ...DEFAULT_CONFIG,
      throttleRateLimit: 2.5,
      throttleBurstLimit: 50,
      maxBodyBytes: 1024,
      secretMaxAgeSeconds: 60,
      logRetentionDays: 30,
      tableDeletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
      lambdaMemoryMb: 1024,
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
    ['secretMaxAgeSeconds', 0],
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
