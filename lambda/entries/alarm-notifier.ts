/**
 * Lambda entry of the alarm-notifier function: what the stack bundles when `alarmSlack` is set. It
 * builds the function's adapters once per container from the environment (failing fast, naming any
 * missing variable) and wraps `makeHandler` in the house middleware. It writes no EMF metrics of its
 * own: Lambda's Errors and its dead-letter queue's alarm say all there is. Everything else lives in
 * `lambda/handlers/alarm-notifier.ts`, which tests import without touching the environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { defaultDeps, makeHandler } from '../handlers/alarm-notifier.ts';
import { withSnsMiddleware } from '../shared/middleware.ts';

const logger = new Logger();
export const handler = withSnsMiddleware(makeHandler(defaultDeps(logger)), logger);
