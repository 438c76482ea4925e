/**
 * Local mode's SNS filter-policy evaluator against the semantics SNS documents for attribute
 * policies (https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html and
 * the string, numeric and key matching pages), table-driven; then the policies the stack and
 * local mode build with `consumerFilterPolicy`, against the attributes real envelopes carry.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { snsMessageAttributes } from '../../lambda/adapters/sns-event-publisher.ts';
import { consumerFilterPolicy } from '../../lambda/contract.ts';
import { buildEnvelope, type ConnectionEvent } from '../../lambda/domain/envelope.ts';
import { type FilterPolicy, matchesFilterPolicy } from '../../lambda/domain/filter-policy.ts';
import { fingerprint } from '../../lambda/domain/fingerprint.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';
import { fixtureNames, rawFixture } from '../unit/fixtures.ts';

type Attributes = Record<string, MessageAttributeValue>;

const str = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
const num = (value: string): MessageAttributeValue => ({ DataType: 'Number', StringValue: value });
const arr = (values: (string | number)[]): MessageAttributeValue => ({
  DataType: 'String.Array',
  StringValue: JSON.stringify(values),
});

/** [what, policy, attributes, matches?] */
type Case = [string, FilterPolicy | undefined, Attributes, boolean];

const CASES: Record<string, Case[]> = {
  'exact string': [
    ['equal value', { status: ['SUCCESS'] }, { status: str('SUCCESS') }, true],
    ['other value', { status: ['SUCCESS'] }, { status: str('FAILED') }, false],
    ['comparison is case-sensitive', { status: ['SUCCESS'] }, { status: str('success') }, false],
    ['no partial match', { status: ['SUCCESS'] }, { status: str('PARTIAL_SUCCESS') }, false],
    ['a String is not compared with a number', { price: [100] }, { price: str('100') }, false],
  ],
  'OR within a key': [
    ['first value', { status: ['SUCCESS', 'PARTIAL_SUCCESS'] }, { status: str('SUCCESS') }, true],
    ['second value', { status: ['SUCCESS', 'PARTIAL_SUCCESS'] }, { status: str('PARTIAL_SUCCESS') }, true],
    ['neither value', { status: ['SUCCESS', 'PARTIAL_SUCCESS'] }, { status: str('FAILED') }, false],
    ['a string or a prefix: prefix matches', { user: ['x', { prefix: 'ab' }] }, { user: str('abc') }, true],
    ['a string or a prefix: string matches', { user: ['x', { prefix: 'ab' }] }, { user: str('x') }, true],
    ['a string or a prefix: neither', { user: ['x', { prefix: 'ab' }] }, { user: str('y') }, false],
  ],
  'AND across keys': [
    [
      'both keys match',
      { status: ['SUCCESS'], isTest: ['false'] },
      { status: str('SUCCESS'), isTest: str('false') },
      true,
    ],
    [
      'second key does not',
      { status: ['SUCCESS'], isTest: ['false'] },
      { status: str('SUCCESS'), isTest: str('true') },
      false,
    ],
    [
      'first key does not',
      { status: ['SUCCESS'], isTest: ['false'] },
      { status: str('FAILED'), isTest: str('false') },
      false,
    ],
    [
      'attributes the policy does not name are ignored',
      { status: ['SUCCESS'] },
      { status: str('SUCCESS'), other: str('anything') },
      true,
    ],
  ],
  'String.Array attributes (any element)': [
    ['one element matches', { platforms: ['Google'] }, { platforms: arr(['Meta', 'Google']) }, true],
    ['no element matches', { platforms: ['Google'] }, { platforms: arr(['Meta', 'Shopify']) }, false],
    ['an empty array matches no value', { platforms: ['Google'] }, { platforms: arr([]) }, false],
    [
      'documented: ["rugby","tennis"] vs the array ["rugby","tennis"]',
      { customer_interests: ['rugby', 'tennis'] },
      { customer_interests: arr(['rugby', 'tennis']) },
      true,
    ],
    [
      'documented: ["rugby","tennis"] vs the array ["baseball"]',
      { customer_interests: ['rugby', 'tennis'] },
      { customer_interests: arr(['baseball']) },
      false,
    ],
    [
      'a prefix against the elements',
      { assetTypes: [{ prefix: 'Google' }] },
      { assetTypes: arr(['Page', 'Google Ads']) },
      true,
    ],
    [
      'the array is not compared as one string',
      { platforms: ['["Meta"]'] },
      { platforms: arr(['Meta']) },
      false,
    ],
  ],
  'anything-but': [
    [
      'a single value: other value',
      { status: [{ 'anything-but': 'FAILED' }] },
      { status: str('SUCCESS') },
      true,
    ],
    [
      'a single value: that value',
      { status: [{ 'anything-but': 'FAILED' }] },
      { status: str('FAILED') },
      false,
    ],
    [
      'a list: a value not in it',
      { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] },
      { customer_interests: str('baseball') },
      true,
    ],
    [
      'a list: a value in it',
      { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] },
      { customer_interests: str('tennis') },
      false,
    ],
    [
      'documented: an array with one element outside the list matches',
      { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] },
      { customer_interests: arr(['rugby', 'baseball']) },
      true,
    ],
    [
      'numbers: documented 101 matches [100, 500]',
      { price: [{ 'anything-but': [100, 500] }] },
      { price: num('101') },
      true,
    ],
    [
      'numbers: documented 100.1 matches [100, 500]',
      { price: [{ 'anything-but': [100, 500] }] },
      { price: num('100.1') },
      true,
    ],
    [
      'numbers: documented 100 does not match [100, 500]',
      { price: [{ 'anything-but': [100, 500] }] },
      { price: num('100') },
      false,
    ],
    [
      'a prefix: value without it',
      { user: [{ 'anything-but': { prefix: 'test-' } }] },
      { user: str('lead-1') },
      true,
    ],
    [
      'a prefix: value with it',
      { user: [{ 'anything-but': { prefix: 'test-' } }] },
      { user: str('test-user-1') },
      false,
    ],
    [
      'a missing attribute does not match',
      { status: [{ 'anything-but': 'FAILED' }] },
      { other: str('x') },
      false,
    ],
  ],
  prefix: [
    [
      'documented: "bas" matches baseball',
      { customer_interests: [{ prefix: 'bas' }] },
      { customer_interests: str('baseball') },
      true,
    ],
    [
      'documented: "bas" matches basketball',
      { customer_interests: [{ prefix: 'bas' }] },
      { customer_interests: str('basketball') },
      true,
    ],
    [
      'documented: "bas" does not match rugby',
      { customer_interests: [{ prefix: 'bas' }] },
      { customer_interests: str('rugby') },
      false,
    ],
    [
      'case-sensitive',
      { customer_interests: [{ prefix: 'Bas' }] },
      { customer_interests: str('baseball') },
      false,
    ],
  ],
  suffix: [
    [
      'value ending with it',
      { customer_interests: [{ suffix: 'ball' }] },
      { customer_interests: str('baseball') },
      true,
    ],
    [
      'value not ending with it',
      { customer_interests: [{ suffix: 'ball' }] },
      { customer_interests: str('rugby') },
      false,
    ],
    [
      'a prefix is not a suffix',
      { customer_interests: [{ suffix: 'base' }] },
      { customer_interests: str('baseball') },
      false,
    ],
  ],
  'equals-ignore-case': [
    ['other case', { status: [{ 'equals-ignore-case': 'success' }] }, { status: str('SUCCESS') }, true],
    ['mixed case', { status: [{ 'equals-ignore-case': 'SuCcEsS' }] }, { status: str('success') }, true],
    ['other value', { status: [{ 'equals-ignore-case': 'success' }] }, { status: str('FAILED') }, false],
  ],
  exists: [
    ['true: attribute present', { store: [{ exists: true }] }, { store: str('fans'), x: str('1') }, true],
    [
      'true: attribute absent',
      { store: [{ exists: true }] },
      { customer_interests: arr(['baseball']) },
      false,
    ],
    [
      'false: attribute absent',
      { store: [{ exists: false }] },
      { customer_interests: arr(['baseball']) },
      true,
    ],
    ['false: attribute present', { store: [{ exists: false }] }, { store: str('fans') }, false],
  ],
  'numeric (Number attributes)': [
    ['= : documented 301.5', { price_usd: [{ numeric: ['=', 301.5] }] }, { price_usd: num('301.5') }, true],
    [
      '= : documented 3.015e2',
      { price_usd: [{ numeric: ['=', 301.5] }] },
      { price_usd: num('3.015e2') },
      true,
    ],
    ['= : another number', { price_usd: [{ numeric: ['=', 301.5] }] }, { price_usd: num('301') }, false],
    ['< 0: negative', { price_usd: [{ numeric: ['<', 0] }] }, { price_usd: num('-0.5') }, true],
    ['< 0: zero', { price_usd: [{ numeric: ['<', 0] }] }, { price_usd: num('0') }, false],
    [
      '> 0 and <= 150: 150',
      { price_usd: [{ numeric: ['>', 0, '<=', 150] }] },
      { price_usd: num('150') },
      true,
    ],
    ['> 0 and <= 150: 1', { price_usd: [{ numeric: ['>', 0, '<=', 150] }] }, { price_usd: num('1') }, true],
    ['> 0 and <= 150: 0', { price_usd: [{ numeric: ['>', 0, '<=', 150] }] }, { price_usd: num('0') }, false],
    [
      '> 0 and <= 150: 150.5',
      { price_usd: [{ numeric: ['>', 0, '<=', 150] }] },
      { price_usd: num('150.5') },
      false,
    ],
    ['>= 10 and < 20: 10', { n: [{ numeric: ['>=', 10, '<', 20] }] }, { n: num('10') }, true],
    ['>= 10 and < 20: 20', { n: [{ numeric: ['>=', 10, '<', 20] }] }, { n: num('20') }, false],
    [
      'a String attribute is not compared numerically',
      { n: [{ numeric: ['>', 0] }] },
      { n: str('5') },
      false,
    ],
    [
      'a range or a range: second',
      { n: [{ numeric: ['<', 0] }, { numeric: ['>', 100] }] },
      { n: num('101') },
      true,
    ],
    [
      'a range or a range: between',
      { n: [{ numeric: ['<', 0] }, { numeric: ['>', 100] }] },
      { n: num('50') },
      false,
    ],
  ],
  'missing attribute': [
    ['a value condition needs the attribute', { status: ['SUCCESS'] }, { isTest: str('false') }, false],
    ['a prefix needs the attribute', { user: [{ prefix: 'a' }] }, { isTest: str('false') }, false],
    [
      'a numeric condition needs the attribute',
      { n: [{ numeric: ['>', 0] }] },
      { isTest: str('false') },
      false,
    ],
    [
      'one missing key fails the AND',
      { status: ['SUCCESS'], hasUser: ['true'] },
      { status: str('SUCCESS') },
      false,
    ],
  ],
  'no policy': [
    ['undefined matches everything', undefined, { status: str('FAILED'), isTest: str('true') }, true],
    ['undefined matches no attributes at all', undefined, {}, true],
  ],
};

describe('matchesFilterPolicy: SNS attribute-policy semantics', () => {
  for (const [group, cases] of Object.entries(CASES)) {
    describe(group, () => {
      it.each(cases)('%s', (_what, policy, attributes, expected) => {
        expect(matchesFilterPolicy(policy, attributes)).toBe(expected);
      });
    });
  }

  // SNS documents: '"exists": false only matches if at least one attribute is present. An empty set
  // of attributes results in the filter not matching.'
  it('exists:false does not match a message without any attributes (documented SNS note)', () => {
    expect(matchesFilterPolicy({ store: [{ exists: false }] }, {})).toBe(false);
  });

  // SNS documents that anything-but "can be combined with "exists": false", and the values of one
  // key are ORed: [{anything-but: [rugby]}, {exists: false}] matches a missing attribute OR any value
  // but rugby.
  it('anything-but ORed with exists:false matches a present value outside the list', () => {
    const policy = { customer_interests: [{ 'anything-but': ['rugby'] }, { exists: false }] };
    expect(matchesFilterPolicy(policy, { customer_interests: str('baseball') })).toBe(true);
  });

  it('anything-but ORed with exists:false matches a missing attribute and refuses a listed value', () => {
    const policy = { customer_interests: [{ 'anything-but': ['rugby'] }, { exists: false }] };
    expect(matchesFilterPolicy(policy, { other: str('x') })).toBe(true);
    expect(matchesFilterPolicy(policy, { customer_interests: str('rugby') })).toBe(false);
  });
});

/** The envelope of a fixture, as the ingest function publishes it. */
const envelopeOf = (json: Record<string, unknown>): ConnectionEvent => {
  const parsed = parsePayload(json);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return buildEnvelope({
    payload: parsed.payload,
    eventId: '01TESTFILTERPOLICY00000000',
    fingerprint: fingerprint(json),
    receivedAt: '2026-11-26T10:00:00.000Z',
    version: 1,
  });
};

/** Every fixture, plus a Leadsie test payload (its documented `test-user-…` user). */
const EVENTS: [string, ConnectionEvent][] = [
  ...fixtureNames().map((name): [string, ConnectionEvent] => [name, envelopeOf(rawFixture(name))]),
  [
    'Leadsie test payload (v2, user test-user-…)',
    envelopeOf({ ...rawFixture('v2-success-google.json'), user: 'test-user-0f3c9a' }),
  ],
];

describe('consumerFilterPolicy: the policies the stack and local mode subscribe with', () => {
  it('has a Leadsie test payload and real ones to route', () => {
    expect(EVENTS.filter(([, event]) => event.isTest).map(([name]) => name)).toEqual([
      'Leadsie test payload (v2, user test-user-…)',
    ]);
    expect(EVENTS.filter(([, event]) => !event.isTest)).toHaveLength(fixtureNames().length);
  });

  it('builds no policy when nothing is filtered, and isTest=false when test events are left out', () => {
    expect(consumerFilterPolicy({ includeTestEvents: true })).toBeUndefined();
    expect(consumerFilterPolicy({ includeTestEvents: false })).toEqual({ isTest: ['false'] });
    expect(consumerFilterPolicy({ statuses: ['SUCCESS', 'FAILED'], includeTestEvents: false })).toEqual({
      status: ['SUCCESS', 'FAILED'],
      isTest: ['false'],
    });
  });

  // Each module's default is one of these two (test/infra/consumers.test.ts pins each module's policy).
  const consumers: [string, boolean][] = [
    ['a consumer that takes test payloads', true],
    ['a consumer that leaves them out', false],
  ];
  const routing = consumers.flatMap(([consumer, includeTestEvents]) =>
    EVENTS.map(([name, event]) => ({ consumer, includeTestEvents, name, event })),
  );

  it.each(routing)(
    '$consumer (includeTestEvents $includeTestEvents) ← $name',
    ({ includeTestEvents, event }) => {
      const policy = consumerFilterPolicy({ includeTestEvents });
      expect(matchesFilterPolicy(policy, snsMessageAttributes(event))).toBe(
        includeTestEvents || !event.isTest,
      );
    },
  );

  const byStatus = EVENTS.filter(([, event]) => !event.isTest);
  it.each(byStatus)('statuses [SUCCESS, FAILED] with test events left out ← %s', (_name, event) => {
    const policy = consumerFilterPolicy({ statuses: ['SUCCESS', 'FAILED'], includeTestEvents: false });
    const expected = event.status === 'SUCCESS' || event.status === 'FAILED';
    expect(matchesFilterPolicy(policy, snsMessageAttributes(event))).toBe(expected);
  });

  it('statuses: a PARTIAL_SUCCESS event is left out, and so is a test event of a listed status', () => {
    const policy = consumerFilterPolicy({ statuses: ['SUCCESS'], includeTestEvents: false });
    const partial = envelopeOf(rawFixture('v1-partial-success.json'));
    const testSuccess = envelopeOf({ ...rawFixture('v2-success-google.json'), user: 'test-user-1' });
    const realSuccess = envelopeOf(rawFixture('v2-success-google.json'));
    expect(matchesFilterPolicy(policy, snsMessageAttributes(partial))).toBe(false);
    expect(matchesFilterPolicy(policy, snsMessageAttributes(testSuccess))).toBe(false);
    expect(matchesFilterPolicy(policy, snsMessageAttributes(realSuccess))).toBe(true);
  });

  it('statuses: an event without a status has no status attribute, so a status policy leaves it out', () => {
    const json = { ...rawFixture('v1-failed.json') };
    delete json.status;
    const event = envelopeOf(json);
    expect(event.status).toBeNull();
    expect(snsMessageAttributes(event)).not.toHaveProperty('status');
    const policy = consumerFilterPolicy({
      statuses: ['SUCCESS', 'FAILED', 'PARTIAL_SUCCESS'],
      includeTestEvents: true,
    });
    expect(matchesFilterPolicy(policy, snsMessageAttributes(event))).toBe(false);
  });
});
