/**
 * The alarm notifier handler with the real Slack adapter against a loopback server standing in for
 * Slack: an ALARM and an OK notification post what the formatter makes of them (and what an operator
 * should read), anything else on the topic is posted as text, and every failure (Slack 500 after the
 * adapter's retries, a permanent 4xx, an unreadable secret) is thrown, so Lambda retries the
 * invocation and then sends it to the dead-letter queue. Also run through the house middleware.
 */
import type { SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticSecret } from '../../lambda/adapters/secrets.ts';
import { SlackWebhook } from '../../lambda/consumers/slack/send.ts';
import { buildAlarmSlackMessage, NOT_AN_ALARM_NOTE } from '../../lambda/domain/alarm-message.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../lambda/domain/errors.ts';
import { ALARM_POSTED_LOG_MESSAGE, makeHandler } from '../../lambda/handlers/alarm-notifier.ts';
import { withSnsMiddleware } from '../../lambda/shared/middleware.ts';
import type { Log } from '../../lambda/use-cases/ports.ts';
import { rejection } from '../support/errors.ts';
import { lambdaContext } from '../support/log-capture.ts';
import { silentLogger } from '../support/logger.ts';
import { startTargetServer, type TargetServer } from '../support/target-server.ts';

const WEBHOOK_PATH = '/services/T000/B000/ALARMS';
const TIMEOUT_MS = 2_000;
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:LeadsieWebhooks-AlarmTopic';

const ALARM = {
  AlarmName: 'LeadsieWebhooks-hubspot-dead-letters',
  AlarmDescription:
    'The hubspot consumer gave up on at least one event. Do: read the messages of its dead-letter queue, fix the cause, then redrive them.',
  AWSAccountId: '123456789012',
  NewStateValue: 'ALARM',
  NewStateReason:
    'Threshold Crossed: 1 out of the last 1 datapoints [1.0 (14/06/26 10:00:00)] was greater than or equal to the threshold (1.0).',
  StateChangeTime: '2026-06-14T10:05:12.345+0000',
  Region: 'EU (Ireland)',
  AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:LeadsieWebhooks-hubspot-dead-letters',
  OldStateValue: 'OK',
  Trigger: { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Period: 300 },
};
const OK = {
  ...ALARM,
  NewStateValue: 'OK',
  OldStateValue: 'ALARM',
  NewStateReason:
    'Threshold Crossed: 1 out of the last 1 datapoints [0.0 (14/06/26 11:00:00)] was not greater than or equal to the threshold (1.0).',
  StateChangeTime: '2026-06-14T11:05:12.345+0000',
};

/** What SNS hands Lambda: one record holding the message as published. */
const snsEvent = (message: string, subject: string | null = null): SNSEvent => ({
  Records: [
    {
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: `${TOPIC_ARN}:0b7f6d4c-1111-2222-3333-444455556666`,
      Sns: {
        Type: 'Notification',
        MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
        TopicArn: TOPIC_ARN,
        Subject: subject as string,
        Message: message,
        Timestamp: '2026-06-14T10:05:12.500Z',
        SignatureVersion: '1',
        Signature: 'EXAMPLE',
        SigningCertUrl: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000.pem',
        UnsubscribeUrl: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe',
        MessageAttributes: {},
      },
    },
  ],
});

/** A Log that keeps what it is told. */
const recordingLog = () => {
  const lines: { level: string; message: string; extra: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) =>
      lines.push({ level, message, extra: Object.assign({}, ...extra) });
  const log: Log = { info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
};

/** The JSON body of the one request Slack received. */
const postedBody = (server: TargetServer): { text: string; blocks: unknown[] } => {
  expect(server.requests).toHaveLength(1);
  const [request] = server.requests;
  expect(request?.method).toBe('POST');
  expect(request?.path).toBe(WEBHOOK_PATH);
  expect(request?.headers['content-type']).toBe('application/json');
  return JSON.parse(request?.body ?? '') as { text: string; blocks: unknown[] };
};

describe('the alarm notifier against a loopback Slack', () => {
  let server: TargetServer;
  let slack: SlackWebhook;

  beforeAll(async () => {
    server = await startTargetServer();
    slack = new SlackWebhook(staticSecret(server.url + WEBHOOK_PATH), TIMEOUT_MS);
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.reset();
    server.fallback = { status: 200, body: 'ok' };
  });

  it('posts an ALARM: red circle and name, why, what to do, where, the console link', async () => {
    const { log, lines } = recordingLog();
    const handler = makeHandler({ slack, log, region: 'eu-west-1' });
    const message = JSON.stringify(ALARM);

    await expect(
      handler(snsEvent(message, 'ALARM: "LeadsieWebhooks-hubspot-dead-letters" in EU (Ireland)')),
    ).resolves.toBeUndefined();

    const body = postedBody(server);
    expect(body).toEqual(
      JSON.parse(JSON.stringify(buildAlarmSlackMessage(message, { region: 'eu-west-1' }))),
    );
    const posted = JSON.stringify(body);
    expect(body.text).toMatch(
      /^:red_circle: ALARM: LeadsieWebhooks-hubspot-dead-letters — Threshold Crossed/,
    );
    expect(posted).toContain(
      '*Do:* read the messages of its dead-letter queue, fix the cause, then redrive them.',
    );
    expect(posted).toContain('*State:* OK → ALARM since 2026-06-14T10:05:12.345+0000');
    expect(posted).toContain('*Account*\\n123456789012');
    expect(posted).toContain('*Region*\\neu-west-1');
    expect(posted).toContain(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/LeadsieWebhooks-hubspot-dead-letters',
    );
    expect(lines).toEqual([
      {
        level: 'info',
        message: ALARM_POSTED_LOG_MESSAGE,
        extra: {
          messageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
          alarmName: 'LeadsieWebhooks-hubspot-dead-letters',
          state: 'ALARM',
        },
      },
    ]);
  });

  it('posts an OK: green circle, why, no advice', async () => {
    const handler = makeHandler({ slack, log: recordingLog().log });

    await handler(snsEvent(JSON.stringify(OK), 'OK: "LeadsieWebhooks-hubspot-dead-letters" in EU (Ireland)'));

    const body = postedBody(server);
    const posted = JSON.stringify(body);
    expect(body.text).toMatch(/^:large_green_circle: OK: LeadsieWebhooks-hubspot-dead-letters — /);
    expect(posted).toContain('*State:* ALARM → OK since 2026-06-14T11:05:12.345+0000');
    expect(posted).toContain('*Why:* Threshold Crossed: 1 out of the last 1 datapoints [0.0');
    expect(posted).not.toContain('*Do:*');
    expect(posted).toContain('Open in CloudWatch');
  });

  it("posts a message that is not an alarm (the console's test publish) as text, with its subject", async () => {
    const { log, lines } = recordingLog();
    const handler = makeHandler({ slack, log });

    await handler(snsEvent('Testing the alarm topic <!channel>', 'Test'));

    expect(postedBody(server)).toEqual({
      text: 'Alarm topic: Test',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', verbatim: true, text: '*Test*\nTesting the alarm topic &lt;!channel&gt;' },
        },
        { type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: NOT_AN_ALARM_NOTE }] },
      ],
    });
    expect(lines.map((l) => [l.level, l.message, l.extra.alarmName])).toEqual([
      ['info', ALARM_POSTED_LOG_MESSAGE, null],
    ]);
  });

  it('throws when Slack answers 500 after the adapter’s three attempts, so Lambda retries, and logs the alarm without the URL', async () => {
    server.fallback = { status: 500, body: 'internal_error' };
    const { log, lines } = recordingLog();
    const handler = makeHandler({ slack, log });

    const error = await rejection(handler(snsEvent(JSON.stringify(ALARM))));

    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toBe('Slack answered 500: internal_error');
    expect(server.requests).toHaveLength(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      extra: { alarmName: 'LeadsieWebhooks-hubspot-dead-letters', state: 'ALARM', error },
    });
    expect(JSON.stringify(lines)).not.toContain(WEBHOOK_PATH);
  });

  it('throws on a permanent refusal too (a revoked webhook): the notification goes to the dead-letter queue, not nowhere', async () => {
    server.fallback = { status: 403, body: 'invalid_token' };
    const handler = makeHandler({ slack, log: recordingLog().log });

    const error = await rejection(handler(snsEvent(JSON.stringify(ALARM))));

    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(server.requests).toHaveLength(1);
  });

  it('throws when the webhook URL cannot be read, posting nothing', async () => {
    const unreadable = new SlackWebhook(
      { value: () => Promise.reject(new Error('AccessDeniedException: secret')) },
      TIMEOUT_MS,
    );
    const handler = makeHandler({ slack: unreadable, log: recordingLog().log });

    await expect(handler(snsEvent(JSON.stringify(ALARM)))).rejects.toThrow('AccessDeniedException');
    expect(server.requests).toHaveLength(0);
  });

  it('through the house middleware (as the entry runs it): posts, and rejects on a Slack 500', async () => {
    const logger = silentLogger();
    const handler = withSnsMiddleware(makeHandler({ slack, log: logger }), logger);

    await expect(
      handler(snsEvent(JSON.stringify(ALARM)), lambdaContext('alarm-notifier')),
    ).resolves.toBeUndefined();
    expect(server.requests).toHaveLength(1);

    server.reset();
    server.fallback = { status: 500, body: 'internal_error' };
    await expect(
      handler(snsEvent(JSON.stringify(OK)), lambdaContext('alarm-notifier')),
    ).rejects.toBeInstanceOf(RetryableDeliveryError);
    expect(server.requests).toHaveLength(3);
  });
});
