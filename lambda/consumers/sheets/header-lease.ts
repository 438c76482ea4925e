/**
 * The lease that serialises header extensions of one sheet across containers: a conditional write
 * on one table item, so two functions that both bring a new column never race to rewrite the header
 * row (and no reserved concurrency is needed for it). Only the header change holds it; appends do
 * not, since Sheets appends rows atomically and a header only ever grows at its end.
 *
 *   pk = LEASE#sheets-header#<spreadsheetId>#<sheetName>   sk = LEASE
 *
 * A holder that dies keeps others off until `leaseUntil`; the item itself expires with the table's
 * TTL attribute. Released with an update (not a delete), so the function needs no DeleteItem.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../contract.ts';

export interface HeaderLease {
  /** Takes the lease until `nowMs + ms`; false when another holder has it. */
  acquire(owner: string, nowMs: number, ms: number): Promise<boolean>;
  /** Gives it back, if it is still `owner`'s. */
  release(owner: string): Promise<void>;
}

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof Error && error.name === 'ConditionalCheckFailedException');

/** Kept a day past its lease: long enough for any reader, short enough to leave no clutter. */
const KEEP_SECONDS = 24 * 60 * 60;

export class DynamoDbHeaderLease implements HeaderLease {
  private readonly doc: DynamoDBDocumentClient;
  private readonly key: Record<string, string>;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    sheet: { spreadsheetId: string; sheetName: string },
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
    this.key = {
      [TABLE.partitionKey]: `LEASE#sheets-header#${sheet.spreadsheetId}#${sheet.sheetName}`,
      [TABLE.sortKey]: 'LEASE',
    };
  }

  async acquire(owner: string, nowMs: number, ms: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...this.key,
            type: 'lease',
            owner,
            leaseUntil: nowMs + ms,
            [TABLE.ttlAttribute]: Math.ceil((nowMs + ms) / 1000) + KEEP_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR leaseUntil <= :now OR #owner = :owner',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': nowMs, ':owner': owner },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async release(owner: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: 'SET leaseUntil = :zero',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':zero': 0, ':owner': owner },
        }),
      );
    } catch (error) {
      // Taken over after our lease ran out: nothing of ours to give back.
      if (!isConditionFailure(error)) throw error;
    }
  }
}

/** One process's lease (local mode's in-memory sheet, tests): the same rules in a variable. */
export class InMemoryHeaderLease implements HeaderLease {
  private holder: { owner: string; until: number } | null = null;

  async acquire(owner: string, nowMs: number, ms: number): Promise<boolean> {
    if (this.holder && this.holder.until > nowMs && this.holder.owner !== owner) return false;
    this.holder = { owner, until: nowMs + ms };
    return true;
  }

  async release(owner: string): Promise<void> {
    if (this.holder?.owner === owner) this.holder = null;
  }
}
