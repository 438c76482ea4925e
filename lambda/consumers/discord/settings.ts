/**
 * The Discord notifier's settings: `consumers.discord` of the cdk.json context. The secret holding the
 * webhook URL (`https://discord.com/api/webhooks/{id}/{token}`) reaches the function as
 * `CONSUMER_SECRET_ID` (read back by `readConsumerEnv`); its own fact is the hosts, besides Leadsie's,
 * its embed's title may link to.
 */
import * as z from 'zod/mini';
import { ENV, type EnvName } from '../../contract.ts';
import { linkHostList } from '../../domain/links.ts';
import { consumerFields, envOf, jsonFact, secretName } from '../settings.ts';

/** Leadsie's test payloads reach Discord by default: seeing one arrive is how a setup is checked. */
export const DISCORD_INCLUDES_TEST_EVENTS = true;

export const discordSettings = z.strictObject({
  /** Secret holding the Discord webhook URL (with its token), as a plain string. */
  secretName: secretName('the Discord webhook URL'),
  /**
   * Hosts, besides Leadsie's, the embed's title may link to (the client summary) (subdomains included).
   * @default - Leadsie's hosts only
   */
  linkHosts: z.optional(linkHostList()),
  ...consumerFields(DISCORD_INCLUDES_TEST_EVENTS),
});

export type DiscordSettings = z.output<typeof discordSettings>;

/** What crosses to the function beyond its secret. */
export const DISCORD_FACTS = {
  linkHosts: jsonFact(ENV.linkHosts, linkHostList()),
};

/** The function's own variables: the link hosts, when configured. */
export const discordEnvironment = (settings: Pick<DiscordSettings, 'linkHosts'>): [EnvName, string][] =>
  envOf(DISCORD_FACTS, { linkHosts: settings.linkHosts });
