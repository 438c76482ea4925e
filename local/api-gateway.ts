/**
 * A stand-in for API Gateway's HTTP API in front of the handlers: it turns a Node.js request into
 * the payload-format-2.0 event API Gateway would hand the function, and the function's result back
 * into an HTTP answer. Routes are matched exactly like the deployed API's (`POST /leadsie/webhook`,
 * `GET /connections`); anything else gets API Gateway's own `404 {"message":"Not Found"}`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** API Gateway HTTP APIs refuse bodies over 10 MB before any function runs. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

export const readBody = (req: IncomingMessage, limit = API_GATEWAY_MAX_BODY_BYTES): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const isUtf8 = (bytes: Buffer): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** The event API Gateway (HTTP API, payload format 2.0) makes of a request. */
export const toApiEvent = (req: IncomingMessage, body: Buffer, routeKey: string): APIGatewayProxyEventV2 => {
  const url = new URL(req.url ?? '/', 'http://local');
  const query: Record<string, string> = {};
  // API Gateway joins repeated query parameters with commas.
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const now = new Date();
  // A body that is not UTF-8 text is passed base64-encoded, as API Gateway does for binary content.
  const base64 = body.length > 0 && !isUtf8(body);
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : base64 ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: base64,
  };
};

export const sendResult = (res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void => {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(result.headers ?? {})) headers[key] = String(value);
  const body = result.isBase64Encoded
    ? Buffer.from(result.body ?? '', 'base64')
    : Buffer.from(result.body ?? '');
  res.writeHead(result.statusCode ?? 200, { ...headers, 'content-length': String(body.length) });
  res.end(body);
};

export const sendJson = (res: ServerResponse, status: number, body: unknown): void =>
  sendResult(res, {
    statusCode: status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
