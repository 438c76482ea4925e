/**
 * The Teams message: the Adaptive Card of each fixture, each status and the test marker, links only to
 * Leadsie's or configured hosts, hostile text shown as typed (never Markdown), and the size budget.
 */
import { describe, expect, it } from 'vitest';
import {
  ADAPTIVE_CARD_VERSION,
  type AdaptiveCard,
  allowedLink,
  bodyBytes,
  buildTeamsMessage,
  MAX_LISTED_ASSETS,
  type RichTextBlock,
  summaryOf,
  TEAMS_LIMITS,
  type TeamsMessage,
  VALUE_LIMITS,
} from '../../../lambda/consumers/teams/message.ts';
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

const manyAssets = (count: number, failed: (i: number) => boolean = () => false): JsonObject[] =>
  Array.from({ length: count }, (_, i) => ({
    type: 'Meta Ad Account',
    platform: 'Meta',
    id: `act_${i}`,
    name: `Account ${i}`,
    connectionStatus: failed(i) ? 'Insufficient permissions' : 'Connected',
    notes: failed(i) ? `not an admin of ${i}` : '',
  }));

const cardOf = (message: TeamsMessage): AdaptiveCard => message.attachments[0].content;
const textOf = (block: RichTextBlock): string => block.inlines.map((r) => r.text).join('');
/** Every paragraph of the card as the reader sees it. */
const lines = (message: TeamsMessage): string[] => cardOf(message).body.map(textOf);
const header = (message: TeamsMessage): string => lines(message)[0] ?? '';
/** The paragraphs between the facts and the footer: one per asset, then the "more" line. */
const assetLines = (message: TeamsMessage): string[] => {
  const all = lines(message);
  const facts = all.findIndex((l) => l.includes('Assets: '));
  return all.slice(facts + 1, -1);
};
const button = (message: TeamsMessage) => cardOf(message).actions?.[0];

/** What Teams checks, and what we promise: the wrapper, the schema fields, no Markdown element, the size. */
const expectValidTeamsMessage = (message: TeamsMessage): void => {
  expect(message.type).toBe('message');
  expect(message.attachments).toHaveLength(1);
  expect(message.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
  const card = cardOf(message);
  expect(card.type).toBe('AdaptiveCard');
  expect(card.version).toBe('1.4');
  expect(card.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
  expect(card.fallbackText.length).toBeGreaterThan(0);
  expect(card.fallbackText.length).toBeLessThanOrEqual(TEAMS_LIMITS.fallbackText);
  // Only RichTextBlocks of TextRuns: nothing a value could turn into Markdown or a date function.
  for (const block of card.body) {
    expect(block.type).toBe('RichTextBlock');
    for (const inline of block.inlines) expect(inline.type).toBe('TextRun');
  }
  for (const action of card.actions ?? []) {
    expect(action.type).toBe('Action.OpenUrl');
    expect(new URL(action.url).protocol).toBe('https:');
  }
  expect(bodyBytes(message)).toBeLessThanOrEqual(TEAMS_LIMITS.bodyBytes);
  expect(JSON.stringify(message)).not.toMatch(/[\uD800-\uDFFF](?![\uDC00-\uDFFF])/u);
};

describe('buildTeamsMessage on the fixtures', () => {
  it('v2-partial-multi-platform.json, in full', () => {
    const message = buildTeamsMessage(eventOf(parsedFixture('v2-partial-multi-platform.json')));
    expectValidTeamsMessage(message);
    expect(message).toStrictEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: ADAPTIVE_CARD_VERSION,
            fallbackText:
              'Leadsie connection PARTIAL_SUCCESS: Harbor Fitness LLC — Harbor Fitness - full access (2 of 4 assets connected)',
            msteams: { width: 'Full' },
            body: [
              {
                type: 'RichTextBlock',
                inlines: [
                  {
                    type: 'TextRun',
                    text: '⚠️ Harbor Fitness LLC — Partially connected',
                    weight: 'Bolder',
                    size: 'Large',
                  },
                ],
              },
              {
                type: 'RichTextBlock',
                inlines: [
                  { type: 'TextRun', text: 'Partially connected', weight: 'Bolder', color: 'Warning' },
                  { type: 'TextRun', text: ' (PARTIAL_SUCCESS)' },
                ],
              },
              {
                type: 'RichTextBlock',
                spacing: 'Medium',
                inlines: [
                  { type: 'TextRun', text: 'Client: ', weight: 'Bolder' },
                  { type: 'TextRun', text: 'Harbor Fitness LLC' },
                ],
              },
              {
                type: 'RichTextBlock',
                inlines: [
                  { type: 'TextRun', text: 'User: ', weight: 'Bolder' },
                  { type: 'TextRun', text: 'hubspot-company-99123' },
                ],
              },
              {
                type: 'RichTextBlock',
                inlines: [
                  { type: 'TextRun', text: 'Request: ', weight: 'Bolder' },
                  { type: 'TextRun', text: 'Harbor Fitness - full access' },
                ],
              },
              {
                type: 'RichTextBlock',
                inlines: [
                  { type: 'TextRun', text: 'Access level: ', weight: 'Bolder' },
                  { type: 'TextRun', text: 'admin' },
                ],
              },
              {
                type: 'RichTextBlock',
                inlines: [
                  { type: 'TextRun', text: 'Assets: ', weight: 'Bolder' },
                  { type: 'TextRun', text: '2 of 4 connected, 2 failed' },
                ],
              },
              {
                type: 'RichTextBlock',
                separator: true,
                inlines: [
                  { type: 'TextRun', text: '✅ ' },
                  { type: 'TextRun', text: 'Meta Ad Account', weight: 'Bolder' },
                  { type: 'TextRun', text: ' · Harbor Fitness Ads · Connected' },
                ],
              },
              {
                type: 'RichTextBlock',
                inlines: [
                  { type: 'TextRun', text: '✅ ' },
                  { type: 'TextRun', text: 'Facebook Page', weight: 'Bolder' },
                  { type: 'TextRun', text: ' · Harbor Fitness · Connected' },
                ],
              },
              {
                type: 'RichTextBlock',
                inlines: [
                  { type: 'TextRun', text: '❌ ' },
                  { type: 'TextRun', text: 'Google Ads Account', weight: 'Bolder' },
                  {
                    type: 'TextRun',
                    text: " · Harbor Fitness Search · Insufficient permissions — The client's Google user is not an administrator of this account.",
                  },
                ],
              },
              {
                type: 'RichTextBlock',
                inlines: [
                  { type: 'TextRun', text: '❌ ' },
                  { type: 'TextRun', text: 'Shopify Store', weight: 'Bolder' },
                  {
                    type: 'TextRun',
                    text: ' · harbor-fitness.myshopify.com · In progress — Waiting for the store owner to accept the collaborator request.',
                  },
                ],
              },
              {
                type: 'RichTextBlock',
                separator: true,
                inlines: [
                  {
                    type: 'TextRun',
                    text: `Leadsie API v2 · received ${RECEIVED_AT} · event ${EVENT_ID}`,
                    isSubtle: true,
                  },
                ],
              },
            ],
            actions: [
              {
                type: 'Action.OpenUrl',
                title: 'Open client summary',
                url: 'https://app.leadsie.com/clients/6651f0c2b4e1a90012a3c4d5',
              },
            ],
          },
        },
      ],
    });
  });

  it.each([
    {
      fixture: 'v2-success-google.json',
      header: '✅ Kestrel Legal Partners — Connected',
      fallback:
        'Leadsie connection SUCCESS: Kestrel Legal Partners — Kestrel Legal (2 of 2 assets connected)',
      assets: [
        '✅ Google Analytics Property · kestrellegal.com - GA4 · Connected',
        '✅ Google Business Profile · Kestrel Legal Partners · Connected',
      ],
      button: 'https://app.leadsie.com/clients/66a0b1c2d3e4f5a6b7c8d9e0',
    },
    {
      fixture: 'v1-partial-success.json',
      header: '⚠️ crm-contact-48213 — Partially connected',
      fallback:
        'Leadsie connection PARTIAL_SUCCESS: crm-contact-48213 — Northwind Coffee onboarding (4 of 5 assets connected)',
      assets: [
        '✅ Ad Account · Northwind Coffee - Main · Connected',
        '❌ Ad Account · Northwind Coffee - Retargeting · Failed — User is not an admin of this ad account',
        '✅ Page · Northwind Coffee · Connected',
        '✅ Pixel · Northwind Web Pixel · Connected',
        '✅ Instagram Account · northwind.coffee · Connected',
      ],
      button: undefined,
    },
    {
      fixture: 'v1-failed.json',
      header: '❌ lead-7731 — Connection failed',
      fallback: 'Leadsie connection FAILED: lead-7731 — Bluebird Dental (0 of 1 asset connected)',
      assets: ['❌ Page · Bluebird Dental Clinic · Failed — Business Manager rejected the partner request'],
      button: undefined,
    },
    {
      fixture: 'v1-success-no-user.json',
      header: '✅ (no user) — Connected',
      fallback: 'Leadsie connection SUCCESS: (no user) — a7b91c51d853b609335044ed (1 of 1 asset connected)',
      assets: ['✅ Catalog · Spring Collection · Connected'],
      button: undefined,
    },
  ])('$fixture', ({ fixture, header: expectedHeader, fallback, assets, button: url }) => {
    const message = buildTeamsMessage(eventOf(parsedFixture(fixture)));
    expectValidTeamsMessage(message);
    expect(header(message)).toBe(expectedHeader);
    expect(cardOf(message).fallbackText).toBe(fallback);
    expect(assetLines(message)).toStrictEqual(assets);
    expect(button(message)?.url).toBe(url);
  });

  it('v1 without a client: no Client line; the user stands for the client in the header', () => {
    const message = buildTeamsMessage(eventOf(parsedFixture('v1-partial-success.json')));
    expect(lines(message).slice(2, 6)).toStrictEqual([
      'User: crm-contact-48213',
      'Request: Northwind Coffee onboarding',
      'Access level: admin',
      'Assets: 4 of 5 connected, 1 failed',
    ]);
  });
});

describe('status', () => {
  it.each([
    ['SUCCESS', '✅ Acme Inc — Connected', 'Connected (SUCCESS)', 'Good'],
    [
      'PARTIAL_SUCCESS',
      '⚠️ Acme Inc — Partially connected',
      'Partially connected (PARTIAL_SUCCESS)',
      'Warning',
    ],
    ['FAILED', '❌ Acme Inc — Connection failed', 'Connection failed (FAILED)', 'Attention'],
    ['failed', '❌ Acme Inc — Connection failed', 'Connection failed (failed)', 'Attention'],
    ['PENDING_REVIEW', '❔ Acme Inc — Status PENDING_REVIEW', 'Status PENDING_REVIEW', undefined],
    [null, '❔ Acme Inc — No status', 'No status', undefined],
    ['', '❔ Acme Inc — No status', 'No status', undefined],
  ])('%s', (status, expectedHeader, statusLine, color) => {
    const message = buildTeamsMessage(v2({ status }));
    expectValidTeamsMessage(message);
    expect(header(message)).toBe(expectedHeader);
    expect(lines(message)[1]).toBe(statusLine);
    expect(cardOf(message).body[1]?.inlines[0]?.color).toBe(color);
  });

  it('no assets: says so; a missing access level and an empty request name still give texts', () => {
    const message = buildTeamsMessage(v2({ requestName: '', accessLevel: null }));
    expect(assetLines(message)).toStrictEqual(['No assets in this delivery.']);
    expect(lines(message)).toContain('Request: (unnamed request)');
    expect(lines(message)).toContain('Access level: (not sent)');
    expect(cardOf(message).fallbackText).toContain('— (unnamed request) (0 of 0 assets connected)');
  });
});

describe('test payloads', () => {
  it('are marked in the header, a line of their own and the fallback text', () => {
    const message = buildTeamsMessage(v2({ user: 'test-user-42' }));
    expect(header(message)).toBe('[TEST] ✅ Acme Inc — Connected');
    expect(lines(message)[2]).toBe('🧪 Leadsie test payload — not a real client connection');
    expect(cardOf(message).fallbackText).toMatch(/^\[TEST\] Leadsie connection SUCCESS/);
  });

  it('real deliveries carry no marker', () => {
    expect(JSON.stringify(buildTeamsMessage(v2()))).not.toMatch(/\[TEST\]|test payload/);
  });
});

describe('links: only https to Leadsie or a configured host', () => {
  it.each<[string, string | null, readonly string[], string | undefined]>([
    ['app.leadsie.com', 'https://app.leadsie.com/clients/abc', [], 'https://app.leadsie.com/clients/abc'],
    ['leadsie.com itself', 'https://leadsie.com/x', [], 'https://leadsie.com/x'],
    ['upper-case host', 'https://APP.Leadsie.COM/c', [], 'https://app.leadsie.com/c'],
    ['http, even to Leadsie', 'http://app.leadsie.com/clients/abc', [], undefined],
    ['another host', 'https://example.com/s', [], undefined],
    [
      'another host, configured',
      'https://portal.example.com/s',
      ['example.com'],
      'https://portal.example.com/s',
    ],
    ['a look-alike suffix', 'https://leadsie.com.evil.io/x', [], undefined],
    ['a look-alike prefix', 'https://evilleadsie.com/x', [], undefined],
    ['credentials in the URL', 'https://user:pw@app.leadsie.com/x', [], undefined],
    ['a javascript: URL', 'javascript:alert(1)', [], undefined],
    [
      'a javascript: URL with a Leadsie-looking path',
      'javascript://app.leadsie.com/%0aalert(1)',
      [],
      undefined,
    ],
    ['a data: URL', 'data:text/html,<script>alert(1)</script>', [], undefined],
    ['a relative URL', '/clients/abc', [], undefined],
    ['no URL', null, [], undefined],
  ])('%s', (_, clientSummaryUrl, linkHosts, expected) => {
    const message = buildTeamsMessage(v2({ clientSummaryUrl }), { linkHosts });
    expectValidTeamsMessage(message);
    expect(button(message)?.url).toBe(expected);
    expect(cardOf(message).actions === undefined).toBe(expected === undefined);
    if (expected) expect(button(message)?.title).toBe('Open client summary');
  });

  it('an empty configured host allows nothing more', () => {
    expect(allowedLink('https://example.com/', ['', '.'])).toBeNull();
  });
});

describe('hostile text is shown as typed, never as Markdown, a link or a mention', () => {
  it.each([
    '@everyone',
    '<at>Everyone</at>',
    '<img src=x onerror=alert(1)>',
    '**bold** _it_ [click](https://evil.example)',
    '{{DATE(2017-02-14T06:08:00Z, SHORT)}}',
    '- item',
    '1. first',
    'https://evil.example/phish',
    'back\\slash & "quotes"',
  ])('%s', (raw) => {
    const message = buildTeamsMessage(
      v2({
        clientName: raw,
        user: raw,
        requestName: raw,
        accessLevel: raw,
        connectionAssets: [{ type: raw, id: '1', name: raw, connectionStatus: raw, notes: raw }],
      }),
    );
    expectValidTeamsMessage(message);
    expect(header(message)).toBe(`✅ ${raw} — Connected`);
    expect(lines(message).slice(2, 7)).toStrictEqual([
      `Client: ${raw}`,
      `User: ${raw}`,
      `Request: ${raw}`,
      `Access level: ${raw}`,
      'Assets: 0 of 1 connected, 1 failed',
    ]);
    expect(assetLines(message)).toStrictEqual([`❌ ${raw} · ${raw} · ${raw} — ${raw}`]);
    // The only link is the button, to Leadsie.
    expect(cardOf(message).actions?.map((a) => a.url)).toStrictEqual(['https://app.leadsie.com/clients/abc']);
  });

  it('puts a value on one line and drops control and bidi-override characters', () => {
    const message = buildTeamsMessage(
      v2({
        clientName: 'Evil\nClient:\tfake\u0007',
        connectionAssets: [
          { type: 'Page', id: '1', name: 'cod\u202Egnp.exe', connectionStatus: 'Connected' },
        ],
      }),
    );
    expect(header(message)).toBe('✅ Evil Client: fake — Connected');
    expect(assetLines(message)).toStrictEqual(['✅ Page · codgnp.exe · Connected']);
  });
});

describe('long values and long asset lists', () => {
  it('clips a 300-character name to 200, between whole graphemes', () => {
    const message = buildTeamsMessage(v2({ clientName: `${'a'.repeat(198)}${'😀'.repeat(50)}` }));
    expect(header(message)).toBe(`✅ ${'a'.repeat(198)}… — Connected`);
    expect(lines(message)[2]).toBe(`Client: ${'a'.repeat(198)}…`);
    expect(VALUE_LIMITS.name).toBe(200);
  });

  it.each<[string, number, (i: number) => boolean, number, string | null]>([
    ['40 assets', 40, (i) => i % 2 === 0, 40, null],
    ['41 assets, the last failed (listed first)', 41, (i) => i === 40, 40, '…and 1 more asset (0 failed)'],
    ['500 assets, every 7th failed', 500, (i) => i % 7 === 0, 40, '…and 460 more assets (32 failed)'],
  ])('%s', (_, count, failed, listed, more) => {
    const message = buildTeamsMessage(
      v2({ status: 'PARTIAL_SUCCESS', connectionAssets: manyAssets(count, failed) }),
    );
    expectValidTeamsMessage(message);
    const all = assetLines(message);
    const moreLine = all.find((l) => l.startsWith('…and')) ?? null;
    expect(moreLine).toBe(more);
    const assets = all.filter((l) => !l.startsWith('…and'));
    expect(assets).toHaveLength(listed);
    const failedTotal = Array.from({ length: count }, (_, i) => i).filter(failed).length;
    expect(assets.filter((l) => l.startsWith('❌')).length).toBe(Math.min(failedTotal, listed));
    expect(MAX_LISTED_ASSETS).toBe(40);
  });

  it('drops asset lines to stay under the size budget, failed first, and counts what it left out', () => {
    // Every value at its cap, in characters that weigh most once JSON-encoded in UTF-8.
    const heavy = (n: number) => '"€'.repeat(n);
    const assets = Array.from({ length: 60 }, (_, i) => ({
      type: heavy(100),
      platform: 'Meta',
      id: `id_${i}`,
      name: heavy(300),
      connectionStatus: i % 2 === 0 ? heavy(100) : 'Connected',
      notes: heavy(300),
    }));
    const message = buildTeamsMessage(
      v2({
        status: heavy(100),
        clientName: heavy(300),
        user: heavy(300),
        requestName: heavy(300),
        accessLevel: heavy(100),
        connectionAssets: assets,
      }),
    );
    expectValidTeamsMessage(message);
    const all = assetLines(message);
    const shown = all.filter((l) => !l.startsWith('…and'));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(40);
    // 60 assets, 30 of them failed (even ones, by connectionStatus): failed ones are listed first.
    expect(shown.every((l) => l.startsWith('❌'))).toBe(true);
    expect(all.at(-1)).toBe(`…and ${60 - shown.length} more assets (${30 - shown.length} failed)`);
    // One more line would not have fitted.
    expect(bodyBytes(message)).toBeGreaterThan(TEAMS_LIMITS.bodyBytes - 3000);
  });
});

describe('summaryOf', () => {
  it('is the fallback text: one line for a console', () => {
    const message = buildTeamsMessage(v2({ user: 'test-user-1', clientName: 'A\nB' }));
    expect(summaryOf(message)).toBe(
      '[TEST] Leadsie connection SUCCESS: A B — Onboarding (0 of 0 assets connected)',
    );
  });
});
