/**
 * What the use cases need from the outside world, as interfaces. `lambda/adapters/` implements
 * them with DynamoDB and SNS; tests and local mode plug in their own.
 */
import type { MetricName } from '../contract.ts';
import type { ConnectionEvent } from '../domain/envelope.ts';
import type { FlatRecord } from '../domain/flatten.ts';

/** A delivery as first recorded: the raw payload and who it belongs to. */
export interface NewDelivery {
  fingerprint: string;
  eventId: string;
  /** ISO time the webhook arrived. */
  receivedAt: string;
  user: string | null;
  requestUrl: string;
  requestName: string;
  status: string | null;
  apiVersion: number;
  /** The body exactly as received. */
  rawBody: string;
  /**
   * What the console filters deliveries on (the delivery indexes project them): set by ingest, absent
   * on deliveries stored before they were kept.
   */
  clientName?: string | null;
  accessLevel?: string | null;
  isTest?: boolean;
  platforms?: string[];
  assetTypes?: string[];
  /** Epoch ms until which the recording request owns the delivery (others answer "in progress"). */
  leaseUntil: number;
}

/** A delivery as stored: `version` once the latest state was advanced, `publishedAt` once published. */
export interface StoredDelivery extends NewDelivery {
  version: number | null;
  publishedAt: string | null;
  /** Reconciler publish attempts that failed so far (its backoff and its last attempt count these). */
  publishAttempts: number;
  /** Set while the delivery is quarantined (the topic would not take it): its quarantine entry's id. */
  quarantineId: string | null;
}

/** When a delivery that failed to publish is tried again (the reconciler's backoff). */
export interface PublishRetry {
  /** Failed attempts so far, this one included. */
  attempts: number;
  /** ISO time before which the reconciler does not read it again. */
  nextAttemptAt: string;
}

/** The latest state of one (user, request), as written after each new delivery. */
export interface LatestConnection {
  user: string | null;
  requestUrl: string;
  requestName: string;
  clientName: string | null;
  status: string | null;
  accessLevel: string | null;
  apiVersion: number;
  isTest: boolean;
  eventId: string;
  fingerprint: string;
  receivedAt: string;
  flat: FlatRecord;
}

export interface StoredLatestConnection extends LatestConnection {
  version: number;
}

export type CreateDeliveryResult = { created: true } | { created: false; existing: StoredDelivery };

/** `superseded`: a newer delivery of the same (user, request) is already the latest state. */
export type AdvanceResult = { version: number } | { superseded: true };

export interface ConnectionStore {
  /** Records a delivery unless one with the same fingerprint exists (one conditional write). */
  createDelivery(delivery: NewDelivery): Promise<CreateDeliveryResult>;
  /** Takes over an unpublished delivery whose lease has run out; false when someone else holds it. */
  claimDelivery(fingerprint: string, nowMs: number, leaseUntil: number): Promise<boolean>;
  /** Makes this delivery the latest state of its (user, request), unless a newer one already is. */
  advanceLatest(latest: LatestConnection): Promise<AdvanceResult>;
  /** Releases the lease of an unpublished delivery, so a redelivery may resume it at once. */
  releaseLease(fingerprint: string): Promise<void>;
  /**
   * Keeps the version of a delivery that could not be published, and releases its lease; with
   * `retry`, also counts the attempt and moves its place in the pending index to the next attempt time.
   */
  recordPublishFailure(
    delivery: Pick<StoredDelivery, 'fingerprint' | 'eventId'>,
    version: number,
    retry?: PublishRetry,
  ): Promise<void>;
  /** Marks a delivery published (it leaves the pending index, and quarantine if it was there). */
  markPublished(fingerprint: string, version: number, publishedAt: string): Promise<void>;
  /**
   * Takes an unpublished delivery out of the pending index for good (the topic will not take it),
   * remembering its quarantine entry; `version` is kept when it has one. Its lease is released.
   */
  quarantineDelivery(fingerprint: string, version: number | null, quarantineId: string): Promise<void>;
  /**
   * Puts a quarantined delivery back in the pending index, due at `dueAt`, its attempts reset
   * (`quarantine retry`); false when it is not quarantined (published, or unknown).
   */
  requeueDelivery(delivery: Pick<StoredDelivery, 'fingerprint' | 'eventId'>, dueAt: string): Promise<boolean>;
  /** One delivery, read consistently; null when there is none. */
  getDelivery(fingerprint: string): Promise<StoredDelivery | null>;
  /** The latest connection of every request of one user (null: deliveries without a user). */
  latestForUser(user: string | null): Promise<StoredLatestConnection[]>;
  /** The version of the latest state of one (user, request); null when there is none. */
  latestVersion(user: string | null, requestUrl: string): Promise<number | null>;
}

/** A delivery as the time index lists it: where it stands, and which connection it belongs to. */
export interface RecentDelivery {
  user: string | null;
  requestUrl: string;
  eventId: string;
  /** Its place in time order (`<receivedAt>#<eventId>`): a page continues before it. */
  position: string;
}

/** One read of the time index: its deliveries, newest first, and where the next read starts. */
export interface RecentDeliveriesPage {
  deliveries: RecentDelivery[];
  /** The position to read before next; null when nothing received since `since` is left. */
  next: string | null;
}

/** Reads recent connections through the time index (`byTime`) and whole latest items, never a scan. */
export interface RecentConnectionsReader {
  /**
   * Deliveries received before `before` (a position, exclusive) and at or after `since` (ISO time),
   * newest first, at most `limit` of them; one read of the index (so possibly fewer, `next` set).
   */
  deliveriesBefore(before: string, since: string, limit: number): Promise<RecentDeliveriesPage>;
  /** The latest state of each (user, request) given; those without one are left out. */
  latestOf(pairs: { user: string | null; requestUrl: string }[]): Promise<StoredLatestConnection[]>;
}

/** Deliveries stored but not yet published (the pending index, sorted by next attempt time). */
export interface PendingDeliveries {
  /** The pending deliveries due at `now` (next attempt time passed), soonest due first, a page at a time. */
  duePending(now: Date): AsyncGenerator<StoredDelivery[]>;
  /** Every pending delivery, due or waiting out its backoff. */
  countPending(): Promise<number>;
}

export interface EventPublisher {
  publish(event: ConnectionEvent): Promise<void>;
}

/** The logging the use cases do; Powertools Logger satisfies it. */
export interface Log {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/**
 * A CRM (or any system of record) that a consumer keeps up to date (`lambda/consumers/crm.ts`).
 * Adding Pipedrive or Salesforce is a consumer module whose target implements this.
 */
export interface CrmTarget {
  /** Name in logs and dead letters. */
  readonly name: string;
  /** True when the target identifies records by the event's user (events without one are skipped). */
  readonly requiresUser: boolean;
  /**
   * Writes the event; throws RetryableDeliveryError or PermanentDeliveryError on failure. A real
   * send says what the target answered (for the outcome and the log line); a dry run says nothing.
   */
  upsert(event: ConnectionEvent): Promise<CrmReceipt | undefined>;
}

/** The sends that must reach one consumer's target in version order: those of one (user, request). */
export interface OrderKey {
  consumer: string;
  user: string | null;
  requestUrl: string;
}

/**
 * - `acquired`: this send holds the lease (`owner` gives it back);
 * - `stale`: the consumer already applied a newer version (`appliedVersion`);
 * - `busy`: another send holds the lease until `leaseUntil` (epoch ms).
 */
export type OrderClaim =
  | { outcome: 'acquired'; owner: string }
  | { outcome: 'stale'; appliedVersion: number }
  | { outcome: 'busy'; leaseUntil: number };

/**
 * Keeps one consumer's sends of one (user, request) in version order across concurrent invocations:
 * a send holds a short lease, and the version it applied is remembered, so an older version is
 * neither sent at the same time as a newer one nor after it.
 */
export interface OrderingGuard {
  /**
   * Takes the lease of `key` for a send of `version` until `leaseUntil` (epoch ms), in one
   * conditional write: unless another send holds a live lease, or a newer version was applied.
   */
  acquire(key: OrderKey, version: number, nowMs: number, leaseUntil: number): Promise<OrderClaim>;
  /**
   * Gives the lease back, if `owner` still holds it, in one conditional write; with `appliedVersion`
   * (the send worked), also records that version as applied. False when the lease was no longer
   * `owner`'s (it ran out and another send took it): nothing was written.
   */
  release(key: OrderKey, owner: string, appliedVersion: number | null): Promise<boolean>;
}

/** What a CRM or webhook target answered to a write it took: `upserted 200`, `posted 204`. */
export interface CrmReceipt {
  outcome: 'upserted' | 'posted';
  status: number;
}

// ── Google Sheets and email consumers ──

/**
 * What a consumer's side effect is done once for: the row of one event in one sheet, one email of
 * one consumer for one event. The store turns it into a table key (`keys.once`).
 */
export type OnceKey =
  | { kind: 'sheet-row'; spreadsheetId: string; sheetName: string; eventId: string }
  | { kind: 'email'; consumer: string; email: 'team' | 'client'; eventId: string };

/**
 * - `claimed`: this attempt does the side effect; `recovering` when an earlier attempt claimed it and
 *   failed or crashed (its side effect may or may not have happened);
 * - `done`: it was done (by an earlier delivery of the same event);
 * - `busy`: another attempt holds the claim until `leaseUntil` (epoch ms).
 */
export type OnceClaim =
  | { outcome: 'claimed'; recovering: boolean }
  | { outcome: 'done'; doneAt: string | null }
  | { outcome: 'busy'; leaseUntil: number };

/** Records that make a redelivered event not repeat a side effect (a sheet row, an email). */
export interface IdempotencyLedger {
  /** Claims the side effect until `leaseUntil` (epoch ms), unless it is done or someone else holds it. */
  claimOnce(key: OnceKey, nowMs: number, leaseUntil: number): Promise<OnceClaim>;
  /** Marks the side effect done: every later claim answers `done`. */
  completeOnce(key: OnceKey, doneAt: string): Promise<void>;
  /** Gives a failed claim back, so a redelivery may retry at once (as `recovering`). */
  releaseOnce(key: OnceKey): Promise<void>;
}

/**
 * One sheet (tab) of one spreadsheet, as the Sheets appender needs it. Implemented by
 * `GoogleSheetsWriter`; local mode can plug in a dry-run one.
 */
export interface SheetsWriter {
  readonly spreadsheetId: string;
  readonly sheetName: string;
  /** The header row's cells (trailing empty cells dropped; empty for an empty sheet). */
  readHeader(): Promise<string[]>;
  /** Writes the header row from A1, widening the sheet first when it has fewer columns. */
  writeHeader(header: string[]): Promise<void>;
  /** Every cell of one column (0-based), header included. */
  readColumn(index: number): Promise<string[]>;
  /**
   * Appends one row below the table that starts at A1; cells are stored as text, never as formulas.
   * A real append resolves to Google's HTTP status (for the log line); a dry run to nothing.
   */
  appendRow(cells: string[]): Promise<number | undefined>;
}

/** One email as SES sends it: plain addresses, both parts. */
export interface OutgoingEmail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Which email this is and for which event (tags, logs, dry-run outbox). */
  kind: 'team' | 'client';
  eventId: string;
  /** The event's per-(user, request) version, so the dry-run outbox line carries it as Slack's does. */
  version: number;
}

/** Sends emails (SES; local mode can plug in a dry-run one). Throws the typed delivery errors. */
export interface EmailSender {
  /** Sends one email; resolves with the provider's message id. */
  send(email: OutgoingEmail): Promise<string>;
}

// ── quarantine ──

/** Why a request was refused: the answer it got (status, error kind, message) and each problem. */
export interface QuarantineReason {
  status: number;
  kind: string;
  message: string;
  problems: { path: string; message: string }[];
}

/** An authenticated request that failed validation, as kept so that nothing Leadsie sent is lost. */
export interface NewQuarantineEntry {
  /** Hex SHA-256 of the whole body as received: the same body sent again is the same entry. */
  id: string;
  /** ISO time this request arrived. */
  receivedAt: string;
  /** The request's content type, as sent (null when it sent none). */
  contentType: string | null;
  /** The body's bytes as received, cut at the kept limit (`bodyBytes` says how long it was). */
  body: Uint8Array;
  /** Size of the body as received, in bytes. */
  bodyBytes: number;
  reason: QuarantineReason;
  /**
   * Set when the entry is a stored delivery the topic would not take (not a refused request): its
   * fingerprint, so `quarantine retry` resumes that delivery instead of sending the body again.
   */
  fingerprint?: string;
}

/** A quarantined request as stored: first and last arrival, how often it came, whether it was resolved. */
export interface QuarantineEntry extends Omit<NewQuarantineEntry, 'fingerprint'> {
  /** The stored delivery this entry holds back; null for a refused request. */
  fingerprint: string | null;
  firstReceivedAt: string;
  /** Times this body arrived (Leadsie's retries and `quarantine retry` that failed again included). */
  attempts: number;
  /** Set once a retry was accepted: the eventId ingest answered with. */
  resolvedEventId: string | null;
  resolvedAt: string | null;
}

/** Where quarantined requests are kept; unresolved ones are listed through the `byState` index. */
export interface QuarantineStore {
  /** Records an arrival of a refused body (a new entry, or one more attempt of an existing one). */
  quarantine(entry: NewQuarantineEntry): Promise<{ attempts: number }>;
  /** Unresolved entries, oldest first arrival first. */
  quarantined(): AsyncGenerator<QuarantineEntry>;
  /** Marks an entry resolved (it leaves the unresolved list); false when there is no such entry. */
  resolveQuarantined(id: string, eventId: string, resolvedAt: string): Promise<boolean>;
  /**
   * Marks an entry discarded: resolved without being ingested (junk, a test body, a body kept cut
   * short), so it leaves the list and the alarm; false when there is no such entry. The same body
   * arriving again is quarantined again.
   */
  discardQuarantined(id: string, discardedAt: string): Promise<boolean>;
  /** How many entries are unresolved. */
  countQuarantined(): Promise<number>;
}

// ── metrics ──

/** The extra dimension of a count, on top of the stack's `service`: its consumer, or why a request was refused. */
export type MetricDimensions = { consumer: string } | { reason: string };

/**
 * The counts the app keeps (names from `METRIC_NAMES` in `lambda/contract.ts`). Deployed, they are
 * CloudWatch EMF metrics (`lambda/adapters/powertools-metrics.ts`, flushed after each invocation by
 * the house middleware); local mode counts nothing ({@link noMetrics}); tests keep a tally.
 */
export interface Metrics {
  /** Adds `value` (default 1, unit Count) to the metric `name`, in the series of `dimensions` when given. */
  count(name: MetricName, value?: number, dimensions?: MetricDimensions): void;
}

/** Counts nothing: what a use case counts with when its deps bring no metrics (local mode, most tests). */
export const noMetrics: Metrics = { count: () => undefined };
