/**
 * The export's CSV rows (lambda/domain/csv-row.ts): column order, formula neutralising, and, through
 * the CLI's renderer, RFC 4180 quoting read back by a strict parser.
 */
import { describe, expect, it } from 'vitest';
import { renderCsv } from '../../cli/commands/export.ts';
import {
  type ConnectionRow,
  exportColumns,
  FIXED_COLUMNS,
  flatColumns,
  groupOf,
  headerCells,
  neutraliseCell,
  rowCells,
} from '../../lambda/domain/csv-row.ts';
import { flatten } from '../../lambda/domain/flatten.ts';
import type { StoredLatestConnection } from '../../lambda/use-cases/ports.ts';
import { parseCsv } from '../support/rfc4180.ts';
import { parsedFixture } from '../unit/fixtures.ts';

const row = (overrides: Partial<ConnectionRow> = {}): StoredLatestConnection => ({
  user: 'crm-contact-1',
  requestUrl: 'https://app.leadsie.com/request/a',
  requestName: 'A onboarding',
  clientName: null,
  status: 'SUCCESS',
  accessLevel: 'admin',
  apiVersion: 1,
  isTest: false,
  version: 3,
  eventId: '01EVENT',
  fingerprint: `sha256:${'0'.repeat(64)}`,
  receivedAt: '2026-03-02T14:21:07.512Z',
  flat: {
    user_id: 'crm-contact-1',
    requestUrl: 'https://app.leadsie.com/request/a',
    requestName: 'A onboarding',
  },
  ...overrides,
});

const v1Flat = flatten(parsedFixture('v1-partial-success.json'));
const v2Flat = flatten(parsedFixture('v2-partial-multi-platform.json'));

describe('column order', () => {
  it('starts with the fixed columns, in the documented order', () => {
    expect(exportColumns([]).slice(0, 11)).toEqual([
      'user',
      'requestUrl',
      'requestName',
      'clientName',
      'status',
      'accessLevel',
      'apiVersion',
      'isTest',
      'version',
      'eventId',
      'receivedAt',
    ]);
    expect(exportColumns([])).toEqual([...FIXED_COLUMNS]);
  });

  it('orders a v1 record: user_id, then type prefixes alphabetically, each _id _name _is_success _message', () => {
    expect(flatColumns([v1Flat])).toEqual([
      'user_id',
      'ad_account_id',
      'ad_account_name',
      'ad_account_is_success',
      'ad_account_message',
      'instagram_account_id',
      'instagram_account_name',
      'instagram_account_is_success',
      'instagram_account_message',
      'page_id',
      'page_name',
      'page_is_success',
      'page_message',
      'pixel_id',
      'pixel_name',
      'pixel_is_success',
      'pixel_message',
    ]);
  });

  it('orders a v2 record with the client keys first and all six suffixes per type', () => {
    expect(flatColumns([v2Flat])).toEqual([
      'user_id',
      'client_name',
      'client_summary_url',
      ...['facebook_page', 'google_ads_account', 'meta_ad_account', 'shopify_store'].flatMap((prefix) =>
        ['_id', '_name', '_is_success', '_message', '_connection_status', '_platform'].map(
          (s) => `${prefix}${s}`,
        ),
      ),
    ]);
  });

  it('never repeats requestUrl and requestName, which are fixed columns with the same value', () => {
    const columns = exportColumns([{ flat: v1Flat }, { flat: v2Flat }]);
    expect(columns.filter((c) => c === 'requestUrl')).toHaveLength(1);
    expect(columns.filter((c) => c === 'requestName')).toHaveLength(1);
    expect(new Set(columns).size).toBe(columns.length);
  });

  it('merges the keys of every row and is the same whatever the rows order', () => {
    const forward = flatColumns([v1Flat, v2Flat]);
    const backward = flatColumns([v2Flat, v1Flat]);
    expect(forward).toEqual(backward);
    expect(forward).toEqual(
      expect.arrayContaining(
        [...Object.keys(v1Flat), ...Object.keys(v2Flat)].filter(
          (k) => !['requestUrl', 'requestName'].includes(k),
        ),
      ),
    );
    // ad_account (v1) sorts before facebook_page (v2): one alphabetical list of prefixes.
    expect(forward.indexOf('ad_account_id')).toBeLessThan(forward.indexOf('facebook_page_id'));
    expect(forward.indexOf('client_summary_url')).toBeLessThan(forward.indexOf('ad_account_id'));
  });

  it('puts keys of no group last, alphabetically, and keeps a group in suffix order whatever the key order', () => {
    const flat = {
      zeta: 'z',
      page_message: '',
      alpha: 'a',
      page_platform: 'Meta',
      page_id: '1',
      'Über Typ_name': 'x',
    };
    expect(flatColumns([flat])).toEqual([
      'page_id',
      'page_message',
      'page_platform',
      'Über Typ_name',
      'alpha',
      'zeta',
    ]);
  });

  it.each([
    ['ad_account_is_success', { prefix: 'ad_account', suffixIndex: 2 }],
    ['google_ads_account_connection_status', { prefix: 'google_ads_account', suffixIndex: 4 }],
    ['x_platform_id', { prefix: 'x_platform', suffixIndex: 0 }],
    ['x_platform', { prefix: 'x', suffixIndex: 5 }],
    ['user_id', null],
    ['client_name', null],
    ['_id', null],
    ['requestUrl', null],
  ])('groupOf(%s)', (key, expected) => {
    expect(groupOf(key)).toEqual(expected);
  });
});

describe('neutralising formula cells', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ['=HYPERLINK("http://evil")', `'=HYPERLINK("http://evil")`],
  ])('prefixes %j with a single quote', (input, expected) => {
    expect(neutraliseCell(input)).toBe(expected);
  });

  it.each(['', 'a=b', ' =1', "'=1", 'Northwind', '12', 'ä=1', '\n=1'])('leaves %j as it is', (input) => {
    expect(neutraliseCell(input)).toBe(input);
  });

  it('neutralises every cell of a row, fixed and flat, and the header', () => {
    const evil = row({
      clientName: '=HYPERLINK("http://evil")',
      requestName: '+cmd',
      flat: { ...row().flat, page_name: '@SUM(1)', page_message: '-1', '=x_id': '1' },
    });
    const columns = exportColumns([evil]);
    const cells = Object.fromEntries(columns.map((c, i) => [c, rowCells(evil, columns)[i]]));
    expect(cells.clientName).toBe(`'=HYPERLINK("http://evil")`);
    expect(cells.requestName).toBe("'+cmd");
    expect(cells.page_name).toBe("'@SUM(1)");
    expect(cells.page_message).toBe("'-1");
    expect(headerCells(columns)).toContain("'=x_id");
  });
});

describe('cells', () => {
  it('prints null as empty, numbers and booleans as JavaScript does, and a missing flat key as empty', () => {
    const r = row({ user: null, clientName: null, status: null, isTest: true, apiVersion: 2, version: 0 });
    const columns = [...FIXED_COLUMNS, 'page_id', 'user_id'];
    const cells = rowCells(r, columns);
    expect(cells).toEqual([
      '',
      'https://app.leadsie.com/request/a',
      'A onboarding',
      '',
      '',
      'admin',
      '2',
      'true',
      '0',
      '01EVENT',
      '2026-03-02T14:21:07.512Z',
      '',
      'crm-contact-1',
    ]);
  });

  it('keeps unicode as it is', () => {
    const name = 'Café Zürich 🚀 — مرحبا 東京';
    const r = row({ clientName: name, flat: { ...row().flat, page_name: name } });
    const columns = exportColumns([r]);
    const cells = rowCells(r, columns);
    expect(cells[columns.indexOf('clientName')]).toBe(name);
    expect(cells[columns.indexOf('page_name')]).toBe(name);
  });
});

describe('CSV text (RFC 4180, via csv-stringify)', () => {
  const tricky = row({
    requestName: 'Comma, "quotes" and\nnewline',
    clientName: 'CR\ronly',
    flat: { ...row().flat, page_name: 'Café 🚀', page_message: 'line1\r\nline2', page_id: '=1+2' },
  });

  it('quotes commas, quotes, CR and LF, uses CRLF between records, and reads back exactly', () => {
    const text = renderCsv([tricky, row({ user: 'b', requestUrl: 'https://x/b' })], false);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).toContain('"Comma, ""quotes"" and\nnewline"');
    expect(text).toContain('"CR\ronly"');
    const records = parseCsv(text);
    const columns = exportColumns([tricky]);
    expect(records[0]).toEqual(columns);
    expect(records).toHaveLength(3);
    const first = Object.fromEntries(columns.map((c, i) => [c, records[1]?.[i]]));
    expect(first.requestName).toBe('Comma, "quotes" and\nnewline');
    expect(first.clientName).toBe('CR\ronly');
    expect(first.page_name).toBe('Café 🚀');
    expect(first.page_message).toBe('line1\r\nline2');
    expect(first.page_id).toBe("'=1+2");
  });

  it('starts with a byte order mark only when asked', () => {
    expect(renderCsv([tricky], false).charCodeAt(0)).not.toBe(0xfeff);
    const withBom = renderCsv([tricky], true);
    expect(withBom.charCodeAt(0)).toBe(0xfeff);
    expect(parseCsv(withBom.slice(1))[0]?.[0]).toBe('user');
  });

  it('writes only the header for no rows', () => {
    expect(parseCsv(renderCsv([], false))).toEqual([[...FIXED_COLUMNS]]);
  });
});
