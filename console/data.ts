/**
 * What the console reads and does, over one target (the deployed stack or local mode), through the
 * same code the CLI runs: the target's store, outcome ledger and consumers (cli/target.ts,
 * cli/consumers.ts), and the use cases (`showEvent`, `replayOne`, `listRecentConnections`,
 * `redriveDeadLetters`, `retryQuarantined`). The pages only render what this returns.
 *
 * Every failure to reach the target is a CliError with one line that says what to do (the CLI's
 * messages); an operator's mistake (an unknown consumer) is a UsageError.
 */

import { describeAwsError } from '../cli/aws.ts';
import { replayPublisher } from '../cli/commands/replay.ts';
import { chosenConsumers, outcomeLedger, targetConsumers } from '../cli/consumers.ts';
import { CliError } from '../cli/errors.ts';
import { type QuarantineRetryResult, retryQuarantined } from '../cli/quarantine-retry.ts';
import { connectionStore, describeStoreError, type Target, targetLabel, webhookUrl } from '../cli/target.ts';
import type { Outcome } from '../lambda/consumers/runtime/outcomes.ts';
import type { ConnectionEvent } from '../lambda/domain/envelope.ts';
import { envelopeOfDelivery } from '../lambda/use-cases/envelope-of-delivery.ts';
import {
  type ConsumerEndpoint,
  type EventReport,
  eventOfDeadLetter,
  findDelivery,
  listDeadLetters,
  type RedriveStep,
  type RedriveSummary,
  redriveDeadLetters,
  showEvent,
} from '../lambda/use-cases/inspect-deliveries.ts';
import {
  type DeliverySummary,
  type EventsPage,
  type EventsQuery,
  eventsBetween,
  listEvents,
} from '../lambda/use-cases/list-events.ts';
import {
  listRecentConnections,
  type RecentConnectionsPage,
} from '../lambda/use-cases/list-recent-connections.ts';
import type { QuarantineEntry, StoredDelivery, StoredLatestConnection } from '../lambda/use-cases/ports.ts';
import { type ReplayOutcome, replayOne } from '../lambda/use-cases/replay-deliveries.ts';
import type { AlarmReader, AlarmState } from './alarms.ts';
import { type AssetChanges, assetChanges } from './changes.ts';

/** One delivery of a client's history, with what changed since the one before it. */
export interface ClientDelivery {
  delivery: StoredDelivery;
  event: ConnectionEvent | null;
  envelopeError: string | null;
  changes: AssetChanges | null;
}

export interface ClientView {
  latest: StoredLatestConnection | null;
  history: ClientDelivery[];
}

/** Events of one hour, by status. */
export interface HourBucket {
  /** ISO time the hour starts. */
  start: string;
  counts: Record<string, number>;
}

export interface HealthView {
  pending: number;
  quarantined: number;
  deadLetters: { consumer: string; count: number }[];
  /** Null in local mode (no CloudWatch); an error message when they cannot be read. */
  alarms: AlarmState[] | null | { error: string };
  hours: HourBucket[];
}

export interface RedriveView {
  summary: RedriveSummary;
  steps: RedriveStep[];
}

const HOUR_MS = 60 * 60 * 1000;
/** How long the list of consumers (a few calls per consumer when deployed) is reused. */
const CONSUMERS_TTL_MS = 30_000;
/** Deliveries of a client's history shown. */
const HISTORY_LIMIT = 50;

export class ConsoleData {
  private consumerCache: { at: number; consumers: Promise<ConsumerEndpoint[]> } | null = null;
  readonly label: string;

  constructor(
    readonly target: Target,
    private readonly options: { alarms: AlarmReader | null; now?: () => Date; label?: string },
  ) {
    this.label = options.label ?? targetLabel(target);
  }

  now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }

  private get store() {
    return connectionStore(this.target);
  }

  /** Runs a read or write of the store; a failure becomes the CLI's one-line message. */
  private async onStore<T>(doing: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof CliError) throw error;
      if (error instanceof Error && error.name === 'BadRequestError') throw error;
      throw new CliError(describeStoreError(this.target, error, doing));
    }
  }

  consumers(): Promise<ConsumerEndpoint[]> {
    const at = Date.now();
    if (this.consumerCache === null || at - this.consumerCache.at > CONSUMERS_TTL_MS) {
      const consumers = targetConsumers(this.target);
      // A failed look-up is not kept: the next page asks again.
      consumers.catch(() => {
        this.consumerCache = null;
      });
      this.consumerCache = { at, consumers };
    }
    return this.consumerCache.consumers;
  }

  events(query: EventsQuery): Promise<EventsPage> {
    return this.onStore('reading the events', () => listEvents(this.store, query));
  }

  async event(eventId: string): Promise<EventReport | null> {
    const consumers = await this.consumers();
    return this.onStore('reading the event and its outcomes', () =>
      showEvent({ eventId, store: this.store, ledger: outcomeLedger(this.target), consumers }),
    );
  }

  /** Publishes one stored event again: to one consumer's queue, or to all (the topic). Null: no such event. */
  async replay(eventId: string, consumer: string | null, force: boolean): Promise<ReplayOutcome | null> {
    const delivery = await this.onStore('reading the event', () => findDelivery(this.store, eventId));
    if (delivery === null) return null;
    const { publisher, accepts } = await replayPublisher(this.target, {
      consumer: consumer ?? undefined,
      force,
    });
    return replayOne(delivery, { publisher, ...(accepts ? { accepts } : {}) });
  }

  clients(query: { cursor?: string; limit: number }): Promise<RecentConnectionsPage> {
    return this.onStore('reading the clients', () =>
      listRecentConnections(this.store, { ...query, now: this.now() }),
    );
  }

  async client(user: string | null, requestUrl: string): Promise<ClientView> {
    const store = this.store;
    const [latest, deliveries] = await this.onStore('reading the client', () =>
      Promise.all([store.latestOf([{ user, requestUrl }]), store.history(user, requestUrl, HISTORY_LIMIT)]),
    );
    const rebuilt = deliveries.map((delivery) => {
      try {
        return { delivery, event: envelopeOfDelivery(delivery), envelopeError: null };
      } catch (error) {
        return {
          delivery,
          event: null,
          envelopeError: error instanceof Error ? error.message : String(error),
        };
      }
    });
    // Newest first: each delivery is compared with the next one in the list, the one before it in time.
    const history = rebuilt.map((entry, index): ClientDelivery => {
      const previous = rebuilt[index + 1];
      const changes =
        entry.event === null
          ? null
          : assetChanges(entry.event.assets, previous?.event ? previous.event.assets : null);
      return { ...entry, changes };
    });
    return { latest: latest[0] ?? null, history };
  }

  quarantine(): Promise<QuarantineEntry[]> {
    return this.onStore('reading the quarantine', async () => {
      const entries: QuarantineEntry[] = [];
      for await (const entry of this.store.quarantined()) entries.push(entry);
      return entries;
    });
  }

  private async quarantineEntry(id: string): Promise<QuarantineEntry | null> {
    return (await this.quarantine()).find((entry) => entry.id === id) ?? null;
  }

  /** `quarantine retry` of one entry; null when it is not (or no longer) quarantined. */
  async retryQuarantine(id: string, contentType: string | undefined): Promise<QuarantineRetryResult | null> {
    const entry = await this.quarantineEntry(id);
    if (entry === null) return null;
    const url = await webhookUrl(this.target);
    return retryQuarantined(this.target, entry, { contentType, now: () => this.now(), webhookUrl: url });
  }

  /** `quarantine discard` of one entry; false when it is not (or no longer) quarantined. */
  async discardQuarantine(id: string): Promise<boolean> {
    const entry = await this.quarantineEntry(id);
    if (entry === null) return false;
    return this.onStore('discarding the entry', () =>
      this.store.discardQuarantined(entry.id, this.now().toISOString()),
    );
  }

  /** The unresolved dead letters of every consumer (`dead-letters list`). */
  async deadLetters(): Promise<{ consumer: string; outcomes: Outcome[] }[]> {
    const consumers = await this.consumers();
    const ledger = outcomeLedger(this.target);
    return this.onStore('reading the dead-lettered outcomes', async () => {
      const found = consumers.map((c) => ({ consumer: c.name, outcomes: [] as Outcome[] }));
      for await (const outcome of listDeadLetters(
        ledger,
        consumers.map((c) => c.name),
      )) {
        found.find((f) => f.consumer === outcome.consumer)?.outcomes.push(outcome);
      }
      return found;
    });
  }

  /** `dead-letters redrive --consumer NAME`. */
  async redrive(consumer: string): Promise<RedriveView> {
    const consumers = await chosenConsumers(this.target, [consumer]);
    const store = this.store;
    const steps: RedriveStep[] = [];
    const summary = await this.onStore('redriving the dead letters', () =>
      redriveDeadLetters({
        ledger: outcomeLedger(this.target),
        consumers,
        dryRun: false,
        startedAtMs: this.now().getTime(),
        rebuild: (outcome) => eventOfDeadLetter(store, outcome),
        onStep: (step) => steps.push(step),
      }),
    );
    return { summary, steps };
  }

  async health(): Promise<HealthView> {
    const now = this.now();
    const consumers = await this.consumers();
    const ledger = outcomeLedger(this.target);
    const store = this.store;
    const [pending, quarantined, deadLetters, hours] = await this.onStore('reading the counts', () =>
      Promise.all([
        store.countPending(),
        store.countQuarantined(),
        Promise.all(
          consumers.map(async (c) => ({ consumer: c.name, count: await ledger.countDeadLetters(c.name) })),
        ),
        this.eventsPerHour(now),
      ]),
    );
    return { pending, quarantined, deadLetters, alarms: await this.alarmStates(), hours };
  }

  private async alarmStates(): Promise<HealthView['alarms']> {
    if (this.target.kind === 'local' || this.options.alarms === null) return null;
    try {
      return await this.options.alarms.alarms(`${this.target.stackName}-`);
    } catch (error) {
      return { error: describeAwsError(error, 'reading the alarms (cloudwatch:DescribeAlarms)') };
    }
  }

  /** Events of the last 24 whole hours and this one, by status, oldest hour first. */
  private async eventsPerHour(now: Date): Promise<HourBucket[]> {
    const thisHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const first = thisHour - 23 * HOUR_MS;
    const hours: HourBucket[] = Array.from({ length: 24 }, (_, i) => ({
      start: new Date(first + i * HOUR_MS).toISOString(),
      counts: {},
    }));
    const events: AsyncIterable<DeliverySummary> = eventsBetween(
      this.store,
      new Date(first).toISOString(),
      now.toISOString(),
    );
    for await (const event of events) {
      const bucket = hours[Math.floor((Date.parse(event.receivedAt) - first) / HOUR_MS)];
      if (!bucket) continue;
      const status = event.status ?? 'NONE';
      bucket.counts[status] = (bucket.counts[status] ?? 0) + 1;
    }
    return hours;
  }
}
