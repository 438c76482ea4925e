/**
 * What every chat message says about a connection event (`domain/connection-summary.ts`): the words
 * for a status, who it is about, each asset's mark, name, status and note, which assets get a line
 * past the cap, and the counts. Each renderer's tests check its own format on top of these.
 */
import { describe, expect, it } from 'vitest';
import {
  assetCounts,
  assetMark,
  assetName,
  assetNote,
  assetStatus,
  countsText,
  listedAssets,
  moreText,
  oneLine,
  requestNameOf,
  type StatusStyles,
  statusLook,
  whoOf,
} from '../../lambda/domain/connection-summary.ts';
import type { ConnectionEvent, EnvelopeAsset } from '../../lambda/domain/envelope.ts';
import { sampleEnvelope } from '../support/envelopes.ts';

const event = sampleEnvelope('v2-partial-multi-platform.json', {
  eventId: '01JZ00000000000000SUMMARY1',
  receivedAt: '2026-06-14T10:02:20.000Z',
  version: 1,
});

const asset = (fields: Partial<EnvelopeAsset>): EnvelopeAsset => ({
  ...(event.assets[0] as EnvelopeAsset),
  name: 'Harbor Fitness Ads',
  id: 'act_1',
  connectionStatus: null,
  message: null,
  ok: true,
  ...fields,
});

const STYLES: StatusStyles<{ emoji: string }> = {
  SUCCESS: { emoji: 's' },
  PARTIAL_SUCCESS: { emoji: 'p' },
  FAILED: { emoji: 'f' },
  other: { emoji: 'o' },
};

describe('statusLook', () => {
  it.each([
    ['SUCCESS', 's', 'Connected'],
    ['partial_success', 'p', 'Partially connected'],
    [' FAILED\n', 'f', 'Connection failed'],
  ])('%j: the style and words of a status Leadsie sends', (status, emoji, label) => {
    expect(statusLook(status, STYLES, () => 'unused')).toEqual({ emoji, label, known: true });
  });

  it('an unknown status shows its raw value through the renderer; none says so', () => {
    expect(statusLook('PENDING\u202E', STYLES, (raw) => `<${raw}>`)).toEqual({
      emoji: 'o',
      label: 'Status <PENDING>',
      known: false,
    });
    expect(statusLook(null, STYLES, (raw) => raw)).toEqual({ emoji: 'o', label: 'No status', known: false });
    expect(statusLook('constructor', STYLES, (raw) => raw).known).toBe(false);
  });
});

describe('who, the request and one line', () => {
  const withNames = (client: string | null, user: string | null): ConnectionEvent => ({
    ...event,
    client: client === null ? null : { name: client, summaryUrl: null },
    user,
  });

  it('is the client, else the user, else "(no user)"', () => {
    expect(whoOf(withNames('Harbor\n Fitness', 'u-1'))).toBe('Harbor Fitness');
    expect(whoOf(withNames(' ', 'u-1'))).toBe('u-1');
    expect(whoOf(withNames(null, null))).toBe('(no user)');
  });

  it('names an unnamed request', () => {
    expect(requestNameOf({ ...event, request: { ...event.request, name: ' \t' } })).toBe('(unnamed request)');
    expect(requestNameOf(event)).toBe(event.request.name);
  });

  it('puts a value on one line without control or bidi characters', () => {
    expect(oneLine('  a\r\n\tb\u0007\u2066c  ')).toBe('a bc');
  });
});

describe('an asset', () => {
  it('is marked ok, failed or unknown', () => {
    expect([true, false, null].map((ok) => assetMark(asset({ ok })))).toEqual(['ok', 'failed', 'unknown']);
  });

  it('is named by its id when it has no name', () => {
    expect(assetName(asset({ name: ' ' }))).toBe('act_1');
    expect(assetName(asset({}))).toBe('Harbor Fitness Ads');
  });

  it("says v2's connection status as sent, else v1's outcome", () => {
    expect(assetStatus(asset({ connectionStatus: 'Pending\nreview' }))).toBe('Pending review');
    expect([true, false, null].map((ok) => assetStatus(asset({ ok })))).toEqual([
      'Connected',
      'Failed',
      'Unknown',
    ]);
  });

  it("carries Leadsie's note only when it failed", () => {
    expect(assetNote(asset({ ok: false, message: 'No\naccess' }))).toBe('No access');
    expect(assetNote(asset({ ok: true, message: 'ignored' }))).toBe('');
  });
});

describe('the listing and the counts', () => {
  const assets = [asset({ id: 'a' }), asset({ id: 'b', ok: false }), asset({ id: 'c', ok: null })];
  const many: ConnectionEvent = { ...event, assets };

  it('lists every asset up to the cap; past it, failed ones first', () => {
    expect(listedAssets(assets, 3).map((a) => a.id)).toEqual(['a', 'b', 'c']);
    expect(listedAssets(assets, 2).map((a) => a.id)).toEqual(['b', 'a']);
  });

  it('counts connected and failed, and says what the lines left out', () => {
    const counts = assetCounts(many);
    expect(counts).toEqual({ total: 3, connected: 1, failed: 1 });
    expect(countsText(counts)).toBe('1 of 3 connected, 1 failed');
    expect(countsText({ total: 2, connected: 2, failed: 0 })).toBe('2 of 2 connected');
    const listed = listedAssets(assets, 2);
    expect(moreText(counts, listed, 1)).toBe('…and 2 more assets (0 failed)');
    expect(moreText(counts, listed, 0)).toBe('…and 3 more assets (1 failed)');
    expect(moreText(counts, listed, 2)).toBe('…and 1 more asset (0 failed)');
  });
});
