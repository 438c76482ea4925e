/**
 * What the consumers did with the events, for operators (`events show`, `deliveries`,
 * `dead-letters list|redrive`, `replay --consumer`): read from the outcome records of the delivery
 * engine, never from logs. The CLI parses and prints; the operator console can call the same code.
 *
 *   events show:   delivery (byTime index, around the eventId's ULID time) ─▶ envelope + flat record
 *                  per consumer: outcome (GetItem) │ none: its filter policy refused it? "filtered out"
 *   deliveries:    per consumer, a Query per day of [since, until] ─▶ filter by state
 *   dead letters:  per consumer, the unresolved dead-lettered outcomes (they never expire);
 *                  redrive moves the consumer's dead-letter queue back to its work queue, and the
 *                  engine claims each item again (a dead-lettered item is claimable)
 */

import type { Outcome, OutcomeLedger, OutcomeState } from '../consumers/runtime/outcomes.ts';
import { eventIdTime, outcomesOfEvent } from '../consumers/runtime/outcomes.ts';
import { FORCE_MESSAGE_ATTRIBUTE, MESSAGE_ATTRIBUTES } from '../contract.ts';
import { type ConnectionEvent, envelopeAttributes } from '../domain/envelope.ts';
import { type FilterPolicy, matchesFilterPolicy } from '../domain/filter-policy.ts';
import type { FlatRecord } from '../domain/flatten.ts';
import { envelopeOfDelivery } from './envelope-of-delivery.ts';

export type { FilterPolicy };

import type { EventPublisher, StoredDelivery } from './ports.ts';

/** A message attribute as SNS and SQS take it (String or String.Array, as text). */
export interface MessageAttribute {
  DataType: string;
  StringValue: string;
}
export type MessageAttributes = Record<string, MessageAttribute>;

/** What one redriven dead letter was. */
export interface RedrivenMessage {
  eventId: string | null;
  reason: string | null;
}

/** One consumer of the deployment (or of local mode), as the operator commands reach it. */
export interface ConsumerEndpoint {
  name: string;
  /**
   * Its subscription's filter policy (message-attribute scope): undefined when it has none, null
   * when it cannot be read or evaluated (then nobody can say an event was filtered out).
   */
  filterPolicy: FilterPolicy | undefined | null;
  /** Sends one message straight to the consumer's work queue (not through the topic). */
  enqueue(body: string, attributes: MessageAttributes): Promise<void>;
  /**
   * Moves the messages of its dead-letter queue back to its work queue, one call per message. Only
   * those sent to the dead-letter queue before `sentBeforeMs`: one dead-lettered again while the
   * redrive runs (its target still down) stays, instead of going round for as long as it fails.
   */
  redrive(onMoved: (message: RedrivenMessage) => void, sentBeforeMs: number): Promise<number>;
}

/** The consumers of a target, by name. */
export interface ConsumerDirectory {
  consumers(): Promise<ConsumerEndpoint[]>;
}

/** The message attributes of an envelope (those ingest publishes), plus `force` when asked. */
export const eventMessageAttributes = (event: ConnectionEvent, force = false): MessageAttributes => {
  const values = envelopeAttributes(event);
  const attributes: MessageAttributes = {};
  for (const [key, spec] of Object.entries(MESSAGE_ATTRIBUTES)) {
    const value = values[key as keyof typeof MESSAGE_ATTRIBUTES];
    if (value === undefined) continue;
    attributes[spec.name] = {
      DataType: spec.dataType,
      StringValue: Array.isArray(value) ? JSON.stringify(value) : value,
    };
  }
  if (force) {
    attributes[FORCE_MESSAGE_ATTRIBUTE.name] = {
      DataType: FORCE_MESSAGE_ATTRIBUTE.dataType,
      StringValue: FORCE_MESSAGE_ATTRIBUTE.value,
    };
  }
  return attributes;
};

/** True when the consumer's subscription lets the event through; null when nobody can tell. */
export const passesFilter = (consumer: Pick<ConsumerEndpoint, 'filterPolicy'>, event: ConnectionEvent) =>
  consumer.filterPolicy === null
    ? null
    : matchesFilterPolicy(consumer.filterPolicy, eventMessageAttributes(event));

/**
 * The consumers named by `--consumer` (all when none is named); an unknown name is an error that
 * lists the known ones.
 */
export const chooseConsumers = <C extends { name: string }>(all: C[], wanted: readonly string[]): C[] => {
  if (wanted.length === 0) return all;
  const unknown = wanted.filter((name) => !all.some((c) => c.name === name));
  if (unknown.length > 0) {
    throw new UnknownConsumerError(
      unknown,
      all.map((c) => c.name),
    );
  }
  return all.filter((c) => wanted.includes(c.name));
};

export class UnknownConsumerError extends Error {
  override name = 'UnknownConsumerError';
  constructor(unknown: string[], known: string[]) {
    super(
      `no consumer named ${unknown.map((n) => `"${n}"`).join(', ')} (consumers: ${known.length > 0 ? known.join(', ') : 'none'})`,
    );
  }
}

// ── events show ──

/** How far around its eventId's time a delivery is looked for (ingest takes both from one clock). */
const FIND_WINDOW_MS = 5 * 60 * 1000;

/** Stored deliveries by receive time: the store's byTime index. */
export interface DeliveriesByTime {
  deliveriesBetween(since: Date, until: Date): AsyncIterable<StoredDelivery>;
}

/** The stored delivery of an eventId (a ULID: its time says where to look), or null. */
export const findDelivery = async (
  store: DeliveriesByTime,
  eventId: string,
): Promise<StoredDelivery | null> => {
  const at = eventIdTime(eventId, Number.NaN);
  if (Number.isNaN(at)) return null;
  for await (const delivery of store.deliveriesBetween(
    new Date(at - FIND_WINDOW_MS),
    new Date(at + FIND_WINDOW_MS),
  )) {
    if (delivery.eventId === eventId) return delivery;
  }
  return null;
};

export type ConsumerVerdict =
  | { consumer: string; kind: 'outcome'; outcome: Outcome }
  /** The subscription's filter policy kept the event out: it never reached the queue. */
  | { consumer: string; kind: 'filtered out' }
  /** Let through (or unknown) but no record: not yet received, or sent without a claim (HubSpot's first try). */
  | { consumer: string; kind: 'no outcome'; passesFilter: boolean | null };

export interface EventReport {
  delivery: StoredDelivery;
  /** The envelope as published; null when it cannot be rebuilt (`envelopeError` says why). */
  event: ConnectionEvent | null;
  envelopeError: string | null;
  flat: FlatRecord | null;
  consumers: ConsumerVerdict[];
}

export const showEvent = async (input: {
  eventId: string;
  store: DeliveriesByTime;
  ledger: OutcomeLedger;
  consumers: Pick<ConsumerEndpoint, 'name' | 'filterPolicy'>[];
}): Promise<EventReport | null> => {
  const delivery = await findDelivery(input.store, input.eventId);
  if (!delivery) return null;
  let event: ConnectionEvent | null = null;
  let envelopeError: string | null = null;
  try {
    event = envelopeOfDelivery(delivery);
  } catch (error) {
    envelopeError = error instanceof Error ? error.message : String(error);
  }
  const names = input.consumers.map((c) => c.name);
  const outcomes =
    delivery.version === null
      ? []
      : await outcomesOfEvent(input.ledger, names, delivery.eventId, delivery.version);
  const consumers = input.consumers.map((consumer): ConsumerVerdict => {
    const outcome = outcomes.find((o) => o.consumer === consumer.name)?.outcome ?? null;
    if (outcome) return { consumer: consumer.name, kind: 'outcome', outcome };
    const passes = event ? passesFilter(consumer, event) : null;
    if (passes === false) return { consumer: consumer.name, kind: 'filtered out' };
    return { consumer: consumer.name, kind: 'no outcome', passesFilter: passes };
  });
  return { delivery, event, envelopeError, flat: event?.flat ?? null, consumers };
};

// ── deliveries ──

export const OUTCOME_STATES: readonly OutcomeState[] = [
  'claimed',
  'done',
  'skipped',
  'retrying',
  'ambiguous',
  'dead-lettered',
];

/** Every outcome of these consumers for events of [sinceMs, untilMs], oldest event first. */
export const listOutcomes = async (input: {
  ledger: OutcomeLedger;
  consumers: readonly string[];
  sinceMs: number;
  untilMs: number;
  states?: readonly OutcomeState[];
}): Promise<Outcome[]> => {
  const found: Outcome[] = [];
  for (const consumer of input.consumers) {
    for await (const outcome of input.ledger.since(consumer, input.sinceMs, input.untilMs)) {
      if (input.states && input.states.length > 0 && !input.states.includes(outcome.state)) continue;
      found.push(outcome);
    }
  }
  const order = (o: Outcome) => `${o.eventId}#${String(o.version).padStart(10, '0')}#${o.consumer}`;
  return found.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
};

// ── dead letters ──

/** The unresolved dead letters of these consumers, consumer by consumer, oldest first. */
export async function* listDeadLetters(ledger: OutcomeLedger, consumers: readonly string[]) {
  for (const consumer of consumers) yield* ledger.deadLetters(consumer);
}

export interface RedriveSummary {
  dryRun: boolean;
  /**
   * Per consumer: unresolved dead-lettered outcomes before; messages moved back from the dead-letter
   * queue; dead letters whose message SQS no longer has, sent again from the stored delivery; and
   * those that cannot be (not an event, or the stored delivery is gone or newer).
   */
  consumers: { consumer: string; unresolved: number; moved: number; resent: number; unavailable: number }[];
}

export type RedriveStep =
  | { kind: 'moved'; consumer: string; eventId: string | null; reason: string | null }
  | { kind: 'resent'; consumer: string; eventId: string; reason: string | null }
  | { kind: 'unavailable'; consumer: string; eventId: string; reason: string | null; why: string };

/**
 * Puts the dead letters back on their consumers' queues: first every message of the dead-letter
 * queue; then, for each dead-lettered record still listed whose message was not among them (SQS
 * expired it, or it was deleted), the event rebuilt from the store (`rebuild`). A dry run moves
 * nothing and says what is listed. The records change when the engine takes the events again (a
 * claim over `dead-lettered`), so the list shrinks as they are delivered.
 */
export const redriveDeadLetters = async (input: {
  ledger: OutcomeLedger;
  consumers: ConsumerEndpoint[];
  dryRun: boolean;
  /** When the redrive started (epoch ms): dead letters sent after it stay where they are. */
  startedAtMs: number;
  /** The event of a dead-lettered record, from the store; a string says why it cannot be rebuilt. */
  rebuild?: (outcome: Outcome) => Promise<ConnectionEvent | string>;
  onStep?: (step: RedriveStep) => void;
}): Promise<RedriveSummary> => {
  const summary: RedriveSummary = { dryRun: input.dryRun, consumers: [] };
  for (const consumer of input.consumers) {
    const counts = { consumer: consumer.name, unresolved: 0, moved: 0, resent: 0, unavailable: 0 };
    counts.unresolved = await input.ledger.countDeadLetters(consumer.name);
    summary.consumers.push(counts);
    if (input.dryRun) continue;
    const movedIds = new Set<string>();
    await consumer.redrive((message) => {
      counts.moved++;
      if (message.eventId) movedIds.add(message.eventId);
      input.onStep?.({ kind: 'moved', consumer: consumer.name, ...message });
    }, input.startedAtMs);
    if (!input.rebuild) continue;
    const left: Outcome[] = [];
    for await (const outcome of input.ledger.deadLetters(consumer.name)) {
      // Dead-lettered again since the redrive started: its message is in the queue, for the next run.
      if (!movedIds.has(outcome.eventId) && Date.parse(outcome.updatedAt) < input.startedAtMs)
        left.push(outcome);
    }
    for (const outcome of left) {
      const event = await input.rebuild(outcome);
      const step = { consumer: consumer.name, eventId: outcome.eventId, reason: outcome.reason };
      if (typeof event === 'string') {
        counts.unavailable++;
        input.onStep?.({ kind: 'unavailable', ...step, why: event });
        continue;
      }
      await consumer.enqueue(JSON.stringify(event), eventMessageAttributes(event));
      counts.resent++;
      input.onStep?.({ kind: 'resent', ...step });
    }
  }
  return summary;
};

/** The event of a dead-lettered record rebuilt from the store, or why it cannot be. */
export const eventOfDeadLetter = async (
  store: DeliveriesByTime,
  outcome: Outcome,
): Promise<ConnectionEvent | string> => {
  const delivery = await findDelivery(store, outcome.eventId);
  if (!delivery) return 'not a stored event';
  if (delivery.version !== outcome.version)
    return `the stored delivery is now version ${delivery.version ?? 'none'}`;
  try {
    return envelopeOfDelivery(delivery);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
};

// ── replay --consumer ──

/**
 * Publishes to one consumer's queue, as its subscription would have delivered it (raw: the envelope
 * as the body, the message attributes beside it). An event its filter policy refuses is not sent:
 * `replayDeliveries` asks `accepts` first and counts it as skipped.
 */
export class ConsumerQueuePublisher implements EventPublisher {
  constructor(
    private readonly consumer: ConsumerEndpoint,
    private readonly force: boolean,
  ) {}

  accepts(event: ConnectionEvent): boolean {
    // A policy nobody can read is not a reason to refuse: the operator named this consumer.
    return passesFilter(this.consumer, event) !== false;
  }

  async publish(event: ConnectionEvent): Promise<void> {
    await this.consumer.enqueue(JSON.stringify(event), eventMessageAttributes(event, this.force));
  }
}
