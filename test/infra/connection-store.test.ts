/**
 * The connections table: what makes it durable, the exact keys and indexes of the contract, and the
 * index upgrade from the previous release, one index created or deleted per deploy.
 */
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { NEXT_TABLE_INDEXES, TABLE } from '../../lambda/contract.ts';
import {
  ConnectionStore,
  FINAL_TABLE_LAYOUT_STEP,
  TABLE_LAYOUT_STEP_CONTEXT,
  TABLE_LAYOUT_STEPS,
} from '../../lib/constructs/connection-store.ts';
import { logicalId, resourceById, synthStack } from './support.ts';

interface SynthIndex {
  IndexName: string;
  KeySchema: { AttributeName: string; KeyType: string }[];
  Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
}

/** An index as compared across releases: name, keys and projection in one string. */
const signature = (index: SynthIndex): string =>
  JSON.stringify([
    index.IndexName,
    index.KeySchema.map((key) => key.AttributeName),
    index.Projection.ProjectionType,
    [...(index.Projection.NonKeyAttributes ?? [])].sort(),
  ]);

/** Index creates plus deletes between two layouts (a changed projection is a delete and a create). */
const changes = (from: string[], to: string[]): number =>
  from.filter((index) => !to.includes(index)).length + to.filter((index) => !from.includes(index)).length;

/** The indexes a ConnectionStore synthesizes, alone in a stack, at a step (or with the context value). */
const indexesAt = (options: { step?: number; context?: Record<string, unknown> }): string[] => {
  const stack = new Stack(new App({ context: options.context ?? {} }), 'T');
  new ConnectionStore(stack, 'Store', options.step === undefined ? {} : { layoutStep: options.step });
  const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::GlobalTable'));
  return ((table?.Properties?.GlobalSecondaryIndexes ?? []) as SynthIndex[]).map(signature).sort();
};

/** The previous release's indexes, committed as a fixture (names, keys, projections). */
const previousRelease = (
  JSON.parse(
    readFileSync(new URL('./fixtures/previous-release-table-indexes.json', import.meta.url), 'utf8'),
  ) as {
    name: string;
    partitionKey: string;
    sortKey: string;
    projection: string;
  }[]
)
  .map((index) =>
    signature({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: index.projection },
    }),
  )
  .sort();

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
      ...Object.values(NEXT_TABLE_INDEXES).flatMap((index) => [index.partitionKey, index.sortKey]),
    ];
    expect(props.AttributeDefinitions).toEqual(
      expect.arrayContaining(keyNames.map((name) => ({ AttributeName: name, AttributeType: 'S' }))),
    );
    expect(props.AttributeDefinitions).toHaveLength(keyNames.length);
  });

  it('has, never deployed (no tableLayoutStep), exactly the three indexes of the new layout', () => {
    expect(
      (props.GlobalSecondaryIndexes as { IndexName: string }[]).map((index) => index.IndexName).sort(),
    ).toEqual(['historyV2', 'byTimeV2', 'byStateV2'].sort());
  });

  it.each(Object.values(NEXT_TABLE_INDEXES))('index $name has the contract keys and projection', (index) => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection:
            index.projection === 'KEYS_ONLY'
              ? { ProjectionType: 'KEYS_ONLY' }
              : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection] },
        },
      ]),
    });
  });
});

describe('the index upgrade from the previous release', () => {
  it('starts (step 0) from exactly the previous release’s indexes', () => {
    expect(indexesAt({ step: 0 })).toEqual(previousRelease);
  });

  it('the first deploy of an upgrading stack (step 1) differs from the previous release by at most one create or delete', () => {
    expect(changes(previousRelease, indexesAt({ step: 1 }))).toBeLessThanOrEqual(1);
  });

  it.each(TABLE_LAYOUT_STEPS.slice(1).map((_, i) => i + 1))(
    'step %i differs from the step before by exactly one create or delete',
    (step) => {
      expect(changes(indexesAt({ step: step - 1 }), indexesAt({ step }))).toBe(1);
    },
  );

  it('ends at the layout a never-deployed stack gets', () => {
    expect(indexesAt({ step: FINAL_TABLE_LAYOUT_STEP })).toEqual(indexesAt({}));
  });

  it(`reads the step from the ${TABLE_LAYOUT_STEP_CONTEXT} context value`, () => {
    expect(indexesAt({ context: { [TABLE_LAYOUT_STEP_CONTEXT]: '0' } })).toEqual(previousRelease);
  });

  it.each([-1, 7, 1.5, 'two'])('refuses a step that is not one of the steps (%s)', (step) => {
    expect(() => indexesAt({ context: { [TABLE_LAYOUT_STEP_CONTEXT]: step } })).toThrow(
      /tableLayoutStep must be/,
    );
  });
});
