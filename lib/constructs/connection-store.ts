/**
 * The connections table: the latest state of each (user, request) and the history of deliveries,
 * in one table with generic key names. Key and index names come from `TABLE` in `lambda/contract.ts`,
 * where the item layout is drawn.
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
import { TABLE } from '../../lambda/contract.ts';

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
}

/** Index names, as in `TABLE.indexes`. */
export type IndexName = (typeof TABLE.indexes)[keyof typeof TABLE.indexes]['name'];

/** An on-demand table with point-in-time recovery, deletion protection and the contract's three GSIs. */
export class ConnectionStore extends Construct {
  /** The table. */
  public readonly table: TableV2;
  /** ARN of each global secondary index, by name: grant `dynamodb:Query` on one index without a wildcard. */
  public readonly indexArns: Readonly<Record<IndexName, string>>;

  constructor(scope: Construct, id: string, props: ConnectionStoreProps = {}) {
    super(scope, id);

    const globalSecondaryIndexes: GlobalSecondaryIndexPropsV2[] = Object.values(TABLE.indexes).map(
      (index) => ({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        // Every item attribute: readers of history and time ranges need the whole delivery.
        projectionType: ProjectionType.ALL,
      }),
    );

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

    this.indexArns = Object.fromEntries(
      Object.values(TABLE.indexes).map((index) => [index.name, `${this.table.tableArn}/index/${index.name}`]),
    ) as Record<IndexName, string>;
  }
}
