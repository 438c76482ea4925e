/**
 * The HTTP side of the app: an API Gateway HTTP API with the contract's two routes, the two
 * functions behind them, and the two tokens they check.
 *
 *   Leadsie ──POST /leadsie/webhook?token=…──┐
 *                                            ├─▶ HTTP API ($default stage: throttled, access-logged
 *   operator ──GET /connections──────────────┘        without query strings, headers or bodies)
 *        │                                     │
 *        │          ingest function ◀──────────┤  webhook token secret, table (put/update/get), topic
 *        └────────▶ connections function ◀─────┘  read token secret, table (query/get)
 *
 *   access log: every 429 (the stage throttle) ──metric filter──▶ ApiThrottledRequests
 *
 * The tokens are checked inside the functions, not by an API Gateway authorizer: Leadsie cannot send
 * headers, so the webhook token travels in the query string, and an authorizer keyed on it would
 * cache the secret as its identity source. The functions get the secrets' ARNs, never
 * their values, and read them at run time: the current value, and for `tokenRotationGraceHours`
 * after a rotation (`cli rotate-token`) the previous one (AWSPREVIOUS; GetSecretValue covers both).
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  type HttpMethod,
  type HttpRoute,
  type HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { type Metric, type MetricOptions, Unit } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DEFAULTS, ENV, METRIC_NAMES, METRICS_NAMESPACE, ROUTES } from '../../lambda/contract.ts';
import type { ConnectionEvents } from './connection-events.ts';
import type { ConnectionStore } from './connection-store.ts';

import { HouseFunction } from './house-function.ts';

/**
 * What the API writes to its access log: who called which route, and how it went. Deliberately no
 * `$context.path` (the raw path), no query string, no headers and no body: the webhook token
 * travels in the query string and must never reach a log.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  apiId: '$context.apiId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  requestTimeEpoch: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  protocol: '$context.protocol',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  integrationError: '$context.integration.error',
  integrationErrorMessage: '$context.integrationErrorMessage',
  errorMessage: '$context.error.message',
} as const;

/**
 * The `$default` stage's throttle unless configured: high enough that a legitimate burst (a mass
 * onboarding email answered by many clients within a minute, each sending a few deliveries) is
 * never refused, low enough to cap what a flood can cost. HTTP APIs throttle per stage, not per
 * client, so a flood at this limit refuses Leadsie too: see docs/throttling.md.
 */
export const DEFAULT_THROTTLE = { rateLimit: 50, burstLimit: 500 } as const;

/** Properties of an {@link IngestApi}. */
export interface IngestApiProps {
  /** The connections table: the ingest function writes it, the connections function reads it. */
  readonly store: ConnectionStore;
  /** The connection events topic (and its key) the ingest function publishes to. */
  readonly events: ConnectionEvents;
  /**
   * Steady-state request rate of the `$default` stage, in requests per second.
   * @default DEFAULT_THROTTLE.rateLimit (50)
   */
  readonly throttleRateLimit?: number;
  /**
   * Burst capacity of the `$default` stage (its token bucket), in requests.
   * @default DEFAULT_THROTTLE.burstLimit (500)
   */
  readonly throttleBurstLimit?: number;
  /**
   * Largest webhook body accepted by the ingest function, in bytes (`ENV.maxBodyBytes`).
   * @default DEFAULTS.maxBodyBytes
   */
  readonly maxBodyBytes?: number;
  /**
   * Days a delivery is kept in the history before its TTL expires it (`ENV.historyRetentionDays`).
   * @default undefined: kept for ever
   */
  readonly historyRetentionDays?: number;
  /**
   * Seconds the functions cache a token read from Secrets Manager (`ENV.secretMaxAgeSeconds`).
   * @default DEFAULTS.secretMaxAgeSeconds
   */
  readonly secretMaxAgeSeconds?: number;
  /**
   * Hours after a rotation during which the functions still accept the previous token
   * (`ENV.tokenRotationGraceHours`).
   * @default DEFAULTS.tokenRotationGraceHours
   */
  readonly tokenRotationGraceHours?: number;
  /**
   * Memory of each function, in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Retention of the functions' and the access log's log groups.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
  /**
   * Removal policy of the secrets and the log groups.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The HTTP API, its two functions and the two token secrets. */
export class IngestApi extends Construct {
  /** The HTTP API. */
  public readonly httpApi: HttpApi;
  /** The `$default` stage: throttled and access-logged. */
  public readonly stage: HttpStage;
  /** The access log group of the stage. */
  public readonly accessLogGroup: LogGroup;
  /** The webhook token (pasted into Leadsie as `?token=`); only the ingest function can read it. */
  public readonly webhookTokenSecret: Secret;
  /** The read token for `GET /connections`; only the connections function can read it. */
  public readonly readTokenSecret: Secret;
  /** Behind `POST /leadsie/webhook`: validates, stores and publishes a delivery. */
  public readonly ingestFunction: HouseFunction;
  /** Behind `GET /connections`: reads the table. */
  public readonly connectionsFunction: HouseFunction;
  /** The webhook route. */
  public readonly webhookRoute: HttpRoute;
  /** The connections route. */
  public readonly connectionsRoute: HttpRoute;
  /** Full URL of the webhook route, without the token. */
  public readonly webhookUrl: string;
  /** Full URL of the connections route. */
  public readonly connectionsUrl: string;
  /** Turns each 429 of the access log (the stage's throttle) into the `ApiThrottledRequests` metric. */
  public readonly throttledRequestsFilter: MetricFilter;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.THREE_MONTHS;
    const secretMaxAgeSeconds = String(props.secretMaxAgeSeconds ?? DEFAULTS.secretMaxAgeSeconds);
    const graceHours = String(props.tokenRotationGraceHours ?? DEFAULTS.tokenRotationGraceHours);
    const { table } = props.store;

    this.webhookTokenSecret = this.tokenSecret(
      'WebhookTokenSecret',
      'Leadsie webhook token: the ?token= value of the webhook URL',
      removalPolicy,
    );
    this.readTokenSecret = this.tokenSecret(
      'ReadTokenSecret',
      'Read token for GET /connections of the Leadsie webhooks API',
      removalPolicy,
    );

    const functionDefaults = {
      memorySize: props.memorySize ?? 512,
      // API Gateway HTTP APIs give up after 30 s; a webhook should answer long before.
      timeout: Duration.seconds(10),
      logRetention,
      logRemovalPolicy: removalPolicy,
    };

    this.ingestFunction = new HouseFunction(this, 'IngestFunction', {
      handler: 'ingest',
      description: 'Receives Leadsie webhooks: validates, stores and publishes connection events',
      ...functionDefaults,
    })
      .addEnv(ENV.tableName, table.tableName, (fn) =>
        Grant.addToPrincipal({
          grantee: fn,
          // One conditional write path (history put guarded by the fingerprint, latest update with a
          // version increment) and reads of single items; no Scan, Query, Delete or batch access.
          actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
          resourceArns: [table.tableArn],
        }),
      )
      .addEnv(ENV.topicArn, props.events.topic.topicArn, (fn) => [
        Grant.addToPrincipal({
          grantee: fn,
          actions: ['sns:Publish'],
          resourceArns: [props.events.topic.topicArn],
        }),
        // What SNS needs from a publisher to an SSE topic: a data key to encrypt the message with.
        // Exact actions, not Topic.grantPublish's `kms:GenerateDataKey*` (which adds key-pair actions).
        props.events.key.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt'),
      ])
      .addEnv(ENV.webhookTokenSecretArn, this.webhookTokenSecret.secretArn, (fn) =>
        readSecretValue(fn, this.webhookTokenSecret),
      )
      .addEnv(ENV.maxBodyBytes, String(props.maxBodyBytes ?? DEFAULTS.maxBodyBytes))
      .addEnv(ENV.secretMaxAgeSeconds, secretMaxAgeSeconds)
      .addEnv(ENV.tokenRotationGraceHours, graceHours);
    if (props.historyRetentionDays !== undefined) {
      this.ingestFunction.addEnv(ENV.historyRetentionDays, String(props.historyRetentionDays));
    }

    this.connectionsFunction = new HouseFunction(this, 'ConnectionsFunction', {
      handler: 'connections',
      description: 'Answers GET /connections from the connections table',
      ...functionDefaults,
    })
      .addEnv(ENV.tableName, table.tableName, (fn) => [
        // Read-only: the latest items of one user are a query of the table itself; recent connections
        // a query of the time index, then their latest items whole (BatchGetItem), never a scan.
        Grant.addToPrincipal({
          grantee: fn,
          actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem'],
          resourceArns: [table.tableArn],
        }),
        Grant.addToPrincipal({
          grantee: fn,
          actions: ['dynamodb:Query'],
          resourceArns: props.store.indexArns.byTime,
        }),
      ])
      .addEnv(ENV.readTokenSecretArn, this.readTokenSecret.secretArn, (fn) =>
        readSecretValue(fn, this.readTokenSecret),
      )
      .addEnv(ENV.secretMaxAgeSeconds, secretMaxAgeSeconds)
      .addEnv(ENV.tokenRotationGraceHours, graceHours);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Receives Leadsie connection webhooks',
      // The stage is made below, with throttling and access logs.
      createDefaultStage: false,
    });

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttleRateLimit ?? DEFAULT_THROTTLE.rateLimit,
        burstLimit: props.throttleBurstLimit ?? DEFAULT_THROTTLE.burstLimit,
      },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    this.webhookRoute = this.addRoute(
      ROUTES.webhook,
      new HttpLambdaIntegration('IngestIntegration', this.ingestFunction.function),
    );
    this.connectionsRoute = this.addRoute(
      ROUTES.connections,
      new HttpLambdaIntegration('ConnectionsIntegration', this.connectionsFunction.function),
    );

    // The $default stage is served at the root of the API endpoint.
    this.webhookUrl = `${this.httpApi.apiEndpoint}${ROUTES.webhook.path}`;
    this.connectionsUrl = `${this.httpApi.apiEndpoint}${ROUTES.connections.path}`;

    // HTTP APIs publish no throttle metric, and their 4xx count mixes throttling with bad tokens and
    // bad payloads; the access log has the status of every request, throttled ones included.
    this.throttledRequestsFilter = new MetricFilter(this, 'ThrottledRequestsMetricFilter', {
      logGroup: this.accessLogGroup,
      filterPattern: FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: METRICS_NAMESPACE,
      metricName: METRIC_NAMES.apiThrottledRequests,
      metricValue: '1',
      unit: Unit.COUNT,
      dimensions: { ApiId: '$.apiId' },
    });

    this.acknowledgeNagFindings();
  }

  /** Requests the API answered with 429 Too Many Requests (`ApiThrottledRequests`, sum over 5 minutes). */
  public metricThrottledRequests(props?: MetricOptions): Metric {
    return this.throttledRequestsFilter.metric({
      statistic: 'Sum',
      period: Duration.minutes(5),
      dimensionsMap: { ApiId: this.httpApi.apiId },
      ...props,
    });
  }

  private tokenSecret(id: string, description: string, removalPolicy: RemovalPolicy): Secret {
    return new Secret(this, id, {
      description,
      // Letters and digits only: the webhook token is pasted into a URL's query string unescaped.
      generateSecretString: { excludePunctuation: true, includeSpace: false, passwordLength: 48 },
      removalPolicy,
    });
  }

  private addRoute(
    route: { readonly method: `${HttpMethod}`; readonly path: string },
    integration: HttpLambdaIntegration,
  ): HttpRoute {
    const routes = this.httpApi.addRoutes({
      path: route.path,
      methods: [route.method as HttpMethod],
      integration,
    });
    const [only] = routes;
    if (routes.length !== 1 || only === undefined) {
      throw new Error(`Expected one route for ${route.method} ${route.path}, got ${routes.length}`);
    }
    return only;
  }

  private acknowledgeNagFindings(): void {
    Validations.of(this.webhookRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Leadsie cannot send headers, so the webhook token arrives as ?token= and is checked by the ingest ' +
        'function against the webhook token secret. An API Gateway Lambda authorizer would have to take that query ' +
        'string as its identity source (and cache key), for no check the function does not already make.',
    });
    Validations.of(this.connectionsRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'GET /connections is authorised by the read token (Authorization: Bearer), checked by the connections ' +
        'function against its own secret, distinct from the webhook token. A Lambda authorizer would add a second ' +
        'function and cold start in front of one read-only route without adding a check the function lacks.',
    });
    Validations.of(this.webhookTokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "The webhook token is also pasted into Leadsie's webhook URL, which no AWS rotation can update: an automatic " +
        'rotation would make every delivery fail until someone re-pastes it. Rotation is an operator step (cli ' +
        'rotate-token); the ingest function accepts the previous value too for TOKEN_ROTATION_GRACE_HOURS.',
    });
    Validations.of(this.readTokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The read token is held by the operator and the scripts that call GET /connections, outside AWS: an automatic ' +
        'rotation would lock them out without notice. Rotation is an operator step (cli rotate-token --which read); ' +
        'the connections function accepts the previous value too for TOKEN_ROTATION_GRACE_HOURS.',
    });
  }
}

/** `secretsmanager:GetSecretValue` on one secret, nothing else (not DescribeSecret, as `grantRead` adds). */
const readSecretValue = (grantee: IGrantable, secret: Secret): Grant =>
  Grant.addToPrincipal({
    grantee,
    actions: ['secretsmanager:GetSecretValue'],
    resourceArns: [secret.secretArn],
  });
