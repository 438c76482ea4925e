/**
 * The Slack message: the fixtures written out in full, each status and the test marker, the button,
 * very long asset lists against every Slack limit, mrkdwn escaping, and unicode-safe truncation.
 */
import { describe, expect, it } from 'vitest';
import {
  buildSlackMessage,
  escapeMrkdwn,
  MAX_LISTED_ASSETS,
  type SectionBlock,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
  truncate,
  VALUE_LIMITS,
} from '../../../lambda/consumers/slack/message.ts';
import { buildEnvelope, type ConnectionEvent } from '../../../lambda/domain/envelope.ts';
import { type LeadsiePayload, parsePayload } from '../../../lambda/domain/payload.ts';
import { type JsonObject, parsedFixture } from '../../unit/fixtures.ts';

const RECEIVED_AT = '2026-07-01T08:15:05.123Z';
const EVENT_ID = '01JZ0000000000000000000000';

const eventOf = (payload: LeadsiePayload): ConnectionEvent =>
  buildEnvelope({
    payload,
    eventId: EVENT_ID,
    fingerprint: `sha256:${'a'.repeat(64)}`,
    receivedAt: RECEIVED_AT,
    version: 1,
  });

const parse = (raw: JsonObject): LeadsiePayload => {
  const result = parsePayload(raw);
  if (!result.ok) throw new Error(`payload rejected: ${JSON.stringify(result.problems)}`);
  return result.payload;
};

const v2 = (extra: JsonObject = {}): ConnectionEvent =>
  eventOf(
    parse({
      user: 'u-1',
      requestUrl: 'https://app.leadsie.com/request/r',
      requestName: 'Onboarding',
      apiVersion: 2,
      status: 'SUCCESS',
      accessLevel: 'admin',
      clientName: 'Acme Inc',
      clientSummaryUrl: 'https://app.leadsie.com/clients/abc',
      connectionAssets: [],
      ...extra,
    }),
  );

/** `count` v2 assets; asset i failed when `failed(i)`. */
const manyAssets = (count: number, failed: (i: number) => boolean = () => false): JsonObject[] =>
  Array.from({ length: count }, (_, i) => ({
    type: 'Meta Ad Account',
    platform: 'Meta',
    id: `act_${i}`,
    name: `Account ${i}`,
    connectionStatus: failed(i) ? 'Insufficient permissions' : 'Connected',
    notes: failed(i) ? `not an admin of ${i}` : '',
  }));

const sections = (message: SlackMessage): SectionBlock[] =>
  message.blocks.filter((b): b is SectionBlock => b.type === 'section');

/** The sections after the divider: one line per listed asset. */
const assetLines = (message: SlackMessage): string[] => {
  const divider = message.blocks.findIndex((b) => b.type === 'divider');
  return message.blocks
    .slice(divider + 1)
    .filter((b): b is SectionBlock => b.type === 'section')
    .flatMap((b) => b.text.text.split('\n'));
};

/** Every mrkdwn text of the message: section texts and fields, context elements. */
const mrkdwnTexts = (message: SlackMessage): string[] =>
  message.blocks.flatMap((b: SlackBlock) => {
    if (b.type === 'section') return [b.text.text, ...(b.fields ?? []).map((f) => f.text)];
    if (b.type === 'context') return b.elements.map((e) => e.text);
    return [];
  });

const header = (message: SlackMessage): string => {
  const block = message.blocks[0];
  if (block?.type !== 'header') throw new Error('first block is not a header');
  return block.text.text;
};

const contextTexts = (message: SlackMessage): string[] =>
  message.blocks.flatMap((b) => (b.type === 'context' ? b.elements.map((e) => e.text) : []));

const button = (message: SlackMessage) => message.blocks.find((b) => b.type === 'actions')?.elements[0];

/** Every limit Slack enforces, checked on a message. */
const expectWithinSlackLimits = (message: SlackMessage): void => {
  expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  for (const block of message.blocks) {
    if (block.type === 'header') {
      expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    } else if (block.type === 'section') {
      expect(block.text.text.length).toBeGreaterThan(0);
      expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect((block.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.sectionFields);
      for (const field of block.fields ?? []) {
        expect(field.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionFieldText);
      }
    } else if (block.type === 'context') {
      expect(block.elements.length).toBeLessThanOrEqual(10);
      for (const element of block.elements) {
        expect(element.text.length).toBeLessThanOrEqual(SLACK_LIMITS.contextText);
      }
    } else if (block.type === 'actions') {
      for (const element of block.elements) {
        expect(element.url.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonUrl);
        expect(element.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
      }
    }
  }
  // Nothing we write uses <…> markup, so no mrkdwn text may hold a raw < or > (a ping or a link),
  // and every & starts an entity (none was cut by a truncation).
  for (const text of [message.text, ...mrkdwnTexts(message)]) {
    expect(text).not.toMatch(/[<>]/);
    expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    expect(text).not.toMatch(/[\uD800-\uDFFF]/u);
  }
};

describe('buildSlackMessage on the fixtures', () => {
  it('v2-partial-multi-platform.json, in full', () => {
    const message = buildSlackMessage(eventOf(parsedFixture('v2-partial-multi-platform.json')));
    expect(message).toStrictEqual({
      text: 'Leadsie connection PARTIAL_SUCCESS: Harbor Fitness LLC — Harbor Fitness - full access (2 of 4 assets connected)',
      blocks: [
        {
          type: 'header',
          text: {
            type: 'plain_text',
            text: ':warning: Harbor Fitness LLC — Partially connected',
            emoji: true,
          },
        },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: ':warning: *Partially connected* (PARTIAL_SUCCESS)', verbatim: true },
          fields: [
            { type: 'mrkdwn', text: '*Client*\nHarbor Fitness LLC', verbatim: true },
            { type: 'mrkdwn', text: '*User*\nhubspot-company-99123', verbatim: true },
            { type: 'mrkdwn', text: '*Request*\nHarbor Fitness - full access', verbatim: true },
            { type: 'mrkdwn', text: '*Access level*\nadmin', verbatim: true },
            { type: 'mrkdwn', text: '*Assets*\n2 of 4 connected, 2 failed', verbatim: true },
          ],
        },
        { type: 'divider' },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: [
              ':white_check_mark: *Meta Ad Account* · Harbor Fitness Ads · Connected',
              ':white_check_mark: *Facebook Page* · Harbor Fitness · Connected',
              ":x: *Google Ads Account* · Harbor Fitness Search · Insufficient permissions — The client's Google user is not an administrator of this account.",
              ':x: *Shopify Store* · harbor-fitness.myshopify.com · In progress — Waiting for the store owner to accept the collaborator request.',
            ].join('\n'),
            verbatim: true,
          },
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Open client summary', emoji: false },
              url: 'https://app.leadsie.com/clients/6651f0c2b4e1a90012a3c4d5',
              action_id: 'open_client_summary',
            },
          ],
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: `Leadsie API v2 · received ${RECEIVED_AT} · event ${EVENT_ID}`,
              verbatim: true,
            },
          ],
        },
      ],
    });
  });

  it('v2-success-google.json: all connected, client name first, button to the summary', () => {
    const message = buildSlackMessage(eventOf(parsedFixture('v2-success-google.json')));
    expect(header(message)).toBe(':white_check_mark: Kestrel Legal Partners — Connected');
    expect(message.text).toBe(
      'Leadsie connection SUCCESS: Kestrel Legal Partners — Kestrel Legal (2 of 2 assets connected)',
    );
    expect(assetLines(message)).toStrictEqual([
      ':white_check_mark: *Google Analytics Property* · kestrellegal.com - GA4 · Connected',
      ':white_check_mark: *Google Business Profile* · Kestrel Legal Partners · Connected',
    ]);
    expect(button(message)?.url).toBe('https://app.leadsie.com/clients/66a0b1c2d3e4f5a6b7c8d9e0');
  });

  it('v1-partial-success.json: the user stands for the client, v1 success as Connected/Failed, the message only where it failed', () => {
    const message = buildSlackMessage(eventOf(parsedFixture('v1-partial-success.json')));
    expect(header(message)).toBe(':warning: crm-contact-48213 — Partially connected');
    expect(message.text).toBe(
      'Leadsie connection PARTIAL_SUCCESS: crm-contact-48213 — Northwind Coffee onboarding (4 of 5 assets connected)',
    );
    expect(assetLines(message)).toStrictEqual([
      ':white_check_mark: *Ad Account* · Northwind Coffee - Main · Connected',
      ':x: *Ad Account* · Northwind Coffee - Retargeting · Failed — User is not an admin of this ad account',
      ':white_check_mark: *Page* · Northwind Coffee · Connected',
      ':white_check_mark: *Pixel* · Northwind Web Pixel · Connected',
      ':white_check_mark: *Instagram Account* · northwind.coffee · Connected',
    ]);
    expect(sections(message)[0]?.fields?.map((f) => f.text)).toStrictEqual([
      '*User*\ncrm-contact-48213',
      '*Request*\nNorthwind Coffee onboarding',
      '*Access level*\nadmin',
      '*Assets*\n4 of 5 connected, 1 failed',
    ]);
    expect(button(message)).toBeUndefined();
    expect(message.blocks.map((b) => b.type)).toStrictEqual([
      'header',
      'section',
      'divider',
      'section',
      'context',
    ]);
  });

  it('v1-failed.json: ❌ and the failure message', () => {
    const message = buildSlackMessage(eventOf(parsedFixture('v1-failed.json')));
    expect(header(message)).toBe(':x: lead-7731 — Connection failed');
    expect(message.text).toBe(
      'Leadsie connection FAILED: lead-7731 — Bluebird Dental (0 of 1 asset connected)',
    );
    expect(assetLines(message)).toStrictEqual([
      ':x: *Page* · Bluebird Dental Clinic · Failed — Business Manager rejected the partner request',
    ]);
  });

  it('v1-success-no-user.json: "(no user)" wherever the user would be', () => {
    const message = buildSlackMessage(eventOf(parsedFixture('v1-success-no-user.json')));
    expect(header(message)).toBe(':white_check_mark: (no user) — Connected');
    expect(message.text).toContain('SUCCESS: (no user) — a7b91c51d853b609335044ed');
    expect(sections(message)[0]?.fields?.[0]?.text).toBe('*User*\n(no user)');
  });
});

describe('status', () => {
  it.each([
    ['SUCCESS', ':white_check_mark:', 'Connected', ':white_check_mark: *Connected* (SUCCESS)', 'SUCCESS'],
    [
      'PARTIAL_SUCCESS',
      ':warning:',
      'Partially connected',
      ':warning: *Partially connected* (PARTIAL_SUCCESS)',
      'PARTIAL_SUCCESS',
    ],
    ['FAILED', ':x:', 'Connection failed', ':x: *Connection failed* (FAILED)', 'FAILED'],
    ['failed', ':x:', 'Connection failed', ':x: *Connection failed* (failed)', 'failed'],
    [
      'PENDING_REVIEW',
      ':grey_question:',
      'Status PENDING_REVIEW',
      ':grey_question: *Status PENDING_REVIEW*',
      'PENDING_REVIEW',
    ],
    [
      '<!here>',
      ':grey_question:',
      'Status <!here>',
      ':grey_question: *Status &lt;!here&gt;*',
      '&lt;!here&gt;',
    ],
    [null, ':grey_question:', 'No status', ':grey_question: *No status*', '(no status)'],
    ['', ':grey_question:', 'No status', ':grey_question: *No status*', '(no status)'],
  ])('%s → %s %s', (status, emoji, label, line, inText) => {
    const message = buildSlackMessage(v2({ status }));
    expect(header(message)).toBe(`${emoji} Acme Inc — ${label}`);
    expect(sections(message)[0]?.text.text).toBe(line);
    expect(message.text).toBe(
      `Leadsie connection ${inText}: Acme Inc — Onboarding (0 of 0 assets connected)`,
    );
    expectWithinSlackLimits(message);
  });

  it('who: the client name, else the user, else "(no user)"', () => {
    expect(header(buildSlackMessage(v2()))).toContain('Acme Inc');
    expect(header(buildSlackMessage(v2({ clientName: null })))).toBe(':white_check_mark: u-1 — Connected');
    expect(header(buildSlackMessage(v2({ clientName: '  ' })))).toBe(':white_check_mark: u-1 — Connected');
    expect(header(buildSlackMessage(v2({ clientName: null, user: null })))).toBe(
      ':white_check_mark: (no user) — Connected',
    );
  });

  it('an empty request name and a missing access level still give non-empty texts', () => {
    const message = buildSlackMessage(v2({ requestName: '', accessLevel: null }));
    expect(sections(message)[0]?.fields?.map((f) => f.text)).toContain('*Request*\n(unnamed request)');
    expect(sections(message)[0]?.fields?.map((f) => f.text)).toContain('*Access level*\n(not sent)');
    expect(message.text).toContain('— (unnamed request) (');
  });

  it('no assets: says so instead of an empty section', () => {
    const message = buildSlackMessage(v2());
    expect(assetLines(message)).toStrictEqual(['_No assets in this delivery._']);
    expectWithinSlackLimits(message);
  });
});

describe('test payloads', () => {
  it('are marked in the header, a context line and the notification text', () => {
    const event = v2({ user: 'test-user-42' });
    expect(event.isTest).toBe(true);
    const message = buildSlackMessage(event);
    expect(header(message)).toBe('[TEST] :white_check_mark: Acme Inc — Connected');
    expect(message.text.startsWith('[TEST] Leadsie connection SUCCESS')).toBe(true);
    expect(contextTexts(message)).toContain(
      ':test_tube: Leadsie test payload — not a real client connection',
    );
    expect(message.blocks[2]?.type).toBe('context');
  });

  it('are marked for a leadsieTestClientId too', () => {
    expect(header(buildSlackMessage(v2({ leadsieTestClientId: 'x' })))).toMatch(/^\[TEST\] /);
  });

  it('real deliveries carry no marker', () => {
    const message = buildSlackMessage(v2());
    expect(JSON.stringify(message)).not.toMatch(/\[TEST\]|test payload/);
  });
});

describe('the "Open client summary" button', () => {
  const longUrl = (length: number): string => {
    const base = 'https://app.leadsie.com/clients/x?q=';
    return base + 'a'.repeat(length - base.length);
  };

  it.each<[string, string | null, string | undefined]>([
    ['an https URL', 'https://app.leadsie.com/clients/abc', 'https://app.leadsie.com/clients/abc'],
    ['an http URL, even to Leadsie', 'http://app.leadsie.com/s', undefined],
    ['an https URL to another host', 'https://example.com/s', undefined],
    ['a look-alike host', 'https://app.leadsie.com.evil.example/s', undefined],
    ['a URL with credentials', 'https://user:pass@app.leadsie.com/s', undefined],
    ['a URL of exactly 3000 characters', longUrl(3000), longUrl(3000)],
    ['a URL of 3001 characters', longUrl(3001), undefined],
    ['no URL', null, undefined],
    ['an empty URL', '', undefined],
    ['a javascript: URL', 'javascript:alert(1)', undefined],
    ['a relative URL', '/clients/abc', undefined],
    ['not a URL', 'see the dashboard', undefined],
  ])('%s', (_, clientSummaryUrl, expected) => {
    const message = buildSlackMessage(v2({ clientSummaryUrl }));
    expect(button(message)?.url).toBe(expected);
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(expected !== undefined);
    if (expected) expect(button(message)?.text.text).toBe('Open client summary');
    expectWithinSlackLimits(message);
  });

  it('is absent without a client (v1)', () => {
    expect(button(buildSlackMessage(eventOf(parsedFixture('v1-failed.json'))))).toBeUndefined();
  });

  it('links to a configured host and its subdomains, and nowhere else', () => {
    const options = { linkHosts: ['crm.agency.example'] };
    const at = (url: string) => button(buildSlackMessage(v2({ clientSummaryUrl: url }), options))?.url;
    expect(at('https://crm.agency.example/c/1')).toBe('https://crm.agency.example/c/1');
    expect(at('https://eu.crm.agency.example/c/1')).toBe('https://eu.crm.agency.example/c/1');
    expect(at('https://agency.example/c/1')).toBeUndefined();
    expect(at('https://app.leadsie.com/c/1')).toBe('https://app.leadsie.com/c/1');
  });
});

describe('long asset lists', () => {
  it.each<[string, number, (i: number) => boolean, number, string | null]>([
    ['1 asset', 1, () => false, 1, null],
    ['40 assets', 40, (i) => i % 2 === 0, 40, null],
    [
      '41 assets, the last failed (failed ones are listed first)',
      41,
      (i) => i === 40,
      40,
      '…and 1 more asset (0 failed)',
    ],
    ['41 assets, none failed', 41, () => false, 40, '…and 1 more asset (0 failed)'],
    ['500 assets, none failed', 500, () => false, 40, '…and 460 more assets (0 failed)'],
    [
      '500 assets, every 7th failed (72 failed)',
      500,
      (i) => i % 7 === 0,
      40,
      '…and 460 more assets (32 failed)',
    ],
    ['500 assets, all failed', 500, () => true, 40, '…and 460 more assets (460 failed)'],
    ['500 assets, the last 10 failed', 500, (i) => i >= 490, 40, '…and 460 more assets (0 failed)'],
  ])('%s', (_, count, failed, listed, more) => {
    const message = buildSlackMessage(
      v2({ status: 'PARTIAL_SUCCESS', connectionAssets: manyAssets(count, failed) }),
    );
    expectWithinSlackLimits(message);
    const lines = assetLines(message);
    expect(lines).toHaveLength(listed);
    const failedTotal = Array.from({ length: count }, (_, i) => i).filter(failed).length;
    const failedListed = lines.filter((line) => line.startsWith(':x:')).length;
    expect(failedListed).toBe(Math.min(failedTotal, listed));
    const moreLine = contextTexts(message).find((t) => t.startsWith('…and'));
    expect(moreLine ?? null).toBe(more);
    // What is listed plus what the last line counts is everything, failed ones included.
    expect(failedListed + Number(/\((\d+) failed\)/.exec(moreLine ?? '(0 failed)')?.[1])).toBe(failedTotal);
    expect(sections(message)[0]?.fields?.at(-1)?.text).toBe(
      `*Assets*\n${count - failedTotal} of ${count} connected${failedTotal > 0 ? `, ${failedTotal} failed` : ''}`,
    );
  });

  it("keeps Leadsie's order when nothing is left out", () => {
    const lines = assetLines(buildSlackMessage(v2({ connectionAssets: manyAssets(3, (i) => i === 2) })));
    expect(lines.map((l) => l.split(' · ')[1])).toStrictEqual(['Account 0', 'Account 1', 'Account 2']);
  });

  it("past the cap, lists failed assets first, each group in Leadsie's order", () => {
    const lines = assetLines(buildSlackMessage(v2({ connectionAssets: manyAssets(45, (i) => i >= 43) })));
    expect(lines.slice(0, 3).map((l) => l.split(' · ')[1])).toStrictEqual([
      'Account 43',
      'Account 44',
      'Account 0',
    ]);
    expect(MAX_LISTED_ASSETS).toBe(40);
  });

  it('packs 40 worst-case lines (every value clipped, all "&", five times longer escaped) within every limit', () => {
    const amp = (n: number) => '&'.repeat(n);
    const assets = Array.from({ length: 60 }, (_, i) => ({
      type: amp(500),
      platform: 'Meta',
      id: `id_${i}`,
      name: amp(5000),
      connectionStatus: amp(500),
      notes: amp(5000),
    }));
    const message = buildSlackMessage(
      v2({
        status: amp(500),
        clientName: amp(5000),
        user: amp(5000),
        requestName: amp(5000),
        accessLevel: amp(500),
        connectionAssets: assets,
      }),
    );
    expectWithinSlackLimits(message);
    expect(assetLines(message)).toHaveLength(40);
    expect(sections(message).length).toBeGreaterThan(20);
    expect(contextTexts(message)).toContain('…and 20 more assets (20 failed)');
    for (const line of assetLines(message)) expect(line.length).toBeLessThanOrEqual(2840);
  });

  it('packs short lines together: 40 short lines fit in one section', () => {
    const message = buildSlackMessage(v2({ connectionAssets: manyAssets(40) }));
    expect(sections(message)).toHaveLength(2);
  });
});

describe('mrkdwn escaping of user-provided values', () => {
  it.each([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<!here|here>', '&lt;!here|here&gt;'],
    ['<@U123ABC>', '&lt;@U123ABC&gt;'],
    ['<http://evil.example|click me>', '&lt;http://evil.example|click me&gt;'],
    ['Smith & Sons', 'Smith &amp; Sons'],
    ['already &amp; escaped', 'already &amp;amp; escaped'],
    ['a > b < c', 'a &gt; b &lt; c'],
  ])('%s', (raw, escaped) => {
    expect(escapeMrkdwn(raw)).toBe(escaped);
    const message = buildSlackMessage(
      v2({
        clientName: raw,
        user: raw,
        requestName: raw,
        accessLevel: raw,
        connectionAssets: [{ type: raw, id: '1', name: raw, connectionStatus: raw, notes: raw }],
      }),
    );
    expectWithinSlackLimits(message);
    const fields = sections(message)[0]?.fields?.map((f) => f.text);
    expect(fields).toStrictEqual([
      `*Client*\n${escaped}`,
      `*User*\n${escaped}`,
      `*Request*\n${escaped}`,
      `*Access level*\n${escaped}`,
      '*Assets*\n0 of 1 connected, 1 failed',
    ]);
    expect(assetLines(message)).toStrictEqual([`:x: *${escaped}* · ${escaped} · ${escaped} — ${escaped}`]);
    expect(message.text).toBe(`Leadsie connection SUCCESS: ${escaped} — ${escaped} (0 of 1 asset connected)`);
    // The header is plain text: Slack never parses it, so it shows the value as typed.
    expect(header(message)).toBe(`:white_check_mark: ${raw} — Connected`);
  });

  it('every mrkdwn text is verbatim, so Slack does not auto-link or parse @channel', () => {
    const message = buildSlackMessage(
      v2({ clientName: '@channel see #general', connectionAssets: manyAssets(2) }),
    );
    for (const block of message.blocks) {
      if (block.type === 'section') {
        expect(block.text.verbatim).toBe(true);
        for (const field of block.fields ?? []) expect(field.verbatim).toBe(true);
      }
      if (block.type === 'context') for (const element of block.elements) expect(element.verbatim).toBe(true);
    }
  });

  it('puts a value on one line and drops control and bidi-override characters', () => {
    const message = buildSlackMessage(
      v2({
        clientName: 'Evil\n*Client*\tfake\u0007',
        connectionAssets: [
          { type: 'Page', id: '1', name: 'cod\u202Egnp.exe', connectionStatus: 'Connected' },
        ],
      }),
    );
    expect(sections(message)[0]?.fields?.[0]?.text).toBe('*Client*\nEvil *Client* fake');
    expect(header(message)).toBe(':white_check_mark: Evil *Client* fake — Connected');
    expect(assetLines(message)).toStrictEqual([':white_check_mark: *Page* · codgnp.exe · Connected']);
  });
});

describe('unicode', () => {
  const noLoneSurrogate = /[\uD800-\uDFFF]/u;

  it.each([
    ['emoji', '☕️ Café 😀 Ünïcödé'],
    ['right-to-left text', 'شركة المثال للتسويق'],
    ['Hebrew with digits', 'חברה 123 בע״מ'],
    ['combining marks', 'Cafe\u0301 Zu\u0308rich'],
    ['a ZWJ family and a flag', '👨‍👩‍👧 🇫🇷'],
  ])('keeps short %s intact', (_, name) => {
    const message = buildSlackMessage(
      v2({
        clientName: name,
        connectionAssets: [{ type: 'Page', id: '1', name, connectionStatus: 'Connected' }],
      }),
    );
    expect(header(message)).toBe(`:white_check_mark: ${name} — Connected`);
    expect(assetLines(message)).toStrictEqual([`:white_check_mark: *Page* · ${name} · Connected`]);
    expectWithinSlackLimits(message);
  });

  it.each<[string, string, number, string]>([
    ['ASCII at the limit is kept', 'a'.repeat(10), 10, 'a'.repeat(10)],
    ['ASCII over the limit', 'a'.repeat(11), 10, `${'a'.repeat(9)}…`],
    ['an emoji that would be split', `${'a'.repeat(8)}😀😀`, 10, `${'a'.repeat(8)}…`],
    ['emoji that fit whole', `${'a'.repeat(7)}😀😀`, 10, `${'a'.repeat(7)}😀…`],
    ['a combining mark stays with its letter', 'e\u0301'.repeat(6), 10, `${'e\u0301'.repeat(4)}…`],
    ['a ZWJ family is never split', '👨‍👩‍👧'.repeat(3), 10, `${'👨‍👩‍👧'}…`],
    ['a flag is never split', '🇫🇷'.repeat(5), 10, `${'🇫🇷'.repeat(2)}…`],
  ])('truncate: %s', (_, text, max, expected) => {
    const clipped = truncate(text, max);
    expect(clipped).toBe(expected);
    expect(clipped.length).toBeLessThanOrEqual(max);
    expect(clipped).not.toMatch(noLoneSurrogate);
  });

  it('clips a very long emoji name without splitting a surrogate pair', () => {
    const name = `${'a'.repeat(198)}${'😀'.repeat(50)}`;
    const message = buildSlackMessage(
      v2({ connectionAssets: [{ type: 'Page', id: '1', name, connectionStatus: 'Connected' }] }),
    );
    expect(assetLines(message)).toStrictEqual([
      `:white_check_mark: *Page* · ${'a'.repeat(198)}… · Connected`,
    ]);
    expectWithinSlackLimits(message);
  });

  it('clips a very long name of letters with combining marks between whole letters', () => {
    const name = 'e\u0301'.repeat(300);
    const message = buildSlackMessage(v2({ clientName: name }));
    const field = sections(message)[0]?.fields?.[0]?.text ?? '';
    const clipped = field.replace('*Client*\n', '');
    expect(clipped.length).toBeLessThanOrEqual(VALUE_LIMITS.name);
    expect(clipped).toMatch(/^(e\u0301)+…$/u);
    expect(header(message)).toMatch(/^:white_check_mark: (e\u0301)+… — Connected$/u);
  });

  it('clips a 300-character client name so the header keeps its status and stays ≤ 150', () => {
    const message = buildSlackMessage(v2({ clientName: `${'x'.repeat(300)}`, user: 'test-user-1' }));
    expect(header(message)).toHaveLength(150);
    expect(header(message)).toMatch(/^\[TEST\] :white_check_mark: x+… — Connected$/);
    expect(sections(message)[0]?.fields?.[0]?.text).toBe(`*Client*\n${'x'.repeat(199)}…`);
    expectWithinSlackLimits(message);
  });

  it('clips names of exactly 200 characters not at all, and of 201 to 200', () => {
    const fields = (name: string) =>
      sections(buildSlackMessage(v2({ clientName: name })))[0]?.fields?.[0]?.text;
    expect(fields('n'.repeat(200))).toBe(`*Client*\n${'n'.repeat(200)}`);
    expect(fields('n'.repeat(201))).toBe(`*Client*\n${'n'.repeat(199)}…`);
  });
});
