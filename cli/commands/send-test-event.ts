/**
 * `send-test-event`: posts a sample payload to the webhook, as Leadsie would, and shows the answer:
 * the end-to-end check after a deploy (API, token, ingest, store, topic, subscribers).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  DEFAULT_TEST_USER,
  freshen,
  freshSuffix,
  isSampleName,
  readSample,
  SAMPLE_NAMES,
  samplePath,
} from '../samples.ts';
import { TARGET_OPTIONS, TARGET_USAGE, targetFromArgs, webhookUrl } from '../target.ts';
import { postWebhook, redacted } from '../webhook-post.ts';

const readFileText = async (file: string): Promise<Buffer> => {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new CliError(`cannot read ${file}: ${why}`);
  }
};

export const sendTestEventCommand: Command = {
  name: 'send-test-event',
  summary: 'Post a sample Leadsie payload to the webhook and print the answer',
  usage: `Usage:
  cli send-test-event [--fixture v1|v2|failed] [--user USER] [target options]
  cli send-test-event --file FILE [target options]

Posts a payload to the webhook URL (the one \`cli url\` prints) and prints the HTTP status, then
the JSON answer ({"eventId": "...", "duplicate": false}) on standard output.

  --fixture NAME   the sample to send, from samples/ (default: v1):
                     v1      v1-partial-success.json          (v1 format, PARTIAL_SUCCESS)
                     v2      v2-partial-multi-platform.json   (v2 format, several platforms)
                     failed  v1-failed.json                   (v1 format, FAILED)
  --user USER      the payload's user (default: ${DEFAULT_TEST_USER}). A user starting with
                   "test-user-" is Leadsie's test convention: the event has isTest: true, and
                   consumers that exclude tests (such as CRM updates) skip it. Another user makes
                   the event look real to every consumer.
  --file FILE      send FILE exactly as it is (no user, no suffix); not with --fixture or --user

A sample's requestName gets the suffix " (cli test <time> <8 hex>)", so every run is a new delivery
(a new fingerprint), stored and published, not recognised as a redelivery of the previous run. The
same (user, requestUrl) is kept, so each run advances its version like a real re-connection.

AWS permissions: cloudformation:DescribeStacks; secretsmanager:GetSecretValue on the webhook token
secret.

${TARGET_USAGE}

Exit status: 0 when the webhook answered 2xx, 1 otherwise (or when it could not be reached),
2 on a usage error.`,
  options: {
    fixture: { type: 'string' },
    user: { type: 'string' },
    file: { type: 'string' },
    ...TARGET_OPTIONS,
  },
  run: async ({ values, positionals }, io) => {
    if (positionals.length > 0) {
      throw new UsageError(`send-test-event takes no arguments (got "${positionals[0]}"); use --file FILE`);
    }
    const file = typeof values.file === 'string' ? values.file : undefined;
    const fixture = typeof values.fixture === 'string' ? values.fixture : undefined;
    const user = typeof values.user === 'string' ? values.user : undefined;
    if (file !== undefined && (fixture !== undefined || user !== undefined)) {
      throw new UsageError(
        '--file sends the file exactly as it is: it cannot be combined with --fixture or --user',
      );
    }
    if (file === '') throw new UsageError('--file needs a file name');
    if (fixture !== undefined && !isSampleName(fixture)) {
      throw new UsageError(`--fixture must be one of ${SAMPLE_NAMES.join(', ')} (got "${fixture}")`);
    }
    if (user === '') throw new UsageError('--user needs a user name');

    let body: Buffer | string;
    let what: string;
    if (file !== undefined) {
      body = await readFileText(file);
      what = file;
    } else {
      const name = fixture !== undefined && isSampleName(fixture) ? fixture : 'v1';
      const now = (io.now ?? (() => new Date()))();
      const payload = freshen(await readSample(name), {
        user: user ?? DEFAULT_TEST_USER,
        suffix: freshSuffix(now),
      });
      body = `${JSON.stringify(payload, null, 2)}\n`;
      what = `${samplePath(name)} as user "${payload.user}", requestName "${payload.requestName}"`;
    }

    const target = await targetFromArgs(values, io);
    const url = await webhookUrl(target);
    io.stderr(`sending ${what} to ${redacted(url)}\n`);
    const response = await postWebhook(url, body, 'application/json');
    io.stdout(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}\n`);
    const answer = response.json === undefined ? response.text : JSON.stringify(response.json, null, 2);
    if (answer !== '') io.stdout(`${answer}\n`);
    return response.ok ? 0 : 1;
  },
};
