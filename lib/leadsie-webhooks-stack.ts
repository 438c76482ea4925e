/**
 * The Leadsie webhooks stack: composes the constructs and publishes the outputs operators and the
 * CLI need. Resource details live in `constructs/`, one file per concern.
 *
 *   IngestApi (HTTP API, functions, tokens) ──writes──▶ ConnectionStore (DynamoDB)
 *                                          └─publishes─▶ ConnectionEvents (SNS + KMS)
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Config } from './config.ts';
import { ConnectionEvents } from './constructs/connection-events.ts';
import { ConnectionStore } from './constructs/connection-store.ts';
import { IngestApi } from './constructs/ingest-api.ts';

/** Logical ids of the stack outputs, for the CLI and the tests. */
export const STACK_OUTPUTS = {
  webhookUrl: 'WebhookUrl',
  connectionsUrl: 'ConnectionsUrl',
  connectionEventsTopicArn: 'ConnectionEventsTopicArn',
  tableName: 'TableName',
  webhookTokenSecretArn: 'WebhookTokenSecretArn',
  readTokenSecretArn: 'ReadTokenSecretArn',
} as const;

/** Properties of the {@link LeadsieWebhooksStack}. */
export interface LeadsieWebhooksStackProps extends StackProps {
  /** The validated configuration (see `loadConfig`). */
  readonly config: Config;
}

/** Leadsie webhooks in, stored in DynamoDB and fanned out on SNS. Environment-agnostic. */
export class LeadsieWebhooksStack extends Stack {
  /** The connections table. */
  public readonly store: ConnectionStore;
  /** The connection events topic and its key. */
  public readonly events: ConnectionEvents;
  /** The HTTP API, its functions and token secrets. */
  public readonly api: IngestApi;

  constructor(scope: Construct, id: string, props: LeadsieWebhooksStackProps) {
    super(scope, id, {
      description:
        'Leadsie connection webhooks: HTTP API, DynamoDB store and an SNS topic of connection events',
      ...props,
    });
    const { config } = props;

    this.store = new ConnectionStore(this, 'ConnectionStore', {
      deletionProtection: config.tableDeletionProtection,
      removalPolicy: config.removalPolicy,
    });
    this.events = new ConnectionEvents(this, 'ConnectionEvents', { keyRemovalPolicy: config.removalPolicy });
    this.api = new IngestApi(this, 'IngestApi', {
      store: this.store,
      events: this.events,
      throttleRateLimit: config.throttleRateLimit,
      throttleBurstLimit: config.throttleBurstLimit,
      maxBodyBytes: config.maxBodyBytes,
      secretMaxAgeSeconds: config.secretMaxAgeSeconds,
      memorySize: config.lambdaMemoryMb,
      logRetention: config.logRetentionDays,
      removalPolicy: config.removalPolicy,
    });

    new CfnOutput(this, STACK_OUTPUTS.webhookUrl, {
      description:
        'Webhook URL to paste into Leadsie, after appending ?token=<the webhook token secret value>',
      value: this.api.webhookUrl,
    });
    new CfnOutput(this, STACK_OUTPUTS.connectionsUrl, {
      description: 'GET endpoint listing stored connections (needs the read token)',
      value: this.api.connectionsUrl,
    });
    new CfnOutput(this, STACK_OUTPUTS.connectionEventsTopicArn, {
      description: 'SNS topic of connection events, for subscribers',
      value: this.events.topic.topicArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.tableName, {
      description: 'DynamoDB table of connections and deliveries',
      value: this.store.table.tableName,
    });
    new CfnOutput(this, STACK_OUTPUTS.webhookTokenSecretArn, {
      description: 'Secrets Manager secret holding the webhook token',
      value: this.api.webhookTokenSecret.secretArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.readTokenSecretArn, {
      description: 'Secrets Manager secret holding the read token for GET /connections',
      value: this.api.readTokenSecret.secretArn,
    });
  }
}
