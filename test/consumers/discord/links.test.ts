/** The Discord message keeps the link rule of every chat message (`test/support/link-rule.ts`). */
import { buildDiscordMessage } from '../../../lambda/consumers/discord/message.ts';
import { describeLinkRule, eventWith } from '../../support/link-rule.ts';

describeLinkRule('Discord', (url, hosts) =>
  JSON.stringify(buildDiscordMessage(eventWith(url), { linkHosts: hosts })),
);
