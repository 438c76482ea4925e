/**
 * The CLI's own helpers: time options, progress output, the samples, the stack output names (kept
 * equal to the stack's), the target options, and AWS errors as one line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STACK_NAME, describeAwsError, STACK_OUTPUTS } from '../../cli/aws.ts';
import { listingLine, summaryLine } from '../../cli/commands/replay.ts';
import { CliError, UsageError } from '../../cli/errors.ts';
import { bar, progress } from '../../cli/progress.ts';
import {
  DEFAULT_TEST_USER,
  freshen,
  freshSuffix,
  readSample,
  SAMPLE_NAMES,
  SAMPLES,
} from '../../cli/samples.ts';
import { defaultStackName, targetChoice } from '../../cli/target.ts';
import { parseIsoTime, timeOption } from '../../cli/times.ts';
import { buildEnvelope } from '../../lambda/domain/envelope.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';
import { loadConfig } from '../../lib/config.ts';
import { STACK_OUTPUTS as STACK_OUTPUTS_OF_THE_STACK } from '../../lib/leadsie-webhooks-stack.ts';

describe('time options', () => {
  it.each([
    ['2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['2026-03-01T09:30', '2026-03-01T09:30:00.000Z'],
    ['2026-03-01T09:30:15', '2026-03-01T09:30:15.000Z'],
    ['2026-03-01T09:30:15Z', '2026-03-01T09:30:15.000Z'],
    ['2026-03-01t09:30:15z', '2026-03-01T09:30:15.000Z'],
    ['2026-03-01T09:30:15.25Z', '2026-03-01T09:30:15.250Z'],
    ['2026-03-01T09:30:15.123456789Z', '2026-03-01T09:30:15.123Z'],
    ['2026-03-01T11:30:00+02:00', '2026-03-01T09:30:00.000Z'],
    ['2026-03-01T04:00-0530', '2026-03-01T09:30:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
    [' 2026-03-01 ', '2026-03-01T00:00:00.000Z'],
    ['2026-03-01 09:30', '2026-03-01T09:30:00.000Z'],
  ])('reads %j as %s', (text, iso) => {
    expect(parseIsoTime(text)?.toISOString()).toBe(iso);
  });

  it.each([
    'yesterday',
    '2026-3-1',
    '2026-02-30',
    '2027-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-03-01T24:00',
    '2026-03-01T09:60',
    '2026-03-01T09:30:61Z',
    '2026-03-01T09:30+25:00',
    '1772323200',
    '',
  ])('rejects %j', (text) => {
    expect(parseIsoTime(text)).toBeNull();
  });

  it('names the option and the accepted forms in a usage error', () => {
    expect(() => timeOption('since', 'last week')).toThrow(UsageError);
    expect(() => timeOption('since', 'last week')).toThrow(
      /--since "last week" is not an ISO date \(2026-03-01/,
    );
    expect(timeOption('until', undefined)).toBeUndefined();
  });
});

describe('progress', () => {
  it('draws one line in place on a terminal, at most every redrawMs, and clears it when done', () => {
    const out: string[] = [];
    let clock = 0;
    const p = progress(
      { stderr: (t) => out.push(t), stderrIsTTY: true },
      { label: 'replay', every: 100, now: () => clock },
    );
    p.tick(1, '1 examined', 0.5);
    clock = 50;
    p.tick(2, '2 examined', 0.6);
    clock = 150;
    p.tick(3, '3 examined', 1);
    p.done();
    expect(out).toEqual([
      `\r\x1b[Kreplay ${bar(0.5)} 1 examined`,
      `\r\x1b[Kreplay ${bar(1)} 3 examined`,
      '\r\x1b[K',
    ]);
    expect(bar(0.5)).toBe(`[${'#'.repeat(12)}${'-'.repeat(12)}]  50%`);
    expect(bar(7)).toBe(`[${'#'.repeat(24)}] 100%`);
    expect(bar(Number.NaN)).toBe(`[${'-'.repeat(24)}]   0%`);
  });

  it('prints a plain line every `every` items elsewhere, and nothing when every is 0', () => {
    const out: string[] = [];
    const p = progress({ stderr: (t) => out.push(t), stderrIsTTY: false }, { label: 'replay', every: 2 });
    for (let i = 1; i <= 5; i++) p.tick(i, `${i} examined`, i / 5);
    p.done();
    expect(out).toEqual(['replay: 2 examined\n', 'replay: 4 examined\n']);
    const quiet: string[] = [];
    const q = progress({ stderr: (t) => quiet.push(t) }, { label: 'export', every: 0 });
    q.tick(1, 'x');
    expect(quiet).toEqual([]);
  });
});

describe('samples', () => {
  it.each(SAMPLE_NAMES)('%s is a valid Leadsie payload of the expected format and status', async (name) => {
    const payload = await readSample(name);
    const parsed = parsePayload(payload);
    expect(parsed.ok).toBe(true);
    const expected = { v1: [1, 'PARTIAL_SUCCESS'], v2: [2, 'PARTIAL_SUCCESS'], failed: [1, 'FAILED'] }[name];
    expect([parsed.ok && parsed.payload.format, payload.status]).toEqual(expected);
    expect(SAMPLES[name]).toMatch(/\.json$/);
  });

  it('freshens a sample: the test user (an isTest event), a new request name, nothing else changed', async () => {
    const sample = await readSample('v2');
    const suffix = freshSuffix(new Date('2026-03-01T10:00:00.000Z'), () => 'beef');
    expect(suffix).toBe(' (cli test 2026-03-01T10:00:00.000Z beef)');
    const fresh = freshen(sample, { user: DEFAULT_TEST_USER, suffix });
    expect(fresh).toEqual({
      ...sample,
      user: 'test-user-cli',
      requestName: `${sample.requestName} (cli test 2026-03-01T10:00:00.000Z beef)`,
    });
    expect(sample.user).toBe('hubspot-company-99123');
    const parsed = parsePayload(fresh);
    if (!parsed.ok) throw new Error('freshened sample does not validate');
    const envelope = buildEnvelope({
      payload: parsed.payload,
      eventId: 'e',
      fingerprint: `sha256:${'0'.repeat(64)}`,
      receivedAt: '2026-03-01T10:00:00.000Z',
      version: 1,
    });
    expect(envelope.isTest).toBe(true);
    const real = parsePayload(freshen(sample, { user: 'crm-contact-1', suffix }));
    if (!real.ok) throw new Error('does not validate');
    expect(
      buildEnvelope({
        payload: real.payload,
        eventId: 'e',
        fingerprint: envelope.fingerprint,
        receivedAt: envelope.receivedAt,
        version: 1,
      }).isTest,
    ).toBe(false);
    expect(freshSuffix(new Date(0))).toMatch(/^ \(cli test 1970-01-01T00:00:00\.000Z [0-9a-f]{8}\)$/);
  });
});

describe('stack outputs and target options', () => {
  it('uses the output names the stack defines, and its default stack name', () => {
    expect(STACK_OUTPUTS).toEqual(STACK_OUTPUTS_OF_THE_STACK);
    expect(loadConfig({}).stackName).toBe(DEFAULT_STACK_NAME);
  });

  it('targets the deployed stack by default, local mode with --local', () => {
    expect(targetChoice({}, {})).toEqual({
      kind: 'deployed',
      stackName: 'LeadsieWebhooks',
      region: undefined,
    });
    expect(targetChoice({ stack: 'Other', region: 'eu-west-1' }, {})).toEqual({
      kind: 'deployed',
      stackName: 'Other',
      region: 'eu-west-1',
    });
    expect(targetChoice({ local: true }, { LOCAL_DATA_DIR: '/tmp/x' })).toEqual({
      kind: 'local',
      dataDir: '/tmp/x',
    });
    expect(targetChoice({ local: true, 'data-dir': '/tmp/y' }, { LOCAL_DATA_DIR: '/tmp/x' })).toEqual({
      kind: 'local',
      dataDir: '/tmp/y',
    });
    expect(targetChoice({ local: true }, {})).toMatchObject({ dataDir: expect.stringMatching(/\/\.local$/) });
  });

  it("defaults to the stackName of cdk.json's context, as cdk deploy does, else LeadsieWebhooks", () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdk-json-'));
    try {
      const file = join(dir, 'cdk.json');
      expect(defaultStackName(file)).toBe(DEFAULT_STACK_NAME); // no cdk.json
      writeFileSync(file, JSON.stringify({ app: 'x', context: { stackName: 'AgencyProd' } }));
      expect(defaultStackName(file)).toBe('AgencyProd');
      expect(targetChoice({}, {}, file)).toMatchObject({ stackName: 'AgencyProd' });
      expect(targetChoice({ stack: 'Other' }, {}, file)).toMatchObject({ stackName: 'Other' });
      writeFileSync(file, JSON.stringify({ app: 'x', context: { stackName: '  ' } }));
      expect(defaultStackName(file)).toBe(DEFAULT_STACK_NAME);
      writeFileSync(file, JSON.stringify({ app: 'x' }));
      expect(defaultStackName(file)).toBe(DEFAULT_STACK_NAME);
      writeFileSync(file, '{ "app": ');
      expect(() => defaultStackName(file)).toThrow(/cdk\.json is not valid JSON .*pass --stack/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The repository's own cdk.json sets no stackName.
    expect(defaultStackName()).toBe(DEFAULT_STACK_NAME);
  });

  it.each([
    [{ local: true, stack: 'S' }, /--local cannot be combined/],
    [{ local: true, region: 'eu-west-1' }, /--local cannot be combined/],
    [{ 'data-dir': '/tmp/x' }, /--data-dir applies to --local only/],
    [{ stack: '' }, /--stack needs/],
  ])('rejects %j', (values, message) => {
    expect(() => targetChoice(values, {})).toThrow(message);
  });
});

describe('AWS errors in one line', () => {
  const named = (name: string, message: string) => Object.assign(new Error(message), { name });

  it.each([
    [
      named('CredentialsProviderError', 'Could not load credentials from any providers'),
      /^no AWS credentials found while doing X: configure them/,
    ],
    [new Error('Region is missing'), /^no AWS region while doing X: pass --region or set AWS_REGION/],
    [
      named('ExpiredTokenException', 'The security token included in the request is expired'),
      /credentials have expired/,
    ],
    [
      named('UnrecognizedClientException', 'The security token is invalid'),
      /AWS rejected the credentials while doing X/,
    ],
    [
      named('AccessDeniedException', 'not authorized to perform: sns:Publish'),
      /^access denied while doing X: not authorized/,
    ],
    [
      Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      /cannot reach AWS while doing X \(ECONNREFUSED\)/,
    ],
    [
      named('ResourceNotFoundException', 'Requested resource not found'),
      /^doing X failed: ResourceNotFoundException: Requested resource not found$/,
    ],
  ])('%s', (error, expected) => {
    expect(describeAwsError(error, 'doing X')).toMatch(expected);
  });

  it('keeps exit status 2 for usage errors and 1 for the rest', () => {
    expect(new UsageError('x').exitCode).toBe(2);
    expect(new CliError('x').exitCode).toBe(1);
  });
});

describe('replay listing', () => {
  it('prints one tab-separated line per delivery, "-" when absent, no tab or newline inside a field', () => {
    const line = listingLine({
      fingerprint: 'f',
      eventId: '01E',
      receivedAt: '2026-03-01T00:00:00.000Z',
      user: null,
      requestUrl: 'u',
      requestName: 'Name\twith\r\nbreaks',
      status: null,
      apiVersion: 1,
      rawBody: '{}',
      leaseUntil: 0,
      version: 0,
      publishedAt: null,
      publishAttempts: 0,
      quarantineId: null,
    });
    expect(line).toBe('2026-03-01T00:00:00.000Z\t01E\t-\tName with breaks\t-\t0');
  });

  it('summarises with the reasons for skipping', () => {
    const summary = {
      dryRun: true,
      examined: 9,
      sent: 5,
      skipped: 3,
      skippedByReason: { filtered: 2, incomplete: 1, 'not-subscribed': 0 },
      failed: 1,
    };
    expect(summaryLine(summary)).toBe(
      'dry run, nothing was sent: would send 5, skipped 3, failed 1 of 9 deliveries in the time range (skipped: 2 not matching the filters, 1 not yet versioned)',
    );
    expect(summaryLine({ ...summary, dryRun: false, skipped: 0 })).toBe(
      'sent 5, skipped 0, failed 1 of 9 deliveries in the time range',
    );
  });
});
