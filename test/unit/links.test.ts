/**
 * Links in chat messages and emails go only to Leadsie's hosts or configured ones (`domain/links.ts`):
 * the rule itself, then every renderer (Slack, Teams, Discord, the team email, the client email) with
 * a client summary URL and a request URL that must never be rendered: `javascript:`, `http:`, a
 * look-alike host, credentials, another host.
 */
import { describe, expect, it } from 'vitest';
import { buildDiscordMessage } from '../../lambda/consumers/discord/message.ts';
import {
  buildClientEmail,
  buildTeamEmail,
  DEFAULT_CLIENT_TEMPLATE,
  parseEmailTemplate,
} from '../../lambda/consumers/email/message.ts';
import { buildSlackMessage } from '../../lambda/consumers/slack/message.ts';
import { buildTeamsMessage } from '../../lambda/consumers/teams/message.ts';
import { buildEnvelope } from '../../lambda/domain/envelope.ts';
import { allowedLink, isLinkHost, LEADSIE_HOSTS, linkHosts } from '../../lambda/domain/links.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';
import { rawFixture } from './fixtures.ts';

/** Links that no renderer may carry, each with a marker that shows whether it leaked. */
const REFUSED: [string, string][] = [
  ['javascript:', 'javascript:alert(document.domain)//leakjs'],
  ['http: to Leadsie', 'http://app.leadsie.com/clients/leakhttp'],
  ['a look-alike host', 'https://app.leadsie.com.evil.example/leaklookalike'],
  ['a look-alike name', 'https://evil-leadsie.com/leakname'],
  ['credentials', 'https://user:pw@app.leadsie.com/leakcreds'],
  ['another host', 'https://evil.example/leakother'],
  ['data:', 'data:text/html,<b>leakdata</b>'],
];

const marker = (url: string): string => /leak[a-z]+/.exec(url)?.[0] ?? url;

const eventWith = (url: string) => {
  const result = parsePayload({
    ...rawFixture('v2-success-google.json'),
    clientSummaryUrl: url,
    requestUrl: url,
  });
  if (!result.ok) throw new Error(`payload rejected: ${JSON.stringify(result.problems)}`);
  return buildEnvelope({
    payload: result.payload,
    eventId: '01JZ00000000000000000LINKS',
    fingerprint: `sha256:${'d'.repeat(64)}`,
    receivedAt: '2026-06-14T10:02:20.000Z',
    version: 1,
  });
};

/** Everything each renderer produces, as one string. */
const RENDERERS: [string, (url: string, hosts?: string[]) => string][] = [
  ['Slack', (url, hosts) => JSON.stringify(buildSlackMessage(eventWith(url), { linkHosts: hosts }))],
  ['Teams', (url, hosts) => JSON.stringify(buildTeamsMessage(eventWith(url), { linkHosts: hosts }))],
  ['Discord', (url, hosts) => JSON.stringify(buildDiscordMessage(eventWith(url), { linkHosts: hosts }))],
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

describe.each(RENDERERS)('%s', (_, render) => {
  it.each(REFUSED)('never renders a link that is %s', (__, url) => {
    expect(render(url)).not.toContain(marker(url));
  });

  it("renders an https link to Leadsie's host", () => {
    expect(render('https://app.leadsie.com/clients/okleadsie')).toContain(
      'https://app.leadsie.com/clients/okleadsie',
    );
  });

  it('renders a link to a configured host only when configured', () => {
    const url = 'https://crm.agency.example/clients/okconfigured';
    expect(render(url)).not.toContain('okconfigured');
    expect(render(url, ['crm.agency.example'])).toContain(url);
  });
});
