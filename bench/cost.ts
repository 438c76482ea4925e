/**
 * Cost per 1 million webhooks on AWS, itemised, at 1, 10 and 100 assets per payload, with ingest
 * apart from each consumer's added cost, from:
 * - prices and stated assumptions: `bench/prices.json` (region, date, source of each price, and the
 *   list of assumptions that changed);
 * - what the code sends per event at each size: `bench/sdk-calls.json`, counted against moto by
 *   `test/bench/sdk-calls.moto.test.ts` (write units from the item sizes and the table's index
 *   projections: `bench/dynamodb-capacity.ts`);
 * - the synthesized template: memory sizes, the consumers' batch size and window, the system log
 *   level, and the count of keys, alarms, dashboards and metric filters;
 * - the durations this run measured (compute per event at each size, cold-start import), plus the
 *   assumed AWS round trips of the counted calls.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connectionsTableDefinition } from '../lambda/adapters/connections-table-definition.ts';
import { METRIC_NAMES } from '../lambda/contract.ts';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';
import { ACCESS_LOG_FIELDS } from '../lib/constructs/ingest-api.ts';
import type { ColdStartResult } from './cold-start.ts';
import { layoutOf, writeUnits } from './dynamodb-capacity.ts';
import type { PerEventResult } from './per-event.ts';
import type { Synthesized } from './synth.ts';

interface Price {
  usd: number;
  per: number;
  note?: string;
  source: string;
}

/** The consumers the cost model prices, by bundle name (`bench/prices.json` lists them). */
type Consumer = 'slack' | 'forward';

export interface Prices {
  region: string;
  currency: string;
  compiled: string;
  pricesAsOf: string;
  prices: Record<string, Price>;
  zapier: {
    plan: string;
    usdPerMonth: number;
    tasksPerMonth: number;
    overageMultiplier: number;
    tasksPerWebhook: number;
    tasksPerWebhookNote: string;
    note: string;
    sources: string[];
  };
  assumptions: {
    consumers: Consumer[];
    coldStartShare: number;
    awsCallMs: Record<string, number>;
    targetHttpMs: number;
    kmsDataKeyReuseSeconds: number;
    lambdaPlatformLogBytesPerInvocation: number;
    monthSeconds: number;
    webhooksPerMonth: number;
    outcomeWritesPerEvent: number;
    [note: string]: unknown;
  };
  assumptionChanges: { what: string; before: string; now: string; why: string }[];
}

interface Tally {
  calls: Record<string, number>;
  dynamodb: {
    writeUnits: number;
    readUnits: number;
    writes: { call: string; table: number; indexes: Record<string, number> }[];
  };
  logBytes: number;
}

export interface SizeCalls {
  payloadBytes: number;
  messageBytes: number;
  ingest: Tally;
  slack: Tally;
  forward: Tally;
}

export interface SdkCalls {
  payload: string;
  indexes: string[];
  sizes: Record<string, SizeCalls>;
  duplicate: Tally;
  perContainer: Record<'ingest' | Consumer, Record<string, number>>;
}

export interface CostLine {
  /** `ingest`, a consumer, or `fixed`. */
  part: string;
  item: string;
  quantity: number;
  unit: string;
  usd: number;
  basis: string;
}

export interface FunctionModel {
  handler: string;
  memoryMb: number;
  invocations: number;
  /** Records per invocation (1 for ingest). */
  batch: number;
  /** Billed duration of one warm invocation, ms (rounded up), and what it is made of. */
  warmMs: number;
  warmBasis: string;
  /** Init duration billed on a cold start, ms (the measured import cost). */
  initMs: number;
  gbSeconds: number;
}

export interface SizeCost {
  assets: number;
  payloadBytes: number;
  messageBytes: number;
  ingestWriteUnits: number;
  lines: CostLine[];
  /** Cost of each part (ingest, then each consumer's added cost). */
  parts: Record<string, number>;
  totalUsd: number;
  functions: FunctionModel[];
}

export interface CostResult {
  webhooks: number;
  region: string;
  pricesCompiled: string;
  /** The size the itemised table shows (the Zapier comparison's). */
  headlineAssets: number;
  sizes: SizeCost[];
  fixedMonthly: CostLine[];
  fixedMonthlyUsd: number;
  perDuplicate: {
    calls: Record<string, number>;
    writeUnits: number;
    readUnits: number;
    usdPerMillion: number;
  };
  zapier: { plan: string; tasks: number; usdAtPlanRate: number; usdAtOverageRate: number; note: string };
  indexes: string[];
  assumptions: string[];
  assumptionChanges: Prices['assumptionChanges'];
  sdkCallsFile: string;
  pricesFile: string;
}

export const PRICES_FILE = path.join(REPO_ROOT, 'bench', 'prices.json');
export const SDK_CALLS_FILE = path.join(REPO_ROOT, 'bench', 'sdk-calls.json');

export const loadPrices = (): Prices => JSON.parse(readFileSync(PRICES_FILE, 'utf8')) as Prices;
export const loadSdkCalls = (): SdkCalls => JSON.parse(readFileSync(SDK_CALLS_FILE, 'utf8')) as SdkCalls;

/** Representative values of the access log's `$context` variables, as API Gateway fills them. */
export const ACCESS_LOG_SAMPLE: Record<string, string> = {
  '$context.requestId': 'AbCdEfGhIAMEbQ=',
  '$context.apiId': 'a1b2c3d4e5',
  '$context.extendedRequestId': 'AbCdEfGhIAMEbQ=',
  '$context.requestTime': '02/Mar/2026:14:21:12 +0000',
  '$context.requestTimeEpoch': '1772461272000',
  '$context.identity.sourceIp': '203.0.113.17',
  '$context.identity.userAgent': 'axios/1.7.9',
  '$context.protocol': 'HTTP/1.1',
  '$context.httpMethod': 'POST',
  '$context.routeKey': 'POST /leadsie/webhook',
  '$context.status': '200',
  '$context.responseLength': '96',
  '$context.responseLatency': '61',
  '$context.integration.status': '200',
  '$context.integration.latency': '58',
  '$context.integration.error': '-',
  '$context.integrationErrorMessage': '-',
  '$context.error.message': '-',
};

/** Bytes of one access-log line in the stack's format, with the sample values. */
export const accessLogBytes = (): number => {
  const line = Object.fromEntries(
    Object.entries(ACCESS_LOG_FIELDS).map(([name, variable]) => {
      const value = ACCESS_LOG_SAMPLE[variable];
      if (value === undefined) throw new Error(`bench/cost.ts has no sample value for ${variable}`);
      return [name, value];
    }),
  );
  return Buffer.byteLength(JSON.stringify(line));
};

/**
 * The delivery engine's outcome record of one event, claimed then marked done, with the attributes
 * its DynamoDB ledger writes (`lambda/consumers/runtime/dynamodb-outcomes.ts` on the engine's side):
 * keyed so that no index holds it while it is not dead-lettered.
 */
export const outcomeWriteUnits = (): { claim: number; done: number } => {
  const layout = layoutOf(connectionsTableDefinition('connections'));
  const eventId = '01KJQ3T6ZV8N4R2M5XW7Y9B0CD';
  const claimed = {
    [layout.partitionKey]: 'OUTCOME#slack#2026-03-02',
    ...(layout.sortKey ? { [layout.sortKey]: `${eventId}#3` } : {}),
    type: 'outcome',
    consumer: 'slack',
    eventId,
    version: 3,
    updatedAt: '2026-03-02T14:21:13.120Z',
    state: 'claimed',
    leaseUntil: 1772461303120,
    attempts: 1,
    steps: {},
    expiresAt: 1775053273,
  };
  const { leaseUntil: _lease, ...rest } = claimed;
  const done = {
    ...rest,
    updatedAt: '2026-03-02T14:21:13.300Z',
    state: 'done',
    detail: 'posted 200 in 180 ms',
  };
  return {
    claim: writeUnits(undefined, claimed, layout).total,
    done: writeUnits(claimed, done, layout).total,
  };
};

/** The app's custom metrics (name + dimension values): EMF from the functions, metric filters on logs. */
export const customMetricCount = (
  consumers: number,
  metricFilters: number,
): { count: number; basis: string } => {
  const errors = readFileSync(path.join(REPO_ROOT, 'lambda', 'domain', 'errors.ts'), 'utf8');
  // One WebhooksRejected series per error kind, plus the internal-error reason.
  const reasons = [...errors.matchAll(/readonly kind = '/g)].length + 1;
  const perConsumer = [
    METRIC_NAMES.deliveriesSucceeded,
    METRIC_NAMES.deliveriesRetried,
    METRIC_NAMES.deliveriesDeadLettered,
  ].length;
  const names = Object.keys(METRIC_NAMES).length;
  // Every name once with the service dimension; WebhooksRejected once per reason; consumer metrics
  // once per consumer; the API's metric filters are counted by the template.
  const emf = names - 1 - perConsumer - 1 + reasons + perConsumer * consumers;
  return {
    count: emf + metricFilters,
    basis: `${emf} EMF series (METRIC_NAMES: WebhooksRejected x ${reasons} reasons, 3 delivery metrics x ${consumers} consumers) + ${metricFilters} metric filters`,
  };
};

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const chunks64k = (bytes: number) => Math.max(1, Math.ceil(bytes / (64 * 1024)));

export const costModel = (input: {
  prices: Prices;
  calls: SdkCalls;
  synth: Pick<Synthesized, 'bundles' | 'template'>;
  coldStart?: ColdStartResult;
  perEvent?: PerEventResult;
  webhooks?: number;
}): CostResult => {
  const { prices, calls, synth } = input;
  const a = prices.assumptions;
  const n = input.webhooks ?? 1_000_000;
  const price = (key: string, quantity: number): number => {
    const p = prices.prices[key];
    if (!p) throw new Error(`bench/prices.json has no price "${key}"`);
    return (quantity * p.usd) / p.per;
  };
  const callMs = (callsMade: Record<string, number>): number =>
    Object.entries(callsMade).reduce((total, [call, k]) => {
      const service = call.split('.')[0] as string;
      const ms = a.awsCallMs[service];
      if (ms === undefined) throw new Error(`bench/prices.json has no round trip for ${service}`);
      return total + ms * k;
    }, 0);
  const memoryOf = (handler: string): number => {
    const fn = synth.bundles.find((b) => b.handler === handler)?.functions[0];
    if (!fn) throw new Error(`the synthesized stack has no ${handler} function`);
    return fn.memoryMb;
  };
  const initMsOf = (handler: string): number =>
    input.coldStart?.rows.find((r) => r.handler === handler)?.bundleMs.median ?? 0;
  const levels = synth.template.systemLogLevels;
  const platformBytes = (handler: string) =>
    (levels[handler as keyof typeof levels] ?? 'INFO') === 'WARN' ? 0 : a.lambdaPlatformLogBytesPerInvocation;
  const rate = a.webhooksPerMonth / a.monthSeconds;
  const outcome = outcomeWriteUnits();
  // Success path: the claim and the done mark; a consumer that skips the claim writes only on failure.
  const outcomeUnits = a.outcomeWritesPerEvent >= 2 ? outcome.claim + outcome.done : 0;
  const accessBytes = accessLogBytes();

  const sizes: SizeCost[] = Object.entries(calls.sizes)
    .map(([assets, c]) => ({ assets: Number(assets), c }))
    .sort((x, y) => x.assets - y.assets)
    .map(({ assets, c }) => {
      const row = input.perEvent?.rows.find((r) => r.assets === assets);
      const ingestComputeMs = row
        ? (row.parseValidateFlattenUs.median + row.fingerprintUs.median + 2 * row.envelopeUs.median) / 1000
        : 0;
      const consumerComputeMs = row ? row.consumerReadUs.median / 1000 : 0;
      const lines: CostLine[] = [];
      const functions: FunctionModel[] = [];
      const line = (part: string, item: string, key: string, quantity: number, unit: string, basis: string) =>
        lines.push({ part, item, quantity, unit, usd: price(key, quantity), basis });

      const fnModel = (
        handler: string,
        invocations: number,
        batch: number,
        perRecordCalls: Record<string, number>,
        computeMs: number,
        httpMs: number,
        perContainer: Record<string, number>,
      ): FunctionModel => {
        const memoryMb = memoryOf(handler);
        const awsMs = callMs(perRecordCalls);
        const warmMs = Math.ceil(batch * (computeMs + awsMs + httpMs));
        const initMs = Math.ceil(initMsOf(handler));
        const cold = invocations * a.coldStartShare;
        const billedMs = invocations * warmMs + cold * (initMs + callMs(perContainer));
        return {
          handler,
          memoryMb,
          invocations,
          batch,
          warmMs,
          warmBasis: `${batch === 1 ? '' : `${batch.toFixed(2)} records x (`}${computeMs.toFixed(2)} ms compute (measured) + ${awsMs} ms AWS calls (${
            Object.entries(perRecordCalls)
              .map(([call, k]) => `${k}x ${call}`)
              .join(', ') || 'none'
          })${httpMs ? ` + ${httpMs} ms HTTPS to the target` : ''}${batch === 1 ? '' : ')'}`,
          initMs,
          gbSeconds: (memoryMb / 1024) * (billedMs / 1000),
        };
      };

      // ── ingest ──
      const ing = c.ingest;
      const ingestFn = fnModel('ingest', n, 1, ing.calls, ingestComputeMs, 0, calls.perContainer.ingest);
      functions.push(ingestFn);
      const publishes = n * (ing.calls['SNS.Publish'] ?? 0) * chunks64k(c.messageBytes);
      line(
        'ingest',
        'API Gateway (HTTP API) requests',
        'apiGatewayHttpRequest',
        n,
        'requests',
        'one per webhook (metered per 512 KB)',
      );
      line(
        'ingest',
        'API Gateway access logs',
        'cloudWatchLogsIngestedGbCustom',
        (n * accessBytes) / 1024 ** 3,
        'GB',
        `${accessBytes} bytes a request (ACCESS_LOG_FIELDS with sample values)`,
      );
      line('ingest', 'Lambda requests', 'lambdaRequest', n, 'invocations', 'one per webhook');
      line(
        'ingest',
        'Lambda compute (arm64)',
        'lambdaGbSecondArm64',
        ingestFn.gbSeconds,
        'GB-seconds',
        `${ingestFn.memoryMb} MB x ${ingestFn.warmMs} ms; ${(a.coldStartShare * 100).toFixed(0)}% cold starts add ${ingestFn.initMs} ms init`,
      );
      line(
        'ingest',
        'DynamoDB write request units',
        'dynamodbWriteRequestUnit',
        n * ing.dynamodb.writeUnits,
        'WRU',
        `${ing.dynamodb.writeUnits} a webhook: ${ing.dynamodb.writes
          .map(
            (w) =>
              `${w.call} ${w.table}${Object.entries(w.indexes)
                .map(([index, u]) => ` + ${index} ${u}`)
                .join('')}`,
          )
          .join('; ')}`,
      );
      if (ing.dynamodb.readUnits > 0)
        line(
          'ingest',
          'DynamoDB read request units',
          'dynamodbReadRequestUnit',
          n * ing.dynamodb.readUnits,
          'RRU',
          'counted',
        );
      line(
        'ingest',
        'SNS publishes',
        'snsPublish',
        publishes,
        'requests',
        `one per new delivery per 64 KB chunk (the message is ${c.messageBytes} bytes)`,
      );
      line(
        'ingest',
        'KMS requests (topic key)',
        'kmsRequest',
        Math.min(publishes, a.monthSeconds / a.kmsDataKeyReuseSeconds),
        'requests',
        `SNS reuses a data key for ${a.kmsDataKeyReuseSeconds} s: at most one GenerateDataKey per window`,
      );
      line(
        'ingest',
        'Secrets Manager API calls',
        'secretsManagerApiCall',
        Math.min(n, a.monthSeconds / 300) + n * a.coldStartShare,
        'calls',
        'cached per container, re-read every 300 s and on each cold start',
      );
      line(
        'ingest',
        'CloudWatch Logs (Lambda)',
        'cloudWatchLogsIngestedGb',
        (n * (ing.logBytes + platformBytes('ingest'))) / 1024 ** 3,
        'GB',
        `${ing.logBytes} bytes application + EMF (counted) + ${platformBytes('ingest')} platform (system log level ${levels.ingest ?? 'INFO'})`,
      );

      // ── each consumer's added cost ──
      for (const consumer of a.consumers) {
        const t = c[consumer];
        const source = synth.template.eventSources.find((e) => e.handler === consumer) ?? {
          batchSize: 10,
          windowSeconds: 0,
        };
        // The poller hands over what arrived: at steady traffic, the window's worth, at least one.
        const batch = Math.min(source.batchSize, 1 + rate * source.windowSeconds);
        const invocations = n / batch;
        const fn = fnModel(
          consumer,
          invocations,
          batch,
          t.calls,
          consumerComputeMs,
          a.targetHttpMs,
          calls.perContainer[consumer],
        );
        functions.push(fn);
        const receiveChunks = chunks64k(batch * c.messageBytes);
        const sqs = n * chunks64k(c.messageBytes) + invocations * (receiveChunks + 1);
        line(
          consumer,
          'SQS requests',
          'sqsRequest',
          sqs,
          'requests',
          `SendMessage per message + ReceiveMessage and DeleteMessageBatch per batch of ${batch.toFixed(2)} (batch size ${source.batchSize}, window ${source.windowSeconds} s, at ${rate.toFixed(2)} webhooks/s)`,
        );
        line(
          consumer,
          'Lambda requests',
          'lambdaRequest',
          invocations,
          'invocations',
          `one per batch of ${batch.toFixed(2)}`,
        );
        line(
          consumer,
          'Lambda compute (arm64)',
          'lambdaGbSecondArm64',
          fn.gbSeconds,
          'GB-seconds',
          `${fn.memoryMb} MB x ${fn.warmMs} ms a batch; ${(a.coldStartShare * 100).toFixed(0)}% cold starts add ${fn.initMs} ms init`,
        );
        line(
          consumer,
          'DynamoDB write request units',
          'dynamodbWriteRequestUnit',
          n * (t.dynamodb.writeUnits + outcomeUnits),
          'WRU',
          `outcome record: claim ${outcome.claim} + done ${outcome.done} (delivery engine, modelled)${t.dynamodb.writeUnits ? ` + ${t.dynamodb.writeUnits} counted` : ''}`,
        );
        if (t.dynamodb.readUnits > 0)
          line(
            consumer,
            'DynamoDB read request units',
            'dynamodbReadRequestUnit',
            n * t.dynamodb.readUnits,
            'RRU',
            `${t.dynamodb.readUnits} counted (the stale-event check)`,
          );
        line(
          consumer,
          'Secrets Manager API calls',
          'secretsManagerApiCall',
          Math.min(invocations, a.monthSeconds / 300) + invocations * a.coldStartShare,
          'calls',
          'cached per container',
        );
        line(
          consumer,
          'CloudWatch Logs (Lambda)',
          'cloudWatchLogsIngestedGb',
          (n * t.logBytes + invocations * platformBytes(consumer)) / 1024 ** 3,
          'GB',
          `${t.logBytes} bytes a record (counted) + ${platformBytes(consumer)} platform a batch (system log level ${levels[consumer] ?? 'INFO'})`,
        );
      }

      const parts: Record<string, number> = {};
      for (const l of lines) parts[l.part] = (parts[l.part] ?? 0) + l.usd;
      return {
        assets,
        payloadBytes: c.payloadBytes,
        messageBytes: c.messageBytes,
        ingestWriteUnits: ing.dynamodb.writeUnits,
        lines,
        parts,
        totalUsd: sum(lines.map((l) => l.usd)),
        functions,
      };
    });

  const counts = synth.template.resourceCounts;
  const metrics = customMetricCount(a.consumers.length, counts['AWS::Logs::MetricFilter'] ?? 0);
  const queues = synth.template.eventSources.length;
  const fixed = (item: string, key: string, quantity: number, unit: string, basis: string): CostLine => ({
    part: 'fixed',
    item,
    quantity,
    unit,
    usd: price(key, quantity),
    basis,
  });
  const fixedMonthly: CostLine[] = [
    fixed(
      'KMS customer-managed keys',
      'kmsKeyMonth',
      counts['AWS::KMS::Key'] ?? 0,
      'keys',
      'the topic key and the alarm topic key (counted in the template)',
    ),
    fixed(
      'Secrets Manager secrets',
      'secretsManagerSecretMonth',
      2 + a.consumers.length,
      'secrets',
      'two tokens and one per consumer',
    ),
    fixed(
      'CloudWatch alarms',
      'cloudWatchAlarmMonth',
      counts['AWS::CloudWatch::Alarm'] ?? 0,
      'alarms',
      'counted in the template (every consumer on)',
    ),
    fixed(
      'CloudWatch dashboard',
      'cloudWatchDashboardMonth',
      counts['AWS::CloudWatch::Dashboard'] ?? 0,
      'dashboards',
      'counted in the template',
    ),
    fixed(
      'CloudWatch custom metrics',
      'cloudWatchCustomMetricMonth',
      metrics.count,
      'metrics',
      metrics.basis,
    ),
    fixed(
      'SQS idle polling by the event source mappings',
      'sqsRequest',
      a.consumers.length * 5 * 3 * 60 * 24 * 30,
      'requests',
      `~5 long-polling pollers per queue, 3 empty receives a minute each, for the ${a.consumers.length} modelled consumers (${queues} queues in the template)`,
    ),
  ];

  const z = prices.zapier;
  const tasks = n * z.tasksPerWebhook;
  const zRate = z.usdPerMonth / z.tasksPerMonth;
  const dup = calls.duplicate;
  const headline = sizes.find((x) => x.assets === 10) ?? (sizes[0] as SizeCost);
  const lastSize = sizes.at(-1);
  return {
    webhooks: n,
    region: prices.region,
    pricesCompiled: prices.compiled,
    headlineAssets: headline.assets,
    sizes,
    fixedMonthly,
    fixedMonthlyUsd: sum(fixedMonthly.map((l) => l.usd)),
    perDuplicate: {
      calls: dup.calls,
      writeUnits: dup.dynamodb.writeUnits,
      readUnits: dup.dynamodb.readUnits,
      usdPerMillion:
        price('apiGatewayHttpRequest', 1e6) +
        price('lambdaRequest', 1e6) +
        price('dynamodbWriteRequestUnit', 1e6 * dup.dynamodb.writeUnits) +
        price('dynamodbReadRequestUnit', 1e6 * dup.dynamodb.readUnits),
    },
    zapier: {
      plan: z.plan,
      tasks,
      usdAtPlanRate: tasks * zRate,
      usdAtOverageRate: tasks * zRate * z.overageMultiplier,
      note: `${z.tasksPerWebhook} tasks per webhook (${z.tasksPerWebhookNote}); ${z.note}`,
    },
    indexes: calls.indexes,
    assumptions: [
      `${a.webhooksPerMonth.toLocaleString('en-US')} webhooks a month, steady (${rate.toFixed(2)} a second); every one a new delivery (a redelivery costs what "a redelivery" says)`,
      `${(a.coldStartShare * 100).toFixed(0)}% of invocations are cold starts; init billed at the measured import time`,
      `AWS round trips: ${Object.entries(a.awsCallMs)
        .map(([service, ms]) => `${service} ${ms} ms`)
        .join(', ')}; HTTPS to the target ${a.targetHttpMs} ms; a batch's records handled one after another`,
      `consumers modelled: ${a.consumers.join(', ')}; each adds the delivery engine's outcome record (${a.outcomeWritesPerEvent} writes an event: claim + done)`,
      `table indexes as the table definition declares them: ${calls.indexes.join('; ')}`,
      `system log level: ${Object.entries(levels)
        .map(([h, l]) => `${h} ${l}`)
        .join(
          ', ',
        )} (INFO keeps the REPORT lines, whose init duration and max memory figures size the functions; WARN would drop ${a.lambdaPlatformLogBytesPerInvocation} bytes an invocation)`,
      `payloads: ${calls.payload}; ${lastSize ? `1 to ${lastSize.assets} assets` : ''}; compute per event measured at each size`,
      'fixed monthly costs counted with every consumer on (the bench synthesizes them all): an upper bound for alarms and metrics',
    ],
    assumptionChanges: prices.assumptionChanges,
    sdkCallsFile: path.relative(REPO_ROOT, SDK_CALLS_FILE),
    pricesFile: path.relative(REPO_ROOT, PRICES_FILE),
  };
};
