/**
 * The Teams notifier's settings: `consumers.teams` of the cdk.json context. The secret holding the
 * Workflows (or legacy Incoming Webhook) URL reaches the function as `CONSUMER_SECRET_ID` (read back
 * by `readConsumerEnv`); its own fact is the hosts, besides Leadsie's, its button may link to.
 */
import * as z from 'zod/mini';
import { ENV, type EnvName } from '../../contract.ts';
import { linkHostList } from '../../domain/links.ts';
import { consumerFields, envOf, jsonFact, secretName } from '../settings.ts';

/** Leadsie's test payloads reach Teams by default: seeing one arrive is how a setup is checked. */
export const TEAMS_INCLUDES_TEST_EVENTS = true;

export const teamsSettings = z.strictObject({
  /** Secret holding the Teams Workflows webhook URL (with its `sig`), as a plain string. */
  secretName: secretName('the Teams Workflows webhook URL'),
  /**
   * Hosts, besides Leadsie's, the "Open client summary" button may link to (subdomains included).
   * @default - Leadsie's hosts only
   */
  linkHosts: z.optional(linkHostList()),
  ...consumerFields(TEAMS_INCLUDES_TEST_EVENTS),
});

export type TeamsSettings = z.output<typeof teamsSettings>;

/** What crosses to the function beyond its secret. */
export const TEAMS_FACTS = {
  linkHosts: jsonFact(ENV.linkHosts, linkHostList()),
};

/** The function's own variables: the link hosts, when configured. */
export const teamsEnvironment = (settings: Pick<TeamsSettings, 'linkHosts'>): [EnvName, string][] =>
  envOf(TEAMS_FACTS, { linkHosts: settings.linkHosts });
