/**
 * Links in chat messages and emails go only to Leadsie's hosts or configured ones (`domain/links.ts`):
 * the rule itself, then the Slack and email renderers through the shared suite
 * (`test/support/link-rule.ts`; each other chat consumer runs it in its own test folder).
 */
import { describe, expect, it } from 'vitest';
import {
  buildClientEmail,
  buildTeamEmail,
  DEFAULT_CLIENT_TEMPLATE,
  parseEmailTemplate,
} from '../../lambda/consumers/email/message.ts';
import { buildSlackMessage } from '../../lambda/consumers/slack/message.ts';
import { allowedLink, isLinkHost, LEADSIE_HOSTS, linkHosts } from '../../lambda/domain/links.ts';
import { describeLinkRule, eventWith, REFUSED, type Render } from '../support/link-rule.ts';

/** Everything each renderer produces, as one string. */
const RENDERERS: [string, Render][] = [
  ['Slack', (url, hosts) => JSON.stringify(buildSlackMessage(eventWith(url), { linkHosts: hosts }))],
  ['team email', (url, hosts) => JSON.stringify(buildTeamEmail(eventWith(url), { linkHosts: hosts }))],
  [
    'client email',
    (url, hosts) =>
      JSON.stringify(
        buildClientEmail(
          eventWith(url),
          parseEmailTemplate(`${DEFAULT_CLIENT_TEMPLATE}\nSummary: {{summaryUrl}} Request: {{requestUrl}}\n`),
          { linkHosts: hosts },
        ),
      ),
  ],
];

describe('allowedLink', () => {
  it.each(REFUSED)('refuses %s', (_, url) => {
    expect(allowedLink(url, LEADSIE_HOSTS)).toBeNull();
  });

  it("takes https to Leadsie's hosts and their subdomains", () => {
    expect(allowedLink('https://leadsie.com/x', LEADSIE_HOSTS)).toBe('https://leadsie.com/x');
    expect(allowedLink('https://APP.Leadsie.com/x', LEADSIE_HOSTS)).toBe('https://app.leadsie.com/x');
  });

  it('takes a configured host, whole labels only', () => {
    const hosts = linkHosts(['crm.agency.example']);
    expect(allowedLink('https://crm.agency.example/a', hosts)).toBe('https://crm.agency.example/a');
    expect(allowedLink('https://eu.crm.agency.example/a', hosts)).toBe('https://eu.crm.agency.example/a');
    expect(allowedLink('https://xcrm.agency.example/a', hosts)).toBeNull();
    expect(allowedLink('https://agency.example/a', hosts)).toBeNull();
  });

  it('accepts only plain host names as configured hosts', () => {
    expect(isLinkHost('crm.agency.example')).toBe(true);
    for (const bad of [
      'https://crm.agency.example',
      'crm.agency.example/x',
      '*.agency.example',
      'localhost',
      'a b.example',
    ]) {
      expect(isLinkHost(bad), bad).toBe(false);
    }
  });
});

for (const [name, render] of RENDERERS) describeLinkRule(name, render);
