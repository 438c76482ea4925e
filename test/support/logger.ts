import { Logger } from '@aws-lambda-powertools/logger';

/** A real Powertools logger that prints nothing unless LOG_LEVEL asks for it (e.g. LOG_LEVEL=DEBUG). */
export const silentLogger = (): Logger =>
  new Logger({ serviceName: 'test', logLevel: (process.env.LOG_LEVEL as 'DEBUG' | undefined) ?? 'SILENT' });
