/** The connections table: what makes it durable and the exact keys and indexes of the contract. */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TABLE } from '../../lambda/contract.ts';
import { logicalId, resourceById, synthStack } from './support.ts';

const { stack, template } = synthStack();
const table = resourceById(template, logicalId(stack, stack.store.table));
const props = table.Properties as {
  Replicas: { PointInTimeRecoverySpecification?: unknown; DeletionProtectionEnabled?: boolean }[];
  [key: string]: unknown;
};

describe('the connections table', () => {
  it('is the only table of the stack', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  it('bills on demand', () => {
    expect(props.BillingMode).toBe('PAY_PER_REQUEST');
  });

  // cdk-nag's DDB3 does not inspect TableV2, so this test is the check.
  it('has point-in-time recovery', () => {
    expect(props.Replicas).toHaveLength(1);
    expect(props.Replicas[0]?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('has deletion protection', () => {
    expect(props.Replicas[0]?.DeletionProtectionEnabled).toBe(true);
  });

  it('expires items by the contract TTL attribute, the one the outcome and quarantine records set', () => {
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: TABLE.ttlAttribute, Enabled: true });
    expect(TABLE.ttlAttribute).toBe('expiresAt');
  });

  it('is retained when it leaves the stack', () => {
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('is keyed by the contract partition and sort keys, both strings', () => {
    expect(props.KeySchema).toEqual([
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
    ]);
  });

  it('declares every key attribute as a string', () => {
    const keyNames = [
      TABLE.partitionKey,
      TABLE.sortKey,
      ...Object.values(TABLE.indexes).flatMap((index) => [index.partitionKey, index.sortKey]),
    ];
    expect(props.AttributeDefinitions).toEqual(
      expect.arrayContaining(keyNames.map((name) => ({ AttributeName: name, AttributeType: 'S' }))),
    );
    expect(props.AttributeDefinitions).toHaveLength(keyNames.length);
  });

  it('has exactly the three indexes of the contract, by name', () => {
    expect(
      (props.GlobalSecondaryIndexes as { IndexName: string }[]).map((index) => index.IndexName).sort(),
    ).toEqual(['history', 'byTime', 'byState'].sort());
  });

  it.each(Object.values(TABLE.indexes))(
    'index $name has the contract keys and projects every attribute',
    (index) => {
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        GlobalSecondaryIndexes: Match.arrayWith([
          {
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ]),
      });
    },
  );
});
