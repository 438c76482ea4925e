/**
 * Lambda entry of the email-notifier function: what the stack bundles. It builds the function's adapters
 * once per container from the environment (failing fast, naming any missing variable) and wraps
 * `makeHandler` in the house middleware. Everything else lives in `lambda/handlers/email-notifier.ts`, which
 * tests and local mode import without touching the environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { defaultDeps, makeHandler } from '../handlers/email-notifier.ts';
import { withSqsMiddleware } from '../shared/middleware.ts';

const logger = new Logger();
export const handler = withSqsMiddleware(makeHandler(defaultDeps(logger)), logger);
