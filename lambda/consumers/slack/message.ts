/**
 * The Slack message of one connection event: a Block Kit message for an Incoming Webhook.
 *
 * ```
 * header   [TEST] ⚠️ Harbor Fitness LLC — Partially connected          (plain_text, ≤ 150)
 * section  ⚠️ *Partially connected* (PARTIAL_SUCCESS)                   (mrkdwn, ≤ 3000)
 *          fields: Client · User · Request · Access level · Assets       (≤ 2000 each)
 * context  🧪 Leadsie test payload — …                                   (test payloads only)
 * divider
 * section  one line per asset: emoji, type, name, status, note if failed (packed, ≤ 3000 each)
 * context  …and N more assets (M failed)                                 (past MAX_LISTED_ASSETS)
 * actions  [Open client summary] → client.summaryUrl                     (https, Leadsie's or configured hosts, ≤ 3000)
 * context  Leadsie API v2 · received … · event …
 * ```
 *
 * Slack rejects a whole message when one block breaks a limit, so every limit is enforced here, by
 * construction: user-provided values are put on one line, clipped to a fixed length, then escaped;
 * the caps are chosen so that even a value made only of `&` (five characters once escaped) keeps its
 * block within Slack's limit. Lengths are counted in UTF-16 code units (JavaScript's `length`, never
 * less than Slack's own count), and values are cut only between grapheme clusters, so an emoji, a
 * flag, a ZWJ family or a letter with its combining marks is never split.
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
  plural,
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

/**
 * What every chat message shares (`domain/connection-summary.ts`). With the value caps an asset line
 * is at most 5 × (80 + 200 + 80 + 200) + 40 = 2840 characters once escaped, so any one line fits in a
 * section, and `MAX_LISTED_ASSETS` lines need at most as many sections.
 */
export { MAX_LISTED_ASSETS, oneLine, VALUE_LIMITS };

/** Plain text: shown as is (no mrkdwn, no links, no mentions). `emoji` renders `:shortcodes:`. */
export interface PlainTextObject {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

/**
 * mrkdwn text. `verbatim: true` turns off Slack's own preprocessing (auto-linking of URLs and of
 * channel names, parsing of `@channel`-style mentions): only the `<…>` markup we write is markup.
 */
export interface MrkdwnTextObject {
  type: 'mrkdwn';
  text: string;
  verbatim?: boolean;
}

export interface HeaderBlock {
  type: 'header';
  text: PlainTextObject;
}

export interface SectionBlock {
  type: 'section';
  text: MrkdwnTextObject;
  fields?: MrkdwnTextObject[];
}

export interface ContextBlock {
  type: 'context';
  elements: MrkdwnTextObject[];
}

export interface ButtonElement {
  type: 'button';
  text: PlainTextObject;
  url: string;
  action_id: string;
}

export interface ActionsBlock {
  type: 'actions';
  elements: ButtonElement[];
}

export interface DividerBlock {
  type: 'divider';
}

export type SlackBlock = HeaderBlock | SectionBlock | ContextBlock | ActionsBlock | DividerBlock;

/** The body posted to the Incoming Webhook: `text` is the notification / fallback text. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Slack's Block Kit limits this module enforces (characters, counted as UTF-16 code units). */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  sectionFieldText: 2000,
  sectionFields: 10,
  headerText: 150,
  contextText: 3000,
  buttonText: 75,
  buttonUrl: 3000,
  /** Slack accepts 40,000 for the top-level text; we keep the notification text short. */
  fallbackText: 3000,
} as const;

/**
 * Clips `text` to at most `max` UTF-16 code units, the "…" included, cutting only between grapheme
 * clusters (never inside a surrogate pair, an emoji sequence or a letter with its combining marks).
 */
export const truncate = clipGraphemes;

/** Escapes the three characters Slack's mrkdwn treats as markup, so `<!channel>` or `<url|x>` stay text. */
export const escapeMrkdwn = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** A user-provided value, ready for mrkdwn: one line, clipped, escaped. */
const md = (text: string, max: number): string => escapeMrkdwn(truncate(oneLine(text), max));

const mrkdwn = (text: string): MrkdwnTextObject => ({ type: 'mrkdwn', text, verbatim: true });

/** Slack's emoji for each status (shortcodes: Slack renders them in every client). */
const STATUS_EMOJI: StatusStyles<{ emoji: string }> = {
  SUCCESS: { emoji: ':white_check_mark:' },
  PARTIAL_SUCCESS: { emoji: ':warning:' },
  FAILED: { emoji: ':x:' },
  other: { emoji: ':grey_question:' },
};

const ASSET_EMOJI: Record<AssetMark, string> = {
  ok: ':white_check_mark:',
  failed: ':x:',
  unknown: ':grey_question:',
};

/** One line per asset: `✅ *Meta Ad Account* · Harbor Fitness Ads · Connected`, with the note when it failed. */
const assetLine = (asset: EnvelopeAsset): string => {
  let line =
    `${ASSET_EMOJI[assetMark(asset)]} *${md(asset.type, VALUE_LIMITS.assetType)}*` +
    ` · ${md(assetName(asset), VALUE_LIMITS.name)} · ${md(assetStatus(asset), VALUE_LIMITS.assetStatus)}`;
  const note = assetNote(asset);
  if (note !== '') line += ` — ${md(note, VALUE_LIMITS.assetNote)}`;
  return line;
};

/** Packs lines into as few texts as possible, each at most `max` characters (a line never exceeds it). */
const pack = (lines: string[], max: number): string[] => {
  const texts: string[] = [];
  let current = '';
  for (const line of lines) {
    if (current === '') current = line;
    else if (current.length + 1 + line.length <= max) current += `\n${line}`;
    else {
      texts.push(current);
      current = line;
    }
  }
  if (current !== '') texts.push(current);
  return texts;
};

/**
 * The button's URL: only an https link to Leadsie's hosts or `hosts` (`allowedLink`), within Slack's
 * length limit (else no button).
 */
const buttonUrl = (url: string | null | undefined, hosts: readonly string[]): string | null => {
  const link = allowedLink(url, hosts);
  return link !== null && link.length <= SLACK_LIMITS.buttonUrl ? link : null;
};

export interface SlackMessageOptions {
  /**
   * Hosts a link may point to, besides Leadsie's (`LEADSIE_HOSTS`); a host matches itself and its
   * subdomains. A link anywhere else is left out.
   */
  linkHosts?: readonly string[];
}

/**
 * Builds the Slack message of one connection event. Always within Slack's limits (`SLACK_LIMITS`):
 * at most 50 blocks, sections ≤ 3000 characters, header ≤ 150, fallback text ≤ 3000. User-provided
 * values are escaped for mrkdwn and clipped (`VALUE_LIMITS`); past `MAX_LISTED_ASSETS` assets, failed
 * assets are listed first and a last line counts what was left out.
 */
export const buildSlackMessage = (
  event: ConnectionEvent,
  options: SlackMessageOptions = {},
): SlackMessage => {
  const look = statusLook(event.status, STATUS_EMOJI, (raw) => truncate(raw, VALUE_LIMITS.status));
  const who = whoOf(event);
  const testPrefix = event.isTest ? '[TEST] ' : '';
  const counts = assetCounts(event);
  const { total, connected } = counts;
  const rawStatus = event.status ? truncate(oneLine(event.status), VALUE_LIMITS.status) : '';
  const requestName = requestNameOf(event);

  // Header: plain text, so no escaping; the name gets what the fixed parts leave of the 150.
  const headerStart = `${testPrefix}${look.emoji} `;
  const headerEnd = ` — ${look.label}`;
  const headerText = `${headerStart}${truncate(who, SLACK_LIMITS.headerText - headerStart.length - headerEnd.length)}${headerEnd}`;

  const statusText = look.known
    ? `${look.emoji} *${look.label}* (${escapeMrkdwn(rawStatus)})`
    : `${look.emoji} *${escapeMrkdwn(look.label)}*`;

  const fields: MrkdwnTextObject[] = [];
  if (event.client?.name && oneLine(event.client.name) !== '') {
    fields.push(mrkdwn(`*Client*\n${md(event.client.name, VALUE_LIMITS.name)}`));
  }
  fields.push(mrkdwn(`*User*\n${event.user ? md(event.user, VALUE_LIMITS.user) : '(no user)'}`));
  fields.push(mrkdwn(`*Request*\n${md(requestName, VALUE_LIMITS.requestName)}`));
  fields.push(
    mrkdwn(
      `*Access level*\n${event.accessLevel ? md(event.accessLevel, VALUE_LIMITS.accessLevel) : '(not sent)'}`,
    ),
  );
  fields.push(mrkdwn(`*Assets*\n${countsText(counts)}`));

  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: headerText, emoji: true } },
    { type: 'section', text: mrkdwn(statusText), fields },
  ];
  if (event.isTest) {
    blocks.push({
      type: 'context',
      elements: [mrkdwn(`:test_tube: ${TEST_PAYLOAD_NOTE}`)],
    });
  }
  blocks.push({ type: 'divider' });

  // What follows the asset sections: at most a "more" line, the button and the footer.
  const url = buttonUrl(event.client?.summaryUrl, linkHosts(options.linkHosts));
  const blocksAfterAssets = 1 + (url ? 1 : 0) + 1;
  const sectionBudget = SLACK_LIMITS.blocksPerMessage - blocks.length - blocksAfterAssets;

  if (total === 0) {
    blocks.push({ type: 'section', text: mrkdwn('_No assets in this delivery._') });
  } else {
    const listed = listedAssets(event.assets, MAX_LISTED_ASSETS);
    let sections = pack(listed.map(assetLine), SLACK_LIMITS.sectionText);
    let shown = listed.length;
    // Unreachable with the caps above (40 lines never need more than 40 sections), kept as a guard.
    while (sections.length > sectionBudget) {
      shown -= 1;
      sections = pack(listed.slice(0, shown).map(assetLine), SLACK_LIMITS.sectionText);
    }
    for (const text of sections) blocks.push({ type: 'section', text: mrkdwn(text) });
    if (total - shown > 0) {
      blocks.push({ type: 'context', elements: [mrkdwn(moreText(counts, listed, shown))] });
    }
  }

  if (url) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open client summary', emoji: false },
          url,
          action_id: 'open_client_summary',
        },
      ],
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        `Leadsie API v${event.apiVersion} · received ${escapeMrkdwn(event.receivedAt)} · event ${escapeMrkdwn(truncate(event.eventId, VALUE_LIMITS.eventId))}`,
      ),
    ],
  });

  const statusWords = rawStatus === '' ? '(no status)' : rawStatus;
  const text =
    `${testPrefix}Leadsie connection ${escapeMrkdwn(statusWords)}: ${md(who, VALUE_LIMITS.name)}` +
    ` — ${md(requestName, VALUE_LIMITS.requestName)} (${connected} of ${plural(total, 'asset')} connected)`;

  return { text: truncate(text, SLACK_LIMITS.fallbackText), blocks };
};
