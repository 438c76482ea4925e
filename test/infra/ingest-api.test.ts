/**
 * The HTTP API: exact routes wired to the right functions, a throttled `$default` stage whose access
 * log can never hold the webhook token, the two generated token secrets, and the stack outputs.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambda/contract.ts';
import { ACCESS_LOG_FIELDS, DEFAULT_THROTTLE } from '../../lib/constructs/ingest-api.ts';
import { MONITORING_OUTPUTS, STACK_OUTPUTS } from '../../lib/leadsie-webhooks-stack.ts';
import { arnOf, logicalId, ref, resourceById, synthStack } from './support.ts';

const { stack, template } = synthStack();
const { api } = stack;
const apiId = logicalId(stack, api.httpApi);
const stage = resourceById(template, logicalId(stack, api.stage)).Properties;
const accessLogFormat = (stage.AccessLogSettings as { Format: string; DestinationArn: unknown }).Format;

type Props = Record<string, unknown>;
const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as { Properties: Props }[];
const routeKey = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

/** The function a route invokes: route → integration → function logical id. */
const functionBehind = (key: string): unknown => {
  const route = routes.find((r) => r.Properties.RouteKey === key);
  const target = JSON.stringify(route?.Properties.Target);
  const integration = Object.entries(template.findResources('AWS::ApiGatewayV2::Integration')).find(([id]) =>
    target.includes(`"${id}"`),
  );
  return integration?.[1].Properties.IntegrationUri;
};

describe('the HTTP API', () => {
  it('is the only API of the stack', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
  });

  it('has exactly the routes of the contract', () => {
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(
      [routeKey(ROUTES.webhook), routeKey(ROUTES.connections)].sort(),
    );
  });

  it('sends POST /leadsie/webhook to the ingest function', () => {
    expect(functionBehind(routeKey(ROUTES.webhook))).toEqual(
      arnOf(logicalId(stack, api.ingestFunction.function)),
    );
  });

  it('sends GET /connections to the connections function', () => {
    expect(functionBehind(routeKey(ROUTES.connections))).toEqual(
      arnOf(logicalId(stack, api.connectionsFunction.function)),
    );
  });

  it('hands the functions payload format 2.0 events', () => {
    for (const integration of Object.values(template.findResources('AWS::ApiGatewayV2::Integration'))) {
      expect(integration.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
    }
  });

  it.each([
    ['ingest', () => api.ingestFunction.function, ROUTES.webhook.path],
    ['connections', () => api.connectionsFunction.function, ROUTES.connections.path],
  ])('lets API Gateway invoke the %s function through its own route only', (_name, fn, routePath) => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify(arnOf(logicalId(stack, fn()))),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties.Principal).toBe('apigateway.amazonaws.com');
    const sourceArn = permissions[0]?.Properties.SourceArn['Fn::Join'][1] as unknown[];
    expect(sourceArn).toContainEqual(ref(apiId));
    expect(sourceArn.at(-1)).toBe(`/*/*${routePath}`);
  });
});

describe('the $default stage', () => {
  it('is the one stage, deployed automatically', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    expect(stage).toMatchObject({ ApiId: ref(apiId), StageName: '$default', AutoDeploy: true });
  });

  it('throttles at 50 requests per second with bursts of 500 by default', () => {
    expect(DEFAULT_THROTTLE).toEqual({ rateLimit: 50, burstLimit: 500 });
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 500 });
  });

  /**
   * API Gateway's throttle is a token bucket: `burst` tokens, refilled at `rate` a second; a request
   * that finds the bucket empty is answered 429. Returns how many of the arrivals (seconds) are refused.
   */
  const refused = (arrivals: number[], rate: number, burst: number): number => {
    let tokens = burst;
    let last = 0;
    let count = 0;
    for (const at of [...arrivals].sort((a, b) => a - b)) {
      tokens = Math.min(burst, tokens + (at - last) * rate);
      last = at;
      if (tokens >= 1) tokens -= 1;
      else count++;
    }
    return count;
  };
  const throttle = () => {
    const settings = stage.DefaultRouteSettings as {
      ThrottlingRateLimit: number;
      ThrottlingBurstLimit: number;
    };
    return [settings.ThrottlingRateLimit, settings.ThrottlingBurstLimit] as const;
  };
  /** 200 clients of a mass onboarding email, each finishing with up to three deliveries. */
  const CLIENTS = 200;

  it.each([
    [
      'every client in the same second, two deliveries each',
      Array.from({ length: CLIENTS * 2 }, (_, i) => i / (CLIENTS * 2)),
    ],
    [
      'every client within ten seconds, three deliveries each',
      Array.from({ length: CLIENTS * 3 }, (_, i) => (i * 10) / (CLIENTS * 3)),
    ],
    [
      'every client within one minute, three deliveries each, in waves of a hundred',
      Array.from({ length: CLIENTS * 3 }, (_, i) => Math.floor(i / 100) * 10),
    ],
  ])('refuses none of a legitimate burst at the defaults: %s', (_, arrivals) => {
    const [rate, burst] = throttle();
    expect(refused(arrivals, rate, burst)).toBe(0);
  });

  it('the burst model refuses what exceeds the bucket (so the test above can fail)', () => {
    expect(refused([0, 0, 0], 1, 2)).toBe(1);
    expect(refused([0, 0, 0, 1], 1, 2)).toBe(1);
    expect(
      refused(
        Array.from({ length: 400 }, () => 0),
        10,
        20,
      ),
    ).toBe(380);
  });

  it('writes access logs to its own log group', () => {
    expect((stage.AccessLogSettings as { DestinationArn: unknown }).DestinationArn).toEqual(
      arnOf(logicalId(stack, api.accessLogGroup)),
    );
  });

  it('logs one JSON object per request with the request id and the route key', () => {
    const fields = JSON.parse(accessLogFormat) as Record<string, string>;
    expect(fields).toEqual(ACCESS_LOG_FIELDS);
    expect(Object.values(fields)).toEqual(
      expect.arrayContaining(['$context.requestId', '$context.routeKey']),
    );
  });

  it('logs the status and the API id of each request, which the throttled-requests metric filter reads', () => {
    const fields = JSON.parse(accessLogFormat) as Record<string, string>;
    expect(fields.status).toBe('$context.status');
    expect(fields.apiId).toBe('$context.apiId');
  });

  it('never logs the path, the query string, headers or the body (the webhook token travels in the query)', () => {
    expect(accessLogFormat).not.toContain('$context.path');
    expect(accessLogFormat.toLowerCase()).not.toContain('querystring');
    expect(accessLogFormat).not.toContain('$request');
    expect(accessLogFormat).not.toContain('$input');
    expect(accessLogFormat.toLowerCase()).not.toMatch(/header|body|token|authorization/);
  });
});

describe('the token secrets', () => {
  const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret'));

  it('are two: the webhook token and the read token', () => {
    expect(secrets).toHaveLength(2);
    expect(logicalId(stack, api.webhookTokenSecret)).not.toBe(logicalId(stack, api.readTokenSecret));
  });

  it('are generated at deploy time, never written in the template', () => {
    for (const secret of secrets) {
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString).toBeDefined();
    }
  });

  it('are at least 40 letters and digits long (safe in a query string unescaped)', () => {
    for (const secret of secrets) {
      expect(secret.Properties.GenerateSecretString).toMatchObject({
        ExcludePunctuation: true,
        IncludeSpace: false,
      });
      expect(secret.Properties.GenerateSecretString.PasswordLength).toBeGreaterThanOrEqual(40);
    }
  });

  it('are retained when they leave the stack', () => {
    for (const secret of secrets) expect(secret.DeletionPolicy).toBe('Retain');
  });
});

describe('the stack outputs', () => {
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description?: string }>;
  const join = (value: unknown) => (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];

  it('are exactly the six the CLI and operators use, and the two of monitoring', () => {
    expect(Object.keys(outputs).sort()).toEqual(
      [...Object.values(STACK_OUTPUTS), ...Object.values(MONITORING_OUTPUTS)].sort(),
    );
  });

  it('each have a description', () => {
    for (const output of Object.values(outputs)) expect(output.Description?.length).toBeGreaterThan(10);
  });

  it('WebhookUrl is the API endpoint plus the webhook path, with no token', () => {
    expect(join(outputs.WebhookUrl?.Value)).toEqual([
      { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] },
      ROUTES.webhook.path,
    ]);
  });

  it('ConnectionsUrl is the API endpoint plus the connections path', () => {
    expect(join(outputs.ConnectionsUrl?.Value)).toEqual([
      { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] },
      ROUTES.connections.path,
    ]);
  });

  it.each([
    [STACK_OUTPUTS.connectionEventsTopicArn, () => ref(logicalId(stack, stack.events.topic))],
    [STACK_OUTPUTS.tableName, () => ref(logicalId(stack, stack.store.table))],
    [STACK_OUTPUTS.webhookTokenSecretArn, () => ref(logicalId(stack, api.webhookTokenSecret))],
    [STACK_OUTPUTS.readTokenSecretArn, () => ref(logicalId(stack, api.readTokenSecret))],
  ])('%s points at the right resource', (name, expected) => {
    expect(outputs[name]?.Value).toEqual(expected());
  });
});
