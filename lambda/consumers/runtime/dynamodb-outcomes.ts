/**
 * Outcome records in the connections table (layout in `outcomes.ts`). The success path is two
 * writes: the claim (one conditional UpdateItem that also returns the item as it was) and `done`.
 * Failure writes are conditional on the item not being done, so a slow failed copy never undoes a
 * send another copy finished. Unresolved dead letters carry the `byState` keys and no `expiresAt`.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DEFAULT_OUTCOME_RETENTION_DAYS, NEXT_TABLE_INDEXES, TABLE } from '../../contract.ts';
import type { OnceKey } from '../../use-cases/ports.ts';
import {
  type ClaimOptions,
  type ClaimResult,
  daysBetween,
  expiryOf,
  type FailureRecord,
  type Outcome,
  type OutcomeLedger,
  type OutcomeRef,
  type OutcomeState,
  outcomeKeys,
} from './outcomes.ts';

const { partitionKey: PK, sortKey: SK } = TABLE;
const STATE_PK = TABLE.indexes.byState.partitionKey;
const STATE_SK = TABLE.indexes.byState.sortKey;
const TTL = TABLE.ttlAttribute;
/** BatchGetItem takes at most this many keys per call. */
const BATCH_GET_LIMIT = 100;

/**
 * The key of a Sheets or email once-only record written before the cut-over. Spelled as
 * `DynamoDbConnectionStore.onceItemKey` spells it (a test holds the two together).
 */
export const legacyOnceItemKey = (key: OnceKey): Record<string, string> =>
  key.kind === 'sheet-row'
    ? { [PK]: `SHEETROW#${key.spreadsheetId}#${key.sheetName}`, [SK]: `EVENT#${key.eventId}` }
    : { [PK]: `EMAIL#${key.eventId}`, [SK]: `SENT#${key.consumer}#${key.email}` };

export interface DynamoDbOutcomeLedgerOptions {
  tableName: string;
  /** Days a record is kept; default `DEFAULT_OUTCOME_RETENTION_DAYS`. */
  retentionDays?: number;
  /** The index holding the `DEADLETTERED#<consumer>` partitions; default the table's `byState`. */
  deadLetterIndex?: string;
}

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof Error && error.name === 'ConditionalCheckFailedException');

export class DynamoDbOutcomeLedger implements OutcomeLedger {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retentionDays: number;
  /** The byState index read: the V2 one, unless it is missing (a stack part-way through its upgrade). */
  private deadLetterIndex: string;
  private readonly fixedIndex: boolean;

  constructor(client: DynamoDBClient, options: DynamoDbOutcomeLedgerOptions) {
    this.doc = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    this.tableName = options.tableName;
    this.retentionDays = options.retentionDays ?? DEFAULT_OUTCOME_RETENTION_DAYS;
    this.deadLetterIndex = options.deadLetterIndex ?? NEXT_TABLE_INDEXES.byState.name;
    this.fixedIndex = options.deadLetterIndex !== undefined;
  }

  /** A Query of the byState index, turning to the other layout's index once when this one is missing. */
  private async queryState(input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'IndexName'>) {
    try {
      return await this.doc.send(new QueryCommand({ ...input, IndexName: this.deadLetterIndex }));
    } catch (error) {
      const missing =
        error instanceof Error && error.name === 'ValidationException' && /index/i.test(error.message);
      if (!missing || this.fixedIndex) throw error;
      this.deadLetterIndex =
        this.deadLetterIndex === NEXT_TABLE_INDEXES.byState.name
          ? TABLE.indexes.byState.name
          : NEXT_TABLE_INDEXES.byState.name;
      return this.doc.send(new QueryCommand({ ...input, IndexName: this.deadLetterIndex }));
    }
  }

  private key(ref: OutcomeRef) {
    return { [PK]: outcomeKeys.pk(ref), [SK]: outcomeKeys.sk(ref) };
  }

  /** SET clauses every write has, so any write may create the item (the claim-less path does). */
  private identity(ref: OutcomeRef, nowMs: number) {
    return {
      set: '#type = :type, #consumer = :consumer, #eventId = :eventId, #version = :version, #updatedAt = :updatedAt',
      names: {
        '#type': 'type',
        '#consumer': 'consumer',
        '#eventId': 'eventId',
        '#version': 'version',
        '#updatedAt': 'updatedAt',
      },
      values: {
        ':type': 'outcome',
        ':consumer': ref.consumer,
        ':eventId': ref.eventId,
        ':version': ref.version,
        ':updatedAt': new Date(nowMs).toISOString(),
      },
    };
  }

  async claim(ref: OutcomeRef, options: ClaimOptions): Promise<ClaimResult> {
    const id = this.identity(ref, options.nowMs);
    const condition = options.force
      ? 'attribute_not_exists(#pk) OR #state <> :claimed OR leaseUntil <= :nowMs'
      : 'attribute_not_exists(#pk) OR (#state <> :done AND (#state <> :claimed OR leaseUntil <= :nowMs))';
    try {
      const result = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(ref),
          UpdateExpression:
            `SET ${id.set}, #state = :claimed, leaseUntil = :lease, ` +
            `attempts = if_not_exists(attempts, :zero) + :one, ${options.force ? 'steps = :noSteps' : 'steps = if_not_exists(steps, :noSteps)'}, #ttl = :ttl ` +
            'REMOVE nextAttemptAt, #statePk, #stateSk',
          ConditionExpression: condition,
          ExpressionAttributeNames: {
            ...id.names,
            '#pk': PK,
            '#state': 'state',
            '#ttl': TTL,
            '#statePk': STATE_PK,
            '#stateSk': STATE_SK,
          },
          ExpressionAttributeValues: {
            ...id.values,
            ':claimed': 'claimed',
            ...(options.force ? {} : { ':done': 'done' }),
            ':lease': options.leaseUntil,
            ':nowMs': options.nowMs,
            ':zero': 0,
            ':one': 1,
            ':noSteps': {},
            ':ttl': expiryOf(options.nowMs, this.retentionDays),
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const before = result.Attributes ? toOutcome(result.Attributes) : null;
      return {
        outcome: 'claimed',
        previous: before?.state ?? null,
        recovering: before?.state === 'claimed',
        attempts: (before?.attempts ?? 0) + 1,
        outcomeBefore: before,
      };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // Why it was refused: one consistent read (not every DynamoDB-compatible store returns the item
    // with the condition failure).
    const current = await this.get(ref, true);
    if (current?.state === 'done') return { outcome: 'done', outcomeBefore: current };
    return { outcome: 'busy', leaseUntil: current?.leaseUntil ?? options.nowMs };
  }

  async done(ref: OutcomeRef, nowMs: number, detail: string | null, attempts: number): Promise<void> {
    const id = this.identity(ref, nowMs);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.key(ref),
        UpdateExpression:
          `SET ${id.set}, #state = :done, detail = :detail, attempts = :attempts, #ttl = :ttl ` +
          'REMOVE leaseUntil, nextAttemptAt, #statePk, #stateSk',
        ExpressionAttributeNames: {
          ...id.names,
          '#state': 'state',
          '#ttl': TTL,
          '#statePk': STATE_PK,
          '#stateSk': STATE_SK,
        },
        ExpressionAttributeValues: {
          ...id.values,
          ':done': 'done',
          ':detail': detail,
          ':attempts': attempts,
          ':ttl': expiryOf(nowMs, this.retentionDays),
        },
      }),
    );
  }

  async stepDone(ref: OutcomeRef, step: string, nowMs: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.key(ref),
        UpdateExpression: 'SET steps.#step = :at',
        ConditionExpression: 'attribute_exists(steps)',
        ExpressionAttributeNames: { '#step': step },
        ExpressionAttributeValues: { ':at': new Date(nowMs).toISOString() },
      }),
    );
  }

  async skipped(ref: OutcomeRef, nowMs: number, reason: string, attempts: number): Promise<void> {
    await this.unlessDone(ref, nowMs, 'skipped', {
      set: 'reason = :reason, attempts = :attempts, #ttl = :ttl',
      remove: 'leaseUntil, nextAttemptAt, #statePk, #stateSk',
      values: { ':reason': reason, ':attempts': attempts, ':ttl': expiryOf(nowMs, this.retentionDays) },
    });
  }

  async failed(ref: OutcomeRef, failure: FailureRecord): Promise<void> {
    await this.unlessDone(ref, failure.nowMs, failure.state, {
      set: 'attempts = :attempts, lastError = :lastError, nextAttemptAt = :next, lastDelaySeconds = :delay, #ttl = :ttl',
      remove: 'leaseUntil, #statePk, #stateSk',
      values: {
        ':attempts': failure.attempts,
        ':lastError': failure.lastError,
        ':next': failure.nextAttemptAt,
        ':delay': failure.lastDelaySeconds,
        ':ttl': expiryOf(failure.nowMs, this.retentionDays),
      },
    });
  }

  async deadLettered(ref: OutcomeRef, nowMs: number, reason: string, attempts: number): Promise<void> {
    const at = new Date(nowMs).toISOString();
    await this.unlessDone(ref, nowMs, 'dead-lettered', {
      set: 'reason = :reason, lastError = :reason, attempts = :attempts, #statePk = :statePk, #stateSk = :stateSk',
      // No expiresAt: an unresolved dead letter must outlive the queue that held it.
      remove: 'leaseUntil, nextAttemptAt, resolvedAt, #ttl',
      values: {
        ':reason': reason,
        ':attempts': attempts,
        ':statePk': outcomeKeys.deadLetterPartition(ref.consumer),
        ':stateSk': outcomeKeys.deadLetterSort(at, ref),
      },
    });
  }

  async resolve(ref: OutcomeRef, nowMs: number, note: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(ref),
          UpdateExpression:
            'SET resolvedAt = :at, detail = :note, updatedAt = :at, #ttl = :ttl REMOVE #statePk, #stateSk',
          ConditionExpression: '#state = :deadLettered AND attribute_exists(#statePk)',
          ExpressionAttributeNames: {
            '#state': 'state',
            '#ttl': TTL,
            '#statePk': STATE_PK,
            '#stateSk': STATE_SK,
          },
          ExpressionAttributeValues: {
            ':at': new Date(nowMs).toISOString(),
            ':note': note,
            ':ttl': expiryOf(nowMs, this.retentionDays),
            ':deadLettered': 'dead-lettered',
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async get(ref: OutcomeRef, consistent = false): Promise<Outcome | null> {
    const result = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(ref), ConsistentRead: consistent }),
    );
    return result.Item ? toOutcome(result.Item) : null;
  }

  async *since(consumer: string, sinceMs: number, untilMs: number): AsyncGenerator<Outcome> {
    const days = daysBetween(sinceMs, untilMs);
    for (const [index, day] of days.entries()) {
      // The first and last days are cut at the ULID time prefix of `since` and `until`.
      const lower = index === 0 ? outcomeKeys.sortFloor(sinceMs) : undefined;
      const upper = index === days.length - 1 ? outcomeKeys.sortCeiling(untilMs) : undefined;
      const range =
        lower && upper
          ? ' AND #sk BETWEEN :lower AND :upper'
          : lower
            ? ' AND #sk >= :lower'
            : upper
              ? ' AND #sk <= :upper'
              : '';
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: `#pk = :pk${range}`,
            ExpressionAttributeNames: range ? { '#pk': PK, '#sk': SK } : { '#pk': PK },
            ExpressionAttributeValues: {
              ':pk': outcomeKeys.partition(consumer, day),
              ...(lower ? { ':lower': lower } : {}),
              ...(upper ? { ':upper': upper } : {}),
            },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) yield toOutcome(item);
        start = page.LastEvaluatedKey;
      } while (start);
    }
  }

  async *deadLetters(consumer: string): AsyncGenerator<Outcome> {
    let start: Record<string, unknown> | undefined;
    do {
      // The index may project keys only (`byStateV2`): read the keys, then the items.
      const page = await this.queryState({
        TableName: this.tableName,
        KeyConditionExpression: '#statePk = :statePk',
        ExpressionAttributeNames: { '#statePk': STATE_PK },
        ExpressionAttributeValues: { ':statePk': outcomeKeys.deadLetterPartition(consumer) },
        ExclusiveStartKey: start,
      });
      const keys = (page.Items ?? []).map((item) => ({ [PK]: item[PK], [SK]: item[SK] }));
      for (const item of await this.batchGet(keys)) {
        const outcome = toOutcome(item);
        // An item resolved between the two reads is no longer a dead letter.
        if (outcome.state === 'dead-lettered' && item[STATE_PK] !== undefined) yield outcome;
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async countDeadLetters(consumer: string): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.queryState({
        TableName: this.tableName,
        KeyConditionExpression: '#statePk = :statePk',
        ExpressionAttributeNames: { '#statePk': STATE_PK },
        ExpressionAttributeValues: { ':statePk': outcomeKeys.deadLetterPartition(consumer) },
        Select: 'COUNT',
        ExclusiveStartKey: start,
      });
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  }

  async legacyDone(key: OnceKey): Promise<boolean> {
    const result = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: legacyOnceItemKey(key), ConsistentRead: true }),
    );
    return result.Item?.state === 'done';
  }

  /** A write that applies unless the item is done (a done send is never undone by a late failure). */
  private async unlessDone(
    ref: OutcomeRef,
    nowMs: number,
    state: OutcomeState,
    change: { set: string; remove: string; values: Record<string, unknown> },
  ): Promise<void> {
    const id = this.identity(ref, nowMs);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(ref),
          UpdateExpression: `SET ${id.set}, #state = :state, ${change.set} REMOVE ${change.remove}`,
          ConditionExpression: 'attribute_not_exists(#pk) OR #state <> :done',
          ExpressionAttributeNames: {
            ...id.names,
            '#pk': PK,
            '#state': 'state',
            '#ttl': TTL,
            '#statePk': STATE_PK,
            '#stateSk': STATE_SK,
          },
          ExpressionAttributeValues: { ...id.values, ':state': state, ':done': 'done', ...change.values },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async batchGet(keys: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + BATCH_GET_LIMIT);
      while (pending && pending.length > 0) {
        const result: BatchGetCommandOutput = await this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        items.push(...(result.Responses?.[this.tableName] ?? []));
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return items.sort((a, b) => String(a[STATE_SK] ?? '').localeCompare(String(b[STATE_SK] ?? '')));
  }
}

const strOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const numOrNull = (value: unknown): number | null =>
  value === undefined || value === null ? null : Number(value);

const toOutcome = (item: Record<string, unknown>): Outcome => ({
  consumer: String(item.consumer ?? ''),
  eventId: String(item.eventId ?? ''),
  version: Number(item.version ?? 0),
  state: String(item.state ?? 'claimed') as OutcomeState,
  attempts: Number(item.attempts ?? 0),
  updatedAt: String(item.updatedAt ?? ''),
  leaseUntil: numOrNull(item.leaseUntil),
  reason: strOrNull(item.reason),
  lastError: strOrNull(item.lastError),
  nextAttemptAt: strOrNull(item.nextAttemptAt),
  lastDelaySeconds: numOrNull(item.lastDelaySeconds),
  detail: strOrNull(item.detail),
  steps: (item.steps as Record<string, string> | undefined) ?? {},
  expiresAt: numOrNull(item[TTL]),
  resolvedAt: strOrNull(item.resolvedAt),
});
