/**
 * The Slack notifier's settings: `consumers.slack` of the cdk.json context. The secret holding the
 * Incoming Webhook URL reaches the function as `CONSUMER_SECRET_ID` (read back by `readConsumerEnv`);
 * its own fact is the hosts, besides Leadsie's, its button may link to (`SLACK_FACTS`).
 */
import * as z from 'zod/mini';
import { ENV } from '../../contract.ts';
import { linkHostList } from '../../domain/links.ts';
import { consumerFields, jsonFact, secretName } from '../settings.ts';

/** Leadsie's test payloads reach Slack by default: seeing one arrive is how a setup is checked. */
export const SLACK_INCLUDES_TEST_EVENTS = true;

export const slackSettings = z.strictObject({
  /** Secret holding the Slack Incoming Webhook URL, as a plain string. */
  secretName: secretName('the Slack Incoming Webhook URL'),
  /**
   * Hosts, besides Leadsie's, the "Open client summary" button may link to (subdomains included).
   * @default - Leadsie's hosts only
   */
  linkHosts: z.optional(linkHostList()),
  ...consumerFields(SLACK_INCLUDES_TEST_EVENTS),
});

export type SlackSettings = z.output<typeof slackSettings>;

/** What crosses to the function beyond its secret. */
export const SLACK_FACTS = {
  linkHosts: jsonFact(ENV.linkHosts, linkHostList()),
};
