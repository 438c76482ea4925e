/**
 * The alarm notifier: subscribed to the alarm topic when `alarmSlack` is configured, it posts each
 * notification to the Slack Incoming Webhook whose URL is its secret. A CloudWatch alarm's state
 * change (ALARM and OK) is laid out for a glance; anything else on the topic is posted as its text.
 *
 *   alarm topic ──async invoke──▶ this function ──▶ Slack (3 attempts, backoff: SlackWebhook)
 *        │ SNS cannot invoke               │ throws: Lambda retries twice,
 *        ▼                                 ▼ then its on-failure destination
 *   dead-letter queue ◀──────────────────────┘ (the stack's alarm-slack-dead-letters alarm)
 *
 * Any failure (Slack refusing or unreachable, the secret unreadable) is thrown, never swallowed: the
 * notification ends in the dead-letter queue rather than vanishing. Logs name the alarm and its
 * state, never the webhook URL.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SNSEvent } from 'aws-lambda';
import { CachedSecret } from '../adapters/secrets.ts';
import { type SlackSender, SlackWebhook } from '../consumers/slack/send.ts';
import { DEFAULTS, ENV } from '../contract.ts';
import { buildAlarmSlackMessage, parseAlarmNotification } from '../domain/alarm-message.ts';
import { secretsManagerClient } from '../shared/clients.ts';
import { positiveIntEnv, requireEnv } from '../shared/env.ts';
import type { Log } from '../use-cases/ports.ts';

export interface AlarmNotifierDeps {
  slack: SlackSender;
  log: Log;
  /** The function's region: the console link of an alarm notification without an AlarmArn. */
  region?: string | undefined;
}

/** The message of the log line written for each notification posted. */
export const ALARM_POSTED_LOG_MESSAGE = 'alarm notification posted';

export const makeHandler =
  (deps: AlarmNotifierDeps) =>
  async (event: SNSEvent): Promise<void> => {
    // SNS invokes with one record; each is posted in turn, and the first failure fails the invocation.
    for (const record of event.Records) {
      const { Message: message, MessageId: messageId, Subject: subject } = record.Sns;
      const alarm = parseAlarmNotification(message);
      const about = alarm
        ? { messageId, alarmName: alarm.alarmName, state: alarm.newState }
        : { messageId, alarmName: null, state: null };
      try {
        await deps.slack.send(buildAlarmSlackMessage(message, { subject, region: deps.region }));
      } catch (error) {
        deps.log.error('could not post the alarm notification to Slack; Lambda retries it', {
          ...about,
          error,
        });
        throw error;
      }
      deps.log.info(ALARM_POSTED_LOG_MESSAGE, about);
    }
  };

export const defaultDeps = (logger: Logger, env: NodeJS.ProcessEnv = process.env): AlarmNotifierDeps => ({
  slack: new SlackWebhook(
    new CachedSecret(
      secretsManagerClient(),
      requireEnv(ENV.alarmSlackSecretId, env),
      positiveIntEnv(ENV.secretMaxAgeSeconds, DEFAULTS.secretMaxAgeSeconds, env) * 1000,
    ),
    positiveIntEnv(ENV.httpTimeoutMs, DEFAULTS.httpTimeoutMs, env),
  ),
  log: logger,
  region: env.AWS_REGION,
});
