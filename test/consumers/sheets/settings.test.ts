/**
 * The Sheets appender's settings as its function reads them: the stack's facts from the environment,
 * defaults where the contract has them, and a ConfigurationError naming the variable for anything
 * missing or malformed (so a bad setting stops the function at cold start).
 */
import { describe, expect, it } from 'vitest';
import { readEnv } from '../../../lambda/consumers/settings.ts';
import { defaultDeps as sheetsDeps } from '../../../lambda/consumers/sheets/handler.ts';
import { SHEETS_FACTS } from '../../../lambda/consumers/sheets/settings.ts';
import { ENV } from '../../../lambda/contract.ts';
import { ConfigurationError } from '../../../lambda/shared/env.ts';
import { silentLogger } from '../../support/logger.ts';

const consumerEnv = {
  AWS_REGION: 'us-east-1',
  [ENV.consumerName]: 'c',
  [ENV.deadLetterQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/c-dlq',
  [ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/c',
  [ENV.tableName]: 'connections',
};

const configError = (fn: () => unknown): ConfigurationError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
};

describe('Sheets appender settings', () => {
  const sheetsEnv = {
    ...consumerEnv,
    [ENV.consumerSecretId]: 'leadsie/sheets-service-account',
    [ENV.sheetsSpreadsheetId]: '1AbC-dEf_0123',
    [ENV.sheetsSheetName]: 'Connections',
  };

  it('builds its dependencies from the environment', () => {
    const deps = sheetsDeps(silentLogger(), sheetsEnv);
    expect(deps.sheet).toMatchObject({ spreadsheetId: '1AbC-dEf_0123', sheetName: 'Connections' });
  });

  it.each([ENV.sheetsSpreadsheetId, ENV.sheetsSheetName, ENV.consumerSecretId, ENV.tableName])(
    'names %s when it is missing',
    (name) => {
      const env: Record<string, string> = { ...sheetsEnv };
      delete env[name];
      expect(configError(() => sheetsDeps(silentLogger(), env)).message).toBe(
        `environment variable ${name} is required but not set`,
      );
    },
  );

  it('takes a spreadsheet id, not its URL', () => {
    expect(
      configError(() =>
        sheetsDeps(silentLogger(), {
          ...sheetsEnv,
          [ENV.sheetsSpreadsheetId]: 'https://docs.google.com/spreadsheets/d/1AbC/edit',
        }),
      ).message,
    ).toMatch(/SHEETS_SPREADSHEET_ID: a spreadsheet id/);
  });

  it('defaults the Sheets URL, takes a loopback token URL, and refuses a URL that is not http(s)', () => {
    expect(readEnv(SHEETS_FACTS, {}).sheetsBaseUrl).toBeUndefined();
    expect(readEnv(SHEETS_FACTS, { [ENV.googleTokenUrl]: 'http://127.0.0.1:9/token' }).googleTokenUrl).toBe(
      'http://127.0.0.1:9/token',
    );
    expect(
      configError(() => sheetsDeps(silentLogger(), { ...sheetsEnv, [ENV.sheetsBaseUrl]: 'ftp://x' })).message,
    ).toMatch(/SHEETS_BASE_URL: must be an http\(s\) URL/);
  });
});
