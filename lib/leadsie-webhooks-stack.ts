/**
 * The Leadsie webhooks stack: composes the constructs and publishes the outputs operators and the
 * CLI need. Resource details live in `constructs/`, one file per concern.
 *
 *   IngestApi (HTTP API, functions, tokens) ──writes──▶ ConnectionStore (DynamoDB)
 *                                          └─publishes─▶ ConnectionEvents (SNS + KMS)
 *                                                              │ one Subscriber per configured instance of
 *                                                              │ each module of lambda/consumers/registry.ts
 *                                                              └──▶ <consumer>: queue ─▶ its function ─▶ its target
 *                                                                   (secret, table access, IAM, timeout: as the
 *                                                                    module's `deploy` declares them)
 *   Reconciler (every N minutes): pending deliveries in the store ──publish──▶ ConnectionEvents
 *   Monitoring: alarms on all of the above ──▶ alarm topic (emails; Slack with alarmSlack); one dashboard
 */
import { ArnFormat, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { AnyConsumerModule, ConsumerInstance, TableAccess } from '../lambda/consumers/module.ts';
import { CONSUMER_MODULES } from '../lambda/consumers/registry.ts';
import { type ConsumerFilter, ENV, STACK_OUTPUTS } from '../lambda/contract.ts';
import type { Config, QueueKnobs } from './config.ts';
import { ConnectionEvents } from './constructs/connection-events.ts';
import { ConnectionStore } from './constructs/connection-store.ts';
import type { FunctionEntry } from './constructs/house-function.ts';
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

/**
 * Logical ids of the outputs the stack has only with `alarmSlack`: the queue of alarm notifications
 * that could not be posted to Slack.
 */
export const ALARM_SLACK_OUTPUTS = {
  deadLetterQueueUrl: 'AlarmSlackDeadLetterQueueUrl',
} as const;

/** `forward-zapier` → `ForwardZapier`: a consumer name as a construct id and output name part. */
export const pascalCase = (name: string): string =>
  name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

/**
 * Logical id of the output holding a consumer's dead-letter queue URL: `SlackDeadLetterQueueUrl`,
 * `HubspotDeadLetterQueueUrl`, `ForwardZapierDeadLetterQueueUrl`, `SheetsDeadLetterQueueUrl`,
 * `EmailDeadLetterQueueUrl`.
 */
export const deadLetterQueueOutputId = (consumerName: string): string =>
  `${pascalCase(consumerName)}DeadLetterQueueUrl`;

/**
 * The table actions of each access a consumer module may ask for: the stored latest version of an
 * event's (user, request), read-only; or its once-only records (the delivery engine's outcome items,
 * the Sheets header lease, the CRM updater's ordering guard), conditional puts, updates and reads of
 * single items. Every consumer on the engine asks for the latter; the other half of the engine's
 * needs, `sqs:ChangeMessageVisibility` on its own queue, the Subscriber grants with the queue's URL.
 */
const TABLE_ACTIONS: Record<Exclude<TableAccess, 'none'>, string[]> = {
  'read-latest': ['dynamodb:GetItem'],
  'once-records': ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
};

/** Properties of the {@link LeadsieWebhooksStack}. */
export interface LeadsieWebhooksStackProps extends StackProps {
  /** The validated configuration (see `loadConfig`). */
  readonly config: Config;
  /**
   * The consumer modules to deploy from (each only when configured).
   * @default CONSUMER_MODULES of `lambda/consumers/registry.ts`
   */
  readonly consumerModules?: readonly AnyConsumerModule[];
}

/** Leadsie webhooks in, stored in DynamoDB and fanned out on SNS. Environment-agnostic. */
export class LeadsieWebhooksStack extends Stack {
  /** The connections table. */
  public readonly store: ConnectionStore;
  /** The connection events topic and its key. */
  public readonly events: ConnectionEvents;
  /** The HTTP API, its functions and token secrets. */
  public readonly api: IngestApi;
  /**
   * The configured consumers of the topic, by consumer name (`slack`, `hubspot`, `forward-<name>`,
   * `sheets`, `email`).
   */
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
      historyRetentionDays: config.historyRetentionDays,
      secretMaxAgeSeconds: config.secretMaxAgeSeconds,
      tokenRotationGraceHours: config.tokenRotationGraceHours,
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

    const consumers: Subscriber[] = [];
    for (const module of props.consumerModules ?? (CONSUMER_MODULES as readonly AnyConsumerModule[])) {
      for (const instance of module.instances(
        (config.consumers as Record<string, unknown>)[module.contextKey],
      )) {
        consumers.push(this.moduleSubscriber(module, instance));
      }
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
      consumerNames: consumers.map((consumer) => consumer.consumerName),
      memorySize: config.backgroundMemoryMb,
      logRetention: config.logRetentionDays,
      logRemovalPolicy: config.removalPolicy,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      api: this.api,
      reconciler: this.reconciler,
      consumers,
      alarmEmails: config.alarmEmails,
      ...(config.alarmSlack === undefined
        ? {}
        : {
            alarmSlack: {
              secretName: config.alarmSlack.secretName,
              secretMaxAgeSeconds: config.secretMaxAgeSeconds,
              memorySize: config.backgroundMemoryMb,
              logRetention: config.logRetentionDays,
              logRemovalPolicy: config.removalPolicy,
            },
          }),
      keyRemovalPolicy: config.removalPolicy,
    });
    new CfnOutput(this, MONITORING_OUTPUTS.alarmTopicArn, {
      description:
        'SNS topic every alarm notifies (on ALARM and on OK): subscribe email, chat or paging to it',
      value: this.monitoring.alarmTopic.topicArn,
    });
    if (this.monitoring.alarmSlack !== undefined) {
      new CfnOutput(this, ALARM_SLACK_OUTPUTS.deadLetterQueueUrl, {
        description:
          'Dead-letter queue of the alarm notifier: alarm notifications it could not post to Slack',
        value: this.monitoring.alarmSlack.deadLetterQueue.queueUrl,
      });
    }
    new CfnOutput(this, MONITORING_OUTPUTS.dashboardName, {
      description: 'CloudWatch dashboard of the webhooks: ingest, API, consumers, reconciler and every alarm',
      value: this.monitoring.dashboard.dashboardName,
    });
  }

  /**
   * One instance of a consumer module: its subscriber as the module describes it, its own variables,
   * its table access and its other grants, each travelling with the variable it serves.
   */
  private moduleSubscriber(module: AnyConsumerModule, instance: ConsumerInstance<QueueKnobs>): Subscriber {
    const deployment = module.deploy(instance);
    const subscriber = this.subscriber(
      instance.name,
      { name: module.contextKey, entry: module.entry },
      deployment.filter,
      instance.settings,
      {
        description: deployment.description,
        ...(deployment.secretName === undefined ? {} : { secretName: deployment.secretName }),
        ...(deployment.timeoutSeconds === undefined
          ? {}
          : { timeout: Duration.seconds(deployment.timeoutSeconds) }),
      },
    );
    for (const [name, value] of deployment.environment) {
      const needs = (deployment.iam ?? []).filter((need) => need.env === name);
      subscriber.fn.addEnv(
        name,
        value,
        needs.length === 0
          ? undefined
          : (fn: IGrantable) =>
              needs.map((need) =>
                Grant.addToPrincipal({
                  grantee: fn,
                  actions: need.actions,
                  resourceArns: need.resources.map((resource) =>
                    this.formatArn({ ...resource, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
                  ),
                }),
              ),
      );
    }
    this.grantTable(subscriber, module.table);
    return subscriber;
  }

  /** `ENV.tableName` with the table access a consumer module asks for (none: neither). */
  private grantTable(subscriber: Subscriber, access: TableAccess): void {
    if (access === 'none') return;
    const { table } = this.store;
    subscriber.fn.addEnv(ENV.tableName, table.tableName, (fn) =>
      Grant.addToPrincipal({
        grantee: fn,
        actions: TABLE_ACTIONS[access],
        resourceArns: [table.tableArn],
      }),
    );
  }

  /** A consumer of the topic, as configured: its filter, queue knobs and (when it has one) secret. */
  private subscriber(
    consumerName: string,
    handler: FunctionEntry,
    filter: ConsumerFilter,
    knobs: QueueKnobs,
    options: {
      description: string;
      secretName?: string;
      timeout?: Duration;
    },
  ): Subscriber {
    return new Subscriber(this, `${pascalCase(consumerName)}Consumer`, {
      topic: this.events.topic,
      consumerName,
      handler,
      filterPolicy: subscriptionFilterPolicy(filter),
      retryHorizonHours: knobs.retryHorizonHours,
      ...(knobs.maxReceiveCount === undefined ? {} : { maxReceiveCount: knobs.maxReceiveCount }),
      ...(knobs.secretKmsKeyArn === undefined ? {} : { secretKmsKeyArn: knobs.secretKmsKeyArn }),
      maxConcurrency: knobs.maxConcurrency,
      batchSize: knobs.batchSize,
      secretMaxAgeSeconds: this.config.secretMaxAgeSeconds,
      memorySize: this.config.backgroundMemoryMb,
      logRetention: this.config.logRetentionDays,
      logRemovalPolicy: this.config.removalPolicy,
      ...options,
    });
  }
}
