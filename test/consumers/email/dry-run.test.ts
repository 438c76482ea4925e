/**
 * The email dry run writes the same outbox line shape as Slack's: the event's id and its version
 * (issue 14, item 10: email's lines carried `"version": null` where Slack's carried 1). Both go
 * through the real appenders into real files, and the email through the use case that builds it.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxEmail } from '../../../lambda/consumers/email/dry-run.ts';
import { DEFAULT_CLIENT_TEMPLATE, parseEmailTemplate } from '../../../lambda/consumers/email/message.ts';
import { OutboxSlack } from '../../../lambda/consumers/slack/dry-run.ts';
import { buildSlackMessage } from '../../../lambda/consumers/slack/message.ts';
import { sendEmails } from '../../../lambda/use-cases/send-emails.ts';
import { sampleEnvelope } from '../../support/envelopes.ts';
import { silentLogger } from '../../support/logger.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'email-dry-run-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const appender = (file: string) => (line: string) => appendFile(path.join(dir, file), `${line}\n`);
const lines = async (file: string) =>
  (await readFile(path.join(dir, file), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { eventId: string | null; version: number | null });

describe('the email dry run outbox line', () => {
  it.each([1, 3])('carries the event version (%i) as the Slack dry run does', async (version) => {
    const event = sampleEnvelope('v1-failed.json', {
      eventId: '01JZ0000000000000000EMAILV',
      receivedAt: '2026-06-14T10:02:20.000Z',
      version,
    });
    const say = () => {};
    await sendEmails(
      {
        sender: new OutboxEmail('leadsie-webhooks@example.com', appender('email.jsonl'), say),
        settings: {
          teamRecipients: ['team@example.com'],
          teamStatuses: ['FAILED'],
          client: {
            addresses: {},
            allowedDomains: [],
            template: parseEmailTemplate(DEFAULT_CLIENT_TEMPLATE),
          },
        },
        log: silentLogger(),
      },
      event,
    );
    await new OutboxSlack(appender('slack.jsonl'), say).send(buildSlackMessage(event), event);

    const [email] = await lines('email.jsonl');
    const [slack] = await lines('slack.jsonl');
    expect(email).toMatchObject({ eventId: event.eventId, version });
    expect({ eventId: email?.eventId, version: email?.version }).toEqual({
      eventId: slack?.eventId,
      version: slack?.version,
    });
  });
});
