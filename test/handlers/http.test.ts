/**
 * The HTTP edge (lambda/shared/http.ts) on its own: token comparison, the bearer header, the JSON
 * content types, reading a body, and the one table that turns typed errors into HTTP answers.
 */
import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  DeliveryInProgressError,
  DependencyUnavailableError,
  InvalidPayloadError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../../lambda/domain/errors.ts';
import {
  bearerToken,
  errorResponse,
  isJsonContentType,
  jsonResponse,
  readJsonBody,
} from '../../lambda/shared/http.ts';
import type { Log } from '../../lambda/use-cases/ports.ts';
import { apiEvent } from '../support/api-event.ts';

/** A Log that keeps what it was told. */
const recordingLog = () => {
  const lines: { level: 'info' | 'warn' | 'error'; message: string; extra: Record<string, unknown>[] }[] = [];
  const log: Log = {
    info: (message, ...extra) => lines.push({ level: 'info', message, extra }),
    warn: (message, ...extra) => lines.push({ level: 'warn', message, extra }),
    error: (message, ...extra) => lines.push({ level: 'error', message, extra }),
  };
  return { log, lines };
};

describe('bearerToken', () => {
  const withHeaders = (headers: Record<string, string>) => ({ ...apiEvent(), headers });
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['Bearer    abc', 'abc'],
    // Optional white space around a header value is not part of it (RFC 9110 §5.5).
    ['Bearer abc  ', 'abc'],
    ['Bearer\tabc', 'abc'],
    ['Bearer', undefined],
    ['Bearer ', undefined],
    ['Bearer a b', undefined],
    ['Basic abc', undefined],
    ['abc', undefined],
    ['Bearerabc', undefined],
    [' Bearer abc', undefined],
  ])('%j → %j', (value, expected) => {
    expect(bearerToken(withHeaders({ authorization: value }))).toBe(expected);
  });

  it('finds the header whatever the case of its name', () => {
    expect(bearerToken(withHeaders({ Authorization: 'Bearer abc' }))).toBe('abc');
    expect(bearerToken(withHeaders({ AUTHORIZATION: 'Bearer abc' }))).toBe('abc');
  });

  it('is undefined without an Authorization header, or without headers at all', () => {
    expect(bearerToken(withHeaders({ 'x-authorization': 'Bearer abc' }))).toBeUndefined();
    expect(bearerToken({ ...apiEvent(), headers: undefined as never })).toBeUndefined();
  });
});

describe('isJsonContentType', () => {
  it.each([
    [undefined, true],
    ['', true],
    ['  ', true],
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['application/json;charset=UTF-8', true],
    ['APPLICATION/JSON', true],
    [' application/json ', true],
    ['application/vnd.leadsie+json', true],
    ['application/problem+json; charset=utf-8', true],
    ['text/plain', false],
    ['text/json', false],
    ['application/x-www-form-urlencoded', false],
    ['multipart/form-data; boundary=x', false],
    ['application/jsonp', false],
    ['application/json-seq', false],
    ['application/+json', false],
    ['application/xml', false],
  ])('%j → %s', (value, expected) => {
    expect(isJsonContentType(value)).toBe(expected);
  });
});

describe('readJsonBody', () => {
  const event = (body: string | Buffer | undefined, contentType?: string, base64 = false) =>
    apiEvent({ body, base64, headers: contentType === undefined ? {} : { 'content-type': contentType } });

  const thrownBy = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (error) {
      return error;
    }
    throw new Error('expected a throw');
  };

  it('returns the parsed JSON and the text exactly as received', () => {
    const text = '{ "a": [1, 2], "b": "é" }\n';
    expect(readJsonBody(event(text, 'application/json'), 100)).toEqual({
      json: { a: [1, 2], b: 'é' },
      raw: text,
    });
  });

  it('decodes a base64 body', () => {
    const text = '{"a":"é"}';
    expect(readJsonBody(event(text, 'application/json', true), 100)).toEqual({ json: { a: 'é' }, raw: text });
  });

  it('measures the limit in bytes of the decoded body: at the limit passes, one over fails', () => {
    const text = '"é"'; // 4 bytes, 3 characters
    expect(readJsonBody(event(text), 4).json).toBe('é');
    expect(thrownBy(() => readJsonBody(event(text), 3))).toBeInstanceOf(PayloadTooLargeError);
    expect(readJsonBody(event(text, undefined, true), 4).json).toBe('é');
    expect(thrownBy(() => readJsonBody(event(text, undefined, true), 3))).toBeInstanceOf(
      PayloadTooLargeError,
    );
  });

  it.each([
    ['a non-JSON content type', event('{}', 'text/plain'), UnsupportedMediaTypeError, undefined],
    ['a body over the limit', event('{"a":1}'.padEnd(11)), PayloadTooLargeError, undefined],
    [
      'invalid UTF-8',
      event(Buffer.from([0x7b, 0xff, 0x7d]), 'application/json', true),
      InvalidPayloadError,
      [{ path: '(root)', message: 'invalid UTF-8 byte sequence' }],
    ],
    [
      'a truncated UTF-8 sequence',
      event(Buffer.from([0x22, 0xc3]), 'application/json', true),
      InvalidPayloadError,
      [{ path: '(root)', message: 'invalid UTF-8 byte sequence' }],
    ],
    [
      'no body',
      event(undefined),
      InvalidPayloadError,
      [{ path: '(root)', message: 'expected a JSON object' }],
    ],
    [
      'an empty body',
      event(''),
      InvalidPayloadError,
      [{ path: '(root)', message: 'expected a JSON object' }],
    ],
    [
      'invalid JSON',
      event('{"a":'),
      InvalidPayloadError,
      [{ path: '(root)', message: expect.stringMatching(/JSON/) }],
    ],
  ])('throws its own error for %s', (_name, input, type, details) => {
    const error = thrownBy(() => readJsonBody(input, 10));
    expect(error).toBeInstanceOf(type);
    if (details !== undefined) expect((error as InvalidPayloadError).details).toEqual(details);
  });

  it('checks the content type before the size', () => {
    expect(thrownBy(() => readJsonBody(event('x'.repeat(100), 'text/plain'), 10))).toBeInstanceOf(
      UnsupportedMediaTypeError,
    );
  });
});

describe('errorResponse: the one table of typed errors to HTTP answers', () => {
  const problems = [{ path: 'connectionAssets[0].id', message: 'missing (expected string)' }];
  it.each([
    ['UnauthorizedError', new UnauthorizedError('no token'), 401, undefined],
    ['InvalidPayloadError', new InvalidPayloadError('bad payload', problems), 400, problems],
    ['BadRequestError', new BadRequestError('bad parameter'), 400, undefined],
    [
      'DeliveryInProgressError',
      new DeliveryInProgressError('busy', { eventId: 'e1' }),
      409,
      { eventId: 'e1' },
    ],
    ['PayloadTooLargeError', new PayloadTooLargeError('too big'), 413, undefined],
    ['UnsupportedMediaTypeError', new UnsupportedMediaTypeError('not json'), 415, undefined],
    [
      'DependencyUnavailableError',
      new DependencyUnavailableError('store down', 'store', { cause: new Error('inner secret') }),
      503,
      undefined,
    ],
  ])('%s → %i', (_name, error, status, details) => {
    const { log } = recordingLog();
    const answer = errorResponse(error, log);
    expect(answer.statusCode).toBe(status);
    expect(answer.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    const body = JSON.parse(answer.body ?? '');
    expect(body).toEqual(
      details === undefined ? { error: error.message } : { error: error.message, details },
    );
    expect(answer.body).not.toContain('inner secret');
  });

  it('asks for a retry after 409 and 503, and only then', () => {
    const { log } = recordingLog();
    const retryAfter = (error: unknown) => errorResponse(error, log).headers?.['retry-after'];
    expect(retryAfter(new DeliveryInProgressError('busy'))).toMatch(/^\d+$/);
    expect(retryAfter(new DependencyUnavailableError('down', 'topic'))).toMatch(/^\d+$/);
    expect(retryAfter(new BadRequestError('bad'))).toBeUndefined();
    expect(retryAfter(new UnauthorizedError('no'))).toBeUndefined();
    expect(retryAfter(new Error('boom'))).toBeUndefined();
  });

  it('names the Bearer scheme on 401 only', () => {
    const { log } = recordingLog();
    expect(errorResponse(new UnauthorizedError('no'), log).headers?.['www-authenticate']).toBe('Bearer');
    expect(errorResponse(new BadRequestError('bad'), log).headers?.['www-authenticate']).toBeUndefined();
  });

  it.each([
    ['a plain Error', new Error('db password is hunter2')],
    ['a TypeError', new TypeError('cannot read hunter2 of undefined')],
    ['a thrown string', 'hunter2'],
    ['undefined', undefined],
    ['an object that looks like a typed error', { kind: 'unauthorized', message: 'hunter2' }],
  ])('answers 500 with a generic message for %s, logging it as an error', (_name, error) => {
    const { log, lines } = recordingLog();
    const answer = errorResponse(error, log);
    expect(answer.statusCode).toBe(500);
    expect(answer.headers?.['cache-control']).toBe('no-store');
    expect(JSON.parse(answer.body ?? '')).toEqual({ error: expect.stringMatching(/internal error/i) });
    expect(answer.body).not.toContain('hunter2');
    expect(lines.map((line) => line.level)).toEqual(['error']);
  });

  it('logs 4xx at info level and 5xx at error level', () => {
    const { log, lines } = recordingLog();
    errorResponse(new BadRequestError('bad'), log);
    errorResponse(new DependencyUnavailableError('down', 'store'), log);
    expect(lines.map((line) => line.level)).toEqual(['info', 'error']);
  });
});

describe('jsonResponse', () => {
  it('is JSON, not cached, and lets a caller add headers', () => {
    expect(jsonResponse(201, { a: 1 }, { 'x-extra': 'y' })).toEqual({
      statusCode: 201,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'x-extra': 'y',
      },
      body: '{"a":1}',
    });
  });
});
