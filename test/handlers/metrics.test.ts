/**
 * What the app counts, and how the counts leave a function:
 * - the use cases and the consumer loop count through the `Metrics` port (an in-memory tally here):
 *   duplicates, publishes and publish failures, the reconciler's backlog, each consumer's outcomes;
 * - the webhook route's middleware counts every request and every error answer by reason;
 * - the Powertools adapter writes valid CloudWatch EMF lines (namespace, dimensions, metric, unit),
 *   a count with an extra dimension on its own line, and no "no metrics" warning on an empty flush;
 * - without metrics (local mode) nothing is written.
 */
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PowertoolsMetrics } from '../../lambda/adapters/powertools-metrics.ts';
import type { DeadLetter } from '../../lambda/adapters/sqs-queues.ts';
import { makeDeliveryEngine } from '../../lambda/consumers/runtime/engine.ts';
import { InMemoryOutcomeLedger } from '../../lambda/consumers/runtime/memory-outcomes.ts';
import {
  ENV,
  INTERNAL_ERROR_REASON,
  METRIC_DIMENSIONS,
  METRIC_NAMES,
  METRICS_NAMESPACE,
} from '../../lambda/contract.ts';
import {
  BadRequestError,
  DeliveryInProgressError,
  DependencyUnavailableError,
  InvalidPayloadError,
  PayloadTooLargeError,
  PermanentDeliveryError,
  RetryableDeliveryError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../../lambda/domain/errors.ts';
import { type HttpEvent, type HttpResult, httpErrors, jsonResponse } from '../../lambda/shared/http.ts';
import {
  rejectionReason,
  webhookRequestMetrics,
  withHttpMiddleware,
  withSqsMiddleware,
} from '../../lambda/shared/middleware.ts';
import { type IngestDeps, ingestDelivery } from '../../lambda/use-cases/ingest-delivery.ts';
import type { Log } from '../../lambda/use-cases/ports.ts';
import { reconcilePending } from '../../lambda/use-cases/reconcile-pending.ts';
import { apiEvent } from '../support/api-event.ts';
import { sampleEnvelope } from '../support/envelopes.ts';
import { InMemoryConnectionStore, InMemoryEventPublisher } from '../support/fakes.ts';
import { silentLogger } from '../support/logger.ts';
import { InMemoryMetrics } from '../support/metrics.ts';
import { rawFixture } from '../unit/fixtures.ts';

const logger = silentLogger();
const NOW = Date.parse('2026-11-26T10:00:00.000Z');

/** Log that keeps its warnings, to assert on what Powertools says. */
const recordingLog = () => {
  const warnings: string[] = [];
  const log: Log = {
    info: () => undefined,
    warn: (message) => void warnings.push(message),
    error: (message) => void warnings.push(message),
  };
  return { log, warnings };
};

describe('ingestDelivery counts duplicates, publishes and publish failures', () => {
  const setup = () => {
    const metrics = new InMemoryMetrics();
    const store = new InMemoryConnectionStore();
    const publisher = new InMemoryEventPublisher();
    let ids = 0;
    const deps: IngestDeps = {
      store,
      quarantine: store,
      publisher,
      log: logger,
      now: () => new Date(NOW),
      newEventId: () => `01TESTEVENT${String(++ids).padStart(8, '0')}`,
      leaseMs: 30_000,
      metrics,
    };
    const json = rawFixture('v1-partial-success.json');
    const send = () => ingestDelivery(deps, { json, rawBody: JSON.stringify(json) });
    return { metrics, publisher, send };
  };

  it('a new delivery: one event published, nothing else', async () => {
    const { metrics, send } = setup();
    await send();
    expect(metrics.totals()).toEqual({ [METRIC_NAMES.eventsPublished]: 1 });
  });

  it('the same payload again: one duplicate, no second publish', async () => {
    const { metrics, send } = setup();
    await send();
    await send();
    expect(metrics.totals()).toEqual({
      [METRIC_NAMES.eventsPublished]: 1,
      [METRIC_NAMES.webhooksDuplicate]: 1,
    });
  });

  it('the topic failing: one publish failure; the redelivery that resumes it: a duplicate, then published', async () => {
    const { metrics, publisher, send } = setup();
    publisher.failWith();
    await expect(send()).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(metrics.totals()).toEqual({ [METRIC_NAMES.publishFailures]: 1 });
    publisher.heal();
    await expect(send()).resolves.toMatchObject({ duplicate: true });
    expect(metrics.totals()).toEqual({
      [METRIC_NAMES.publishFailures]: 1,
      [METRIC_NAMES.webhooksDuplicate]: 1,
      [METRIC_NAMES.eventsPublished]: 1,
    });
  });
});

describe('reconcilePending counts its publishes, failures and backlog', () => {
  it('writes the backlog of every run, 0 included, and what it published or failed to', async () => {
    const metrics = new InMemoryMetrics();
    const store = new InMemoryConnectionStore();
    const publisher = new InMemoryEventPublisher().failWith();
    const json = rawFixture('v1-failed.json');
    const deps = {
      store,
      quarantine: store,
      publisher,
      log: logger,
      now: () => new Date(NOW),
      newEventId: () => '01TESTEVENT00000001',
      leaseMs: 0,
      retry: { maxAttempts: 5, firstDelayMs: 0, maxDelayMs: 0 },
    };
    // Left pending by a failed publish (counted nowhere: no metrics in these deps).
    await expect(ingestDelivery(deps, { json, rawBody: JSON.stringify(json) })).rejects.toThrow();

    await reconcilePending({ ...deps, pending: store, metrics }, 10);
    expect(metrics.counted).toEqual([
      { name: METRIC_NAMES.publishFailures, value: 1 },
      { name: METRIC_NAMES.reconcilerBacklog, value: 1 },
      { name: METRIC_NAMES.quarantinedRequests, value: 0 },
    ]);

    publisher.heal();
    metrics.counted.length = 0;
    await reconcilePending({ ...deps, pending: store, metrics }, 10);
    expect(metrics.counted).toEqual([
      { name: METRIC_NAMES.eventsPublished, value: 1 },
      { name: METRIC_NAMES.reconcilerBacklog, value: 0 },
      { name: METRIC_NAMES.quarantinedRequests, value: 0 },
    ]);
  });
});

describe('the consumer loop counts each batch’s outcomes per consumer', () => {
  const envelope = sampleEnvelope('v1-failed.json', {
    eventId: '01TESTEVENT00000001',
    receivedAt: '2026-11-26T10:00:00.000Z',
    version: 1,
  });
  const record = (messageId: string, behaviour: string): SQSRecord =>
    ({
      messageId,
      receiptHandle: `rh-${messageId}`,
      body: behaviour === 'poison' ? 'not json' : JSON.stringify({ ...envelope, eventId: behaviour }),
      attributes: { ApproximateReceiveCount: '1' },
    }) as unknown as SQSRecord;

  it('delivered, retried (retryable or unexpected) and dead-lettered (poison or permanent): one count per outcome per batch', async () => {
    const metrics = new InMemoryMetrics();
    const letters: DeadLetter[] = [];
    const handler = makeDeliveryEngine(
      {
        name: 'slack',
        deadLetters: { send: async (letter) => void letters.push(letter) },
        delayer: { delay: async () => undefined },
        log: logger,
        metrics,
        outcomes: new InMemoryOutcomeLedger(30),
      },
      async (event) => {
        if (event.eventId === 'retry') throw new RetryableDeliveryError('503 from Slack');
        if (event.eventId === 'crash') throw new Error('bug');
        if (event.eventId === 'refused') throw new PermanentDeliveryError('no such channel');
        return 'notified';
      },
    );
    const behaviours = ['ok', 'ok', 'ok', 'retry', 'crash', 'refused', 'poison'];
    const event = { Records: behaviours.map((b, i) => record(`m${i}`, b)) } as SQSEvent;
    const answer = await handler(event);

    expect(answer.batchItemFailures).toHaveLength(2);
    expect(letters).toHaveLength(2);
    const consumer = { consumer: 'slack' };
    expect(metrics.counted).toHaveLength(3);
    expect(metrics.total(METRIC_NAMES.deliveriesSucceeded, consumer)).toBe(3);
    expect(metrics.total(METRIC_NAMES.deliveriesRetried, consumer)).toBe(2);
    expect(metrics.total(METRIC_NAMES.deliveriesDeadLettered, consumer)).toBe(2);
  });

  it('a dead letter that cannot be sent is a retry (SQS gives the record back)', async () => {
    const metrics = new InMemoryMetrics();
    const handler = makeDeliveryEngine(
      {
        name: 'hubspot',
        deadLetters: {
          send: async () => {
            throw new Error('SQS down');
          },
        },
        delayer: { delay: async () => undefined },
        log: logger,
        metrics,
        outcomes: new InMemoryOutcomeLedger(30),
      },
      async () => 'updated',
    );
    await handler({ Records: [record('m1', 'poison')] } as SQSEvent);
    expect(metrics.totals()).toEqual({ [`${METRIC_NAMES.deliveriesRetried} {consumer=hubspot}`]: 1 });
  });
});

describe('the webhook route counts every request and every error answer, by reason', () => {
  it.each([
    [new UnauthorizedError('no token'), 'unauthorized'],
    [new InvalidPayloadError('bad', []), 'invalid-payload'],
    [new PayloadTooLargeError('big'), 'payload-too-large'],
    [new UnsupportedMediaTypeError('xml'), 'unsupported-media-type'],
    [new BadRequestError('bad'), 'bad-request'],
    [new DeliveryInProgressError('busy'), 'delivery-in-progress'],
    [new DependencyUnavailableError('down', 'store'), 'dependency-unavailable'],
    [new Error('a bug'), INTERNAL_ERROR_REASON],
    ['not even an error', INTERNAL_ERROR_REASON],
  ])('%s → reason %s', async (error, reason) => {
    expect(rejectionReason(error)).toBe(reason);
    const metrics = new InMemoryMetrics();
    const handler = middy<HttpEvent, HttpResult>(async () => {
      throw error;
    })
      .use(webhookRequestMetrics(metrics))
      .use(httpErrors(logger));
    const answer = await handler(apiEvent(), {} as never);
    expect(answer.statusCode).toBeGreaterThanOrEqual(400);
    expect(metrics.totals()).toEqual({
      [METRIC_NAMES.webhooksReceived]: 1,
      [`${METRIC_NAMES.webhooksRejected} {reason=${reason}}`]: 1,
    });
  });

  it('an accepted request is received, not rejected', async () => {
    const metrics = new InMemoryMetrics();
    const handler = middy<HttpEvent, HttpResult>(async () => jsonResponse(200, {}))
      .use(webhookRequestMetrics(metrics))
      .use(httpErrors(logger));
    await handler(apiEvent(), {} as never);
    expect(metrics.totals()).toEqual({ [METRIC_NAMES.webhooksReceived]: 1 });
  });
});

describe('the Powertools adapter writes CloudWatch EMF', () => {
  let lines: string[];
  beforeEach(() => {
    lines = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  interface Emf {
    _aws: {
      Timestamp: number;
      CloudWatchMetrics: {
        Namespace: string;
        Dimensions: string[][];
        Metrics: { Name: string; Unit: string }[];
      }[];
    };
    [key: string]: unknown;
  }
  const emfLines = (): Emf[] =>
    lines.flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as Partial<Emf>;
        return parsed._aws === undefined ? [] : [parsed as Emf];
      } catch {
        return [];
      }
    });

  const SERVICE = 'LeadsieWebhooksStaging';
  const { service, reason, consumer } = METRIC_DIMENSIONS;

  it('a refused webhook: its count by reason at once, then the invocation’s set {service} after it', async () => {
    const { log, warnings } = recordingLog();
    const metrics = new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, service: SERVICE, log });
    const handler = withHttpMiddleware(
      async () => {
        throw new UnauthorizedError('A token is required');
      },
      logger,
      metrics,
    );
    const answer = await handler(apiEvent(), {} as never);
    expect(answer.statusCode).toBe(401);

    const emf = emfLines();
    expect(emf).toHaveLength(2);
    const [rejected, invocation] = emf as [Emf, Emf];
    expect(rejected._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [[service, reason]],
        Metrics: [{ Name: METRIC_NAMES.webhooksRejected, Unit: 'Count' }],
      },
    ]);
    expect(rejected).toMatchObject({ [service]: SERVICE, [reason]: 'unauthorized', WebhooksRejected: 1 });
    expect(invocation._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [[service]],
        Metrics: [{ Name: METRIC_NAMES.webhooksReceived, Unit: 'Count' }],
      },
    ]);
    expect(invocation).toMatchObject({ [service]: SERVICE, WebhooksReceived: 1 });
    expect(Math.abs(invocation._aws.Timestamp - Date.now())).toBeLessThan(60_000);
    expect(warnings).toEqual([]);
  });

  it('an accepted webhook: received and published in one line of the invocation’s set', async () => {
    const metrics = new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, service: SERVICE, log: logger });
    const handler = withHttpMiddleware(
      async () => {
        metrics.count(METRIC_NAMES.eventsPublished);
        return jsonResponse(200, { eventId: 'e', duplicate: false });
      },
      logger,
      metrics,
    );
    await handler(apiEvent(), {} as never);
    const emf = emfLines();
    expect(emf).toHaveLength(1);
    expect(emf[0]?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name).sort()).toEqual(
      [METRIC_NAMES.eventsPublished, METRIC_NAMES.webhooksReceived].sort(),
    );
    expect(emf[0]).toMatchObject({ [service]: SERVICE, WebhooksReceived: 1, EventsPublished: 1 });
  });

  it('a consumer batch: one line per outcome {service, consumer}, and no "no metrics" warning for its empty set', async () => {
    const { log, warnings } = recordingLog();
    const metrics = new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, service: SERVICE, log });
    const handler = withSqsMiddleware(
      async () => {
        metrics.count(METRIC_NAMES.deliveriesSucceeded, 3, { consumer: 'slack' });
        return { batchItemFailures: [] };
      },
      logger,
      metrics,
    );
    await handler({ Records: [] }, {} as never);
    await handler({ Records: [] }, {} as never);
    const emf = emfLines();
    expect(emf).toHaveLength(2);
    expect(emf[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([[service, consumer]]);
    expect(emf[0]).toMatchObject({ [service]: SERVICE, [consumer]: 'slack', DeliveriesSucceeded: 3 });
    expect(warnings).toEqual([]);
  });

  it('reads its namespace and service from the environment, and fails fast naming a missing one', () => {
    const env = { [ENV.metricsNamespace]: METRICS_NAMESPACE, [ENV.metricsService]: SERVICE };
    expect(PowertoolsMetrics.fromEnv(logger, env)).toBeInstanceOf(PowertoolsMetrics);
    expect(() => PowertoolsMetrics.fromEnv(logger, { [ENV.metricsNamespace]: METRICS_NAMESPACE })).toThrow(
      ENV.metricsService,
    );
    expect(() => PowertoolsMetrics.fromEnv(logger, { [ENV.metricsService]: SERVICE })).toThrow(
      ENV.metricsNamespace,
    );
  });

  it('without metrics (local mode), the house middleware writes no EMF at all', async () => {
    const handler = withHttpMiddleware(async () => {
      throw new UnauthorizedError('no');
    }, logger);
    await handler(apiEvent(), {} as never);
    const consumerHandler = withSqsMiddleware(async () => ({ batchItemFailures: [] }), logger);
    await consumerHandler({ Records: [] }, {} as never);
    expect(emfLines()).toEqual([]);
  });
});
