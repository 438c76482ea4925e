/**
 * The CRM property mapping: the default mapping on the fixtures, written out in full; `<type>`
 * expansion and the sanitising of odd type keys; which values are sent, omitted or joined; and the
 * validation of mappings, with the messages a deployer sees.
 */
import { describe, expect, it } from 'vitest';
import {
  crmProperties,
  DEFAULT_HUBSPOT_MAPPING,
  DERIVED_SOURCE_KEYS,
  HUBSPOT_PROPERTY_NAME,
  hubspotTypeName,
  type PropertyMapping,
  parsePropertyMapping,
  propertyMappingSchema,
} from '../../../lambda/consumers/hubspot/message.ts';
import { buildEnvelope, type ConnectionEvent } from '../../../lambda/domain/envelope.ts';
import { type LeadsiePayload, parsePayload } from '../../../lambda/domain/payload.ts';
import { type JsonObject, parsedFixture } from '../../unit/fixtures.ts';

const RECEIVED_AT = '2026-07-01T08:15:05.123Z';
const EVENT_ID = '01JZ0000000000000000000000';

const eventOf = (payload: LeadsiePayload, version = 1): ConnectionEvent =>
  buildEnvelope({
    payload,
    eventId: EVENT_ID,
    fingerprint: `sha256:${'a'.repeat(64)}`,
    receivedAt: RECEIVED_AT,
    version,
  });

const parse = (raw: JsonObject): LeadsiePayload => {
  const result = parsePayload(raw);
  if (!result.ok) throw new Error(`payload rejected: ${JSON.stringify(result.problems)}`);
  return result.payload;
};

const JSON_V2_MIN: JsonObject = {
  requestUrl: 'https://app.leadsie.com/request/r',
  requestName: 'R',
  apiVersion: 2,
  connectionAssets: [],
};

const v2Event = (extra: JsonObject = {}): ConnectionEvent =>
  eventOf(
    parse({
      user: 'u-1',
      requestUrl: 'https://app.leadsie.com/request/r',
      requestName: 'R',
      apiVersion: 2,
      status: 'SUCCESS',
      accessLevel: 'admin',
      connectionAssets: [],
      ...extra,
    }),
  );

const asset = (type: string, id: string, connectionStatus = 'Connected', notes = ''): JsonObject => ({
  type,
  id,
  name: `${type} ${id}`,
  platform: 'Meta',
  connectionStatus,
  notes,
});

describe('DEFAULT_HUBSPOT_MAPPING', () => {
  it('is itself a valid mapping', () => {
    expect(parsePropertyMapping(DEFAULT_HUBSPOT_MAPPING)).toStrictEqual(DEFAULT_HUBSPOT_MAPPING);
  });

  it('on v2-partial-multi-platform.json gives exactly these properties, in mapping then asset order', () => {
    const properties = crmProperties(
      eventOf(parsedFixture('v2-partial-multi-platform.json')),
      DEFAULT_HUBSPOT_MAPPING,
    );
    const expected = {
      leadsie_status: 'PARTIAL_SUCCESS',
      leadsie_access_level: 'admin',
      leadsie_request_name: 'Harbor Fitness - full access',
      leadsie_request_url: 'https://app.leadsie.com/request/harbor-fitness',
      leadsie_client_name: 'Harbor Fitness LLC',
      leadsie_last_connection_at: '2026-07-01T08:15:05.123Z',
      leadsie_meta_ad_account_ids: 'act_7788990011',
      leadsie_facebook_page_ids: '556677889900',
      leadsie_google_ads_account_ids: '123-456-7890',
      leadsie_shopify_store_ids: 'harbor-fitness',
      leadsie_meta_ad_account_names: 'Harbor Fitness Ads',
      leadsie_facebook_page_names: 'Harbor Fitness',
      leadsie_google_ads_account_names: 'Harbor Fitness Search',
      leadsie_shopify_store_names: 'harbor-fitness.myshopify.com',
      leadsie_meta_ad_account_connected: 'True',
      leadsie_facebook_page_connected: 'True',
      leadsie_google_ads_account_connected: 'False',
      leadsie_shopify_store_connected: 'False',
    };
    expect(properties).toStrictEqual(expected);
    expect(Object.keys(properties)).toStrictEqual(Object.keys(expected));
  });

  it('on v1-partial-success.json joins the values of one type and leaves out the client (v1 has none)', () => {
    expect(
      crmProperties(eventOf(parsedFixture('v1-partial-success.json')), DEFAULT_HUBSPOT_MAPPING),
    ).toStrictEqual({
      leadsie_status: 'PARTIAL_SUCCESS',
      leadsie_access_level: 'admin',
      leadsie_request_name: 'Northwind Coffee onboarding',
      leadsie_request_url: 'https://app.leadsie.com/request/northwind-coffee',
      leadsie_last_connection_at: RECEIVED_AT,
      leadsie_ad_account_ids: 'act_1029384756, act_5647382910',
      leadsie_page_ids: '104857362514',
      leadsie_pixel_ids: '882731650019',
      leadsie_instagram_account_ids: '17841400008460056',
      leadsie_ad_account_names: 'Northwind Coffee - Main, Northwind Coffee - Retargeting',
      leadsie_page_names: 'Northwind Coffee',
      leadsie_pixel_names: 'Northwind Web Pixel',
      leadsie_instagram_account_names: 'northwind.coffee',
      leadsie_ad_account_connected: 'True, False',
      leadsie_page_connected: 'True',
      leadsie_pixel_connected: 'True',
      leadsie_instagram_account_connected: 'True',
    });
  });

  it('gives only valid HubSpot property names on every fixture', () => {
    for (const name of ['v1-failed.json', 'v1-success-no-user.json', 'v2-success-google.json']) {
      const keys = Object.keys(crmProperties(eventOf(parsedFixture(name)), DEFAULT_HUBSPOT_MAPPING));
      expect(keys.length).toBeGreaterThan(6);
      for (const key of keys) expect(key).toMatch(HUBSPOT_PROPERTY_NAME);
    }
  });
});

describe('source keys', () => {
  const event = v2Event({
    clientName: 'Acme',
    connectionAssets: [asset('Facebook Page', 'p1', 'Insufficient permissions', 'not an admin')],
  });
  const all = Object.fromEntries(DERIVED_SOURCE_KEYS.map((key) => [key, `p_${key}`]));

  it('derived keys exist for every event, numbers as strings', () => {
    expect(crmProperties(eventOf(parse({ ...JSON_V2_MIN, status: 'FAILED' }), 7), all)).toStrictEqual({
      p_status: 'FAILED',
      p_request_name: 'R',
      p_request_url: 'https://app.leadsie.com/request/r',
      p_received_at: RECEIVED_AT,
      p_event_id: EVENT_ID,
      p_version: '7',
      p_api_version: '2',
    });
    expect(crmProperties(event, all)).toMatchObject({
      p_client_name: 'Acme',
      p_access_level: 'admin',
      p_version: '1',
    });
  });

  it.each<[string, PropertyMapping, Record<string, string>]>([
    ['a flat key', { requestName: 'req', user_id: 'uid' }, { req: 'R', uid: 'u-1' }],
    ['a flat key of an asset', { facebook_page_message: 'note' }, { note: 'not an admin' }],
    ['a flat v2 key', { facebook_page_connection_status: 'st' }, { st: 'Insufficient permissions' }],
    ['a key no event has', { no_such_key: 'x', page_id: 'y' }, {}],
    [
      'a key that names an Object.prototype member',
      JSON.parse('{"constructor":"x","toString":"y","__proto__":"z"}'),
      {},
    ],
    [
      'a pattern without <type> in the property: all types in one property',
      { '<type>_id': 'all_ids' },
      { all_ids: 'p1' },
    ],
  ])('%s', (_, mapping, expected) => {
    expect(crmProperties(event, mapping)).toStrictEqual(expected);
  });

  it('omits a null value instead of clearing the property', () => {
    const event = eventOf(parse({ ...JSON_V2_MIN, status: null, accessLevel: null }));
    expect(
      crmProperties(event, { status: 'a', access_level: 'b', client_name: 'c', request_name: 'd' }),
    ).toStrictEqual({ d: 'R' });
  });

  it('the derived client_name wins over the flat one: absent is omitted, not ""', () => {
    const event = eventOf(parse(JSON_V2_MIN));
    expect(event.flat.client_name).toBe('');
    expect(crmProperties(event, { client_name: 'c', client_summary_url: 'u' })).toStrictEqual({ u: '' });
  });

  it('sends "" where the event says empty (an asset with no note clears the old note)', () => {
    const event = v2Event({ connectionAssets: [asset('Facebook Page', 'p1')] });
    expect(crmProperties(event, { '<type>_message': 'leadsie_<type>_note' })).toStrictEqual({
      leadsie_facebook_page_note: '',
    });
  });

  it('a v1 delivery without a user gives user_id "" (the flat record\'s value)', () => {
    expect(
      crmProperties(eventOf(parsedFixture('v1-success-no-user.json')), { user_id: 'uid' }),
    ).toStrictEqual({ uid: '' });
  });
});

describe('<type> expansion', () => {
  it('expands over every asset type of the event, and only those', () => {
    const event = v2Event({
      connectionAssets: [
        asset('Meta Ad Account', 'a1'),
        asset('Meta Ad Account', 'a2'),
        asset('Pixel', 'x1'),
      ],
    });
    expect(
      crmProperties(event, { '<type>_id': 'ids_<type>', '<type>_platform': 'leadsie_<type>_platform' }),
    ).toStrictEqual({
      ids_meta_ad_account: 'a1, a2',
      ids_pixel: 'x1',
      leadsie_meta_ad_account_platform: 'Meta, Meta',
      leadsie_pixel_platform: 'Meta',
    });
  });

  it('expands to nothing on an event without assets', () => {
    expect(crmProperties(v2Event(), { '<type>_id': 'leadsie_<type>_ids', status: 's' })).toStrictEqual({
      s: 'SUCCESS',
    });
  });

  it('sanitises odd type keys into valid property names', () => {
    const event = v2Event({
      connectionAssets: [
        asset('Über Typ', 'u1'),
        asset('TikTok  Ad Account', 't1'),
        asset('1st Party', 'f1'),
      ],
    });
    expect(event.assets.map((a) => a.typeKey)).toStrictEqual(['über_typ', 'tiktok__ad_account', '1st_party']);
    expect(crmProperties(event, { '<type>_id': 'leadsie_<type>_ids' })).toStrictEqual({
      leadsie_uber_typ_ids: 'u1',
      leadsie_tiktok_ad_account_ids: 't1',
      leadsie_type_1st_party_ids: 'f1',
    });
  });

  it('joins the values of two types that sanitise alike', () => {
    const event = v2Event({
      connectionAssets: [asset('TikTok Ad Account', 't1'), asset('TikTok  Ad Account', 't2')],
    });
    expect(crmProperties(event, { '<type>_id': 'leadsie_<type>_ids' })).toStrictEqual({
      leadsie_tiktok_ad_account_ids: 't1, t2',
    });
  });
});

describe('hubspotTypeName', () => {
  it.each([
    ['meta_ad_account', 'meta_ad_account'],
    ['über_typ', 'uber_typ'],
    ['tiktok__ad_account', 'tiktok_ad_account'],
    ['1st_party', 'type_1st_party'],
    ['_page_', 'page'],
    ['ad_account_(legacy)', 'ad_account_legacy'],
    ['google/ads-account', 'google_ads_account'],
    ['ÅRHUS_çà', 'arhus_ca'],
    ['🎉_party', 'party'],
    ['123', 'type_123'],
    ['straße', 'stra_e'],
  ])('%s → %s', (typeKey, expected) => {
    expect(hubspotTypeName(typeKey)).toBe(expected);
    expect(hubspotTypeName(typeKey)).toMatch(HUBSPOT_PROPERTY_NAME);
  });

  it('gives a key with nothing left a stable, distinct hashed name', () => {
    const a = hubspotTypeName('日本語');
    expect(a).toMatch(/^type_[0-9a-f]{8}$/);
    expect(hubspotTypeName('日本語')).toBe(a);
    expect(hubspotTypeName('中文')).not.toBe(a);
    expect(hubspotTypeName('___')).toMatch(/^type_[0-9a-f]{8}$/);
  });
});

describe('parsePropertyMapping', () => {
  it.each<[string, unknown]>([
    ['the default', DEFAULT_HUBSPOT_MAPPING],
    ['one flat key', { requestName: 'leadsie_request' }],
    ['a pattern into one property', { '<type>_id': 'all_asset_ids' }],
    ['<type> at the start of the property name', { '<type>_id': '<type>_ids' }],
    ['a key with odd characters (flat keys may have them)', { 'ad_account_(legacy)_id': 'legacy_ids' }],
  ])('accepts %s', (_, input) => {
    expect(parsePropertyMapping(input)).toStrictEqual(input);
    expect(propertyMappingSchema.safeParse(input).success).toBe(true);
  });

  it('returns a copy, not the input', () => {
    const input = { status: 's' };
    const parsed = parsePropertyMapping(input);
    parsed.status = 'changed';
    expect(input.status).toBe('s');
  });

  it.each<[string, unknown, string]>([
    ['an array', [], 'expected a JSON object of source key → HubSpot property name, not an array'],
    ['null', null, 'not null'],
    ['a JSON string left unparsed', '{"status":"s"}', 'not a string'],
    ['an empty object', {}, 'the mapping maps nothing'],
    [
      'spaces and capitals',
      { status: 'Leadsie Status' },
      '"status" → "Leadsie Status": not a valid HubSpot property name (lower-case letters, digits and "_", starting with a letter)',
    ],
    [
      'a hyphen',
      { status: 'leadsie-status' },
      '"status" → "leadsie-status": not a valid HubSpot property name',
    ],
    ['a leading digit', { status: '1status' }, '"status" → "1status": not a valid HubSpot property name'],
    [
      'a leading underscore',
      { status: '_status' },
      '"status" → "_status": not a valid HubSpot property name',
    ],
    ['an empty property name', { status: '' }, '"status" → "": not a valid HubSpot property name'],
    ['a number', { status: 42 }, '"status" → 42: the property name must be a string, not a number'],
    ['null as a name', { status: null }, '"status" → null: the property name must be a string, not null'],
    ['an empty key', { '': 'x' }, '"" → "x": the source key is empty'],
    ['a blank key', { '  ': 'x' }, '"  " → "x": the source key is empty'],
    [
      '<type> in the name only',
      { status: 'leadsie_<type>_status' },
      '"status" → "leadsie_<type>_status": the property name uses <type> but the source key does not',
    ],
    [
      'a misspelt placeholder',
      { '<Type>_id': 'ids' },
      '"<Type>_id" → "ids": the source key has "<" or ">" other than the <type> placeholder',
    ],
    [
      'a bad name beside <type>',
      { '<type>_id': 'Leadsie_<type>' },
      '"<type>_id" → "Leadsie_<type>": not a valid HubSpot property name (lower-case letters, digits and "_", starting with a letter, plus <type>)',
    ],
  ])('rejects %s', (_, input, message) => {
    expect(() => parsePropertyMapping(input)).toThrow(message);
    expect(propertyMappingSchema.safeParse(input).success).toBe(false);
  });

  it('lists every bad entry at once, one per line, and none of the good ones', () => {
    let message = '';
    try {
      parsePropertyMapping({ status: 'ok_status', request_name: 'Bad Name', '': 'x', client_name: 7 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n')).toStrictEqual([
      'Invalid HubSpot property mapping (3 problems):',
      '  - "request_name" → "Bad Name": not a valid HubSpot property name (lower-case letters, digits and "_", starting with a letter)',
      '  - "" → "x": the source key is empty',
      '  - "client_name" → 7: the property name must be a string, not a number',
    ]);
  });
});
