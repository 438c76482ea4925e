/**
 * The house middleware stacks: Lambda context in every log line; for HTTP handlers, typed errors
 * turned into JSON answers by `httpErrors`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type HttpEvent, type HttpResult, httpErrors } from './http.ts';

/** The house middleware for SQS consumers: Lambda context in every log line. */
export const withSqsMiddleware = (fn: (event: SQSEvent) => Promise<SQSBatchResponse>, logger: Logger) =>
  middy<SQSEvent, SQSBatchResponse>(fn).use(injectLambdaContext(logger));

export const withHttpMiddleware = (fn: (event: HttpEvent) => Promise<HttpResult>, logger: Logger) =>
  middy<HttpEvent, HttpResult>(fn).use(injectLambdaContext(logger)).use(httpErrors(logger));
