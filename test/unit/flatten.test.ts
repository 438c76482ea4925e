/**
 * The flat record. For v1 it must equal the reference "Code by Zapier" script's output exactly,
 * values and key order: checked against the committed golden files (made by
 * `scripts/make-golden.ts`) and against the quirks one by one. For v2 it follows the documented
 * mapping, checked with the exact records written out.
 */
import { describe, expect, it } from 'vitest';
import {
  type FlatRecord,
  flatten,
  pythonStr,
  stripCommaSpace,
  typeKey,
} from '../../lambda/domain/flatten.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';
import {
  fixtureNames,
  goldenExcluded,
  goldenFixtureFlat,
  goldenGenerated,
  type JsonObject,
  parsedFixture,
  rawFixture,
} from './fixtures.ts';

/** Validates and flattens a raw payload; fails the test if the payload does not validate. */
const flat = (raw: JsonObject): FlatRecord => {
  const result = parsePayload(raw);
  if (!result.ok) throw new Error(`payload rejected: ${JSON.stringify(result.problems)}`);
  return flatten(result.payload);
};

/** Asserts equality of values AND of key order (toEqual alone ignores order). */
const expectSameRecord = (actual: FlatRecord, expected: JsonObject): void => {
  expect(actual).toEqual(expected);
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
};

const v1Fixtures = fixtureNames().filter((name) => name.startsWith('v1-'));
const v2Fixtures = fixtureNames().filter((name) => name.startsWith('v2-'));

describe('flatten matches the reference script (golden files)', () => {
  const { payloads, flats } = goldenGenerated();

  it('has one golden flat record per generated payload, ~200 of them, including every v1 fixture', () => {
    expect(flats).toHaveLength(payloads.length);
    expect(payloads.length).toBeGreaterThanOrEqual(200);
    const lines = new Set(payloads.map((p) => JSON.stringify(p)));
    for (const name of v1Fixtures) expect(lines.has(JSON.stringify(rawFixture(name)))).toBe(true);
    expect(v1Fixtures.length).toBeGreaterThan(0);
  });

  it('golden lines contain no script error (the generator drops those)', () => {
    expect(flats.filter((f) => 'error' in f)).toEqual([]);
  });

  it.each(
    payloads.map((payload, line) => ({ line: line + 1, payload, expected: flats[line] as JsonObject })),
  )('golden line $line', ({ payload, expected }) => {
    const result = parsePayload(payload);
    expect(result.ok && result.payload.format).toBe(1);
    if (!result.ok) return;
    expectSameRecord(flatten(result.payload), expected);
  });

  it.each(v1Fixtures)('fixture %s', (name) => {
    expectSameRecord(flatten(parsedFixture(name)), goldenFixtureFlat(name));
  });

  it('the excluded candidates are each rejected by one side, and flatten still never throws on ours', () => {
    const excluded = goldenExcluded();
    expect(excluded.length).toBeGreaterThan(0);
    for (const { payload, reason } of excluded) {
      const result = parsePayload(payload);
      if (reason.startsWith('schema: ')) {
        expect(result.ok).toBe(false);
      } else {
        expect(reason).toMatch(/^script: KeyError/);
        expect(result.ok).toBe(true);
        if (result.ok) expect(() => flatten(result.payload)).not.toThrow();
      }
    }
  });
});

/** A v1 payload with the given assets; `user` is left out unless given in `extra`. */
const v1 = (assets: JsonObject[], extra: JsonObject = {}): JsonObject => ({
  requestUrl: 'https://app.leadsie.com/request/r',
  requestName: 'R',
  ...extra,
  connectionAssets: assets,
});

/** A v1 asset with plain values; override what the case is about. */
const a = (fields: JsonObject): JsonObject => ({
  type: 'Page',
  name: 'n',
  id: 'i',
  isSuccess: true,
  message: '',
  ...fields,
});

/** The three keys every flat record starts with. */
const head = (user: string | null = '') => ({
  user_id: user,
  requestUrl: 'https://app.leadsie.com/request/r',
  requestName: 'R',
});

describe('v1 quirks of the reference script', () => {
  it.each<{ name: string; payload: JsonObject; expected: JsonObject }>([
    {
      name: 'booleans print as Python prints them, null as None',
      payload: v1([
        a({ type: 'Pixel', isSuccess: true }),
        a({ type: 'Page', isSuccess: false }),
        a({ type: 'Catalog', isSuccess: null }),
      ]),
      expected: {
        ...head(),
        pixel_id: 'i',
        pixel_name: 'n',
        pixel_is_success: 'True',
        pixel_message: '',
        page_id: 'i',
        page_name: 'n',
        page_is_success: 'False',
        page_message: '',
        catalog_id: 'i',
        catalog_name: 'n',
        catalog_is_success: 'None',
        catalog_message: '',
      },
    },
    {
      name: 'assets of one type join with ", " in order',
      payload: v1([
        a({ id: '1', name: 'One', isSuccess: true, message: 'm1' }),
        a({ id: '2', name: 'Two', isSuccess: false, message: 'm2' }),
        a({ id: '3', name: 'Three', isSuccess: true, message: 'm3' }),
      ]),
      expected: {
        ...head(),
        page_id: '1, 2, 3',
        page_name: 'One, Two, Three',
        page_is_success: 'True, False, True',
        page_message: 'm1, m2, m3',
      },
    },
    {
      name: 'leading and trailing commas and spaces are stripped from each value',
      payload: v1([a({ id: ' ,1, ', name: 'Foo, ', message: ' ,Bar' })]),
      expected: { ...head(), page_id: '1', page_name: 'Foo', page_is_success: 'True', page_message: 'Bar' },
    },
    {
      name: 'the strip applies to the whole joined text, not to each value',
      payload: v1([a({ name: 'Foo, ' }), a({ name: ' ,Bar' }), a({ name: 'Baz' })]),
      expected: {
        ...head(),
        page_id: 'i, i, i',
        page_name: 'Foo,  ,Bar, Baz',
        page_is_success: 'True, True, True',
        page_message: '',
      },
    },
    {
      name: 'empty and comma-only values vanish from a join',
      payload: v1([
        a({ id: '', name: 'A' }),
        a({ id: ', ', name: '' }),
        a({ id: 'x', name: 'B' }),
        a({ id: '' }),
      ]),
      expected: {
        ...head(),
        page_id: 'x',
        page_name: 'A, B, n',
        page_is_success: 'True, True, True, True',
        page_message: '',
      },
    },
    {
      name: 'a value that is only commas and spaces gives ""',
      payload: v1([a({ id: ', ', name: ' , , ', message: ',' })]),
      expected: { ...head(), page_id: '', page_name: '', page_is_success: 'True', page_message: '' },
    },
    {
      name: 'tabs, newlines and no-break spaces are not stripped',
      payload: v1([a({ id: '\t1', name: 'n\n', message: '\u00a0m' })]),
      expected: {
        ...head(),
        page_id: '\t1',
        page_name: 'n\n',
        page_is_success: 'True',
        page_message: '\u00a0m',
      },
    },
    {
      name: 'message missing is "", message null is "None", name null is "None"',
      payload: v1([
        { type: 'Page', name: 'no message', id: '1', isSuccess: true },
        a({ id: '2', name: null, message: null }),
      ]),
      expected: {
        ...head(),
        page_id: '1, 2',
        page_name: 'no message, None',
        page_is_success: 'True, True',
        page_message: 'None',
      },
    },
    {
      name: 'zero assets give only the three head keys',
      payload: v1([], { user: 'u' }),
      expected: head('u'),
    },
    {
      name: 'user_id is "" when user is absent',
      payload: v1([]),
      expected: head(''),
    },
    {
      name: 'user_id is null when user is null',
      payload: v1([], { user: null }),
      expected: head(null),
    },
    {
      name: 'user_id is "" when user is ""',
      payload: v1([], { user: '' }),
      expected: head(''),
    },
    {
      name: 'user_id is the user as sent, commas and spaces kept',
      payload: v1([], { user: ' lead, 7 ' }),
      expected: head(' lead, 7 '),
    },
    {
      name: 'type "User" appends its ids to user_id, which keeps its first position (user absent)',
      payload: v1([a({ type: 'User', id: 'u-1' })]),
      expected: { ...head('u-1'), user_name: 'n', user_is_success: 'True', user_message: '' },
    },
    {
      name: 'type "User" with user null: Python prints the null as None',
      payload: v1([a({ type: 'User', id: 'u-1' })], { user: null }),
      expected: { ...head('None, u-1'), user_name: 'n', user_is_success: 'True', user_message: '' },
    },
    {
      name: 'type "USER" with a user: joined to the user as sent, stripped only at the ends',
      payload: v1([a({ type: 'USER', id: 'u-1' }), a({ type: 'user', id: 'u-2, ' })], { user: 'alice, ' }),
      expected: {
        ...head('alice, , u-1, u-2'),
        user_name: 'n, n',
        user_is_success: 'True, True',
        user_message: '',
      },
    },
    {
      name: 'type prefix is lower-cased; types differing only in case share keys',
      payload: v1([
        a({ type: 'AD ACCOUNT', id: '1' }),
        a({ type: 'Ad Account', id: '2' }),
        a({ type: 'ad account', id: '3' }),
      ]),
      expected: {
        ...head(),
        ad_account_id: '1, 2, 3',
        ad_account_name: 'n, n, n',
        ad_account_is_success: 'True, True, True',
        ad_account_message: '',
      },
    },
    {
      name: 'only spaces become "_": a double space gives "__", tabs and hyphens stay',
      payload: v1([
        a({ type: 'TikTok  Ad Account' }),
        a({ type: 'Tab\tType' }),
        a({ type: 'Hyphen-Type.x' }),
        a({ type: 'ÜBER Type' }),
      ]),
      expected: {
        ...head(),
        tiktok__ad_account_id: 'i',
        tiktok__ad_account_name: 'n',
        tiktok__ad_account_is_success: 'True',
        tiktok__ad_account_message: '',
        'tab\ttype_id': 'i',
        'tab\ttype_name': 'n',
        'tab\ttype_is_success': 'True',
        'tab\ttype_message': '',
        'hyphen-type.x_id': 'i',
        'hyphen-type.x_name': 'n',
        'hyphen-type.x_is_success': 'True',
        'hyphen-type.x_message': '',
        über_type_id: 'i',
        über_type_name: 'n',
        über_type_is_success: 'True',
        über_type_message: '',
      },
    },
    {
      name: 'keys appear in order of first appearance of their type, even when types interleave',
      payload: v1([
        a({ type: 'Page', id: '1' }),
        a({ type: 'Pixel', id: '2' }),
        a({ type: 'Page', id: '3' }),
      ]),
      expected: {
        ...head(),
        page_id: '1, 3',
        page_name: 'n, n',
        page_is_success: 'True, True',
        page_message: '',
        pixel_id: '2',
        pixel_name: 'n',
        pixel_is_success: 'True',
        pixel_message: '',
      },
    },
  ])('$name', ({ payload, expected }) => {
    expectSameRecord(flat(payload), expected);
  });
});

describe('flatten helpers', () => {
  it.each<[unknown, string]>([
    [true, 'True'],
    [false, 'False'],
    [null, 'None'],
    [undefined, 'None'],
    ['', ''],
    ['text', 'text'],
  ])('pythonStr(%j) is %j', (value, expected) => {
    expect(pythonStr(value)).toBe(expected);
  });

  it.each<[string, string]>([
    ['a', 'a'],
    [', a, b ,', 'a, b'],
    [' ,Bar', 'Bar'],
    ['Foo, ', 'Foo'],
    [', , ,', ''],
    ['', ''],
    ['a,  ,b', 'a,  ,b'],
    ['\ta, ', '\ta'],
  ])('stripCommaSpace(%j) is %j', (text, expected) => {
    expect(stripCommaSpace(text)).toBe(expected);
  });

  it.each<[string, string]>([
    ['Instagram Account', 'instagram_account'],
    ['Ad Account', 'ad_account'],
    ['TikTok  Ad Account', 'tiktok__ad_account'],
    [' Leading Space', '_leading_space'],
    ['ÜBER Type', 'über_type'],
    ['Snake_Case Type', 'snake_case_type'],
    ['Tab\tType', 'tab\ttype'],
    ['User', 'user'],
  ])('typeKey(%j) is %j', (type, expected) => {
    expect(typeKey(type)).toBe(expected);
  });
});

describe('v2 mapping', () => {
  it('covers both v2 fixtures', () => {
    expect(v2Fixtures).toEqual(['v2-partial-multi-platform.json', 'v2-success-google.json']);
  });

  it('v2-partial-multi-platform.json', () => {
    expectSameRecord(flatten(parsedFixture('v2-partial-multi-platform.json')), {
      user_id: 'hubspot-company-99123',
      requestUrl: 'https://app.leadsie.com/request/harbor-fitness',
      requestName: 'Harbor Fitness - full access',
      client_name: 'Harbor Fitness LLC',
      client_summary_url: 'https://app.leadsie.com/clients/6651f0c2b4e1a90012a3c4d5',
      meta_ad_account_id: 'act_7788990011',
      meta_ad_account_name: 'Harbor Fitness Ads',
      meta_ad_account_is_success: 'True',
      meta_ad_account_message: '',
      meta_ad_account_connection_status: 'Connected',
      meta_ad_account_platform: 'Meta',
      facebook_page_id: '556677889900',
      facebook_page_name: 'Harbor Fitness',
      facebook_page_is_success: 'True',
      facebook_page_message: '',
      facebook_page_connection_status: 'Connected',
      facebook_page_platform: 'Meta',
      google_ads_account_id: '123-456-7890',
      google_ads_account_name: 'Harbor Fitness Search',
      google_ads_account_is_success: 'False',
      google_ads_account_message: "The client's Google user is not an administrator of this account.",
      google_ads_account_connection_status: 'Insufficient permissions',
      google_ads_account_platform: 'Google',
      shopify_store_id: 'harbor-fitness',
      shopify_store_name: 'harbor-fitness.myshopify.com',
      shopify_store_is_success: 'False',
      shopify_store_message: 'Waiting for the store owner to accept the collaborator request.',
      shopify_store_connection_status: 'In progress',
      shopify_store_platform: 'Shopify',
    });
  });

  it('v2-success-google.json', () => {
    expectSameRecord(flatten(parsedFixture('v2-success-google.json')), {
      user_id: 'onboarding-5521',
      requestUrl: 'https://app.leadsie.com/request/kestrel-legal',
      requestName: 'Kestrel Legal',
      client_name: 'Kestrel Legal Partners',
      client_summary_url: 'https://app.leadsie.com/clients/66a0b1c2d3e4f5a6b7c8d9e0',
      google_analytics_property_id: 'properties/318273645',
      google_analytics_property_name: 'kestrellegal.com - GA4',
      google_analytics_property_is_success: 'True',
      google_analytics_property_message: '',
      google_analytics_property_connection_status: 'Connected',
      google_analytics_property_platform: 'Google',
      google_business_profile_id: 'locations/99887766',
      google_business_profile_name: 'Kestrel Legal Partners',
      google_business_profile_is_success: 'True',
      google_business_profile_message: '',
      google_business_profile_connection_status: 'Connected',
      google_business_profile_platform: 'Google',
    });
  });

  const v2 = (assets: JsonObject[], extra: JsonObject = {}): JsonObject => ({
    requestUrl: 'https://app.leadsie.com/request/r',
    requestName: 'R',
    apiVersion: 2,
    ...extra,
    connectionAssets: assets,
  });
  const v2head = (client: { name?: string; url?: string } = {}) => ({
    ...head(),
    client_name: client.name ?? '',
    client_summary_url: client.url ?? '',
  });
  const shop = (fields: JsonObject): JsonObject => ({
    type: 'Shop',
    id: 'i',
    name: 'n',
    platform: 'P',
    ...fields,
  });
  const shopKeys = (is: string, message: string, status: string, platform = 'P') => ({
    shop_id: 'i',
    shop_name: 'n',
    shop_is_success: is,
    shop_message: message,
    shop_connection_status: status,
    shop_platform: platform,
  });

  it.each<{ name: string; payload: JsonObject; expected: JsonObject }>([
    {
      name: 'is_success is True only for connectionStatus "Connected"',
      payload: v2([shop({ connectionStatus: 'Connected' })]),
      expected: { ...v2head(), ...shopKeys('True', '', 'Connected') },
    },
    {
      name: 'an unknown connectionStatus is not a success, and is kept as sent',
      payload: v2([shop({ connectionStatus: 'Revoked by client' })]),
      expected: { ...v2head(), ...shopKeys('False', '', 'Revoked by client') },
    },
    {
      name: 'connectionStatus is case-sensitive: "connected" is not "Connected"',
      payload: v2([shop({ connectionStatus: 'connected' })]),
      expected: { ...v2head(), ...shopKeys('False', '', 'connected') },
    },
    {
      name: 'without connectionStatus, an older-style isSuccess is used',
      payload: v2([shop({ isSuccess: false })]),
      expected: { ...v2head(), ...shopKeys('False', '', '') },
    },
    {
      name: 'without connectionStatus or isSuccess, is_success is ""',
      payload: v2([shop({ platform: null })]),
      expected: { ...v2head(), ...shopKeys('', '', '', '') },
    },
    {
      name: 'message comes from notes, falling back to an older-style message',
      payload: v2([
        shop({ connectionStatus: 'Connected', notes: 'from notes', message: 'ignored' }),
        shop({ connectionStatus: 'Connected', message: 'from message' }),
      ]),
      expected: {
        ...v2head(),
        shop_id: 'i, i',
        shop_name: 'n, n',
        shop_is_success: 'True, True',
        shop_message: 'from notes, from message',
        shop_connection_status: 'Connected, Connected',
        shop_platform: 'P, P',
      },
    },
    {
      name: 'client_name and client_summary_url are "" when absent or null',
      payload: v2([], { clientName: null }),
      expected: v2head(),
    },
    {
      name: 'client_name and client_summary_url as sent',
      payload: v2([], { clientName: 'C, ', clientSummaryUrl: 'https://x' }),
      expected: v2head({ name: 'C, ', url: 'https://x' }),
    },
    {
      name: 'a future apiVersion is read with the v2 mapping',
      payload: v2([shop({ connectionStatus: 'Connected' })], { apiVersion: 3 }),
      expected: { ...v2head(), ...shopKeys('True', '', 'Connected') },
    },
  ])('$name', ({ payload, expected }) => {
    expectSameRecord(flat(payload), expected);
  });
});
