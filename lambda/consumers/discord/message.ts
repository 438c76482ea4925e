/**
 * The Discord message of one connection event: one embed for an Execute Webhook call, with the same
 * content as the Slack message.
 *
 * ```
 * title        [TEST] ⚠️ Harbor Fitness LLC — Partially connected   (≤ 256; links to the client summary)
 * description  **Partially connected** (PARTIAL\_SUCCESS)            (≤ 4096)
 *              🧪 Leadsie test payload — …                           (test payloads only)
 *              one line per asset: emoji, **type**, name, status, note if failed
 *              …and N more assets (M failed)                         (past the cap or the budget)
 * fields       Client · User · Request · Access level · Assets       (inline; value ≤ 1024)
 * footer       Leadsie API v2 · event …                              (plain text)
 * timestamp    receivedAt
 * ```
 *
 * Discord refuses the whole message when an embed breaks a limit (`DISCORD_LIMITS`, including 6000
 * characters over title, description, field names and values, footer and author), so each is met by
 * construction: values are put on one line, escaped, then clipped with "…" between escapes and between
 * grapheme clusters. Lengths are JavaScript lengths (UTF-16 code units), never less than Discord's count.
 *
 * Mentions: `allowed_mentions: { parse: [] }` and `@` escaped, so `@everyone`, `<@id>` or `<#id>` in a
 * client name neither ping nor render as a mention. Links: `:` is escaped, so a URL in a value is not
 * auto-linked; the only link is the title's, to Leadsie's hosts or configured ones.
 *
 * Pure: no I/O, the same event always gives the same message.
 */
import {
  type AssetMark,
  assetCounts,
  assetMark,
  assetName,
  assetNote,
  assetStatus,
  countsText,
  listedAssets,
  MAX_LISTED_ASSETS,
  moreText,
  oneLine,
  requestNameOf,
  type StatusStyles,
  statusLook,
  TEST_PAYLOAD_NOTE,
  VALUE_LIMITS,
  whoOf,
} from '../../domain/connection-summary.ts';
import type { ConnectionEvent, EnvelopeAsset } from '../../domain/envelope.ts';
import { allowedLink, linkHosts } from '../../domain/links.ts';
import { clipGraphemes } from '../../domain/text.ts';

/** The link rule lives in `domain/links.ts`, shared with Slack and email. */
export { allowedLink, LEADSIE_HOSTS } from '../../domain/links.ts';
/** What every chat message shares (`domain/connection-summary.ts`). */
export { MAX_LISTED_ASSETS, oneLine, VALUE_LIMITS };

export interface DiscordEmbedField {
  name: string;
  value: string;
  inline?: boolean;
}

export interface DiscordEmbed {
  title: string;
  url?: string;
  description: string;
  color: number;
  fields: DiscordEmbedField[];
  footer: { text: string };
  /** ISO 8601: Discord shows it in the reader's time zone. */
  timestamp: string;
}

/** The JSON body of an Execute Webhook call. */
export interface DiscordMessage {
  embeds: DiscordEmbed[];
  /** Nothing in the message may ping anyone, whatever it contains. */
  allowed_mentions: { parse: [] };
}

/** Discord's embed limits (characters). */
export const DISCORD_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  authorName: 256,
  /** Sum of title, description, field names and values, footer text and author name, over all embeds. */
  total: 6000,
  embeds: 10,
} as const;

/** Embed colours (the bar on the left) by status. */
export const COLORS = {
  SUCCESS: 0x2eb67d,
  PARTIAL_SUCCESS: 0xecb22e,
  FAILED: 0xe01e5a,
  other: 0x99aab5,
} as const;

export interface DiscordMessageOptions {
  /**
   * Hosts a link may point to, besides Leadsie's (`LEADSIE_HOSTS`); a host matches itself and its
   * subdomains. A link anywhere else is left out.
   */
  linkHosts?: readonly string[];
}

/**
 * Escapes what Discord's Markdown reads as markup: emphasis, strike, code, spoilers (`* _ ~ \` |`),
 * masked links and mentions (`[ ] < > @`), headings, lists and quotes (`# - + >`, and `1.` at the
 * start), `:` (emoji codes and auto-linked URLs) and the backslash itself. Discord shows `\x` as `x`
 * for any punctuation `x`, so nothing escaped is visible.
 */
export const escapeMarkdown = (text: string): string => {
  const dot = leadingListDot(text);
  if (dot < 0) return escapeChars(text);
  return `${text.slice(0, dot)}\\.${escapeChars(text.slice(dot + 1))}`;
};

const escapeChars = (text: string): string => text.replace(/[\\*_~`|[\]<>@#\-+:]/g, '\\$&');

/** Index of the "." of a leading "12." (an ordered-list marker), or -1. Digits need no escape. */
const leadingListDot = (text: string): number => {
  const match = /^\d+\./.exec(text);
  return match ? match[0].length - 1 : -1;
};

/**
 * Made on the first text that needs clipping, not at import: creating a segmenter loads ICU's break
 * rules, a noticeable part of a cold start, and most messages never need it.
 */
let graphemes: Intl.Segmenter | undefined;

/**
 * A value from the payload for Markdown: one line, escaped, at most `max` characters with the "…".
 * Cuts between grapheme clusters, never inside an escape, a surrogate pair or an emoji sequence.
 */
export const md = (raw: string, max: number): string => {
  const text = oneLine(raw);
  const escaped = escapeMarkdown(text);
  if (escaped.length <= max) return escaped;
  const dot = leadingListDot(text);
  graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  let out = '';
  for (const { segment, index } of graphemes.segment(text)) {
    const piece = index === dot ? '\\.' : escapeChars(segment);
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
};

/** Plain text (footer): one line, clipped; Discord shows it as is. */
const plain = (raw: string, max: number): string => clipGraphemes(oneLine(raw), max);

/** Discord's emoji and embed colour for each status. */
const STATUS_STYLES: StatusStyles<{ emoji: string; color: number }> = {
  SUCCESS: { emoji: '✅', color: COLORS.SUCCESS },
  PARTIAL_SUCCESS: { emoji: '⚠️', color: COLORS.PARTIAL_SUCCESS },
  FAILED: { emoji: '❌', color: COLORS.FAILED },
  other: { emoji: '❔', color: COLORS.other },
};

const ASSET_EMOJI: Record<AssetMark, string> = { ok: '✅', failed: '❌', unknown: '❔' };

/** `✅ **Meta Ad Account** · Harbor Fitness Ads · Connected`, with the note when it failed. */
const assetLine = (asset: EnvelopeAsset): string => {
  let line =
    `${ASSET_EMOJI[assetMark(asset)]} **${md(asset.type, VALUE_LIMITS.assetType)}**` +
    ` · ${md(assetName(asset), VALUE_LIMITS.name)} · ${md(assetStatus(asset), VALUE_LIMITS.assetStatus)}`;
  const note = assetNote(asset);
  if (note !== '') line += ` — ${md(note, VALUE_LIMITS.assetNote)}`;
  return line;
};

/** The characters of an embed that count towards `DISCORD_LIMITS.total`. */
export const embedLength = (embed: DiscordEmbed): number =>
  embed.title.length +
  embed.description.length +
  embed.fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0) +
  embed.footer.text.length;

/** Longest "…and N more assets (M failed)" line: room kept for it while packing asset lines. */
const MORE_LINE_RESERVE = 64;

/**
 * Builds the Discord message of one connection event: one embed, always within `DISCORD_LIMITS`.
 * Values from the payload are escaped and clipped (`VALUE_LIMITS`); past `MAX_LISTED_ASSETS` assets,
 * or past what the description can hold, failed assets are listed first and a last line counts what
 * was left out. The title links only to Leadsie's hosts or `options.linkHosts`.
 */
export const buildDiscordMessage = (
  event: ConnectionEvent,
  options: DiscordMessageOptions = {},
): DiscordMessage => {
  const look = statusLook(event.status, STATUS_STYLES, (raw) => md(raw, VALUE_LIMITS.status));
  const testPrefix = event.isTest ? '[TEST] ' : '';
  const counts = assetCounts(event);
  const { total } = counts;
  const requestName = requestNameOf(event);

  // Title: the name gets what the fixed parts leave of the limit.
  const titleStart = `${testPrefix}${look.emoji} `;
  const titleEnd = ` — ${look.label}`;
  const whoBudget = Math.min(VALUE_LIMITS.name, DISCORD_LIMITS.title - titleStart.length - titleEnd.length);
  const title = `${titleStart}${md(whoOf(event), whoBudget)}${titleEnd}`;

  const fields: DiscordEmbedField[] = [];
  if (event.client?.name && oneLine(event.client.name) !== '') {
    fields.push({ name: 'Client', value: md(event.client.name, VALUE_LIMITS.name), inline: true });
  }
  fields.push({
    name: 'User',
    value: event.user && oneLine(event.user) !== '' ? md(event.user, VALUE_LIMITS.user) : '(no user)',
    inline: true,
  });
  fields.push({ name: 'Request', value: md(requestName, VALUE_LIMITS.requestName), inline: true });
  fields.push({
    name: 'Access level',
    value:
      event.accessLevel && oneLine(event.accessLevel) !== ''
        ? md(event.accessLevel, VALUE_LIMITS.accessLevel)
        : '(not sent)',
    inline: true,
  });
  fields.push({
    name: 'Assets',
    value: countsText(counts),
    inline: true,
  });

  const footer = {
    text: `Leadsie API v${event.apiVersion} · event ${plain(event.eventId, VALUE_LIMITS.eventId)}`,
  };

  const statusLine = look.known
    ? `**${look.label}** (${md(event.status ?? '', VALUE_LIMITS.status)})`
    : `**${look.label}**`;
  const head = [statusLine];
  if (event.isTest) head.push(`🧪 ${TEST_PAYLOAD_NOTE}`);
  head.push('');

  const embed: DiscordEmbed = {
    title,
    description: '',
    color: look.color,
    fields,
    footer,
    timestamp: event.receivedAt,
  };
  const url = allowedLink(event.client?.summaryUrl, linkHosts(options.linkHosts));
  if (url) embed.url = url;

  // The description gets what the rest of the embed leaves of the total.
  const budget = Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.total - embedLength(embed));
  let description = head.join('\n');
  if (total === 0) {
    description += '\n*No assets in this delivery.*';
  } else {
    const listed = listedAssets(event.assets, MAX_LISTED_ASSETS);
    let shown = 0;
    for (const asset of listed) {
      const next = `${description}\n${assetLine(asset)}`;
      // The last listed asset needs no room for a "more" line unless assets were capped.
      const reserve = shown + 1 === listed.length && listed.length === total ? 0 : MORE_LINE_RESERVE;
      if (next.length + reserve > budget) break;
      description = next;
      shown += 1;
    }
    if (total - shown > 0) description += `\n*${moreText(counts, listed, shown)}*`;
  }
  embed.description = description;

  return { embeds: [embed], allowed_mentions: { parse: [] } };
};

/** One line for a console or a log (local mode's dry run): the title as Discord shows it, escapes undone. */
export const summaryOf = (message: DiscordMessage): string =>
  (message.embeds[0]?.title ?? '').replace(/\\([^0-9A-Za-z\s])/g, '$1');
