/**
 * The Microsoft Teams message of one connection event: an Adaptive Card inside the message a Teams
 * Workflows webhook ("When a Teams webhook request is received") or a legacy Incoming Webhook takes.
 * Same content as the Slack message:
 *
 * ```
 * RichTextBlock  [TEST] ⚠️ Harbor Fitness LLC — Partially connected        (large, bold)
 * RichTextBlock  Partially connected (PARTIAL_SUCCESS)                       (status colour)
 * RichTextBlock  🧪 Leadsie test payload — …                                  (test payloads only)
 * RichTextBlock  Client: … / User: … / Request: … / Access level: … / Assets: 2 of 4 connected, 2 failed
 * RichTextBlock  one per asset: ✅ Meta Ad Account · Harbor Fitness Ads · Connected — note if failed
 * RichTextBlock  …and N more assets (M failed)                                (past the cap or the size budget)
 * RichTextBlock  Leadsie API v2 · received … · event …                        (subtle)
 * actions        [Open client summary] → client.summaryUrl                   (Leadsie's or configured hosts only)
 * ```
 *
 * Escaping: every text that holds a value from the payload is a `TextRun` of a `RichTextBlock`, which
 * the Adaptive Card schema renders as it is (no Markdown, no `{{DATE()}}` functions: those are
 * `TextBlock` features). So `**x**`, `[x](y)` or `<img src=x>` in a client name show as typed and no
 * escape character is ever visible. `TextBlock` and `FactSet` values parse Markdown, so they are not used.
 *
 * Size: Teams refuses a message over its size limit, so the card is kept under `TEAMS_LIMITS.bodyBytes`
 * (UTF-8 bytes of the JSON body) by listing fewer assets; every value is clipped to a fixed length
 * first, between grapheme clusters (`clipGraphemes`).
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

/** The link rule lives in `domain/links.ts`, shared with Slack and email. */
export { allowedLink, LEADSIE_HOSTS } from '../../domain/links.ts';
/** What every chat message shares (`domain/connection-summary.ts`). */
export { MAX_LISTED_ASSETS, oneLine, VALUE_LIMITS };

/** A run of text, shown as is (the schema gives `TextRun` no Markdown). */
export interface TextRun {
  type: 'TextRun';
  text: string;
  weight?: 'Bolder';
  size?: 'Large';
  color?: 'Good' | 'Warning' | 'Attention';
  isSubtle?: boolean;
}

export interface RichTextBlock {
  type: 'RichTextBlock';
  inlines: TextRun[];
  separator?: boolean;
  spacing?: 'Medium';
}

export interface OpenUrlAction {
  type: 'Action.OpenUrl';
  title: string;
  url: string;
}

export interface AdaptiveCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: typeof ADAPTIVE_CARD_VERSION;
  /** Shown where the card cannot be rendered (and in notifications). */
  fallbackText: string;
  body: RichTextBlock[];
  actions?: OpenUrlAction[];
  /** Teams-only: use the channel's full width. */
  msteams: { width: 'Full' };
}

/** The body POSTed to the webhook URL. */
export interface TeamsMessage {
  type: 'message';
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive';
      contentUrl: null;
      content: AdaptiveCard;
    },
  ];
}

/** Every element used (RichTextBlock, TextRun, Action.OpenUrl) exists since 1.2; Teams renders 1.4 everywhere. */
export const ADAPTIVE_CARD_VERSION = '1.4';

export const TEAMS_LIMITS = {
  /** Under the size Teams accepts for a webhook message, with a margin for what Workflows wraps around it. */
  bodyBytes: 24_000,
  fallbackText: 1000,
} as const;

export interface TeamsMessageOptions {
  /**
   * Hosts a link may point to, besides Leadsie's (`LEADSIE_HOSTS`); a host matches itself and its
   * subdomains. A link anywhere else is left out.
   */
  linkHosts?: readonly string[];
}

const clip = (text: string, max: number): string => clipGraphemes(oneLine(text), max);

/** Teams' emoji and colour for each status (an unknown one keeps the default colour). */
const STATUS_STYLES: StatusStyles<{ emoji: string; color: TextRun['color'] }> = {
  SUCCESS: { emoji: '✅', color: 'Good' },
  PARTIAL_SUCCESS: { emoji: '⚠️', color: 'Warning' },
  FAILED: { emoji: '❌', color: 'Attention' },
  other: { emoji: '❔', color: undefined },
};

const ASSET_EMOJI: Record<AssetMark, string> = { ok: '✅', failed: '❌', unknown: '❔' };

const run = (text: string, style: Omit<TextRun, 'type' | 'text'> = {}): TextRun => ({
  type: 'TextRun',
  text,
  ...style,
});

const paragraph = (
  inlines: TextRun[],
  extra: Omit<RichTextBlock, 'type' | 'inlines'> = {},
): RichTextBlock => ({
  type: 'RichTextBlock',
  inlines,
  ...extra,
});

/** `✅ Meta Ad Account · Harbor Fitness Ads · Connected — note`: the type in bold, the note only when it failed. */
const assetLine = (asset: EnvelopeAsset): RichTextBlock => {
  let rest = ` · ${clip(assetName(asset), VALUE_LIMITS.name)} · ${clip(assetStatus(asset), VALUE_LIMITS.assetStatus)}`;
  const note = assetNote(asset);
  if (note !== '') rest += ` — ${clip(note, VALUE_LIMITS.assetNote)}`;
  return paragraph([
    run(`${ASSET_EMOJI[assetMark(asset)]} `),
    run(clip(asset.type, VALUE_LIMITS.assetType), { weight: 'Bolder' }),
    run(rest),
  ]);
};

/** `Client: Harbor Fitness LLC`, a paragraph of its own (a line break inside a run is not rendered alike everywhere). */
const fact = (label: string, value: string): RichTextBlock =>
  paragraph([run(`${label}: `, { weight: 'Bolder' }), run(value)]);

const encoder = new TextEncoder();
/** Size of the body as sent: UTF-8 bytes of its JSON. */
export const bodyBytes = (message: TeamsMessage): number => encoder.encode(JSON.stringify(message)).length;

/**
 * Builds the Teams message of one connection event, always under `TEAMS_LIMITS.bodyBytes`. Values from
 * the payload are clipped (`VALUE_LIMITS`) and only ever in `TextRun`s; past `MAX_LISTED_ASSETS`
 * assets, or when the card would be too large, failed assets are listed first and a last line counts
 * what was left out. The button links only to Leadsie's hosts or `options.linkHosts`.
 */
export const buildTeamsMessage = (
  event: ConnectionEvent,
  options: TeamsMessageOptions = {},
): TeamsMessage => {
  const look = statusLook(event.status, STATUS_STYLES, (raw) => clip(raw, VALUE_LIMITS.status));
  const who = whoOf(event);
  const testPrefix = event.isTest ? '[TEST] ' : '';
  const counts = assetCounts(event);
  const { total, connected } = counts;
  const rawStatus = event.status ? clip(event.status, VALUE_LIMITS.status) : '';
  const requestName = requestNameOf(event);

  const head: RichTextBlock[] = [
    paragraph([
      run(`${testPrefix}${look.emoji} ${clip(who, VALUE_LIMITS.name)} — ${look.label}`, {
        weight: 'Bolder',
        size: 'Large',
      }),
    ]),
    paragraph(
      look.known
        ? [run(look.label, { weight: 'Bolder', color: look.color }), run(` (${rawStatus})`)]
        : [run(look.label, { weight: 'Bolder' })],
    ),
  ];
  if (event.isTest) {
    head.push(paragraph([run(`🧪 ${TEST_PAYLOAD_NOTE}`, { isSubtle: true })]));
  }
  const present = (value: string | null | undefined): value is string =>
    typeof value === 'string' && oneLine(value) !== '';
  const facts: RichTextBlock[] = [];
  if (present(event.client?.name)) facts.push(fact('Client', clip(event.client.name, VALUE_LIMITS.name)));
  facts.push(fact('User', present(event.user) ? clip(event.user, VALUE_LIMITS.user) : '(no user)'));
  facts.push(fact('Request', clip(requestName, VALUE_LIMITS.requestName)));
  facts.push(
    fact(
      'Access level',
      present(event.accessLevel) ? clip(event.accessLevel, VALUE_LIMITS.accessLevel) : '(not sent)',
    ),
  );
  facts.push(fact('Assets', countsText(counts)));
  const [firstFact] = facts;
  if (firstFact) firstFact.spacing = 'Medium';
  head.push(...facts);

  const footer = paragraph(
    [
      run(
        `Leadsie API v${event.apiVersion} · received ${event.receivedAt} · event ${clip(event.eventId, VALUE_LIMITS.eventId)}`,
        { isSubtle: true },
      ),
    ],
    { separator: true },
  );

  const url = allowedLink(event.client?.summaryUrl, linkHosts(options.linkHosts));
  const statusWords = rawStatus === '' ? '(no status)' : rawStatus;
  const fallbackText = clipGraphemes(
    `${testPrefix}Leadsie connection ${statusWords}: ${clip(who, VALUE_LIMITS.name)}` +
      ` — ${clip(requestName, VALUE_LIMITS.requestName)} (${connected} of ${plural(total, 'asset')} connected)`,
    TEAMS_LIMITS.fallbackText,
  );

  const listed = listedAssets(event.assets, MAX_LISTED_ASSETS);
  const lines = listed.map(assetLine);
  const messageWith = (shown: number): TeamsMessage => {
    const body = [...head];
    if (total === 0) {
      body.push(paragraph([run('No assets in this delivery.', { isSubtle: true })], { separator: true }));
    } else {
      body.push(...lines.slice(0, shown));
      const first = body[head.length];
      if (first) body[head.length] = { ...first, separator: true };
      if (total - shown > 0) body.push(paragraph([run(moreText(counts, listed, shown), { isSubtle: true })]));
    }
    body.push(footer);
    const card: AdaptiveCard = {
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: ADAPTIVE_CARD_VERSION,
      fallbackText,
      body,
      msteams: { width: 'Full' },
    };
    if (url) card.actions = [{ type: 'Action.OpenUrl', title: 'Open client summary', url }];
    return {
      type: 'message',
      attachments: [
        { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card },
      ],
    };
  };

  // Fewer asset lines until the card fits; with the caps above the head and footer alone always fit.
  let shown = lines.length;
  let message = messageWith(shown);
  while (shown > 0 && bodyBytes(message) > TEAMS_LIMITS.bodyBytes) {
    shown -= 1;
    message = messageWith(shown);
  }
  return message;
};

/** One line for a console or a log (local mode's dry run): the card's fallback text. */
export const summaryOf = (message: TeamsMessage): string => message.attachments[0].content.fallbackText;
