/**
 * The connections table: the latest state of each (user, request) and the history of deliveries,
 * in one table with generic key names. Key and index names come from `TABLE` in `lambda/contract.ts`,
 * where the item layout is drawn.
 *
 * Indexes: the layout of `NEXT_TABLE_INDEXES` (KEYS_ONLY or INCLUDE; readers fetch whole items with
 * BatchGetItem). A stack deployed with the previous layout (`TABLE.indexes`, every attribute
 * projected) walks to it one index per deploy, because CloudFormation creates or deletes at most one
 * GSI per update of this table: the `tableLayoutStep` context value names the step (see
 * {@link TABLE_LAYOUT_STEPS}, docs/storage.md and scripts/upgrade-table-layout.ts). A stack never
 * deployed leaves it unset and gets the final layout at once.
 *
 * Encryption: DynamoDB's default AWS-owned key. The table holds connection metadata (user ids,
 * request and asset names, statuses), not credentials; a customer-managed key would add a monthly
 * cost, a key policy every future reader (CLI export, replay, reconciler) must be granted on, and
 * no protection that IAM on the table does not already give.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  type GlobalSecondaryIndexPropsV2,
  ProjectionType,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { NEXT_TABLE_INDEXES, TABLE } from '../../lambda/contract.ts';

/** One GSI as the table declares it: its name, keys and projection (`ALL`, `KEYS_ONLY` or INCLUDE's attributes). */
export interface IndexLayout {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly projection: 'ALL' | 'KEYS_ONLY' | readonly string[];
}

const PREVIOUS: IndexLayout[] = Object.values(TABLE.indexes).map((index) => ({
  ...index,
  projection: 'ALL',
}));
const NEXT: IndexLayout[] = Object.values(NEXT_TABLE_INDEXES).map((index) => ({ ...index }));

/**
 * The index layout at each step of the upgrade from the previous release (step 0) to the final one:
 * the three new indexes created one per deploy, then the three old ones deleted one per deploy, so
 * that readers (which use the new indexes once they exist, the old ones until then) never lack one.
 */
export const TABLE_LAYOUT_STEPS: readonly (readonly IndexLayout[])[] = [
  PREVIOUS,
  [...PREVIOUS, ...NEXT.slice(0, 1)],
  [...PREVIOUS, ...NEXT.slice(0, 2)],
  [...PREVIOUS, ...NEXT],
  [...PREVIOUS.slice(1), ...NEXT],
  [...PREVIOUS.slice(2), ...NEXT],
  NEXT,
];

/** The step a stack gets without `tableLayoutStep`: the final layout. */
export const FINAL_TABLE_LAYOUT_STEP = TABLE_LAYOUT_STEPS.length - 1;

/** The context key that names the upgrade step (`cdk deploy -c tableLayoutStep=N`). */
export const TABLE_LAYOUT_STEP_CONTEXT = 'tableLayoutStep';

/** Properties of a {@link ConnectionStore}. */
export interface ConnectionStoreProps {
  /**
   * DynamoDB deletion protection: the table cannot be deleted (by CloudFormation either) while on.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What CloudFormation does with the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The step of the index upgrade to deploy (0: the previous release's layout, see
   * {@link TABLE_LAYOUT_STEPS}).
   * @default the `tableLayoutStep` context value, else the final layout
   */
  readonly layoutStep?: number;
}

/** What the indexes are for: the keys of `TABLE.indexes` and `NEXT_TABLE_INDEXES`. */
export type IndexName = keyof typeof NEXT_TABLE_INDEXES;

/** An on-demand table with point-in-time recovery, deletion protection and the contract's three GSIs. */
export class ConnectionStore extends Construct {
  /** The table. */
  public readonly table: TableV2;
  /**
   * ARNs of the indexes of each kind present at this step (the old and the new one while both
   * exist): grant `dynamodb:Query` on them without a wildcard.
   */
  public readonly indexArns: Readonly<Record<IndexName, string[]>>;
  /** The upgrade step deployed ({@link TABLE_LAYOUT_STEPS}). */
  public readonly layoutStep: number;

  constructor(scope: Construct, id: string, props: ConnectionStoreProps = {}) {
    super(scope, id);

    const raw = props.layoutStep ?? this.node.tryGetContext(TABLE_LAYOUT_STEP_CONTEXT);
    const step = raw === undefined ? FINAL_TABLE_LAYOUT_STEP : Number(raw);
    if (!Number.isInteger(step) || step < 0 || step > FINAL_TABLE_LAYOUT_STEP) {
      throw new Error(
        `ConnectionStore: ${TABLE_LAYOUT_STEP_CONTEXT} must be a whole number from 0 to ${FINAL_TABLE_LAYOUT_STEP}, got ${String(raw)} (see docs/storage.md)`,
      );
    }
    this.layoutStep = step;
    const layout = TABLE_LAYOUT_STEPS[step] ?? NEXT;
    const globalSecondaryIndexes: GlobalSecondaryIndexPropsV2[] = layout.map((index) => ({
      indexName: index.name,
      partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
      sortKey: { name: index.sortKey, type: AttributeType.STRING },
      ...(index.projection === 'ALL'
        ? { projectionType: ProjectionType.ALL }
        : index.projection === 'KEYS_ONLY'
          ? { projectionType: ProjectionType.KEYS_ONLY }
          : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection] }),
    }));

    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      globalSecondaryIndexes,
      // Items that may expire carry it (outcome records, resolved quarantine entries); others never do.
      timeToLiveAttribute: TABLE.ttlAttribute,
    });

    const present = new Set(layout.map((index) => index.name));
    const kinds = Object.keys(NEXT_TABLE_INDEXES) as IndexName[];
    this.indexArns = Object.fromEntries(
      kinds.map((kind) => [
        kind,
        [TABLE.indexes[kind].name, NEXT_TABLE_INDEXES[kind].name]
          .filter((name) => present.has(name))
          .map((name) => `${this.table.tableArn}/index/${name}`),
      ]),
    ) as Record<IndexName, string[]>;
  }
}
