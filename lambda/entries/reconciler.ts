/**
 * Lambda entry of the reconciler function: what the stack bundles. It builds the function's adapters
 * once per container from the environment (failing fast, naming any missing variable) and wraps
 * `makeHandler` in the house middleware, which flushes its EMF metrics after each run. Everything
 * else lives in `lambda/handlers/reconciler.ts`, which tests import without touching the environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { PowertoolsMetrics } from '../adapters/powertools-metrics.ts';
import { defaultDeps, makeHandler } from '../handlers/reconciler.ts';
import { withScheduledMiddleware } from '../shared/middleware.ts';

const logger = new Logger();
const deps = defaultDeps(logger);
const metrics = PowertoolsMetrics.fromEnv(logger);
export const handler = withScheduledMiddleware(makeHandler({ ...deps, metrics }), logger, metrics);
