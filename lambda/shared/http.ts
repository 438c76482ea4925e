/**
 * The HTTP edge shared by the API handlers: reading API Gateway HTTP API (payload v2) events and
 * their bodies, and the one place typed errors become HTTP answers (the token check is in
 * `shared/tokens.ts`, the comparison in `domain/tokens.ts`).
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  BadRequestError,
  DeliveryInProgressError,
  DependencyUnavailableError,
  InvalidPayloadError,
  PayloadTooLargeError,
  type PipelineError,
  UnauthorizedError,
  UnpublishableEventError,
  UnsupportedMediaTypeError,
} from '../domain/errors.ts';
import type { Log } from '../use-cases/ports.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResult => ({
  statusCode,
  headers: { ...JSON_HEADERS, ...headers },
  body: JSON.stringify(body),
});

/** A request header by name, case-insensitively. */
export const header = (event: HttpEvent, name: string): string | undefined => {
  const headers = event.headers ?? {};
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
};

/** The bearer token of the Authorization header, if any. */
export const bearerToken = (event: HttpEvent): string | undefined => bearerOf(header(event, 'authorization'));

/** The token of an `Authorization: Bearer <token>` header value. */
export const bearerOf = (value: string | undefined): string | undefined =>
  value?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];

/** `application/json`, `application/<anything>+json`, with or without parameters; absent is accepted too. */
export const isJsonContentType = (value: string | undefined): boolean => {
  if (value === undefined || value.trim() === '') return true;
  const mediaType = value.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || /^application\/[\w.+-]+\+json$/.test(mediaType);
};

/** The body's bytes as the client sent them (API Gateway base64-encodes non-text bodies). */
export const bodyBytes = (event: HttpEvent): Buffer =>
  event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');

/** Reads a JSON body: content type, size limit, decoding and parsing, each with its own error. */
export const readJsonBody = (
  event: HttpEvent,
  maxBytes: number,
  bytes: Buffer = bodyBytes(event),
): { json: unknown; raw: string } => {
  const contentType = header(event, 'content-type');
  if (!isJsonContentType(contentType)) {
    throw new UnsupportedMediaTypeError(
      `Content type "${contentType}" is not supported; send application/json`,
    );
  }
  if (bytes.length > maxBytes) {
    throw new PayloadTooLargeError(`The body is ${bytes.length} bytes; the limit is ${maxBytes}`);
  }
  let raw: string;
  try {
    // The raw body is kept exactly as received, byte-order mark included; JSON.parse gets it without.
    raw = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InvalidPayloadError('The body is not valid UTF-8', [
      { path: '(root)', message: 'invalid UTF-8 byte sequence' },
    ]);
  }
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (text.trim() === '') {
    throw new InvalidPayloadError('The body is empty', [
      { path: '(root)', message: 'expected a JSON object' },
    ]);
  }
  try {
    return { json: JSON.parse(text), raw };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidPayloadError('The body is not valid JSON', [{ path: '(root)', message: reason }]);
  }
};

/** Maps a typed error to its HTTP status: the only such table in the code. */
const STATUS_OF: [new (...args: never[]) => PipelineError, number][] = [
  [UnauthorizedError, 401],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [InvalidPayloadError, 400],
  [BadRequestError, 400],
  [DeliveryInProgressError, 409],
  [UnpublishableEventError, 422],
  [DependencyUnavailableError, 503],
];

/** Seconds a client should wait before retrying a 409/503. */
const RETRY_AFTER_SECONDS = '5';

/** The HTTP status a typed error is answered with; undefined for anything else (a 500). */
export const statusOf = (error: unknown): number | undefined =>
  STATUS_OF.find(([type]) => error instanceof type)?.[1];

export const errorResponse = (error: unknown, log: Log): HttpResult => {
  const match = STATUS_OF.find(([type]) => error instanceof type);
  if (!match) {
    log.error('unexpected error', { error });
    return jsonResponse(500, { error: 'Internal error; the request was not processed' });
  }
  const [, status] = match;
  const typed = error as PipelineError;
  const body: Record<string, unknown> = { error: typed.message };
  if (typed.details !== undefined) body.details = typed.details;
  if (typed.quarantineId !== undefined) body.quarantineId = typed.quarantineId;
  if (status >= 500) {
    log.error(typed.message, { kind: typed.kind, cause: String((typed as Error).cause ?? '') });
  } else {
    log.info('request rejected', { status, kind: typed.kind });
  }
  const headers: Record<string, string> =
    status === 503 || status === 409 ? { 'retry-after': RETRY_AFTER_SECONDS } : {};
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  return jsonResponse(status, body, headers);
};

/** Middy middleware: every error thrown by a handler leaves as a JSON answer from `errorResponse`. */
export const httpErrors = (log: Log): MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: async (request) => {
    request.response = errorResponse(request.error, log);
  },
});
