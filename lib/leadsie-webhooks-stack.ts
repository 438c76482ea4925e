/**
 * The Leadsie webhooks stack: composes the constructs and publishes the outputs operators and the
 * CLI need. Resource details live in `constructs/`, one file per concern.
 *
 *   IngestApi (HTTP API, functions, tokens) ──writes──▶ ConnectionStore (DynamoDB)
 *                                          └─publishes─▶ ConnectionEvents (SNS + KMS)
 *                                                              │ one Subscriber per configured consumer
 *                                                              ├──▶ slack:          queue ─▶ slackNotifier
 *                                                              ├──▶ hubspot:        queue ─▶ crmUpdater ─┐ GetItem:
 *                                                              └──▶ forward-<name>: queue ─▶ crmUpdater ─┘ stale check
 *   Reconciler (every N minutes): pending deliveries in the store ──publish──▶ ConnectionEvents
 *   Monitoring: alarms on all of the above ──▶ alarm topic (emails); one dashboard
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { type CrmTargetName, ENV, STACK_OUTPUTS } from '../lambda/contract.ts';
import type { Config, ConsumerConfig } from './config.ts';
import { ConnectionEvents } from './constructs/connection-events.ts';
import { ConnectionStore } from './constructs/connection-store.ts';
import type { HandlerName } from './constructs/house-function.ts';
import { IngestApi } from './constructs/ingest-api.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { Reconciler } from './constructs/reconciler.ts';
import { Subscriber, subscriptionFilterPolicy } from './constructs/subscriber.ts';

/** Logical ids of the stack outputs, for the CLI and the tests. */
export { STACK_OUTPUTS };

/**
 * Logical ids of the monitoring outputs. To move into `STACK_OUTPUTS` of `lambda/contract.ts` (not
 * this file's to change); until then they are named here, once.
 */
export const MONITORING_OUTPUTS = {
  alarmTopicArn: 'AlarmTopicArn',
  dashboardName: 'DashboardName',
} as const;

/** `forward-zapier` → `ForwardZapier`: a consumer name as a construct id and output name part. */
export const pascalCase = (name: string): string =>
  name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

/** The consumer name of a forwarder. */
export const forwarderConsumerName = (name: string): string => `forward-${name}`;

/**
 * Logical id of the output holding a consumer's dead-letter queue URL: `SlackDeadLetterQueueUrl`,
 * `HubspotDeadLetterQueueUrl`, `ForwardZapierDeadLetterQueueUrl`.
 */
export const deadLetterQueueOutputId = (consumerName: string): string =>
  `${pascalCase(consumerName)}DeadLetterQueueUrl`;

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
  /** The configured consumers of the topic, by consumer name (`slack`, `hubspot`, `forward-<name>`). */
  public readonly consumers: Readonly<Record<string, Subscriber>>;
  /** The scheduled reconciler of deliveries stored but not published. */
  public readonly reconciler: Reconciler;
  /** The alarms, the alarm topic and the dashboard. */
  public readonly monitoring: Monitoring;
  private readonly config: Config;

  constructor(scope: Construct, id: string, props: LeadsieWebhooksStackProps) {
    super(scope, id, {
      description:
        'Leadsie connection webhooks: HTTP API, DynamoDB store and an SNS topic of connection events',
      ...props,
    });
    const { config } = props;
    this.config = config;

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

    const { slack, hubspot, forwarders } = config.consumers;
    const consumers: Subscriber[] = [];
    if (slack) {
      consumers.push(this.subscriber('slack', 'slackNotifier', slack, 'Posts connection events to Slack'));
    }
    if (hubspot) {
      const subscriber = this.crmSubscriber(
        'hubspot',
        'hubspot',
        hubspot,
        'Upserts connection events into HubSpot',
      );
      subscriber.fn
        .addEnv(ENV.hubspotObjectType, hubspot.objectType)
        .addEnv(ENV.hubspotIdProperty, hubspot.idProperty);
      if (hubspot.propertyMapping) {
        subscriber.fn.addEnv(ENV.hubspotPropertyMapping, JSON.stringify(hubspot.propertyMapping));
      }
      if (hubspot.baseUrl) subscriber.fn.addEnv(ENV.hubspotBaseUrl, hubspot.baseUrl);
      consumers.push(subscriber);
    }
    for (const forwarder of forwarders) {
      const subscriber = this.crmSubscriber(
        forwarderConsumerName(forwarder.name),
        'webhook',
        forwarder,
        `Forwards connection events, signed, to the "${forwarder.name}" webhook`,
      );
      subscriber.fn.addEnv(ENV.forwardFormat, forwarder.format);
      consumers.push(subscriber);
    }
    this.consumers = Object.fromEntries(consumers.map((consumer) => [consumer.consumerName, consumer]));

    for (const consumer of consumers) {
      new CfnOutput(this, deadLetterQueueOutputId(consumer.consumerName), {
        description: `Dead-letter queue of the ${consumer.consumerName} consumer: events it could not deliver`,
        value: consumer.deadLetterQueue.queueUrl,
      });
    }

    this.reconciler = new Reconciler(this, 'Reconciler', {
      store: this.store,
      events: this.events,
      intervalMinutes: config.reconcilerIntervalMinutes,
      batchLimit: config.reconcilerBatchLimit,
      memorySize: config.lambdaMemoryMb,
      logRetention: config.logRetentionDays,
      logRemovalPolicy: config.removalPolicy,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      api: this.api,
      reconciler: this.reconciler,
      consumers,
      alarmEmails: config.alarmEmails,
      keyRemovalPolicy: config.removalPolicy,
    });
    new CfnOutput(this, MONITORING_OUTPUTS.alarmTopicArn, {
      description:
        'SNS topic every alarm notifies (on ALARM and on OK): subscribe email, chat or paging to it',
      value: this.monitoring.alarmTopic.topicArn,
    });
    new CfnOutput(this, MONITORING_OUTPUTS.dashboardName, {
      description: 'CloudWatch dashboard of the webhooks: ingest, API, consumers, reconciler and every alarm',
      value: this.monitoring.dashboard.dashboardName,
    });
  }

  /** A consumer of the topic, as configured: its filter, queue knobs and secret. */
  private subscriber(
    consumerName: string,
    handler: HandlerName,
    consumer: ConsumerConfig,
    description: string,
  ): Subscriber {
    return new Subscriber(this, `${pascalCase(consumerName)}Consumer`, {
      topic: this.events.topic,
      consumerName,
      handler,
      secretName: consumer.secretName,
      filterPolicy: subscriptionFilterPolicy(consumer),
      description,
      maxReceiveCount: consumer.maxReceiveCount,
      maxConcurrency: consumer.maxConcurrency,
      batchSize: consumer.batchSize,
      secretMaxAgeSeconds: this.config.secretMaxAgeSeconds,
      memorySize: this.config.lambdaMemoryMb,
      logRetention: this.config.logRetentionDays,
      logRemovalPolicy: this.config.removalPolicy,
    });
  }

  /** A crm-updater consumer: its target, and the table read that skips stale events. */
  private crmSubscriber(
    consumerName: string,
    target: CrmTargetName,
    consumer: ConsumerConfig,
    description: string,
  ): Subscriber {
    const subscriber = this.subscriber(consumerName, 'crmUpdater', consumer, description);
    const { table } = this.store;
    subscriber.fn.addEnv(ENV.crmTarget, target).addEnv(ENV.tableName, table.tableName, (fn) =>
      Grant.addToPrincipal({
        grantee: fn,
        // The stored latest version of the event's (user, request): one item, read-only.
        actions: ['dynamodb:GetItem'],
        resourceArns: [table.tableArn],
      }),
    );
    return subscriber;
  }
}
