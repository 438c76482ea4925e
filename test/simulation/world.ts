/**
 * One simulated deployment: the real ingest handler, the real reconciler and the real delivery
 * engine of three consumers, over in-memory ports wrapped by the fault injector.
 *
 *   Leadsie ─POST─▶ ingest handler ─▶ store (InMemoryConnectionStore)
 *                        │                 ▲
 *                        ▼                 │ pending index, a few deliveries a page
 *                  topic (filter policies) ◀── reconciler (every 5 min of simulated time)
 *        ┌───────────────┼────────────────┐
 *   queue slack    queue forward      queue hubspot      at least once, any order, duplicates
 *        ▼               ▼                ▼
 *   engine (claim)  engine (claim,    engine (on-failure,  ─▶ outcome ledger (InMemoryOutcomeLedger)
 *                   version check)    version check)
 *        ▼               ▼                ▼
 *   Slack target    forwarder target  HubSpot target       record every send they receive
 *
 * Everything is driven by one seed: the webhooks, Leadsie's behaviour, the faults, the queues'
 * order and duplicates, the interleaving of actors (kernel.ts).
 */
import type { SQSRecord } from 'aws-lambda';
import { encodeTime } from 'ulid';
import { InMemoryOrderingGuard } from '../../lambda/adapters/ordering-guard.ts';
import { staticSecret } from '../../lambda/adapters/secrets.ts';
import { snsMessageAttributes } from '../../lambda/adapters/sns-event-publisher.ts';
import type { DeadLetter, DeadLetterSink, MessageDelayer } from '../../lambda/adapters/sqs-queues.ts';
import { makeHandler as makeCrmHandler } from '../../lambda/consumers/hubspot/handler.ts';
import { AmbiguousDeliveryError } from '../../lambda/consumers/runtime/engine.ts';
import { InMemoryOutcomeLedger } from '../../lambda/consumers/runtime/memory-outcomes.ts';
import type { ClaimResult, OutcomeLedger } from '../../lambda/consumers/runtime/outcomes.ts';
import { DEFAULT_RETRY_POLICY } from '../../lambda/consumers/runtime/schedule.ts';
import { makeHandler as makeSlackHandler } from '../../lambda/consumers/slack/handler.ts';
import type { SlackReceipt, SlackSender } from '../../lambda/consumers/slack/send.ts';
import { type ConsumerFilter, consumerFilterPolicy, DEFAULTS } from '../../lambda/contract.ts';
import type { ConnectionEvent } from '../../lambda/domain/envelope.ts';
import {
  PermanentDeliveryError,
  type PipelineError,
  RetryableDeliveryError,
} from '../../lambda/domain/errors.ts';
import { type FilterPolicy, matchesFilterPolicy } from '../../lambda/domain/filter-policy.ts';
import { makeHandler as makeIngestHandler } from '../../lambda/handlers/ingest.ts';
import { statusOf } from '../../lambda/shared/http.ts';
import type {
  CrmReceipt,
  CrmTarget,
  EventPublisher,
  Log,
  OrderingGuard,
  PendingDeliveries,
} from '../../lambda/use-cases/ports.ts';
import type { ReconcileDeps } from '../../lambda/use-cases/reconcile-pending.ts';
import { reconcilePending } from '../../lambda/use-cases/reconcile-pending.ts';
import { orderLeaseMs } from '../../lambda/use-cases/update-crm.ts';
import { apiEvent } from '../support/api-event.ts';
import { InMemoryConnectionStore } from '../support/fakes.ts';
import { InMemoryMetrics } from '../support/metrics.ts';
import { awsErrors, type FaultInjector, namedError, type PortErrors, wrapPort } from './faults.ts';
import type { Actor, Kernel } from './kernel.ts';
import { asTransientPublishError, type MutationName } from './mutations.ts';
import type { Rng } from './prng.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** How long faults strike before they are healed. */
export const FAULTY_PHASE_MS = 40 * MINUTE;
export const TOKEN = 'Simulated-Webhook-Token-0123456789abcdefghijklmnop';
/** Ingest's lease on a delivery it is working on (the deployed default). */
export const INGEST_LEASE_MS = DEFAULTS.leaseMs;
export const RECONCILER_RETRY = {
  maxAttempts: DEFAULTS.reconcilerMaxAttempts,
  firstDelayMs: DEFAULTS.publishRetryFirstMs,
  maxDelayMs: DEFAULTS.publishRetryMaxMs,
};
export const RECONCILER_PERIOD_MS = 5 * MINUTE;
/** A consumer function's timeout (the Subscriber's default): Lambda kills an invocation then. */
export const CONSUMER_TIMEOUT_MS = 30_000;
/** A queue's visibility timeout (six times the function timeout, as the Subscriber sets). */
export const VISIBILITY_TIMEOUT_MS = 6 * CONSUMER_TIMEOUT_MS;
export const MAX_RECEIVE_COUNT = 100;
export const BATCH_SIZE = 10;

/** The markers a webhook's request name carries to ask for a permanent failure. */
export const UNPUBLISHABLE_MARKER = '[unpublishable]';
export const refusedBy = (consumer: string): string => `[refused by ${consumer}]`;

const silentLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

// ── what the world records (read by the invariants) ──

export interface Answer {
  status: number | 'no answer';
  eventId?: string;
  quarantineId?: string;
  kind?: string;
}

export interface WebhookPlan {
  index: number;
  at: number;
  body: string;
  /** What the body is made to test. */
  kind: 'valid' | 'invalid' | 'unpublishable';
  /** Consumers that refuse this event for good. */
  refusedBy: string[];
}

export interface Publication {
  seq: number;
  eventId: string;
  fingerprint: string;
  version: number;
  attributes: ReturnType<typeof snsMessageAttributes>;
}

export interface Receipt {
  seq: number;
  consumer: string;
  eventId: string;
  version: number;
  pair: string;
  invocation: string;
}

export interface ConsumerSpec {
  name: string;
  filter: ConsumerFilter;
  /** Reads the stored latest version and skips older events (HubSpot, forwarders). */
  versioned: boolean;
  once: 'claim' | 'on-failure';
  /** The target applies an upsert keyed by (user, request): the same event twice changes nothing. */
  idempotentTarget: boolean;
  /** Events without a user are skipped (`no user`). */
  requiresUser: boolean;
}

export const CONSUMERS: readonly ConsumerSpec[] = [
  {
    name: 'slack',
    filter: { statuses: ['FAILED', 'PARTIAL_SUCCESS'], includeTestEvents: true },
    versioned: false,
    once: 'claim',
    idempotentTarget: false,
    requiresUser: false,
  },
  {
    name: 'forward-zapier',
    filter: { includeTestEvents: true },
    versioned: true,
    once: 'claim',
    idempotentTarget: false,
    requiresUser: false,
  },
  {
    name: 'hubspot',
    filter: { includeTestEvents: false },
    versioned: true,
    once: 'on-failure',
    idempotentTarget: true,
    requiresUser: true,
  },
];

export const pairOf = (event: { user: string | null; request: { url: string } }): string =>
  JSON.stringify([event.user, event.request.url]);

// ── queues ──

interface QueuedMessage {
  handle: number;
  messageId: string;
  body: string;
  attributes: ReturnType<typeof snsMessageAttributes>;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  /** The receive whose receipt handle may still change its visibility. */
  receipt: number;
}

/** One consumer's SQS queue: at least once, any order, duplicates; visibility and a backstop redrive. */
export class SimQueue {
  readonly messages: QueuedMessage[] = [];
  /** Messages SQS moved to the dead-letter queue after too many receives (the backstop). */
  readonly redriven: QueuedMessage[] = [];
  private handles = 0;
  private receipts = 0;

  constructor(
    readonly name: string,
    private readonly kernel: Kernel,
    private readonly rng: Rng,
    private readonly injector: FaultInjector,
  ) {}

  send(messageId: string, body: string, attributes: QueuedMessage['attributes'], visibleAt: number): void {
    this.messages.push({
      handle: ++this.handles,
      messageId,
      body,
      attributes,
      sentAt: this.kernel.now,
      visibleAt,
      receiveCount: 0,
      receipt: 0,
    });
  }

  nextVisible(): number | undefined {
    let next: number | undefined;
    for (const message of this.messages)
      if (next === undefined || message.visibleAt < next) next = message.visibleAt;
    return next;
  }

  receive(max: number): { message: QueuedMessage; record: SQSRecord }[] {
    const now = this.kernel.now;
    const visible = this.messages.filter((m) => m.visibleAt <= now);
    // Any order: a seeded shuffle.
    for (let i = visible.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [visible[i], visible[j]] = [visible[j] as QueuedMessage, visible[i] as QueuedMessage];
    }
    const taken: { message: QueuedMessage; record: SQSRecord }[] = [];
    for (const message of visible.slice(0, max)) {
      if (message.receiveCount >= MAX_RECEIVE_COUNT) {
        this.messages.splice(this.messages.indexOf(message), 1);
        this.redriven.push(message);
        continue;
      }
      message.receiveCount++;
      message.receipt = ++this.receipts;
      message.visibleAt = now + VISIBILITY_TIMEOUT_MS;
      if (this.injector.environment(0.03)) {
        // SQS handed out a copy that another receive will also get.
        this.kernel.record(`queue:${this.name}`, `duplicate of ${message.messageId}`, [], 'queue-duplicate');
        this.messages.push({
          ...message,
          handle: ++this.handles,
          receiveCount: message.receiveCount - 1,
          visibleAt: now + this.rng.int(1_000, 120_000),
        });
      }
      taken.push({ message, record: this.recordOf(message) });
    }
    return taken;
  }

  private recordOf(message: QueuedMessage): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: `${message.handle}:${message.receipt}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'simulated-topic',
        ApproximateFirstReceiveTimestamp: String(message.sentAt),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(message.attributes).map(([name, value]) => [
          name,
          { stringValue: value.StringValue, dataType: value.DataType ?? 'String' },
        ]),
      ),
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:sim:000000000000:${this.name}`,
      awsRegion: 'sim',
    };
  }

  private current(receiptHandle: string): QueuedMessage | undefined {
    const [handle, receipt] = receiptHandle.split(':').map(Number);
    return this.messages.find((m) => m.handle === handle && m.receipt === receipt);
  }

  /** ChangeMessageVisibility: only the latest receive's handle of a message still there counts. */
  changeVisibility(receiptHandle: string, seconds: number): void {
    const message = this.current(receiptHandle);
    if (message) message.visibleAt = this.kernel.now + seconds * 1000;
  }

  delete(receiptHandle: string): void {
    const message = this.current(receiptHandle);
    if (message) this.messages.splice(this.messages.indexOf(message), 1);
  }
}

// ── the topic ──

interface Subscription {
  consumer: string;
  policy: FilterPolicy | undefined;
  queue: SimQueue;
}

/** SNS: checks the message, then hands a copy to each subscription whose filter matches. */
export class SimTopic implements EventPublisher {
  readonly publications: Publication[] = [];
  private messageIds = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly rng: Rng,
    private readonly injector: FaultInjector,
    readonly subscriptions: Subscription[],
  ) {}

  /** Set while SNS is down (the scenario's outage). */
  outage = false;

  async publish(event: ConnectionEvent): Promise<void> {
    if (this.outage && this.injector.enabled) {
      this.kernel.record(
        'topic',
        'publish refused: the topic is down',
        [event.eventId, event.fingerprint],
        'topic-outage',
      );
      throw namedError('InternalErrorException', 'SNS is unavailable (injected outage)');
    }
    if (event.request.name.includes(UNPUBLISHABLE_MARKER)) {
      this.kernel.record(
        'topic',
        'publish refused for good',
        [event.eventId, event.fingerprint],
        'permanent-publish-refusal',
      );
      throw namedError('InvalidParameter', 'Invalid parameter: Message (injected permanent refusal)');
    }
    const attributes = snsMessageAttributes(event);
    this.publications.push({
      seq: this.kernel.trace.length,
      eventId: event.eventId,
      fingerprint: event.fingerprint,
      version: event.version,
      attributes,
    });
    this.kernel.record('topic', `published v${event.version}`, [event.eventId, event.fingerprint]);
    const body = JSON.stringify(event);
    for (const subscription of this.subscriptions) {
      if (!matchesFilterPolicy(subscription.policy, attributes)) continue;
      const messageId = `msg-${++this.messageIds}`;
      let at = this.kernel.now;
      if (this.injector.environment(0.05)) {
        // SNS could not reach the queue at once; it retries the delivery later.
        at += this.rng.int(1_000, 20 * MINUTE);
        this.kernel.record(
          'topic',
          `delivery to ${subscription.consumer} delayed`,
          [event.eventId],
          'topic-delivery-delayed',
        );
      }
      subscription.queue.send(messageId, body, attributes, at);
      if (this.injector.environment(0.02)) {
        this.kernel.record(
          'topic',
          `delivered twice to ${subscription.consumer}`,
          [event.eventId],
          'topic-delivery-duplicated',
        );
        subscription.queue.send(
          `msg-${++this.messageIds}`,
          body,
          attributes,
          at + this.rng.int(0, 5 * MINUTE),
        );
      }
    }
  }
}

// ── targets ──

/** A target that records every send it receives; refuses for good the events marked for it. */
export class SimTarget implements SlackSender, CrmTarget {
  readonly receipts: Receipt[] = [];
  readonly name: string;

  constructor(
    private readonly kernel: Kernel,
    readonly consumer: string,
    readonly requiresUser: boolean,
    private readonly invocationOf: () => string,
  ) {
    this.name = consumer;
  }

  private apply(event: ConnectionEvent): void {
    if (event.request.name.includes(refusedBy(this.consumer))) {
      this.kernel.record(
        `target:${this.consumer}`,
        'refused for good',
        [event.eventId, event.fingerprint],
        'permanent-target-refusal',
      );
      throw new PermanentDeliveryError(`${this.consumer} refused the event for good (injected)`);
    }
    this.receipts.push({
      seq: this.kernel.trace.length,
      consumer: this.consumer,
      eventId: event.eventId,
      version: event.version,
      pair: pairOf(event),
      invocation: this.invocationOf(),
    });
    this.kernel.record(`target:${this.consumer}`, `applied v${event.version}`, [
      event.eventId,
      event.fingerprint,
    ]);
  }

  async send(_message: unknown, event?: ConnectionEvent): Promise<SlackReceipt> {
    if (event === undefined) throw new Error('the simulated Slack target needs the event');
    this.apply(event);
    return { status: 200 };
  }

  async upsert(event: ConnectionEvent): Promise<CrmReceipt> {
    this.apply(event);
    return { outcome: this.requiresUser ? 'upserted' : 'posted', status: 200 };
  }
}

const targetErrors: PortErrors = {
  failure: () => new RetryableDeliveryError('the target answered 503 (injected)'),
  throttled: () => new RetryableDeliveryError('the target answered 429 (injected)', 30),
  timeout: () => new AmbiguousDeliveryError('no answer from the target in time (injected)'),
};

const dynamoErrors = awsErrors('DynamoDB', 'InternalServerError', 'ProvisionedThroughputExceededException');
const snsErrors = awsErrors('SNS', 'InternalErrorException', 'Throttling');
const sqsErrors = awsErrors('SQS', 'InternalError', 'RequestThrottled');

// ── the world ──

export interface WorldOptions {
  kernel: Kernel;
  rng: Rng;
  injector: FaultInjector;
  mutation: MutationName | undefined;
  /** Pending deliveries per page of the store's pending listing. */
  pageSize: number;
  /** Invocations of one consumer at once. */
  consumerConcurrency: number;
  /** How likely Leadsie is to send again a webhook that got no 2xx. */
  leadsieRetries: number;
}

export interface LeadsieRequest {
  webhook: number;
  attempt: number;
  body: string;
  answer: Answer | undefined;
}

export class World {
  readonly store: InMemoryConnectionStore;
  readonly ledger = new InMemoryOutcomeLedger(30);
  /** The ordering guard the version-checked consumers share (one table item per pair, as deployed). */
  readonly ordering = new InMemoryOrderingGuard();
  readonly topic: SimTopic;
  readonly queues = new Map<string, SimQueue>();
  readonly targets = new Map<string, SimTarget>();
  readonly deadLetters = new Map<string, DeadLetter[]>();
  readonly metrics = new InMemoryMetrics();
  readonly requests: LeadsieRequest[] = [];
  /** Seq of the first successful `done` write per outcome key (`consumer|eventId|version`). */
  readonly confirmed = new Map<string, number>();
  /** Every version read of the version check: who read, for which (user, request), when, what. */
  readonly versionReads: { invocation: string; pair: string; seq: number; value: number | null }[] = [];
  /** The metrics of the last reconciler run. */
  lastReconcilerMetrics: InMemoryMetrics | undefined;
  reconcilerRuns = 0;
  private readonly busy = new Map<string, number>();
  private readonly kernel: Kernel;
  private readonly rng: Rng;
  private readonly injector: FaultInjector;
  private currentInvocation = '';

  constructor(readonly options: WorldOptions) {
    this.kernel = options.kernel;
    this.rng = options.rng;
    this.injector = options.injector;
    this.store = new InMemoryConnectionStore({ pageSize: options.pageSize });
    const subscriptions: Subscription[] = [];
    for (const spec of CONSUMERS) {
      const queue = new SimQueue(spec.name, this.kernel, this.rng.fork(`queue:${spec.name}`), this.injector);
      this.queues.set(spec.name, queue);
      this.targets.set(
        spec.name,
        new SimTarget(this.kernel, spec.name, spec.requiresUser, () => this.currentInvocation),
      );
      this.deadLetters.set(spec.name, []);
      this.busy.set(spec.name, 0);
      subscriptions.push({ consumer: spec.name, policy: consumerFilterPolicy(spec.filter), queue });
    }
    this.topic = new SimTopic(this.kernel, this.rng.fork('topic'), this.injector, subscriptions);
  }

  private wrap<T extends object>(
    actor: Actor,
    port: string,
    target: T,
    errors: PortErrors,
    generators?: string[],
  ): T {
    return wrapPort(
      this.kernel,
      this.injector,
      actor,
      port,
      target,
      errors,
      generators ? { generators } : {},
    );
  }

  private newEventId(): string {
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    let random = '';
    for (let i = 0; i < 16; i++) random += alphabet[this.rng.int(0, 31)];
    return `${encodeTime(this.kernel.now, 10)}${random}`;
  }

  private publisherFor(actor: Actor): EventPublisher {
    const topic = this.wrap(actor, 'sns', this.topic as EventPublisher, snsErrors);
    if (this.options.mutation !== 'publish-errors-transient') return topic;
    return {
      publish: (event) =>
        topic.publish(event).catch((error: unknown) => {
          throw asTransientPublishError(error);
        }),
    };
  }

  // ── Leadsie ──

  /** Leadsie sends a webhook (or sends it again); what it does next depends on the answer. */
  post(plan: WebhookPlan, attempt: number): void {
    const request: LeadsieRequest = { webhook: plan.index, attempt, body: plan.body, answer: undefined };
    this.requests.push(request);
    const subjects = [`webhook#${plan.index}`];
    const answered = (answer: Answer) => {
      request.answer = answer;
      this.kernel.record(
        'leadsie',
        `webhook#${plan.index} try ${attempt} → ${answer.status}${answer.eventId ? ` ${answer.eventId}` : ''}${answer.kind ? ` (${answer.kind})` : ''}`,
        [
          ...subjects,
          ...(answer.eventId ? [answer.eventId] : []),
          ...(answer.quarantineId ? [answer.quarantineId] : []),
        ],
      );
      this.afterAnswer(plan, attempt, answer);
    };
    this.kernel.spawn('ingest', async (actor) => {
      actor.onCrash = () => answered({ status: 'no answer' });
      const handler = makeIngestHandler({
        store: this.wrap(actor, 'store', this.store, dynamoErrors),
        quarantine: this.wrap(actor, 'store', this.store, dynamoErrors),
        publisher: this.publisherFor(actor),
        webhookToken: staticSecret(TOKEN),
        maxBodyBytes: DEFAULTS.maxBodyBytes,
        log: silentLog,
        now: () => new Date(this.kernel.now),
        newEventId: () => this.newEventId(),
        leaseMs: INGEST_LEASE_MS,
        metrics: this.metrics,
      });
      const event = apiEvent({
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: plan.body,
      });
      try {
        const result = await handler(event);
        const body = JSON.parse(result.body ?? '{}') as { eventId?: string };
        answered({ status: result.statusCode ?? 200, ...(body.eventId ? { eventId: body.eventId } : {}) });
      } catch (error) {
        const typed = error as PipelineError;
        answered({
          status: statusOf(error) ?? 500,
          kind: typed.kind ?? (error instanceof Error ? error.name : 'unknown'),
          ...(typed.quarantineId ? { quarantineId: typed.quarantineId } : {}),
        });
      }
    });
  }

  private afterAnswer(plan: WebhookPlan, attempt: number, answer: Answer): void {
    const ok = typeof answer.status === 'number' && answer.status >= 200 && answer.status < 300;
    const refused =
      typeof answer.status === 'number' &&
      answer.status >= 400 &&
      answer.status < 500 &&
      answer.status !== 409;
    if (ok || refused) {
      // Leadsie sends an acknowledged (or refused) webhook again now and then.
      if (attempt < 6 && this.injector.environment(0.1)) {
        this.kernel.record(
          'leadsie',
          `will send webhook#${plan.index} again`,
          [`webhook#${plan.index}`],
          'leadsie-redelivery',
        );
        this.kernel.at(this.kernel.now + this.rng.int(1_000, 30 * MINUTE), () =>
          this.post(plan, attempt + 1),
        );
      }
      return;
    }
    // 5xx, 409, no answer: Leadsie retries, or (sometimes) never does.
    if (attempt < 6 && this.rng.chance(this.options.leadsieRetries)) {
      this.kernel.at(this.kernel.now + this.rng.int(5_000, 10 * MINUTE), () => this.post(plan, attempt + 1));
    } else {
      this.kernel.record(
        'leadsie',
        `gave up on webhook#${plan.index}`,
        [`webhook#${plan.index}`],
        'leadsie-gave-up',
      );
    }
  }

  // ── the reconciler ──

  reconcile(): void {
    this.reconcilerRuns++;
    const metrics = new InMemoryMetrics();
    this.kernel.spawn('reconciler', async (actor) => {
      let pending: PendingDeliveries = this.wrap(
        actor,
        'store',
        this.store as PendingDeliveries,
        dynamoErrors,
        ['duePending'],
      );
      if (this.options.mutation === 'reconciler-one-page') {
        const all = pending;
        pending = {
          countPending: () => all.countPending(),
          async *duePending(now) {
            for await (const page of all.duePending(now)) {
              yield page;
              return;
            }
          },
        };
      }
      const deps: ReconcileDeps = {
        store: this.wrap(actor, 'store', this.store, dynamoErrors),
        pending,
        quarantine: this.wrap(actor, 'store', this.store, dynamoErrors),
        publisher: this.publisherFor(actor),
        log: silentLog,
        now: () => new Date(this.kernel.now),
        leaseMs: INGEST_LEASE_MS,
        retry: RECONCILER_RETRY,
        metrics,
        deadLetters: {
          consumers: CONSUMERS.map((c) => c.name),
          ledger: this.wrap(actor, 'ledger', this.ledger, dynamoErrors),
        },
      };
      await reconcilePending(deps, DEFAULTS.reconcilerBatchLimit);
      this.lastReconcilerMetrics = metrics;
    });
  }

  // ── consumers ──

  /** When a consumer can next start an invocation (a message visible and a free slot). */
  nextWake(): number | undefined {
    let next: number | undefined;
    for (const spec of CONSUMERS) {
      if ((this.busy.get(spec.name) ?? 0) >= this.options.consumerConcurrency) continue;
      const at = this.queues.get(spec.name)?.nextVisible();
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next === undefined ? undefined : Math.max(next, this.kernel.now);
  }

  /** The event source mapping: starts an invocation for each consumer with a visible message and a free slot. */
  poll(): void {
    for (const spec of CONSUMERS) {
      const queue = this.queues.get(spec.name) as SimQueue;
      while ((this.busy.get(spec.name) ?? 0) < this.options.consumerConcurrency) {
        const batch = queue.receive(BATCH_SIZE);
        if (batch.length === 0) break;
        this.invoke(spec, queue, batch);
      }
    }
  }

  private invoke(spec: ConsumerSpec, queue: SimQueue, batch: ReturnType<SimQueue['receive']>): void {
    this.busy.set(spec.name, (this.busy.get(spec.name) ?? 0) + 1);
    const free = () => this.busy.set(spec.name, (this.busy.get(spec.name) ?? 1) - 1);
    this.kernel.spawn(spec.name, async (actor) => {
      actor.onCrash = free;
      actor.deadline = this.kernel.now + CONSUMER_TIMEOUT_MS;
      const eventIds = batch.map(({ record }) => eventIdOf(record.body));
      this.kernel.record(
        actor.name,
        `invoked with ${batch.map((b) => b.record.messageId).join(',')}`,
        eventIds,
      );
      const handler = this.handlerFor(spec, actor, queue);
      const response = await handler({ Records: batch.map((b) => b.record) });
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      for (const { record } of batch) if (!failed.has(record.messageId)) queue.delete(record.receiptHandle);
      this.kernel.record(actor.name, `returned, ${failed.size} failed`, eventIds);
      free();
    });
  }

  private handlerFor(spec: ConsumerSpec, actor: Actor, queue: SimQueue) {
    const delayer: MessageDelayer = this.wrap(
      actor,
      `sqs:${spec.name}`,
      { delay: async (handle: string, seconds: number) => queue.changeVisibility(handle, seconds) },
      sqsErrors,
    );
    const letters = this.deadLetters.get(spec.name) as DeadLetter[];
    const deadLetters: DeadLetterSink = this.wrap(
      actor,
      `sqs:${spec.name}-dlq`,
      {
        send: async (letter: DeadLetter) => {
          letters.push(letter);
        },
      },
      sqsErrors,
    );
    const outcomes = this.ledgerFor(actor);
    const rawTarget = this.targets.get(spec.name) as SimTarget;
    // The target learns which invocation sends (what `confirmed` is compared with).
    const target = this.wrap(
      actor,
      `target:${spec.name}`,
      withInvocation(rawTarget, actor, this),
      targetErrors,
    );
    const common = {
      name: spec.name,
      deadLetters,
      delayer,
      log: silentLog,
      metrics: this.metrics,
      outcomes,
      policy: DEFAULT_RETRY_POLICY,
      now: () => this.kernel.now,
      random: () => this.rng.next(),
    };
    if (!spec.versioned) return makeSlackHandler({ ...common, slack: target });
    const store = this.wrap(actor, 'store', this.store, dynamoErrors);
    const versions =
      this.options.mutation === 'no-version-check'
        ? { latestVersion: async () => null }
        : {
            latestVersion: async (user: string | null, url: string) => {
              const value = await store.latestVersion(user, url);
              const pair = JSON.stringify([user, url]);
              this.versionReads.push({ invocation: actor.name, pair, seq: this.kernel.trace.length, value });
              return value;
            },
          };
    const ordering: OrderingGuard =
      this.options.mutation === 'no-version-check'
        ? { acquire: async () => ({ outcome: 'acquired', owner: 'unchecked' }), release: async () => true }
        : this.wrap(actor, 'ordering', this.ordering, dynamoErrors);
    return makeCrmHandler({
      ...common,
      target,
      versions,
      ordering,
      orderLeaseMs: orderLeaseMs(DEFAULTS.httpTimeoutMs),
      once: spec.once,
    });
  }

  setInvocation(name: string): void {
    this.currentInvocation = name;
  }

  private ledgerFor(actor: Actor): OutcomeLedger {
    const ledger = wrapPort(this.kernel, this.injector, actor, 'ledger', this.ledger, dynamoErrors, {
      generators: ['since', 'deadLetters'],
      onEffect: (method, args) => {
        if (method !== 'done') return;
        const ref = args[0] as { consumer: string; eventId: string };
        const key = outcomeKey(ref.consumer, ref.eventId);
        if (!this.confirmed.has(key)) this.confirmed.set(key, this.kernel.trace.length);
      },
    });
    if (this.options.mutation !== 'no-once-claim') return ledger;
    return new Proxy(ledger, {
      get(object, property, receiver) {
        if (property !== 'claim') return Reflect.get(object, property, receiver);
        return async (...args: Parameters<OutcomeLedger['claim']>): Promise<ClaimResult> => {
          const real = await object.claim(...args);
          return real.outcome === 'claimed'
            ? real
            : { outcome: 'claimed', previous: null, recovering: false, attempts: 1, outcomeBefore: null };
        };
      },
    });
  }
}

/** As the ledger keys a record: one per consumer and event, whatever its version. */
export const outcomeKey = (consumer: string, eventId: string): string => `${consumer}|${eventId}`;

const eventIdOf = (body: string): string => {
  try {
    return String((JSON.parse(body) as { eventId?: unknown }).eventId ?? 'poison');
  } catch {
    return 'poison';
  }
};

/** The target as one invocation calls it: receipts name the invocation. */
const withInvocation = (target: SimTarget, actor: Actor, world: World): SimTarget =>
  new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (property !== 'send' && property !== 'upsert') return value;
      return (...args: unknown[]) => {
        world.setInvocation(actor.name);
        return (value as (...a: unknown[]) => Promise<void>).apply(object, args);
      };
    },
  });
