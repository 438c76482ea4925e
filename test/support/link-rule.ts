/**
 * The link rule every renderer of a chat message or an email keeps (`lambda/domain/links.ts`), as a
 * suite each renderer's tests run: links only to Leadsie's hosts or configured ones, never a
 * `javascript:`, `http:`, look-alike, credentials or other host, whether in the client summary URL
 * or the request URL.
 */
import { describe, expect, it } from 'vitest';
import { buildEnvelope } from '../../lambda/domain/envelope.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';
import { rawFixture } from '../unit/fixtures.ts';

/** Links that no renderer may carry, each with a marker that shows whether it leaked. */
export const REFUSED: [string, string][] = [
  ['javascript:', 'javascript:alert(document.domain)//leakjs'],
  ['http: to Leadsie', 'http://app.leadsie.com/clients/leakhttp'],
  ['a look-alike host', 'https://app.leadsie.com.evil.example/leaklookalike'],
  ['a look-alike name', 'https://evil-leadsie.com/leakname'],
  ['credentials', 'https://user:pw@app.leadsie.com/leakcreds'],
  ['another host', 'https://evil.example/leakother'],
  ['data:', 'data:text/html,<b>leakdata</b>'],
];

const marker = (url: string): string => /leak[a-z]+/.exec(url)?.[0] ?? url;

/** An event whose client summary URL and request URL are both `url`. */
export const eventWith = (url: string) => {
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

/** What a renderer makes of an event whose summary and request URLs are `url`, as one string. */
export type Render = (url: string, hosts?: string[]) => string;

/** The link rule's cases for one renderer. */
export const describeLinkRule = (name: string, render: Render): void => {
  describe(`${name}: its links`, () => {
    it.each(REFUSED)('never renders a link that is %s', (_, url) => {
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
};
