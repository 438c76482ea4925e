/**
 * Lambda entry of the reconciler function: what the stack bundles. It builds the function's adapters
 * once per container from the environment (failing fast, naming any missing variable). Everything
 * else lives in `lambda/handlers/reconciler.ts`, which tests import without touching the environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { defaultDeps, makeHandler } from '../handlers/reconciler.ts';

const logger = new Logger();
export const handler = middy(makeHandler(defaultDeps(logger))).use(injectLambdaContext(logger));
