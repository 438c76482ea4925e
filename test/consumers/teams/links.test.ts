/** The Teams message keeps the link rule of every chat message (`test/support/link-rule.ts`). */
import { buildTeamsMessage } from '../../../lambda/consumers/teams/message.ts';
import { describeLinkRule, eventWith } from '../../support/link-rule.ts';

describeLinkRule('Teams', (url, hosts) =>
  JSON.stringify(buildTeamsMessage(eventWith(url), { linkHosts: hosts })),
);
