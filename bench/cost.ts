/**
 * Cost per 1 million webhooks on AWS, itemised, from:
 * - prices and stated assumptions: `bench/prices.json` (region, date, source of each price);
 * - what the code sends per event: `bench/sdk-calls.json`, counted against moto by
 *   `test/bench/sdk-calls.moto.test.ts` (which fails if the file and the code disagree);
 * - the memory sizes of the synthesized functions, and the durations this run measured (compute
 *   per event, cold-start import), plus the assumed AWS round trips of the counted calls.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';
import type { ColdStartResult } from './cold-start.ts';
import type { PerEventResult } from './per-event.ts';
import type { Synthesized } from './synth.ts';

interface Price {
  usd: number;
  per: number;
  note?: string;
  source: string;
}

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
    consumers: ('slackNotifier' | 'crmUpdater')[];
    coldStartShare: number;
    awsCallMs: Record<string, number>;
    targetHttpMs: number;
    consumerBatchSize: number;
    sqsRequestsPerMessage: number;
    kmsDataKeyReuseSeconds: number;
    lambdaPlatformLogBytesPerInvocation: number;
    monthSeconds: number;
    [note: string]: unknown;
  };
}

interface Tally {
  calls: Record<string, number>;
  dynamodb: { writeUnits: number; readUnits: number };
  logBytes: number;
}

export interface SdkCalls {
  payload: { fixture: string; bytes: number };
  ingest: { newDelivery: Tally; duplicate: Tally; perContainer: Record<string, number> };
  slackNotifier: { perEvent: Tally; perContainer: Record<string, number> };
  crmUpdater: { perEvent: Tally; perContainer: Record<string, number> };
}

export interface CostLine {
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
  /** Billed duration of one warm invocation, ms (rounded up), and what it is made of. */
  warmMs: number;
  warmBasis: string;
  /** Init duration billed on a cold start, ms (the measured import cost). */
  initMs: number;
  gbSeconds: number;
}

export interface CostResult {
  webhooks: number;
  region: string;
  pricesCompiled: string;
  lines: CostLine[];
  totalUsd: number;
  fixedMonthly: CostLine[];
  fixedMonthlyUsd: number;
  functions: FunctionModel[];
  perDuplicate: {
    calls: Record<string, number>;
    writeUnits: number;
    readUnits: number;
    usdPerMillion: number;
  };
  zapier: { plan: string; tasks: number; usdAtPlanRate: number; usdAtOverageRate: number; note: string };
  assumptions: string[];
  sdkCallsFile: string;
  pricesFile: string;
}

export const PRICES_FILE = path.join(REPO_ROOT, 'bench', 'prices.json');
export const SDK_CALLS_FILE = path.join(REPO_ROOT, 'bench', 'sdk-calls.json');

export const loadPrices = (): Prices => JSON.parse(readFileSync(PRICES_FILE, 'utf8')) as Prices;
export const loadSdkCalls = (): SdkCalls => JSON.parse(readFileSync(SDK_CALLS_FILE, 'utf8')) as SdkCalls;

const cost = (prices: Prices, key: string, quantity: number): number => {
  const price = prices.prices[key];
  if (!price) throw new Error(`bench/prices.json has no price "${key}"`);
  return (quantity * price.usd) / price.per;
};

const callMs = (prices: Prices, calls: Record<string, number>): number =>
  Object.entries(calls).reduce((sum, [call, n]) => {
    const service = call.split('.')[0] as string;
    const ms = prices.assumptions.awsCallMs[service];
    if (ms === undefined) throw new Error(`bench/prices.json has no round trip for ${service}`);
    return sum + ms * n;
  }, 0);

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export const costModel = (input: {
  prices: Prices;
  calls: SdkCalls;
  synth: Pick<Synthesized, 'bundles'>;
  coldStart?: ColdStartResult;
  perEvent?: PerEventResult;
  webhooks?: number;
}): CostResult => {
  const { prices, calls, synth } = input;
  const a = prices.assumptions;
  const n = input.webhooks ?? 1_000_000;
  const memoryOf = (handler: string): number => {
    const fn = synth.bundles.find((b) => b.handler === handler)?.functions[0];
    if (!fn) throw new Error(`the synthesized stack has no ${handler} function`);
    return fn.memoryMb;
  };
  const initMsOf = (handler: string): number =>
    input.coldStart?.rows.find((r) => r.handler === handler)?.bundleMs.median ?? 0;
  // Compute per event measured at 10 assets (the Zapier comparison's size); µs → ms.
  const at10 = input.perEvent?.rows.find((r) => r.assets === 10);
  const ingestComputeMs = at10
    ? (at10.parseValidateFlattenUs.median + at10.fingerprintUs.median + 2 * at10.envelopeUs.median) / 1000
    : 0;
  const consumerComputeMs = at10 ? at10.consumerReadUs.median / 1000 : 0;

  const fnModel = (
    handler: 'ingest' | 'slackNotifier' | 'crmUpdater',
    invocations: number,
    warmCalls: Record<string, number>,
    computeMs: number,
    httpMs: number,
    perContainer: Record<string, number>,
  ): FunctionModel => {
    const memoryMb = memoryOf(handler);
    const awsMs = callMs(prices, warmCalls);
    const warmMs = Math.ceil(computeMs + awsMs + httpMs);
    const initMs = Math.ceil(initMsOf(handler));
    const coldExtraMs = callMs(prices, perContainer);
    const cold = invocations * a.coldStartShare;
    const billedMs = invocations * warmMs + cold * (initMs + coldExtraMs);
    return {
      handler,
      memoryMb,
      invocations,
      warmMs,
      warmBasis: `${computeMs.toFixed(2)} ms compute (measured) + ${awsMs} ms AWS calls (${
        Object.entries(warmCalls)
          .map(([c, k]) => `${k}x ${c}`)
          .join(', ') || 'none'
      })${httpMs ? ` + ${httpMs} ms HTTPS to the target` : ''}`,
      initMs,
      gbSeconds: (memoryMb / 1024) * (billedMs / 1000),
    };
  };

  const consumerInvocations = n / a.consumerBatchSize;
  const functions: FunctionModel[] = [
    fnModel('ingest', n, calls.ingest.newDelivery.calls, ingestComputeMs, 0, calls.ingest.perContainer),
  ];
  const consumerTallies: Tally[] = [];
  for (const consumer of a.consumers) {
    const tally = calls[consumer].perEvent;
    consumerTallies.push(tally);
    functions.push(
      fnModel(
        consumer,
        consumerInvocations,
        tally.calls,
        consumerComputeMs,
        a.targetHttpMs,
        calls[consumer].perContainer,
      ),
    );
  }

  const invocations = sum(functions.map((f) => f.invocations));
  const coldStarts = invocations * a.coldStartShare;
  const writeUnits =
    n *
    (calls.ingest.newDelivery.dynamodb.writeUnits + sum(consumerTallies.map((t) => t.dynamodb.writeUnits)));
  const readUnits =
    n * (calls.ingest.newDelivery.dynamodb.readUnits + sum(consumerTallies.map((t) => t.dynamodb.readUnits)));
  const publishes = n * (calls.ingest.newDelivery.calls['SNS.Publish'] ?? 0);
  const deliveries = publishes * a.consumers.length;
  const sqsRequests = deliveries * a.sqsRequestsPerMessage;
  const kmsRequests = Math.min(publishes, a.monthSeconds / a.kmsDataKeyReuseSeconds);
  // Each function re-reads its secret once per container per max age (300 s), and on every cold start.
  const secretReadsPerContainer = a.monthSeconds / 300;
  const functionsWithSecrets = 1 + a.consumers.length;
  const secretCalls = Math.min(invocations, functionsWithSecrets * secretReadsPerContainer) + coldStarts;
  const logBytes =
    n * (calls.ingest.newDelivery.logBytes + sum(consumerTallies.map((t) => t.logBytes))) +
    invocations * a.lambdaPlatformLogBytesPerInvocation;
  const gbSeconds = sum(functions.map((f) => f.gbSeconds));

  const line = (item: string, key: string, quantity: number, unit: string, basis: string): CostLine => ({
    item,
    quantity,
    unit,
    usd: cost(prices, key, quantity),
    basis,
  });
  const lines: CostLine[] = [
    line('API Gateway (HTTP API) requests', 'apiGatewayHttpRequest', n, 'requests', 'one per webhook'),
    line(
      'Lambda requests',
      'lambdaRequest',
      invocations,
      'invocations',
      `ingest 1 + ${a.consumers.length} consumers x 1 per batch of ${a.consumerBatchSize}`,
    ),
    line(
      'Lambda compute (arm64)',
      'lambdaGbSecondArm64',
      gbSeconds,
      'GB-seconds',
      functions.map((f) => `${f.handler} ${f.memoryMb} MB x ${f.warmMs} ms`).join(', ') +
        `; ${(a.coldStartShare * 100).toFixed(0)}% cold starts add their measured init`,
    ),
    line(
      'DynamoDB write request units',
      'dynamodbWriteRequestUnit',
      writeUnits,
      'WRU',
      `${calls.ingest.newDelivery.dynamodb.writeUnits} per new delivery (counted: ${Object.entries(
        calls.ingest.newDelivery.calls,
      )
        .filter(([c]) => c.startsWith('DynamoDB'))
        .map(([c, k]) => `${k}x ${c.replace('DynamoDB.', '')}`)
        .join(', ')}; item and index sizes of the ${calls.payload.bytes}-byte fixture)`,
    ),
    line(
      'DynamoDB read request units',
      'dynamodbReadRequestUnit',
      readUnits,
      'RRU',
      `${calls.ingest.newDelivery.dynamodb.readUnits} in ingest (no read before write); ${sum(consumerTallies.map((t) => t.dynamodb.readUnits))} in the consumers (the CRM's stale-event check)`,
    ),
    line(
      'SNS publishes',
      'snsPublish',
      publishes,
      'requests',
      'one per new delivery (the envelope is well under 64 KB)',
    ),
    line(
      'SNS deliveries to SQS',
      'snsDeliveryToSqs',
      deliveries,
      'deliveries',
      `${a.consumers.length} subscribed queues; not charged`,
    ),
    line(
      'SQS requests',
      'sqsRequest',
      sqsRequests,
      'requests',
      `${a.sqsRequestsPerMessage} per message per queue (send, receive, delete)`,
    ),
    line(
      'KMS requests',
      'kmsRequest',
      kmsRequests,
      'requests',
      `SNS reuses a data key for ${a.kmsDataKeyReuseSeconds} s: at most one GenerateDataKey per window`,
    ),
    line(
      'Secrets Manager API calls',
      'secretsManagerApiCall',
      secretCalls,
      'calls',
      `cached per container (${Object.keys(calls.ingest.perContainer).join(', ')} once per container, re-read every 300 s): none per event`,
    ),
    line(
      'CloudWatch Logs ingestion',
      'cloudWatchLogsIngestedGb',
      logBytes / 1024 ** 3,
      'GB',
      `${Math.round(logBytes / n)} bytes per webhook: ${calls.ingest.newDelivery.logBytes} ingest + ${sum(consumerTallies.map((t) => t.logBytes))} consumers (counted) + ${a.lambdaPlatformLogBytesPerInvocation} per invocation from Lambda itself`,
    ),
  ];
  const fixedMonthly: CostLine[] = [
    line('KMS customer-managed key (the topic)', 'kmsKeyMonth', 1, 'keys', 'per month'),
    line(
      'Secrets Manager secrets',
      'secretsManagerSecretMonth',
      2 + a.consumers.length,
      'secrets',
      'two tokens and one per consumer, per month',
    ),
    line(
      'SQS idle polling by the event source mappings',
      'sqsRequest',
      a.consumers.length * 5 * 3 * 60 * 24 * 30,
      'requests',
      '~5 long-polling pollers per queue, 3 empty receives a minute each, whatever the traffic',
    ),
  ];
  const totalUsd = sum(lines.map((l) => l.usd));
  const z = prices.zapier;
  const tasks = n * z.tasksPerWebhook;
  const rate = z.usdPerMonth / z.tasksPerMonth;
  const dup = calls.ingest.duplicate;
  return {
    webhooks: n,
    region: prices.region,
    pricesCompiled: prices.compiled,
    lines,
    totalUsd,
    fixedMonthly,
    fixedMonthlyUsd: sum(fixedMonthly.map((l) => l.usd)),
    functions,
    perDuplicate: {
      calls: dup.calls,
      writeUnits: dup.dynamodb.writeUnits,
      readUnits: dup.dynamodb.readUnits,
      usdPerMillion:
        cost(prices, 'apiGatewayHttpRequest', 1e6) +
        cost(prices, 'lambdaRequest', 1e6) +
        cost(prices, 'dynamodbWriteRequestUnit', 1e6 * dup.dynamodb.writeUnits) +
        cost(prices, 'dynamodbReadRequestUnit', 1e6 * dup.dynamodb.readUnits),
    },
    zapier: {
      plan: z.plan,
      tasks,
      usdAtPlanRate: tasks * rate,
      usdAtOverageRate: tasks * rate * z.overageMultiplier,
      note: `${z.tasksPerWebhook} tasks per webhook (${z.tasksPerWebhookNote}); ${z.note}`,
    },
    assumptions: [
      `${(a.coldStartShare * 100).toFixed(0)}% of invocations are cold starts`,
      `AWS round trips: ${Object.entries(a.awsCallMs)
        .map(([s, ms]) => `${s} ${ms} ms`)
        .join(', ')}; HTTPS to Slack/HubSpot ${a.targetHttpMs} ms`,
      `consumers: ${a.consumers.join(', ')}, ${a.consumerBatchSize} record per invocation`,
      'every webhook a new delivery (a redelivery costs what perDuplicate says, and publishes nothing)',
      `payload: ${calls.payload.fixture} (${calls.payload.bytes} bytes); compute per event measured at 10 assets`,
    ],
    sdkCallsFile: path.relative(REPO_ROOT, SDK_CALLS_FILE),
    pricesFile: path.relative(REPO_ROOT, PRICES_FILE),
  };
};
