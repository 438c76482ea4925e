/**
 * The emails: the team email of each fixture (client, request, each asset and what went wrong, the
 * summary link), HTML escaping of every payload value and the one-line rule for the subject and the
 * text part, links only to http(s), the client template (default and override, placeholders escaped
 * in HTML and sanitised in text, template errors), addresses, and who gets which email.
 */
import { describe, expect, it } from 'vitest';
import {
  buildClientEmail,
  buildTeamEmail,
  clientAddress,
  clientRecipient,
  clip,
  DEFAULT_CLIENT_TEMPLATE,
  type EmailSettings,
  EmailTemplateError,
  escapeHtml,
  isEmailAddress,
  linkUrl,
  MAX_SUBJECT_CHARS,
  MAX_TEMPLATE_CHARS,
  parseEmailTemplate,
  plain,
  planEmails,
} from '../../../lambda/consumers/email/message.ts';
import { buildEnvelope, type ConnectionEvent } from '../../../lambda/domain/envelope.ts';
import { type LeadsiePayload, parsePayload } from '../../../lambda/domain/payload.ts';
import { type JsonObject, parsedFixture, rawFixture } from '../../unit/fixtures.ts';

const RECEIVED_AT = '2026-06-14T10:02:20.000Z';
const EVENT_ID = '01JZ00000000000000000EMAIL';
const EVIL = '=HYPERLINK("http://evil")';
const SCRIPT = '<script>alert("x")</script> & <b>bold</b>';

const eventOf = (payload: LeadsiePayload): ConnectionEvent =>
  buildEnvelope({
    payload,
    eventId: EVENT_ID,
    fingerprint: `sha256:${'c'.repeat(64)}`,
    receivedAt: RECEIVED_AT,
    version: 1,
  });

const parse = (raw: JsonObject): LeadsiePayload => {
  const result = parsePayload(raw);
  if (!result.ok) throw new Error(`payload rejected: ${JSON.stringify(result.problems)}`);
  return result.payload;
};

const v2Partial = (extra: JsonObject = {}) =>
  eventOf(parse({ ...rawFixture('v2-partial-multi-platform.json'), ...extra }));
const v2Success = (extra: JsonObject = {}) =>
  eventOf(parse({ ...rawFixture('v2-success-google.json'), ...extra }));

/** The HTML with its tags removed, entities left as they are: what a payload value may show up as. */
const textOfHtml = (html: string): string => html.replace(/<[^>]*>/g, '');

describe('escapeHtml, plain, clip, linkUrl', () => {
  it('escapes the five HTML characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('puts a value on one line without control or bidi-override characters', () => {
    expect(plain('  Harbor\r\nBcc: x@evil.example\t\u202Eolleh\u0007  ')).toBe(
      'Harbor Bcc: x@evil.example olleh',
    );
    expect(plain(null)).toBe('');
  });

  it('clips between grapheme clusters', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('ab👍🏽cd', 4)).toBe('ab…');
    expect(clip('short', 10)).toBe('short');
  });

  it('links only absolute http(s) URLs', () => {
    expect(linkUrl('https://app.leadsie.com/x?a=1&b=2')).toBe('https://app.leadsie.com/x?a=1&b=2');
    expect(linkUrl('javascript:alert(1)')).toBeNull();
    expect(linkUrl('/relative')).toBeNull();
    expect(linkUrl(null)).toBeNull();
  });
});

describe('buildTeamEmail', () => {
  it('names the client, the request, each asset and what went wrong, with the summary link', () => {
    const email = buildTeamEmail(v2Partial());
    expect(email.subject).toBe(
      'Leadsie: Partially connected: Harbor Fitness LLC (Harbor Fitness - full access), 2 of 4 assets connected',
    );
    expect(email.text).toContain('Harbor Fitness LLC: Partially connected (PARTIAL_SUCCESS)');
    expect(email.text).toContain('Request:      Harbor Fitness - full access');
    expect(email.text).toContain('  - Meta Ad Account: Harbor Fitness Ads (Connected)');
    expect(email.text).toContain(
      '  - Google Ads Account: Harbor Fitness Search (Insufficient permissions)\n' +
        "    What went wrong: The client's Google user is not an administrator of this account.",
    );
    expect(email.text).toContain(
      'What went wrong: Waiting for the store owner to accept the collaborator request.',
    );
    expect(email.text).toContain('Client summary: https://app.leadsie.com/clients/6651f0c2b4e1a90012a3c4d5');
    expect(email.text).toContain(`event ${EVENT_ID}`);

    expect(email.html).toContain('<h1 style="font-size:18px">Harbor Fitness LLC: Partially connected</h1>');
    expect(email.html).toContain(
      '<a href="https://app.leadsie.com/clients/6651f0c2b4e1a90012a3c4d5">Open the client summary</a>',
    );
    expect(email.html).toContain('The client&#39;s Google user is not an administrator of this account.');
    expect(email.html).toContain('Insufficient permissions');
  });

  it('never says what went wrong for a connected asset', () => {
    const raw = rawFixture('v2-partial-multi-platform.json');
    const assets = raw.connectionAssets as JsonObject[];
    (assets[0] as JsonObject).notes = 'an old note';
    const email = buildTeamEmail(eventOf(parse(raw)));
    expect(email.text).not.toContain('an old note');
  });

  it('works for v1 (no client name: the user names the delivery) and says Connection failed', () => {
    const email = buildTeamEmail(eventOf(parsedFixture('v1-failed.json')));
    expect(email.subject).toBe(
      'Leadsie: Connection failed: lead-7731 (Bluebird Dental), 0 of 1 asset connected',
    );
    expect(email.text).toContain('  - Page: Bluebird Dental Clinic (Failed)');
    expect(email.text).toContain('    What went wrong: Business Manager rejected the partner request');
    expect(email.text).not.toContain('Client summary');
    expect(email.html).not.toContain('Open the client summary');
    // No Client row repeating the user (issue 14, item 10): v1 carries no client name.
    expect(email.text).toContain('User:         lead-7731\n');
    expect(email.text).not.toMatch(/^Client:/m);
    expect(email.html).not.toContain('>Client<');
  });

  it('shows the client and the user as two rows for v2', () => {
    const email = buildTeamEmail(v2Partial());
    expect(email.text).toMatch(/^Client: +\S/m);
    expect(email.text).toMatch(/^User: +\S/m);
    expect(email.html).toContain('>Client<');
  });

  it('marks Leadsie test payloads', () => {
    const email = buildTeamEmail(v2Partial({ user: 'test-user-123' }));
    expect(email.subject.startsWith('[TEST] ')).toBe(true);
    expect(email.text).toContain('This is a Leadsie test payload');
  });

  it('HTML-escapes every payload value, and keeps them on one line in the subject and text', () => {
    const raw = rawFixture('v2-partial-multi-platform.json');
    const assets = raw.connectionAssets as JsonObject[];
    Object.assign(assets[2] as JsonObject, { type: SCRIPT, name: SCRIPT, notes: `${SCRIPT}\nline two` });
    const event = eventOf(
      parse({
        ...raw,
        clientName: `${EVIL}\r\nBcc: victim@example.com`,
        requestName: SCRIPT,
        user: '<img src=x onerror=alert(1)>',
        accessLevel: '"><svg onload=alert(1)>',
      }),
    );
    const email = buildTeamEmail(event);

    for (const dangerous of ['<script>', '<img', '<svg', '<b>bold'])
      expect(email.html).not.toContain(dangerous);
    expect(email.html).toContain('=HYPERLINK(&quot;http://evil&quot;) Bcc: victim@example.com');
    expect(email.html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;',
    );
    expect(email.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(email.html).toContain('&quot;&gt;&lt;svg onload=alert(1)&gt;');
    // Every `<` left in the HTML is one of our tags.
    expect(textOfHtml(email.html)).not.toMatch(/[<>]/);

    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.subject).toContain('=HYPERLINK("http://evil") Bcc: victim@example.com');
    expect(email.text).toContain('Client:       =HYPERLINK("http://evil") Bcc: victim@example.com\n');
    expect(email.text).not.toMatch(/^Bcc:/m);
    expect(email.text).toContain(`What went wrong: ${SCRIPT} line two`);
  });

  it('links the summary only when it is an http(s) URL', () => {
    const email = buildTeamEmail(v2Partial({ clientSummaryUrl: 'javascript:alert(document.cookie)' }));
    expect(email.html).not.toContain('javascript:');
    expect(email.text).not.toContain('Client summary');
  });

  it('escapes a summary URL inside its href', () => {
    const email = buildTeamEmail(v2Partial({ clientSummaryUrl: 'https://app.leadsie.com/c?a=1&b="2"' }));
    expect(email.html).toContain('<a href="https://app.leadsie.com/c?a=1&amp;b=%222%22">');
  });

  it('keeps the subject short and lists an event with no assets', () => {
    const email = buildTeamEmail(v2Partial({ requestName: 'r'.repeat(1000), connectionAssets: [] }));
    expect(email.subject.length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
    expect(email.text).toContain('(no assets in this delivery)');
    expect(email.html).toContain('(no assets in this delivery)');
  });
});

describe('client template', () => {
  it('renders the default thank-you with the client name', () => {
    const email = buildClientEmail(v2Success(), parseEmailTemplate(DEFAULT_CLIENT_TEMPLATE));
    expect(email.subject).toBe('Thank you, Kestrel Legal Partners: your accounts are connected');
    expect(
      email.text.startsWith(
        'Hi Kestrel Legal Partners,\n\nThank you for connecting your accounts for "Kestrel Legal".',
      ),
    ).toBe(true);
    expect(email.html).toContain('<p>Hi Kestrel Legal Partners,</p>');
    expect(email.html).toContain('for &quot;Kestrel Legal&quot;.');
  });

  it('takes the agency’s override, every placeholder filled, CRLF and spaces inside braces allowed', () => {
    const template = parseEmailTemplate(
      'subject: Welcome aboard, {{ clientName }}!\r\n\r\n' +
        'Dear {{clientName}},\r\n{{assetCount}} accounts came through for {{requestName}} ({{requestUrl}}).\r\n\r\n' +
        'Summary: {{summaryUrl}}\r\nYour id: {{user}}\r\n',
    );
    const email = buildClientEmail(v2Success({ user: 'ops@kestrel.example' }), template);
    expect(email.subject).toBe('Welcome aboard, Kestrel Legal Partners!');
    expect(email.text).toBe(
      'Dear Kestrel Legal Partners,\n2 accounts came through for Kestrel Legal (https://app.leadsie.com/request/kestrel-legal).\n\n' +
        'Summary: https://app.leadsie.com/clients/66a0b1c2d3e4f5a6b7c8d9e0\nYour id: ops@kestrel.example\n',
    );
    expect(email.html).toContain(
      '<p>Dear Kestrel Legal Partners,<br>\n2 accounts came through for Kestrel Legal (https://app.leadsie.com/request/kestrel-legal).</p>',
    );
  });

  it('escapes placeholder values in HTML and keeps them on one line in the text and subject', () => {
    const template = parseEmailTemplate('Subject: Hi {{clientName}}\n\nHello {{clientName}}, welcome.');
    const email = buildClientEmail(v2Success({ clientName: `${EVIL}\n<script>x</script>` }), template);
    expect(email.html).toContain(
      'Hello =HYPERLINK(&quot;http://evil&quot;) &lt;script&gt;x&lt;/script&gt;, welcome.',
    );
    expect(email.html).not.toContain('<script>');
    expect(email.text).toBe('Hello =HYPERLINK("http://evil") <script>x</script>, welcome.\n');
    expect(email.subject).toBe('Hi =HYPERLINK("http://evil") <script>x</script>');
  });

  it('escapes the template’s own text in HTML too', () => {
    const email = buildClientEmail(v2Success(), parseEmailTemplate('Subject: s\n\nUs & you <3'));
    expect(email.html).toContain('<p>Us &amp; you &lt;3</p>');
  });

  it('falls back to the request name when there is no client name', () => {
    const template = parseEmailTemplate(DEFAULT_CLIENT_TEMPLATE);
    const email = buildClientEmail(eventOf(parsedFixture('v1-success-no-user.json')), template);
    expect(email.subject).toMatch(/^Thank you, \S/);
  });

  it.each([
    ['no subject line', 'Hello {{clientName}}', /must start with a "Subject: …" line/],
    ['an empty subject', 'Subject:   \n\nbody', /"Subject:" line is empty/],
    ['no body', 'Subject: hi\n\n  \n', /no body/],
    [
      'an unknown placeholder',
      'Subject: hi {{firstName}}\n\nbody',
      /unknown placeholder \{\{firstName\}\} in the subject; known: \{\{clientName\}\}/,
    ],
    [
      'an unknown placeholder in the body',
      'Subject: hi\n\nDear {{ name }}',
      /unknown placeholder \{\{name\}\} in the body/,
    ],
    ['a template too long', `Subject: hi\n\n${'x'.repeat(MAX_TEMPLATE_CHARS)}`, /at most 2000/],
  ])('refuses %s', (_name, source, message) => {
    expect(() => parseEmailTemplate(source)).toThrow(EmailTemplateError);
    expect(() => parseEmailTemplate(source)).toThrow(message);
  });
});

describe('addresses', () => {
  it.each([
    ['ops@kestrel.example', true],
    ['first.last+tag@sub.example.co.uk', true],
    ['onboarding-5521', false],
    ['a@b', false],
    ['two@@example.com', false],
    ['Name <a@example.com>', false],
    ['a@example.com, b@example.com', false],
    ['a b@example.com', false],
    [`${'x'.repeat(65)}@example.com`, false],
  ])('%s is an address: %s', (value, expected) => {
    expect(isEmailAddress(value)).toBe(expected);
  });

  it('takes the mapping first, then the user id only when it is an address at an allowed domain', () => {
    const mapping = {
      'onboarding-5521': 'owner@kestrel.example',
      'ops@kestrel.example': 'boss@kestrel.example',
    };
    const allowed = ['kestrel.example'];
    expect(clientAddress({ user: 'onboarding-5521' }, mapping)).toBe('owner@kestrel.example');
    expect(clientAddress({ user: 'ops@kestrel.example' }, mapping)).toBe('boss@kestrel.example');
    expect(clientAddress({ user: 'other@kestrel.example' }, mapping, allowed)).toBe('other@kestrel.example');
    expect(clientAddress({ user: 'Other@EU.Kestrel.example' }, mapping, allowed)).toBe(
      'Other@EU.Kestrel.example',
    );
    expect(clientAddress({ user: 'lead-7731' }, mapping, allowed)).toBeNull();
    expect(clientAddress({ user: null }, mapping, allowed)).toBeNull();
    expect(clientAddress({ user: 'toString' }, {}, allowed)).toBeNull();
  });

  it('never mails a user id alone: not without an allowed domain, not at another or a look-alike domain', () => {
    const client = { addresses: {}, allowedDomains: ['kestrel.example'] };
    expect(clientRecipient({ user: 'other@kestrel.example' }, { addresses: {} })).toEqual({
      skipped: 'client-domain-not-allowed',
    });
    for (const user of [
      'victim@evil.example',
      'victim@kestrel.example.evil.example',
      'victim@notkestrel.example',
      'victim@kestrel.examplex',
    ]) {
      expect(clientRecipient({ user }, client), user).toEqual({ skipped: 'client-domain-not-allowed' });
    }
    expect(clientRecipient({ user: 'lead-7731' }, client)).toEqual({ skipped: 'client-no-address' });
    expect(clientRecipient({ user: null }, client)).toEqual({ skipped: 'client-no-user' });
  });
});

describe('planEmails', () => {
  const template = parseEmailTemplate(DEFAULT_CLIENT_TEMPLATE);
  const settings: EmailSettings = {
    teamRecipients: ['team@agency.example', 'ops@agency.example'],
    teamStatuses: ['PARTIAL_SUCCESS', 'FAILED'],
    client: { addresses: { 'onboarding-5521': 'owner@kestrel.example' }, template },
  };

  it('emails the team for a selected status, and not the client', () => {
    const plan = planEmails(v2Partial(), settings);
    expect(plan.emails.map((e) => [e.kind, e.to])).toEqual([
      ['team', ['team@agency.example', 'ops@agency.example']],
    ]);
    expect(plan.skipped).toEqual(['client-not-success']);
  });

  it('thanks the client on SUCCESS at the mapped address, and leaves the team out by default', () => {
    const plan = planEmails(v2Success(), settings);
    expect(plan.emails.map((e) => [e.kind, e.to])).toEqual([['client', ['owner@kestrel.example']]]);
    expect(plan.skipped).toEqual(['team-status-not-selected']);
  });

  it('emails both when the team also wants SUCCESS, team first', () => {
    const plan = planEmails(v2Success(), { ...settings, teamStatuses: ['SUCCESS'] });
    expect(plan.emails.map((e) => e.kind)).toEqual(['team', 'client']);
  });

  it('skips a client whose user id is an address at a domain not allowed, with that reason', () => {
    const plan = planEmails(v2Success({ user: 'victim@evil.example' }), settings);
    expect(plan).toEqual({ emails: [], skipped: ['team-status-not-selected', 'client-domain-not-allowed'] });
    const allowed = planEmails(v2Success({ user: 'owner@kestrel.example' }), {
      ...settings,
      client: { ...settings.client, addresses: {}, template, allowedDomains: ['kestrel.example'] },
    });
    expect(allowed.emails.map((e) => [e.kind, e.to])).toEqual([['client', ['owner@kestrel.example']]]);
  });

  it('skips the client without an address, and when client emails are off', () => {
    expect(planEmails(v2Success({ user: 'someone-else' }), settings).skipped).toContain('client-no-address');
    const off = planEmails(v2Success(), { teamRecipients: [], teamStatuses: ['SUCCESS'] });
    expect(off).toEqual({ emails: [], skipped: ['team-no-recipients', 'client-off'] });
  });
});
