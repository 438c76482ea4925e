/**
 * The "connection events" topic: the ingest function publishes one envelope per stored delivery,
 * with message attributes for filter policies; every consumer subscribes a queue of its own.
 *
 *   ingest ──sns:Publish (TLS only)──▶ topic (SSE with the events key) ──▶ SQS per subscriber
 *                                                                          (may be encrypted with
 *                                                                           the same events key)
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Properties of a {@link ConnectionEvents}. */
export interface ConnectionEventsProps {
  /**
   * What CloudFormation does with the KMS key when it leaves the stack (`DESTROY` schedules deletion).
   * @default RemovalPolicy.RETAIN
   */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/** An SNS topic encrypted with its own customer-managed KMS key, reachable over TLS only. */
export class ConnectionEvents extends Construct {
  /** The topic. Publishers need `sns:Publish` on it and `kms:GenerateDataKey` and `kms:Decrypt` on {@link key}. */
  public readonly topic: Topic;
  /**
   * The customer-managed key encrypting the topic (rotated yearly). Its key policy lets SNS, from
   * this account only, generate data keys and decrypt with it, so subscriber queues can be encrypted
   * with this same key and SNS can still deliver to them.
   */
  public readonly key: Key;

  constructor(scope: Construct, id: string, props: ConnectionEventsProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);

    this.key = new Key(this, 'Key', {
      description: 'Encrypts the Leadsie connection events topic and its subscriber queues',
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // SNS encrypts each message it delivers to an encrypted SQS queue with the queue's key. The
    // condition keeps other accounts' topics from using this key through SNS (confused deputy).
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowSnsOfThisAccountToDeliverToQueuesEncryptedWithThisKey',
        principals: [new ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({ service: 'sns', resource: '*' }),
          },
        },
      }),
    );

    this.topic = new Topic(this, 'Topic', {
      displayName: 'Leadsie connection events',
      masterKey: this.key,
      enforceSSL: true,
      // SHA256 signatures for any HTTP(S) subscriber that verifies them.
      signatureVersion: '2',
    });
  }
}
