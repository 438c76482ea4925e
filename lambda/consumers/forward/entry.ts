/**
 * Lambda entry of the webhook forwarder: what the stack bundles. It builds the function's adapters once
 * per container from the environment (failing fast, naming any missing variable) and wraps
 * `makeHandler` in the house middleware, which flushes its EMF metrics after each invocation. It
 * imports its own handler only, never the registry, so no other consumer's code is bundled.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { PowertoolsMetrics } from '../../adapters/powertools-metrics.ts';
import { withSqsMiddleware } from '../../shared/middleware.ts';
import { defaultDeps, makeHandler } from './handler.ts';

const logger = new Logger();
const deps = defaultDeps(logger);
const metrics = PowertoolsMetrics.fromEnv(logger);
export const handler = withSqsMiddleware(makeHandler({ ...deps, metrics }), logger, metrics);
