/**
 * What every chat message about a connection event says, whatever its format (Slack's Block Kit,
 * Teams' Adaptive Card, Discord's embed): the words for a status, who the delivery is about, each
 * asset's mark, name, status and note, which assets are listed past the cap, and the counts. Each
 * consumer renders these in its own format: its emoji and colours, its escaping, its limits.
 *
 * Values come back raw but on one line (`oneLine`); clipping and escaping are the renderer's.
 *
 * Pure: no I/O.
 */
import type { ConnectionEvent, EnvelopeAsset } from './envelope.ts';

// Control characters and the explicit bidi embedding/override/isolate controls ("Trojan Source"
// reordering); ordinary right-to-left text needs none of them and is kept as it is.
const CONTROL_OR_BIDI = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;

/** A value from the payload on one line: whitespace runs become one space, control characters go. */
export const oneLine = (text: string): string =>
  text.replace(/\s+/gu, ' ').replace(CONTROL_OR_BIDI, '').trim();

/** At most this many assets get a line; the rest are summarised as "…and N more assets (M failed)". */
export const MAX_LISTED_ASSETS = 40;

/** Longest a single value from the payload may be before it is clipped with "…". */
export const VALUE_LIMITS = {
  name: 200,
  requestName: 200,
  user: 200,
  assetType: 80,
  assetStatus: 80,
  assetNote: 200,
  status: 80,
  accessLevel: 80,
  eventId: 100,
} as const;

/** The words for the three statuses Leadsie sends. */
export const STATUS_LABELS = {
  SUCCESS: 'Connected',
  PARTIAL_SUCCESS: 'Partially connected',
  FAILED: 'Connection failed',
} as const;

export type KnownStatus = keyof typeof STATUS_LABELS;

/** A renderer's own look for each known status and for any other (its emoji, its colour). */
export type StatusStyles<S> = Record<KnownStatus | 'other', S>;

/**
 * A status's look: the renderer's style for it, its words, and whether Leadsie defines it. An
 * unknown status shows its raw value, through `value` (the renderer clips and escapes it).
 */
export const statusLook = <S extends object>(
  status: string | null,
  styles: StatusStyles<S>,
  value: (raw: string) => string,
): S & { label: string; known: boolean } => {
  const raw = status === null ? '' : oneLine(status);
  const key = raw.toUpperCase();
  if (Object.hasOwn(STATUS_LABELS, key)) {
    return { ...styles[key as KnownStatus], label: STATUS_LABELS[key as KnownStatus], known: true };
  }
  return { ...styles.other, label: raw === '' ? 'No status' : `Status ${value(raw)}`, known: false };
};

/** Who the delivery is about: the client's name (v2), else the user, else "(no user)". One line. */
export const whoOf = (event: ConnectionEvent): string => {
  const client = event.client?.name ? oneLine(event.client.name) : '';
  if (client !== '') return client;
  const user = event.user ? oneLine(event.user) : '';
  return user !== '' ? user : '(no user)';
};

/** The request's name, or "(unnamed request)" when Leadsie sent none. */
export const requestNameOf = (event: ConnectionEvent): string =>
  oneLine(event.request.name) === '' ? '(unnamed request)' : event.request.name;

/** Whether an asset connected (`ok`), failed, or its outcome is unknown: the renderer picks its emoji. */
export type AssetMark = 'ok' | 'failed' | 'unknown';

export const assetMark = (asset: EnvelopeAsset): AssetMark =>
  asset.ok === true ? 'ok' : asset.ok === false ? 'failed' : 'unknown';

/** The asset's name, or its id when it has none. */
export const assetName = (asset: EnvelopeAsset): string =>
  asset.name && oneLine(asset.name) !== '' ? asset.name : asset.id;

/** The status words of an asset: v2's connectionStatus as sent; v1's isSuccess as Connected/Failed. */
export const assetStatus = (asset: EnvelopeAsset): string => {
  const sent = asset.connectionStatus ? oneLine(asset.connectionStatus) : '';
  if (sent !== '') return sent;
  if (asset.ok === true) return 'Connected';
  if (asset.ok === false) return 'Failed';
  return 'Unknown';
};

/** Leadsie's note on a failed asset, one line; empty when it did not fail or has none. */
export const assetNote = (asset: EnvelopeAsset): string =>
  asset.ok === false && asset.message ? oneLine(asset.message) : '';

export const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** Which assets get a line: all of them up to the cap; past it, failed ones first (each group in Leadsie's order). */
export const listedAssets = (assets: EnvelopeAsset[], cap: number = MAX_LISTED_ASSETS): EnvelopeAsset[] => {
  if (assets.length <= cap) return assets;
  const failed = assets.filter((a) => a.ok === false);
  const others = assets.filter((a) => a.ok !== false);
  return [...failed, ...others].slice(0, cap);
};

export interface AssetCounts {
  total: number;
  connected: number;
  failed: number;
}

export const assetCounts = (event: ConnectionEvent): AssetCounts => ({
  total: event.assets.length,
  connected: event.assets.filter((a) => a.ok === true).length,
  failed: event.assets.filter((a) => a.ok === false).length,
});

/** `2 of 4 connected, 2 failed`. */
export const countsText = ({ total, connected, failed }: AssetCounts): string =>
  `${connected} of ${total} connected${failed > 0 ? `, ${failed} failed` : ''}`;

/**
 * `…and 3 more assets (1 failed)`: what the listed lines left out, when `shown` of the `listed`
 * assets got a line.
 */
export const moreText = (counts: AssetCounts, listed: EnvelopeAsset[], shown: number): string => {
  const shownFailed = listed.slice(0, shown).filter((a) => a.ok === false).length;
  return `…and ${plural(counts.total - shown, 'more asset')} (${counts.failed - shownFailed} failed)`;
};

/** The line every chat message marks a Leadsie test payload with. */
export const TEST_PAYLOAD_NOTE = 'Leadsie test payload — not a real client connection';
