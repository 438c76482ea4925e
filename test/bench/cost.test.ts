/**
 * The cost model's arithmetic on the committed counts (bench/sdk-calls.json) and prices, with a
 * synthesized stack stood in by the few facts the model reads from it.
 */
import { describe, expect, it } from 'vitest';
import {
  ACCESS_LOG_SAMPLE,
  accessLogBytes,
  costModel,
  loadPrices,
  loadSdkCalls,
  outcomeWriteUnits,
} from '../../bench/cost.ts';
import type { Synthesized } from '../../bench/synth.ts';
import { ACCESS_LOG_FIELDS } from '../../lib/constructs/ingest-api.ts';

const synth = (windowSeconds: number, level = 'INFO'): Pick<Synthesized, 'bundles' | 'template'> => ({
  bundles: (['ingest', 'slack', 'forward'] as const).map((handler) => ({
    handler,
    entry: '',
    assetDir: '',
    functions: [
      {
        logicalId: handler,
        cdkPath: handler,
        memoryMb: 512,
        timeoutSeconds: 10,
        architecture: 'arm64',
        runtime: 'nodejs24.x',
        environment: {},
      },
    ],
  })),
  template: {
    resourceCounts: { 'AWS::KMS::Key': 2, 'AWS::CloudWatch::Alarm': 10, 'AWS::CloudWatch::Dashboard': 1 },
    eventSources: [
      { handler: 'slack', batchSize: 10, windowSeconds },
      { handler: 'forward', batchSize: 10, windowSeconds },
    ],
    systemLogLevels: { ingest: level, slack: level, forward: level },
  },
});

const model = (windowSeconds: number, level?: string) =>
  costModel({ prices: loadPrices(), calls: loadSdkCalls(), synth: synth(windowSeconds, level) });

describe('the cost model', () => {
  it('prices 1, 10 and 100 assets, and each total is ingest plus each consumer', () => {
    const result = model(0);
    expect(result.sizes.map((x) => x.assets)).toEqual([1, 10, 100]);
    for (const size of result.sizes) {
      expect(Object.keys(size.parts)).toEqual(['ingest', 'slack', 'forward']);
      expect(Object.values(size.parts).reduce((a, b) => a + b, 0)).toBeCloseTo(size.totalUsd, 9);
    }
    const [one, , hundred] = result.sizes;
    expect(hundred?.parts.ingest).toBeGreaterThan(one?.parts.ingest ?? Infinity);
  });

  it('fills a consumer batch with the traffic of its window: fewer invocations and SQS requests', () => {
    const lambdaRequests = (windowSeconds: number) =>
      model(windowSeconds).sizes[1]?.lines.find((l) => l.part === 'slack' && l.item === 'Lambda requests')
        ?.quantity ?? 0;
    expect(lambdaRequests(0)).toBe(1_000_000);
    // 1M a month is 0.386 a second: a 20 s window gathers 1 + 7.7 records.
    expect(lambdaRequests(20)).toBeCloseTo(1_000_000 / (1 + (20 * 1_000_000) / 2_592_000), 0);
  });

  it('prices the platform log lines only while the system log level keeps them', () => {
    const logs = (level: string) =>
      model(0, level).sizes[1]?.lines.find(
        (l) => l.part === 'ingest' && l.item === 'CloudWatch Logs (Lambda)',
      )?.usd ?? 0;
    expect(logs('WARN')).toBeLessThan(logs('INFO'));
  });

  it('counts the fixed monthly items from the template', () => {
    const fixed = model(0).fixedMonthly;
    expect(fixed.find((l) => l.item === 'KMS customer-managed keys')?.usd).toBe(2);
    expect(fixed.find((l) => l.item === 'CloudWatch alarms')?.usd).toBeCloseTo(1, 9);
    expect(fixed.find((l) => l.item === 'CloudWatch dashboard')?.usd).toBe(3);
    expect(fixed.find((l) => l.item === 'CloudWatch custom metrics')?.quantity).toBeGreaterThan(10);
  });

  it('states every changed assumption with its reason', () => {
    for (const change of model(0).assumptionChanges) {
      expect(change.why.length).toBeGreaterThan(0);
      expect(change.before).not.toBe(change.now);
    }
  });
});

describe('the modelled parts', () => {
  it('an outcome record is one small item on the table keys: one unit to claim, one to mark done', () => {
    expect(outcomeWriteUnits()).toEqual({ claim: 1, done: 1 });
  });

  it('has a sample value for every access-log field', () => {
    for (const variable of Object.values(ACCESS_LOG_FIELDS))
      expect(ACCESS_LOG_SAMPLE[variable]).toBeDefined();
    expect(accessLogBytes()).toBeGreaterThan(300);
  });
});
