/**
 * The Google Sheets row: its columns for v1 and v2 events, the header it creates on an empty sheet
 * and extends (never reorders) on a sheet that has one, cells aligned to any header order, values
 * kept verbatim (a formula-looking client name stays the same text: RAW does the rest), A1 ranges.
 */
import { describe, expect, it } from 'vitest';
import {
  clipCell,
  columnLetters,
  EVENT_ID_COLUMN,
  MAX_CELL_CHARS,
  planHeader,
  quoteSheetName,
  rowCells,
  SHEET_FIXED_COLUMNS,
  sheetColumns,
  sheetRanges,
  sheetRecord,
} from '../../../lambda/consumers/sheets/message.ts';
import { buildEnvelope, type ConnectionEvent } from '../../../lambda/domain/envelope.ts';
import { type LeadsiePayload, parsePayload } from '../../../lambda/domain/payload.ts';
import { type JsonObject, parsedFixture, rawFixture } from '../../unit/fixtures.ts';

const RECEIVED_AT = '2026-06-14T10:02:20.000Z';
const EVENT_ID = '01JZ00000000000000000SHEET';

const eventOf = (payload: LeadsiePayload): ConnectionEvent =>
  buildEnvelope({
    payload,
    eventId: EVENT_ID,
    fingerprint: `sha256:${'b'.repeat(64)}`,
    receivedAt: RECEIVED_AT,
    version: 2,
  });

const parse = (raw: JsonObject): LeadsiePayload => {
  const result = parsePayload(raw);
  if (!result.ok) throw new Error(`payload rejected: ${JSON.stringify(result.problems)}`);
  return result.payload;
};

const v1Failed = () => eventOf(parsedFixture('v1-failed.json'));
const v2Partial = () => eventOf(parsedFixture('v2-partial-multi-platform.json'));

describe('sheetColumns', () => {
  it('lists the fixed columns, then the flat record of a v1 event in the export order', () => {
    expect(sheetColumns(v1Failed())).toEqual([
      'receivedAt',
      'status',
      'clientName',
      'eventId',
      'user_id',
      'requestUrl',
      'requestName',
      'page_id',
      'page_name',
      'page_is_success',
      'page_message',
    ]);
  });

  it('lists the v2 record-level keys, then each asset type as a group in code-unit order', () => {
    expect(sheetColumns(v2Partial())).toEqual([
      ...SHEET_FIXED_COLUMNS,
      'user_id',
      'requestUrl',
      'requestName',
      'client_name',
      'client_summary_url',
      ...['facebook_page', 'google_ads_account', 'meta_ad_account', 'shopify_store'].flatMap((prefix) =>
        ['_id', '_name', '_is_success', '_message', '_connection_status', '_platform'].map((s) => prefix + s),
      ),
    ]);
  });

  it('has every fixed column once, the event id among them', () => {
    const columns = sheetColumns(v2Partial());
    expect(new Set(columns).size).toBe(columns.length);
    expect(columns).toContain(EVENT_ID_COLUMN);
  });
});

describe('sheetRecord', () => {
  it('holds the received time, status, client name, event id and the flat record', () => {
    expect(sheetRecord(v2Partial())).toMatchObject({
      receivedAt: RECEIVED_AT,
      status: 'PARTIAL_SUCCESS',
      clientName: 'Harbor Fitness LLC',
      eventId: EVENT_ID,
      user_id: 'hubspot-company-99123',
      meta_ad_account_id: 'act_7788990011',
      google_ads_account_is_success: 'False',
      google_ads_account_message: "The client's Google user is not an administrator of this account.",
    });
  });

  it('leaves the client name empty for v1 and turns null values into empty cells', () => {
    const record = sheetRecord(eventOf(parse({ ...rawFixture('v1-failed.json'), user: null })));
    expect(record.clientName).toBe('');
    expect(record.user_id).toBe('');
    expect(Object.values(record).every((value) => typeof value === 'string')).toBe(true);
  });

  it('keeps a formula-looking value exactly as sent (RAW stores it as text; no quote is added)', () => {
    const raw = rawFixture('v2-partial-multi-platform.json');
    const event = eventOf(parse({ ...raw, clientName: '=HYPERLINK("http://evil")' }));
    expect(sheetRecord(event).clientName).toBe('=HYPERLINK("http://evil")');
    expect(sheetRecord(event).client_name).toBe('=HYPERLINK("http://evil")');
  });
});

describe('planHeader', () => {
  const columns = ['receivedAt', 'status', 'eventId', 'page_id'];

  it('creates the header on an empty sheet', () => {
    expect(planHeader([], columns)).toEqual({ header: columns, changed: true, added: columns });
  });

  it('changes nothing when the header has every column, whatever its order', () => {
    const current = ['eventId', 'notes', 'page_id', 'status', 'receivedAt'];
    expect(planHeader(current, columns)).toEqual({ header: current, changed: false, added: [] });
  });

  it('extends the header at its end with a new asset type, existing columns keeping their place', () => {
    const current = ['receivedAt', 'status', 'eventId', 'page_id'];
    const plan = planHeader(current, [...columns, 'pixel_id', 'pixel_name']);
    expect(plan).toEqual({
      header: [...current, 'pixel_id', 'pixel_name'],
      changed: true,
      added: ['pixel_id', 'pixel_name'],
    });
  });

  it('keeps the agency’s own columns and blank header cells where they are', () => {
    const current = ['receivedAt', '', 'Owner', 'status'];
    expect(planHeader(current, ['receivedAt', 'status', 'eventId']).header).toEqual([
      'receivedAt',
      '',
      'Owner',
      'status',
      'eventId',
    ]);
  });

  it('adds a column named twice in the row only once', () => {
    expect(planHeader(['a'], ['a', 'b', 'b']).added).toEqual(['b']);
  });
});

describe('rowCells', () => {
  const record = { receivedAt: 'T', status: 'FAILED', eventId: 'E', page_id: '1', pixel_id: '9' };

  it('writes the cells in the header order, empty for columns the row lacks', () => {
    expect(rowCells(['eventId', 'Owner', 'page_id', 'receivedAt', 'status'], record)).toEqual([
      'E',
      '',
      '1',
      'T',
      'FAILED',
    ]);
  });

  it('drops trailing empty cells', () => {
    expect(rowCells(['receivedAt', 'Owner', 'meta_ad_account_id'], record)).toEqual(['T']);
  });

  it('fills a column named twice only in its first place, and never a blank header cell', () => {
    expect(rowCells(['status', '', 'status', 'eventId'], { ...record, '': 'x' })).toEqual([
      'FAILED',
      '',
      '',
      'E',
    ]);
  });

  it('lands the new asset type under its own header cell after the header is extended', () => {
    const plan = planHeader(['receivedAt', 'status', 'eventId', 'page_id'], Object.keys(record));
    expect(rowCells(plan.header, record)).toEqual(['T', 'FAILED', 'E', '1', '9']);
  });

  it('clips a cell longer than Sheets accepts', () => {
    const long = 'x'.repeat(MAX_CELL_CHARS + 10);
    expect(clipCell(long)).toHaveLength(MAX_CELL_CHARS);
    expect(clipCell(long).endsWith('…')).toBe(true);
    expect(clipCell('short')).toBe('short');
    expect(rowCells(['a'], { a: long })[0]).toHaveLength(MAX_CELL_CHARS);
  });
});

describe('A1 notation', () => {
  it.each([
    [0, 'A'],
    [25, 'Z'],
    [26, 'AA'],
    [51, 'AZ'],
    [52, 'BA'],
    [701, 'ZZ'],
    [702, 'AAA'],
    [16_383, 'XFD'],
  ])('column %i is %s', (index, letters) => {
    expect(columnLetters(index)).toBe(letters);
  });

  it('refuses a negative or fractional index', () => {
    expect(() => columnLetters(-1)).toThrow(RangeError);
    expect(() => columnLetters(1.5)).toThrow(RangeError);
  });

  it('quotes every sheet name, doubling quotes inside', () => {
    expect(quoteSheetName('Connections')).toBe("'Connections'");
    expect(quoteSheetName("Leadsie's log!")).toBe("'Leadsie''s log!'");
  });

  it('builds the ranges the adapter reads and writes', () => {
    expect(sheetRanges.headerRow('Log 2026')).toBe("'Log 2026'!1:1");
    expect(sheetRanges.headerStart('Log')).toBe("'Log'!A1");
    expect(sheetRanges.column('Log', 3)).toBe("'Log'!D:D");
    expect(sheetRanges.column('Log', 27)).toBe("'Log'!AB:AB");
    expect(sheetRanges.table('Log')).toBe("'Log'!A1");
  });
});
