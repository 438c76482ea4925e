/**
 * The Slack notifier's settings: `consumers.slack` of the cdk.json context. Its one fact for the
 * function is the secret holding the Incoming Webhook URL, which the Subscriber passes as
 * `CONSUMER_SECRET_ID` (read back by `readConsumerEnv`): nothing of its own to encode.
 */
import * as z from 'zod/mini';
import { consumerFields, secretName } from '../settings.ts';

/** Leadsie's test payloads reach Slack by default: seeing one arrive is how a setup is checked. */
export const SLACK_INCLUDES_TEST_EVENTS = true;

export const slackSettings = z.strictObject({
  /** Secret holding the Slack Incoming Webhook URL, as a plain string. */
  secretName: secretName('the Slack Incoming Webhook URL'),
  ...consumerFields(SLACK_INCLUDES_TEST_EVENTS),
});

export type SlackSettings = z.output<typeof slackSettings>;
