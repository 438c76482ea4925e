/**
 * Lambda entry of the sheets-appender function: what the stack bundles. It builds the function's adapters
 * once per container from the environment (failing fast, naming any missing variable) and wraps
 * `makeHandler` in the house middleware. Everything else lives in `lambda/handlers/sheets-appender.ts`, which
 * tests and local mode import without touching the environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { defaultDeps, makeHandler } from '../handlers/sheets-appender.ts';
import { withSqsMiddleware } from '../shared/middleware.ts';

const logger = new Logger();
export const handler = withSqsMiddleware(makeHandler(defaultDeps(logger)), logger);
