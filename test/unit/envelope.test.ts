/**
 * The event envelope (schema version 1) and its SNS message attributes, built from each fixture and
 * from small payloads that isolate one rule at a time.
 */
import { describe, expect, it } from 'vitest';
import {
  buildEnvelope,
  type ConnectionEvent,
  envelopeAttributes,
  envelopeSchema,
  isLeadsieTestPayload,
} from '../../lambda/domain/envelope.ts';
import { flatten } from '../../lambda/domain/flatten.ts';
import { type LeadsiePayload, parsePayload } from '../../lambda/domain/payload.ts';
import { fixtureNames, type JsonObject, parsedFixture } from './fixtures.ts';

const META = { eventId: '01JZ0000000000000000000000', fingerprint: `sha256:${'a'.repeat(64)}` } as const;
const RECEIVED_AT = '2026-07-01T08:15:05.123Z';

const envelopeOf = (payload: LeadsiePayload, version = 1): ConnectionEvent =>
  buildEnvelope({ payload, ...META, receivedAt: RECEIVED_AT, version });

const parse = (raw: JsonObject): LeadsiePayload => {
  const result = parsePayload(raw);
  if (!result.ok) throw new Error(`payload rejected: ${JSON.stringify(result.problems)}`);
  return result.payload;
};

const v1 = (extra: JsonObject = {}): LeadsiePayload =>
  parse({
    requestUrl: 'https://app.leadsie.com/request/r',
    requestName: 'R',
    connectionAssets: [],
    ...extra,
  });

const v2 = (extra: JsonObject = {}): LeadsiePayload =>
  parse({
    requestUrl: 'https://app.leadsie.com/request/r',
    requestName: 'R',
    apiVersion: 2,
    connectionAssets: [],
    ...extra,
  });

const fixtures = fixtureNames();

describe('buildEnvelope on the fixtures', () => {
  it('v1-failed.json, in full', () => {
    const payload = parsedFixture('v1-failed.json');
    expect(envelopeOf(payload, 3)).toStrictEqual({
      schemaVersion: 1,
      eventId: META.eventId,
      fingerprint: META.fingerprint,
      receivedAt: RECEIVED_AT,
      user: 'lead-7731',
      request: { url: 'https://app.leadsie.com/request/bluebird-dental', name: 'Bluebird Dental' },
      client: null,
      status: 'FAILED',
      accessLevel: 'admin',
      apiVersion: 1,
      isTest: false,
      version: 3,
      assets: [
        {
          type: 'Page',
          typeKey: 'page',
          platform: 'Meta',
          id: '209384756102',
          name: 'Bluebird Dental Clinic',
          ok: false,
          connectionStatus: null,
          message: 'Business Manager rejected the partner request',
          time: '2026-05-20T17:45:31.000Z',
          link: null,
        },
      ],
      flat: {
        user_id: 'lead-7731',
        requestUrl: 'https://app.leadsie.com/request/bluebird-dental',
        requestName: 'Bluebird Dental',
        page_id: '209384756102',
        page_name: 'Bluebird Dental Clinic',
        page_is_success: 'False',
        page_message: 'Business Manager rejected the partner request',
      },
    });
  });

  it('v2-partial-multi-platform.json, in full (flat aside)', () => {
    const { flat, ...rest } = envelopeOf(parsedFixture('v2-partial-multi-platform.json'));
    expect(flat).toStrictEqual(flatten(parsedFixture('v2-partial-multi-platform.json')));
    expect(rest).toStrictEqual({
      schemaVersion: 1,
      eventId: META.eventId,
      fingerprint: META.fingerprint,
      receivedAt: RECEIVED_AT,
      user: 'hubspot-company-99123',
      request: {
        url: 'https://app.leadsie.com/request/harbor-fitness',
        name: 'Harbor Fitness - full access',
      },
      client: {
        name: 'Harbor Fitness LLC',
        summaryUrl: 'https://app.leadsie.com/clients/6651f0c2b4e1a90012a3c4d5',
      },
      status: 'PARTIAL_SUCCESS',
      accessLevel: 'admin',
      apiVersion: 2,
      isTest: false,
      version: 1,
      assets: [
        {
          type: 'Meta Ad Account',
          typeKey: 'meta_ad_account',
          platform: 'Meta',
          id: 'act_7788990011',
          name: 'Harbor Fitness Ads',
          ok: true,
          connectionStatus: 'Connected',
          message: null,
          time: '2026-06-14T10:02:11.000Z',
          link: 'https://adsmanager.facebook.com/adsmanager/manage/campaigns?act=7788990011',
        },
        {
          type: 'Facebook Page',
          typeKey: 'facebook_page',
          platform: 'Meta',
          id: '556677889900',
          name: 'Harbor Fitness',
          ok: true,
          connectionStatus: 'Connected',
          message: null,
          time: '2026-06-14T10:02:12.000Z',
          link: null,
        },
        {
          type: 'Google Ads Account',
          typeKey: 'google_ads_account',
          platform: 'Google',
          id: '123-456-7890',
          name: 'Harbor Fitness Search',
          ok: false,
          connectionStatus: 'Insufficient permissions',
          message: "The client's Google user is not an administrator of this account.",
          time: '2026-06-14T10:02:15.000Z',
          link: null,
        },
        {
          type: 'Shopify Store',
          typeKey: 'shopify_store',
          platform: 'Shopify',
          id: 'harbor-fitness',
          name: 'harbor-fitness.myshopify.com',
          ok: false,
          connectionStatus: 'In progress',
          message: 'Waiting for the store owner to accept the collaborator request.',
          time: '2026-06-14T10:02:19.000Z',
          link: null,
        },
      ],
    });
  });

  it.each<{ name: string; user: string | null; client: ConnectionEvent['client']; apiVersion: number }>([
    { name: 'v1-failed.json', user: 'lead-7731', client: null, apiVersion: 1 },
    { name: 'v1-partial-success.json', user: 'crm-contact-48213', client: null, apiVersion: 1 },
    { name: 'v1-success-no-user.json', user: null, client: null, apiVersion: 1 },
    {
      name: 'v2-partial-multi-platform.json',
      user: 'hubspot-company-99123',
      client: {
        name: 'Harbor Fitness LLC',
        summaryUrl: 'https://app.leadsie.com/clients/6651f0c2b4e1a90012a3c4d5',
      },
      apiVersion: 2,
    },
    {
      name: 'v2-success-google.json',
      user: 'onboarding-5521',
      client: {
        name: 'Kestrel Legal Partners',
        summaryUrl: 'https://app.leadsie.com/clients/66a0b1c2d3e4f5a6b7c8d9e0',
      },
      apiVersion: 2,
    },
  ])('$name: user, client and apiVersion', ({ name, user, client, apiVersion }) => {
    const envelope = envelopeOf(parsedFixture(name));
    expect(envelope.user).toBe(user);
    expect(envelope.client).toStrictEqual(client);
    expect(envelope.apiVersion).toBe(apiVersion);
  });

  it('covers every fixture in the table above', () => {
    expect(fixtures).toHaveLength(5);
  });

  it.each(fixtures)('%s: common fields, one normalised asset per payload asset, flat included', (name) => {
    const payload = parsedFixture(name);
    const envelope = envelopeOf(payload, 7);
    expect(envelope.schemaVersion).toBe(1);
    expect(envelope.eventId).toBe(META.eventId);
    expect(envelope.fingerprint).toBe(META.fingerprint);
    expect(envelope.receivedAt).toBe(RECEIVED_AT);
    expect(envelope.version).toBe(7);
    expect(envelope.request).toStrictEqual({ url: payload.data.requestUrl, name: payload.data.requestName });
    expect(envelope.status).toBe(payload.data.status);
    expect(envelope.accessLevel).toBe(payload.data.accessLevel);
    expect(envelope.isTest).toBe(false);
    expect(envelope.assets.map((a) => [a.type, a.id])).toStrictEqual(
      payload.data.connectionAssets.map((a) => [a.type, a.id]),
    );
    expect(envelope.flat).toStrictEqual(flatten(payload));
  });

  it.each(fixtures)('%s: the envelope validates against envelopeSchema, unchanged', (name) => {
    const envelope = envelopeOf(parsedFixture(name));
    const result = envelopeSchema.safeParse(envelope);
    expect(result.success).toBe(true);
    expect(result.data).toStrictEqual(envelope);
  });

  it('is pure: the same input gives an equal envelope', () => {
    const payload = parsedFixture('v2-success-google.json');
    expect(envelopeOf(payload)).toStrictEqual(envelopeOf(payload));
  });

  it('uses the flat record the caller passes instead of flattening again', () => {
    const flat = { user_id: 'precomputed' };
    const envelope = buildEnvelope({
      payload: parsedFixture('v1-failed.json'),
      ...META,
      receivedAt: RECEIVED_AT,
      version: 1,
      flat,
    });
    expect(envelope.flat).toBe(flat);
  });
});

describe('buildEnvelope rules', () => {
  it.each<{ name: string; payload: LeadsiePayload; user: string | null }>([
    { name: 'absent', payload: v1(), user: null },
    { name: 'null', payload: v1({ user: null }), user: null },
    { name: '""', payload: v1({ user: '' }), user: null },
    { name: 'as sent, spaces kept', payload: v1({ user: ' lead 1 ' }), user: ' lead 1 ' },
    { name: 'on v2, absent', payload: v2(), user: null },
  ])('user $name → $user', ({ payload, user }) => {
    expect(envelopeOf(payload).user).toBe(user);
  });

  it.each<{ name: string; payload: LeadsiePayload; client: ConnectionEvent['client'] }>([
    {
      name: 'v1, even with client fields',
      payload: v1({ clientName: 'C', clientSummaryUrl: 'https://c' }),
      client: null,
    },
    { name: 'v2 without client fields', payload: v2(), client: null },
    {
      name: 'v2 with null client fields',
      payload: v2({ clientName: null, clientSummaryUrl: null }),
      client: null,
    },
    {
      name: 'v2 with a name only',
      payload: v2({ clientName: 'C' }),
      client: { name: 'C', summaryUrl: null },
    },
    {
      name: 'v2 with a summary URL only',
      payload: v2({ clientSummaryUrl: 'https://c' }),
      client: { name: null, summaryUrl: 'https://c' },
    },
  ])('client: $name', ({ payload, client }) => {
    expect(envelopeOf(payload).client).toStrictEqual(client);
  });

  it.each<{ name: string; payload: LeadsiePayload; status: string | null; accessLevel: string | null }>([
    { name: 'absent', payload: v1(), status: null, accessLevel: null },
    { name: 'null', payload: v1({ status: null, accessLevel: null }), status: null, accessLevel: null },
    {
      name: 'unknown values, as sent',
      payload: v1({ status: 'SOMETHING_NEW', accessLevel: 'owner' }),
      status: 'SOMETHING_NEW',
      accessLevel: 'owner',
    },
    {
      name: 'v2',
      payload: v2({ status: 'SUCCESS', accessLevel: 'view' }),
      status: 'SUCCESS',
      accessLevel: 'view',
    },
  ])('status and accessLevel: $name', ({ payload, status, accessLevel }) => {
    const envelope = envelopeOf(payload);
    expect(envelope.status).toBe(status);
    expect(envelope.accessLevel).toBe(accessLevel);
  });

  it.each<{ name: string; payload: LeadsiePayload; apiVersion: number }>([
    { name: 'absent', payload: v1(), apiVersion: 1 },
    { name: 'null', payload: v1({ apiVersion: null }), apiVersion: 1 },
    { name: '1', payload: v1({ apiVersion: 1 }), apiVersion: 1 },
    { name: '2', payload: v2(), apiVersion: 2 },
    { name: 'a future 3', payload: v2({ apiVersion: 3 }), apiVersion: 3 },
  ])('apiVersion $name → $apiVersion', ({ payload, apiVersion }) => {
    expect(envelopeOf(payload).apiVersion).toBe(apiVersion);
  });

  it.each<{ name: string; payload: LeadsiePayload; isTest: boolean }>([
    { name: 'user test-user-…', payload: v1({ user: 'test-user-8f3a' }), isTest: true },
    { name: 'user test-user-… on v2', payload: v2({ user: 'test-user-1' }), isTest: true },
    { name: 'a leadsieTestClientId field', payload: v1({ leadsieTestClientId: 'c-1' }), isTest: true },
    { name: 'a leadsieTestClientId field on v2', payload: v2({ leadsieTestClientId: 'c-1' }), isTest: true },
    { name: 'both', payload: v2({ user: 'test-user-1', leadsieTestClientId: 'c-1' }), isTest: true },
    { name: 'an ordinary user', payload: v1({ user: 'lead-1' }), isTest: false },
    { name: 'no user', payload: v1(), isTest: false },
    { name: 'user "test-user" (no suffix)', payload: v1({ user: 'test-user' }), isTest: false },
    { name: 'user "TEST-USER-1" (case matters)', payload: v1({ user: 'TEST-USER-1' }), isTest: false },
    { name: 'user "my-test-user-1" (prefix only)', payload: v1({ user: 'my-test-user-1' }), isTest: false },
    { name: 'a similarly named field', payload: v1({ leadsieTestClient: 'c-1' }), isTest: false },
  ])('isTest for $name → $isTest', ({ payload, isTest }) => {
    expect(isLeadsieTestPayload(payload)).toBe(isTest);
    expect(envelopeOf(payload).isTest).toBe(isTest);
  });
});

describe('normalised assets', () => {
  const v1Asset = (fields: JsonObject) => {
    const [asset] = envelopeOf(
      v1({
        connectionAssets: [{ type: 'Page', id: '1', name: 'n', isSuccess: true, message: '', ...fields }],
      }),
    ).assets;
    return asset;
  };
  const v2Asset = (fields: JsonObject) => {
    const [asset] = envelopeOf(v2({ connectionAssets: [{ type: 'Shop', id: '1', ...fields }] })).assets;
    return asset;
  };

  it.each<[string, string | null]>([
    ['Ad Account', 'Meta'],
    ['Page', 'Meta'],
    ['Pixel', 'Meta'],
    ['Instagram Account', 'Meta'],
    ['Catalog', 'Meta'],
    ['AD ACCOUNT', 'Meta'],
    ['Google Ads Account', null],
    ['Facebook Page', null],
    ['TikTok  Ad Account', null],
    ['User', null],
  ])('v1 type %j has platform %j', (type, platform) => {
    expect(v1Asset({ type })?.platform).toBe(platform);
  });

  it('a v1 asset, in full', () => {
    expect(
      v1Asset({
        type: 'TikTok  Ad Account',
        id: 't-1',
        name: 'T',
        isSuccess: false,
        message: 'm',
        time: RECEIVED_AT,
      }),
    ).toStrictEqual({
      type: 'TikTok  Ad Account',
      typeKey: 'tiktok__ad_account',
      platform: null,
      id: 't-1',
      name: 'T',
      ok: false,
      connectionStatus: null,
      message: 'm',
      time: RECEIVED_AT,
      link: null,
    });
  });

  it.each<{ name: string; fields: JsonObject; expected: JsonObject }>([
    { name: 'isSuccess true', fields: { isSuccess: true }, expected: { ok: true } },
    { name: 'isSuccess false', fields: { isSuccess: false }, expected: { ok: false } },
    { name: 'isSuccess null', fields: { isSuccess: null }, expected: { ok: null } },
    { name: 'isSuccess absent', fields: { isSuccess: undefined }, expected: { ok: null } },
    { name: 'message ""', fields: { message: '' }, expected: { message: null } },
    { name: 'message null', fields: { message: null }, expected: { message: null } },
    { name: 'message absent', fields: { message: undefined }, expected: { message: null } },
    { name: 'message ", " kept as sent', fields: { message: ', ' }, expected: { message: ', ' } },
    { name: 'name absent', fields: { name: undefined }, expected: { name: null } },
    { name: 'time absent', fields: {}, expected: { time: null } },
  ])('v1: $name', ({ fields, expected }) => {
    expect(v1Asset(fields)).toMatchObject(expected);
  });

  it.each<{ name: string; fields: JsonObject; expected: JsonObject }>([
    {
      name: 'Connected',
      fields: { connectionStatus: 'Connected' },
      expected: { ok: true, connectionStatus: 'Connected' },
    },
    {
      name: 'an unknown status is not ok, kept as sent',
      fields: { connectionStatus: 'Revoked' },
      expected: { ok: false, connectionStatus: 'Revoked' },
    },
    {
      name: 'connectionStatus wins over isSuccess',
      fields: { connectionStatus: 'In progress', isSuccess: true },
      expected: { ok: false, connectionStatus: 'In progress' },
    },
    {
      name: 'no connectionStatus: isSuccess',
      fields: { isSuccess: true },
      expected: { ok: true, connectionStatus: null },
    },
    { name: 'neither', fields: {}, expected: { ok: null, connectionStatus: null } },
    { name: 'notes → message', fields: { notes: 'n' }, expected: { message: 'n' } },
    { name: 'notes "" → null', fields: { notes: '' }, expected: { message: null } },
    { name: 'no notes: older-style message', fields: { message: 'm' }, expected: { message: 'm' } },
    { name: 'linkToAsset → link', fields: { linkToAsset: 'https://l' }, expected: { link: 'https://l' } },
    { name: 'linkToAsset "" → null', fields: { linkToAsset: '' }, expected: { link: null } },
    { name: 'platform as sent', fields: { platform: 'TikTok' }, expected: { platform: 'TikTok' } },
    { name: 'platform "" → null', fields: { platform: '' }, expected: { platform: null } },
    { name: 'platform absent → null', fields: {}, expected: { platform: null } },
    {
      name: 'typeKey',
      fields: { type: 'Google Ads  Account' },
      expected: { typeKey: 'google_ads__account' },
    },
  ])('v2: $name', ({ fields, expected }) => {
    expect(v2Asset(fields)).toMatchObject(expected);
  });
});

describe('envelopeSchema', () => {
  const good = (): JsonObject => envelopeOf(parsedFixture('v2-partial-multi-platform.json')) as JsonObject;

  it.each<{ name: string; change: JsonObject }>([
    { name: 'schemaVersion 2', change: { schemaVersion: 2 } },
    { name: 'receivedAt not ISO', change: { receivedAt: '1 July 2026' } },
    { name: 'receivedAt without a zone', change: { receivedAt: '2026-07-01T08:15:05' } },
    { name: 'version negative', change: { version: -1 } },
    { name: 'version not an integer', change: { version: 1.5 } },
    { name: 'user a number', change: { user: 1 } },
    { name: 'flat with a number value', change: { flat: { user_id: 1 } } },
    { name: 'an asset without typeKey', change: { assets: [{ type: 'Page', id: '1' }] } },
    { name: 'isTest a string', change: { isTest: 'false' } },
    { name: 'client a string', change: { client: 'C' } },
  ])('rejects an envelope with $name', ({ change }) => {
    expect(envelopeSchema.safeParse({ ...good(), ...change }).success).toBe(false);
  });

  it.each(['eventId', 'fingerprint', 'user', 'client', 'assets', 'flat'])(
    'rejects an envelope without %s',
    (key) => {
      const { [key]: _removed, ...rest } = good();
      expect(envelopeSchema.safeParse(rest).success).toBe(false);
    },
  );
});

describe('envelopeAttributes', () => {
  it.each<{ name: string; attributes: ReturnType<typeof envelopeAttributes> }>([
    {
      name: 'v1-failed.json',
      attributes: {
        status: 'FAILED',
        accessLevel: 'admin',
        apiVersion: '1',
        isTest: 'false',
        hasUser: 'true',
        platforms: ['Meta'],
        assetTypes: ['Page'],
      },
    },
    {
      name: 'v1-partial-success.json',
      attributes: {
        status: 'PARTIAL_SUCCESS',
        accessLevel: 'admin',
        apiVersion: '1',
        isTest: 'false',
        hasUser: 'true',
        platforms: ['Meta'],
        assetTypes: ['Ad Account', 'Page', 'Pixel', 'Instagram Account'],
      },
    },
    {
      name: 'v1-success-no-user.json',
      attributes: {
        status: 'SUCCESS',
        accessLevel: 'view',
        apiVersion: '1',
        isTest: 'false',
        hasUser: 'false',
        platforms: ['Meta'],
        assetTypes: ['Catalog'],
      },
    },
    {
      name: 'v2-partial-multi-platform.json',
      attributes: {
        status: 'PARTIAL_SUCCESS',
        accessLevel: 'admin',
        apiVersion: '2',
        isTest: 'false',
        hasUser: 'true',
        platforms: ['Meta', 'Google', 'Shopify'],
        assetTypes: ['Meta Ad Account', 'Facebook Page', 'Google Ads Account', 'Shopify Store'],
      },
    },
    {
      name: 'v2-success-google.json',
      attributes: {
        status: 'SUCCESS',
        accessLevel: 'view',
        apiVersion: '2',
        isTest: 'false',
        hasUser: 'true',
        platforms: ['Google'],
        assetTypes: ['Google Analytics Property', 'Google Business Profile'],
      },
    },
  ])('$name', ({ name, attributes }) => {
    expect(envelopeAttributes(envelopeOf(parsedFixture(name)))).toStrictEqual(attributes);
  });

  it('leaves out status and accessLevel when they are null, and says isTest and hasUser', () => {
    const attributes = envelopeAttributes(envelopeOf(v1({ user: 'test-user-1' })));
    expect(attributes).toStrictEqual({
      apiVersion: '1',
      isTest: 'true',
      hasUser: 'true',
      platforms: [],
      assetTypes: [],
    });
    expect('status' in attributes).toBe(false);
    expect('accessLevel' in attributes).toBe(false);
  });

  it('hasUser is "false" for a user sent as ""', () => {
    expect(envelopeAttributes(envelopeOf(v1({ user: '' }))).hasUser).toBe('false');
  });

  it('platforms and assetTypes are distinct, in order of first appearance, without nulls', () => {
    const payload = v2({
      connectionAssets: [
        { type: 'Page', id: '1', platform: 'Meta' },
        { type: 'Ads', id: '2', platform: 'Google' },
        { type: 'Page', id: '3', platform: 'Meta' },
        { type: 'Store', id: '4' },
        { type: 'Ads', id: '5', platform: '' },
      ],
    });
    const attributes = envelopeAttributes(envelopeOf(payload));
    expect(attributes.platforms).toStrictEqual(['Meta', 'Google']);
    expect(attributes.assetTypes).toStrictEqual(['Page', 'Ads', 'Store']);
  });
});
