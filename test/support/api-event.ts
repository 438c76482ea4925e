/** API Gateway HTTP API (payload format 2.0) events, as API Gateway hands them to a function. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface ApiEventInput {
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body base64-encoded, as API Gateway does for binary content types. */
  base64?: boolean;
}

export const apiEvent = (input: ApiEventInput = {}): APIGatewayProxyEventV2 => {
  const method = input.method ?? 'POST';
  const path = input.path ?? '/leadsie/webhook';
  const query = input.query;
  const rawQueryString = query ? new URLSearchParams(query).toString() : '';
  const headers = Object.fromEntries(
    Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const bodyBuffer = input.body === undefined ? undefined : Buffer.from(input.body);
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString,
    headers,
    queryStringParameters: query,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'request-id',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '26/Nov/2026:10:00:00 +0000',
      timeEpoch: 1_795_000_000_000,
    },
    body:
      bodyBuffer === undefined
        ? undefined
        : input.base64
          ? bodyBuffer.toString('base64')
          : bodyBuffer.toString('utf8'),
    isBase64Encoded: input.base64 ?? false,
  };
};
