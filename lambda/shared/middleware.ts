/**
 * The house middleware stack for HTTP handlers: Lambda context in every log line, and typed errors
 * turned into JSON answers by `httpErrors`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { type HttpEvent, type HttpResult, httpErrors } from './http.ts';

export const withHttpMiddleware = (fn: (event: HttpEvent) => Promise<HttpResult>, logger: Logger) =>
  middy<HttpEvent, HttpResult>(fn).use(injectLambdaContext(logger)).use(httpErrors(logger));
