/**
 * The Discord message: the embed of each fixture, each status and the test marker, links only to
 * Leadsie's or configured hosts, Markdown escaping of hostile text (mentions, links, markup), and every
 * embed limit, with worst-case values and long asset lists.
 */
import { describe, expect, it } from 'vitest';
import {
  allowedLink,
  buildDiscordMessage,
  COLORS,
  DISCORD_LIMITS,
  type DiscordMessage,
  embedLength,
  escapeMarkdown,
  MAX_LISTED_ASSETS,
  md,
  summaryOf,
} from '../../../lambda/consumers/discord/message.ts';
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

const embedOf = (message: DiscordMessage) => {
  const [embed] = message.embeds;
  if (!embed) throw new Error('no embed');
  return embed;
};
/** The description's lines after the blank line: one per asset, then the "more" line. */
const assetLines = (message: DiscordMessage): string[] => {
  const text = embedOf(message).description;
  return text.slice(text.indexOf('\n\n') + 2).split('\n');
};
const fieldValues = (message: DiscordMessage): Record<string, string> =>
  Object.fromEntries(embedOf(message).fields.map((f) => [f.name, f.value]));

/** What Discord's renderer does with an escape: `\x` shows `x` for any punctuation `x`. */
const rendered = (text: string): string => text.replace(/\\([^0-9A-Za-z\s])/gu, '$1');
/** Escaped Markdown: every backslash escapes the next punctuation; nothing else is punctuation markup. */
const WELL_ESCAPED = /^(?:\\[^0-9A-Za-z\s]|[^\\*_~`|[\]<>@#\-+:])*$/u;

/** Every limit Discord enforces, and what we promise on top. */
const expectWithinDiscordLimits = (message: DiscordMessage): void => {
  expect(message.allowed_mentions).toStrictEqual({ parse: [] });
  expect(message.embeds.length).toBeGreaterThan(0);
  expect(message.embeds.length).toBeLessThanOrEqual(DISCORD_LIMITS.embeds);
  let total = 0;
  for (const embed of message.embeds) {
    expect(embed.title.length).toBeGreaterThan(0);
    expect(embed.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.title);
    expect(embed.description.length).toBeGreaterThan(0);
    expect(embed.description.length).toBeLessThanOrEqual(DISCORD_LIMITS.description);
    expect(embed.fields.length).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
    for (const field of embed.fields) {
      expect(field.name.length).toBeGreaterThan(0);
      expect(field.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
      expect(field.value.length).toBeGreaterThan(0);
      expect(field.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
    }
    expect(embed.footer.text.length).toBeLessThanOrEqual(DISCORD_LIMITS.footerText);
    expect(Number.isInteger(embed.color)).toBe(true);
    expect(new Date(embed.timestamp).toISOString()).toBe(embed.timestamp);
    if (embed.url !== undefined) expect(new URL(embed.url).protocol).toBe('https:');
    total += embedLength(embed);
  }
  expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.total);
  expect(JSON.stringify(message)).not.toMatch(/[\uD800-\uDFFF](?![\uDC00-\uDFFF])/u);
};

describe('buildDiscordMessage on the fixtures', () => {
  it('v2-partial-multi-platform.json, in full', () => {
    const message = buildDiscordMessage(eventOf(parsedFixture('v2-partial-multi-platform.json')));
    expectWithinDiscordLimits(message);
    expect(message).toStrictEqual({
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: '⚠️ Harbor Fitness LLC — Partially connected',
          url: 'https://app.leadsie.com/clients/6651f0c2b4e1a90012a3c4d5',
          description: [
            '**Partially connected** (PARTIAL\\_SUCCESS)',
            '',
            '✅ **Meta Ad Account** · Harbor Fitness Ads · Connected',
            '✅ **Facebook Page** · Harbor Fitness · Connected',
            "❌ **Google Ads Account** · Harbor Fitness Search · Insufficient permissions — The client's Google user is not an administrator of this account.",
            '❌ **Shopify Store** · harbor\\-fitness.myshopify.com · In progress — Waiting for the store owner to accept the collaborator request.',
          ].join('\n'),
          color: COLORS.PARTIAL_SUCCESS,
          fields: [
            { name: 'Client', value: 'Harbor Fitness LLC', inline: true },
            { name: 'User', value: 'hubspot\\-company\\-99123', inline: true },
            { name: 'Request', value: 'Harbor Fitness \\- full access', inline: true },
            { name: 'Access level', value: 'admin', inline: true },
            { name: 'Assets', value: '2 of 4 connected, 2 failed', inline: true },
          ],
          footer: { text: `Leadsie API v2 · event ${EVENT_ID}` },
          timestamp: RECEIVED_AT,
        },
      ],
    });
  });

  it.each([
    {
      fixture: 'v2-success-google.json',
      title: '✅ Kestrel Legal Partners — Connected',
      assets: [
        '✅ **Google Analytics Property** · kestrellegal.com \\- GA4 · Connected',
        '✅ **Google Business Profile** · Kestrel Legal Partners · Connected',
      ],
      url: 'https://app.leadsie.com/clients/66a0b1c2d3e4f5a6b7c8d9e0',
      color: COLORS.SUCCESS,
    },
    {
      fixture: 'v1-partial-success.json',
      title: '⚠️ crm\\-contact\\-48213 — Partially connected',
      assets: [
        '✅ **Ad Account** · Northwind Coffee \\- Main · Connected',
        '❌ **Ad Account** · Northwind Coffee \\- Retargeting · Failed — User is not an admin of this ad account',
        '✅ **Page** · Northwind Coffee · Connected',
        '✅ **Pixel** · Northwind Web Pixel · Connected',
        '✅ **Instagram Account** · northwind.coffee · Connected',
      ],
      url: undefined,
      color: COLORS.PARTIAL_SUCCESS,
    },
    {
      fixture: 'v1-failed.json',
      title: '❌ lead\\-7731 — Connection failed',
      assets: [
        '❌ **Page** · Bluebird Dental Clinic · Failed — Business Manager rejected the partner request',
      ],
      url: undefined,
      color: COLORS.FAILED,
    },
    {
      fixture: 'v1-success-no-user.json',
      title: '✅ (no user) — Connected',
      assets: ['✅ **Catalog** · Spring Collection · Connected'],
      url: undefined,
      color: COLORS.SUCCESS,
    },
  ])('$fixture', ({ fixture, title, assets, url, color }) => {
    const message = buildDiscordMessage(eventOf(parsedFixture(fixture)));
    expectWithinDiscordLimits(message);
    expect(embedOf(message).title).toBe(title);
    expect(assetLines(message)).toStrictEqual(assets);
    expect(embedOf(message).url).toBe(url);
    expect(embedOf(message).color).toBe(color);
  });

  it('v1 has no Client field, and "(no user)" when no user was sent', () => {
    const message = buildDiscordMessage(eventOf(parsedFixture('v1-success-no-user.json')));
    expect(embedOf(message).fields.map((f) => f.name)).toStrictEqual([
      'User',
      'Request',
      'Access level',
      'Assets',
    ]);
    expect(fieldValues(message).User).toBe('(no user)');
  });
});

describe('status', () => {
  it.each([
    ['SUCCESS', '✅ Acme Inc — Connected', '**Connected** (SUCCESS)', COLORS.SUCCESS],
    [
      'PARTIAL_SUCCESS',
      '⚠️ Acme Inc — Partially connected',
      '**Partially connected** (PARTIAL\\_SUCCESS)',
      COLORS.PARTIAL_SUCCESS,
    ],
    ['failed', '❌ Acme Inc — Connection failed', '**Connection failed** (failed)', COLORS.FAILED],
    ['PENDING_REVIEW', '❔ Acme Inc — Status PENDING\\_REVIEW', '**Status PENDING\\_REVIEW**', COLORS.other],
    ['@everyone', '❔ Acme Inc — Status \\@everyone', '**Status \\@everyone**', COLORS.other],
    [null, '❔ Acme Inc — No status', '**No status**', COLORS.other],
    ['', '❔ Acme Inc — No status', '**No status**', COLORS.other],
  ])('%s', (status, title, statusLine, color) => {
    const message = buildDiscordMessage(v2({ status }));
    expectWithinDiscordLimits(message);
    expect(embedOf(message).title).toBe(title);
    expect(embedOf(message).description.split('\n')[0]).toBe(statusLine);
    expect(embedOf(message).color).toBe(color);
  });

  it('no assets: says so; a missing access level and an empty request name still give values', () => {
    const message = buildDiscordMessage(v2({ requestName: '', accessLevel: null }));
    expect(assetLines(message)).toStrictEqual(['*No assets in this delivery.*']);
    expect(fieldValues(message).Request).toBe('(unnamed request)');
    expect(fieldValues(message)['Access level']).toBe('(not sent)');
  });

  it('test payloads are marked in the title and a line of their own; real ones are not', () => {
    const test = buildDiscordMessage(v2({ user: 'test-user-42' }));
    expect(embedOf(test).title).toBe('[TEST] ✅ Acme Inc — Connected');
    expect(embedOf(test).description.split('\n')[1]).toBe(
      '🧪 Leadsie test payload — not a real client connection',
    );
    expect(JSON.stringify(buildDiscordMessage(v2()))).not.toMatch(/\[TEST\]|test payload/);
  });
});

describe('links: only https to Leadsie or a configured host', () => {
  it.each<[string, string | null, readonly string[], string | undefined]>([
    ['app.leadsie.com', 'https://app.leadsie.com/clients/abc', [], 'https://app.leadsie.com/clients/abc'],
    ['http, even to Leadsie', 'http://app.leadsie.com/clients/abc', [], undefined],
    ['another host', 'https://example.com/s', [], undefined],
    ['another host, configured', 'https://example.com/s', ['example.com'], 'https://example.com/s'],
    ['a look-alike suffix', 'https://app.leadsie.com.evil.io/x', [], undefined],
    ['a look-alike prefix', 'https://notleadsie.com/x', [], undefined],
    ['credentials in the URL', 'https://app.leadsie.com@evil.io/x', [], undefined],
    ['a javascript: URL', 'javascript:alert(1)', [], undefined],
    ['a data: URL', 'data:text/html,hi', [], undefined],
    ['not a URL', 'see the dashboard', [], undefined],
    ['no URL', null, [], undefined],
  ])('%s', (_, clientSummaryUrl, linkHosts, expected) => {
    const message = buildDiscordMessage(v2({ clientSummaryUrl }), { linkHosts });
    expectWithinDiscordLimits(message);
    expect(embedOf(message).url).toBe(expected);
    expect('url' in embedOf(message)).toBe(expected !== undefined);
  });

  it('allowedLink matches whole host labels only', () => {
    expect(allowedLink('https://a.b.leadsie.com/', ['leadsie.com'])).toBe('https://a.b.leadsie.com/');
    expect(allowedLink('https://leadsie.co/', ['leadsie.com'])).toBeNull();
    expect(allowedLink('https://x.com/', [''])).toBeNull();
  });
});

describe('Markdown escaping of hostile text', () => {
  it.each([
    ['@everyone', '\\@everyone'],
    ['@here', '\\@here'],
    ['<@123456789012345678>', '\\<\\@123456789012345678\\>'],
    ['<#123> <@&456> <t:1700000000:R>', '\\<\\#123\\> \\<\\@&456\\> \\<t\\:1700000000\\:R\\>'],
    ['<img src=x onerror=alert(1)>', '\\<img src=x onerror=alert(1)\\>'],
    [
      '**bold** __under__ ~~strike~~ ||spoiler|| `code`',
      '\\*\\*bold\\*\\* \\_\\_under\\_\\_ \\~\\~strike\\~\\~ \\|\\|spoiler\\|\\| \\`code\\`',
    ],
    ['[click](https://evil.example)', '\\[click\\](https\\://evil.example)'],
    ['https://evil.example/phish', 'https\\://evil.example/phish'],
    ['# Big heading', '\\# Big heading'],
    ['-# subtext', '\\-\\# subtext'],
    ['> quote', '\\> quote'],
    ['1. first', '1\\. first'],
    ['+ item', '\\+ item'],
    [':smile:', '\\:smile\\:'],
    ['back\\slash', 'back\\\\slash'],
    ['Smith & Sons, "Ltd."', 'Smith & Sons, "Ltd."'],
  ])('%s', (raw, escaped) => {
    expect(escapeMarkdown(raw)).toBe(escaped);
    expect(rendered(escaped)).toBe(raw);
    const message = buildDiscordMessage(
      v2({
        clientName: raw,
        user: raw,
        requestName: raw,
        accessLevel: raw,
        connectionAssets: [{ type: raw, id: '1', name: raw, connectionStatus: raw, notes: raw }],
      }),
    );
    expectWithinDiscordLimits(message);
    expect(fieldValues(message)).toStrictEqual({
      Client: escaped,
      User: escaped,
      Request: escaped,
      'Access level': escaped,
      Assets: '0 of 1 connected, 1 failed',
    });
    expect(embedOf(message).title).toBe(`✅ ${escaped} — Connected`);
    expect(assetLines(message)).toStrictEqual([`❌ **${escaped}** · ${escaped} · ${escaped} — ${escaped}`]);
    // No mention can ping, and the only link is the title's, to Leadsie.
    expect(message.allowed_mentions.parse).toStrictEqual([]);
    expect(embedOf(message).url).toBe('https://app.leadsie.com/clients/abc');
  });

  it('puts a value on one line and drops control and bidi-override characters', () => {
    const message = buildDiscordMessage(
      v2({
        clientName: 'Evil\n# Heading\t@everyone\u0007',
        connectionAssets: [
          { type: 'Page', id: '1', name: 'cod\u202Egnp.exe', connectionStatus: 'Connected' },
        ],
      }),
    );
    expect(fieldValues(message).Client).toBe('Evil \\# Heading \\@everyone');
    expect(assetLines(message)).toStrictEqual(['✅ **Page** · codgnp.exe · Connected']);
  });
});

describe('clipping', () => {
  it.each<[string, string, number, string]>([
    ['fits', 'abc', 10, 'abc'],
    ['plain text over the limit', 'a'.repeat(11), 10, `${'a'.repeat(9)}…`],
    ['never between a backslash and its character', '*'.repeat(20), 10, `${'\\*'.repeat(4)}…`],
    ['an escaped leading list number keeps its escape', `1.${'x'.repeat(20)}`, 10, `1\\.${'x'.repeat(6)}…`],
    ['an emoji is never split', `${'a'.repeat(8)}😀😀`, 10, `${'a'.repeat(8)}…`],
    ['a ZWJ family is never split', '👨‍👩‍👧'.repeat(3), 10, '👨‍👩‍👧…'],
  ])('md: %s', (_, raw, max, expected) => {
    const clipped = md(raw, max);
    expect(clipped).toBe(expected);
    expect(clipped.length).toBeLessThanOrEqual(max);
    expect(clipped.replace(/…$/u, '')).toMatch(WELL_ESCAPED);
  });

  it('a 300-character client name: the title keeps its status and stays ≤ 256; the field is ≤ 200', () => {
    const message = buildDiscordMessage(v2({ clientName: '_'.repeat(300), user: 'test-user-1' }));
    expectWithinDiscordLimits(message);
    expect(embedOf(message).title).toMatch(/^\[TEST\] ✅ (\\_)+… — Connected$/u);
    expect(fieldValues(message).Client).toBe(`${'\\_'.repeat(99)}…`);
  });

  it.each<[string, number, (i: number) => boolean, string | null]>([
    ['40 assets', 40, (i) => i % 2 === 0, null],
    ['41 assets, the last failed (listed first)', 41, (i) => i === 40, '*…and 1 more asset (0 failed)*'],
    ['500 assets, every 7th failed', 500, (i) => i % 7 === 0, '*…and 460 more assets (32 failed)*'],
  ])('%s', (_, count, failed, more) => {
    const message = buildDiscordMessage(
      v2({ status: 'PARTIAL_SUCCESS', connectionAssets: manyAssets(count, failed) }),
    );
    expectWithinDiscordLimits(message);
    const lines = assetLines(message);
    expect(lines.find((l) => l.startsWith('*…and')) ?? null).toBe(more);
    const assets = lines.filter((l) => !l.startsWith('*…and'));
    expect(assets).toHaveLength(Math.min(count, MAX_LISTED_ASSETS));
    const failedTotal = Array.from({ length: count }, (_, i) => i).filter(failed).length;
    expect(assets.filter((l) => l.startsWith('❌')).length).toBe(Math.min(failedTotal, MAX_LISTED_ASSETS));
  });

  it('worst case: every value at its cap and made of characters that double when escaped', () => {
    const mark = (n: number) => '*'.repeat(n);
    const assets = Array.from({ length: 60 }, (_, i) => ({
      type: mark(500),
      platform: 'Meta',
      id: `id_${i}`,
      name: mark(5000),
      connectionStatus: i % 2 === 0 ? mark(500) : 'Connected',
      notes: mark(5000),
    }));
    const message = buildDiscordMessage(
      v2({
        status: mark(500),
        clientName: mark(5000),
        user: mark(5000),
        requestName: mark(5000),
        accessLevel: mark(500),
        connectionAssets: assets,
      }),
    );
    expectWithinDiscordLimits(message);
    const lines = assetLines(message);
    const shown = lines.filter((l) => !l.startsWith('*…and'));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(40);
    expect(shown.every((l) => l.startsWith('❌'))).toBe(true);
    expect(lines.at(-1)).toBe(`*…and ${60 - shown.length} more assets (${30 - shown.length} failed)*`);
    // Filled close to the limit: one more line would not have fitted.
    expect(embedOf(message).description.length).toBeGreaterThan(DISCORD_LIMITS.description - 700);
  });
});

describe('summaryOf', () => {
  it('is the title as Discord shows it, without the escapes', () => {
    const message = buildDiscordMessage(v2({ clientName: '**Acme** @here #1 \\o/' }));
    expect(embedOf(message).title).toBe('✅ \\*\\*Acme\\*\\* \\@here \\#1 \\\\o/ — Connected');
    expect(summaryOf(message)).toBe('✅ **Acme** @here #1 \\o/ — Connected');
  });
});
