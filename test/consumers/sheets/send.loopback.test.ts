/**
 * The Google Sheets adapter against a loopback stand-in for Google (`test/support/fake-google.ts`):
 * the token exchange (a JWT assertion whose RS256 signature the stand-in verifies with the public
 * half of a key pair made for this test; the form it is posted in; the token cached until shortly
 * before it expires), the exact Sheets requests (header read, header created or extended with the
 * sheet widened first, rows appended RAW in the header's order), and how Google's answers are
 * classified: 429 and 503 retried, 400/403/404 permanent with what to fix, a 401 answered with one
 * fresh token. The appender use case runs over it with an in-memory ledger for the header cases.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticSecret } from '../../../lambda/adapters/secrets.ts';
import { InMemoryHeaderLease } from '../../../lambda/consumers/sheets/header-lease.ts';
import { sheetColumns } from '../../../lambda/consumers/sheets/message.ts';
import {
  GoogleServiceAccountAuth,
  GoogleSheetsWriter,
  JWT_BEARER_GRANT,
  parseServiceAccountKey,
  SHEETS_SCOPE,
} from '../../../lambda/consumers/sheets/send.ts';
import { buildEnvelope, type ConnectionEvent } from '../../../lambda/domain/envelope.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../../lambda/domain/errors.ts';
import { type LeadsiePayload, parsePayload } from '../../../lambda/domain/payload.ts';
import { appendSheetRow, type TryContext } from '../../../lambda/use-cases/append-sheet-row.ts';
import { rejection } from '../../support/errors.ts';
import {
  type FakeGoogle,
  type GoogleRequest,
  makeServiceAccount,
  type ServiceAccountFixture,
  startFakeGoogle,
} from '../../support/fake-google.ts';
import { silentLogger } from '../../support/logger.ts';
import { type JsonObject, parsedFixture, rawFixture } from '../../unit/fixtures.ts';

const SPREADSHEET = '1AbC-dEf_0123456789xyzXYZ';
const SHEET = "Leadsie's log";
const RECEIVED_AT = '2026-06-14T10:02:20.000Z';
const EVIL = '=HYPERLINK("http://evil")';

const parse = (raw: JsonObject): LeadsiePayload => {
  const result = parsePayload(raw);
  if (!result.ok) throw new Error(`payload rejected: ${JSON.stringify(result.problems)}`);
  return result.payload;
};

const eventOf = (payload: LeadsiePayload, eventId = '01JZ0000000000000000000001'): ConnectionEvent =>
  buildEnvelope({
    payload,
    eventId,
    fingerprint: `sha256:${'d'.repeat(64)}`,
    receivedAt: RECEIVED_AT,
    version: 1,
  });

describe('Google Sheets adapter against a loopback Google', () => {
  let account: ServiceAccountFixture;
  let google: FakeGoogle;
  let clock: number;
  let auth: GoogleServiceAccountAuth;
  let writer: GoogleSheetsWriter;

  const sheetsRequests = (): GoogleRequest[] => google.requests.filter((r) => r.rawPath !== '/token');
  const tokenRequests = (): GoogleRequest[] => google.requests.filter((r) => r.rawPath === '/token');
  const rows = (): string[][] => google.sheet(SPREADSHEET, SHEET).rows;
  const makeWriter = (options: { secret?: string; spreadsheetId?: string; sheetName?: string } = {}) => {
    auth = new GoogleServiceAccountAuth({
      key: staticSecret(options.secret ?? account.json),
      tokenUrl: google.tokenUrl,
      timeoutMs: 2_000,
      now: () => clock,
    });
    return new GoogleSheetsWriter({
      auth,
      spreadsheetId: options.spreadsheetId ?? SPREADSHEET,
      sheetName: options.sheetName ?? SHEET,
      baseUrl: google.url,
      timeoutMs: 2_000,
    });
  };
  let headerLease = new InMemoryHeaderLease();
  const append = (event: ConnectionEvent, context?: TryContext) =>
    appendSheetRow(
      { sheet: writer, headerLease, log: silentLogger(), now: () => clock, headerLeaseMs: 60_000 },
      event,
      context,
    );

  beforeAll(async () => {
    account = makeServiceAccount();
    google = await startFakeGoogle(account);
  });
  afterAll(async () => {
    await google?.close();
  });
  beforeEach(() => {
    google.reset();
    google.addSpreadsheet(SPREADSHEET, ['Sheet1', SHEET]);
    clock = Date.now();
    google.now = () => clock;
    writer = makeWriter();
  });

  describe('token exchange', () => {
    it('posts a JWT bearer grant whose RS256 assertion verifies with the public key', async () => {
      await writer.readHeader();
      expect(tokenRequests()).toHaveLength(1);
      const request = tokenRequests()[0];
      expect(request?.method).toBe('POST');
      expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const form = new URLSearchParams(request?.body);
      expect([...form.keys()].sort()).toEqual(['assertion', 'grant_type']);
      expect(form.get('grant_type')).toBe(JWT_BEARER_GRANT);

      expect(google.assertions).toHaveLength(1);
      const { header, claims } = google.assertions[0] ?? { header: {}, claims: {} };
      expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: account.privateKeyId });
      expect(claims).toEqual({
        iss: account.clientEmail,
        scope: SHEETS_SCOPE,
        aud: google.tokenUrl,
        iat: Math.floor(clock / 1000),
        exp: Math.floor(clock / 1000) + 3600,
      });
      expect(sheetsRequests()[0]?.headers.authorization).toBe('Bearer ya29.fake-1');
    });

    it('refuses an assertion signed with another key (the stand-in really verifies)', async () => {
      const other = makeServiceAccount(account.clientEmail);
      const error = await rejection(makeWriter({ secret: other.json }).readHeader());
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect(error.message).toMatch(
        /^Google's token endpoint answered 400: invalid_grant: Invalid JWT Signature/,
      );
      expect(error.message).not.toContain('PRIVATE KEY');
    });

    it('reuses the token until a minute before it expires, then asks for a new one', async () => {
      google.tokenLifetimeSeconds = 3600;
      await writer.readHeader();
      await writer.readHeader();
      clock += 58 * 60 * 1000;
      await writer.readHeader();
      expect(tokenRequests()).toHaveLength(1);
      clock += 61 * 1000;
      await writer.readHeader();
      expect(tokenRequests()).toHaveLength(2);
      expect(sheetsRequests().map((r) => r.headers.authorization)).toEqual([
        'Bearer ya29.fake-1',
        'Bearer ya29.fake-1',
        'Bearer ya29.fake-1',
        'Bearer ya29.fake-2',
      ]);
    });

    it('shares one exchange between concurrent calls', async () => {
      await Promise.all([writer.readHeader(), writer.readHeader(), writer.readHeader()]);
      expect(tokenRequests()).toHaveLength(1);
    });

    it('answers a 401 from Sheets with one fresh token and the same call again', async () => {
      await writer.readHeader();
      google.revokeTokens();
      await writer.readHeader();
      expect(tokenRequests()).toHaveLength(2);
      expect(sheetsRequests().map((r) => r.headers.authorization)).toEqual([
        'Bearer ya29.fake-1',
        'Bearer ya29.fake-1',
        'Bearer ya29.fake-2',
      ]);
    });

    it('gives up on a 401 that a fresh token does not cure, as permanent', async () => {
      google.script(
        (r) => r.rawPath !== '/token',
        ...Array(4).fill({ status: 401, body: { error: { status: 'UNAUTHENTICATED', message: 'no' } } }),
      );
      const error = await rejection(writer.readHeader());
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect(error.message).toBe('Google Sheets answered 401: UNAUTHENTICATED: no');
      expect(tokenRequests()).toHaveLength(2);
    });

    it('retries a 503 from the token endpoint in-process', async () => {
      google.script((r) => r.rawPath === '/token', { status: 503, body: 'backend error' });
      await writer.readHeader();
      expect(tokenRequests()).toHaveLength(2);
    });

    it.each([
      ['not JSON', 'not json at all', /is not JSON/],
      [
        'without a private key',
        JSON.stringify({ client_email: 'a@b.iam.gserviceaccount.com' }),
        /check private_key/,
      ],
      [
        'with a key that is not PKCS #8',
        JSON.stringify({
          client_email: 'a@b.c',
          private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
        }),
        /not a PKCS #8 RSA key/,
      ],
    ])('treats a secret %s as permanent, naming no value', async (_name, secret, message) => {
      const error = await rejection(makeWriter({ secret }).readHeader());
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('AAAA');
      expect(tokenRequests()).toHaveLength(0);
    });

    it('reads the key format Google hands out', () => {
      expect(parseServiceAccountKey(account.json)).toMatchObject({
        client_email: account.clientEmail,
        private_key_id: account.privateKeyId,
        token_uri: 'https://oauth2.googleapis.com/token',
      });
    });
  });

  describe('requests', () => {
    it('reads the header row of the quoted sheet name', async () => {
      expect(await writer.readHeader()).toEqual([]);
      const request = sheetsRequests()[0];
      expect(request?.method).toBe('GET');
      expect(request?.path).toBe(`/v4/spreadsheets/${SPREADSHEET}/values/'Leadsie''s log'!1:1`);
      expect(request?.rawPath).toBe(`/v4/spreadsheets/${SPREADSHEET}/values/'Leadsie''s%20log'!1%3A1`);
    });

    it('appends one row RAW with INSERT_ROWS below the table at A1', async () => {
      await writer.appendRow(['a', EVIL, '', '+1']);
      const request = sheetsRequests()[0];
      expect(request?.method).toBe('POST');
      expect(request?.path).toBe(`/v4/spreadsheets/${SPREADSHEET}/values/'Leadsie''s log'!A1:append`);
      expect(request?.query).toEqual({ valueInputOption: 'RAW', insertDataOption: 'INSERT_ROWS' });
      expect(request?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(request?.body ?? '')).toEqual({
        majorDimension: 'ROWS',
        values: [['a', EVIL, '', '+1']],
      });
      expect(rows()).toEqual([['a', EVIL, '', '+1']]);
    });

    it('writes the header RAW from A1, widening the sheet first when it is too narrow', async () => {
      const header = Array.from({ length: 30 }, (_, i) => `column ${i}`);
      await writer.writeHeader(header);
      expect(sheetsRequests().map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET /v4/spreadsheets/${SPREADSHEET}`,
        `POST /v4/spreadsheets/${SPREADSHEET}:batchUpdate`,
        `PUT /v4/spreadsheets/${SPREADSHEET}/values/'Leadsie''s log'!A1`,
      ]);
      const [metadata, widen, put] = sheetsRequests();
      expect(metadata?.query).toEqual({
        fields: 'sheets.properties(sheetId,title,gridProperties.columnCount)',
      });
      expect(JSON.parse(widen?.body ?? '')).toEqual({
        requests: [{ appendDimension: { sheetId: 1000, dimension: 'COLUMNS', length: 4 } }],
      });
      expect(put?.query).toEqual({ valueInputOption: 'RAW' });
      expect(JSON.parse(put?.body ?? '')).toEqual({
        range: "'Leadsie''s log'!A1",
        majorDimension: 'ROWS',
        values: [header],
      });
      expect(rows()).toEqual([header]);
      expect(google.sheet(SPREADSHEET, SHEET).columnCount).toBe(30);
    });

    it('does not widen a sheet that is wide enough', async () => {
      await writer.writeHeader(['a', 'b']);
      expect(sheetsRequests().map((r) => r.method)).toEqual(['GET', 'PUT']);
    });

    it('reads one column, header included', async () => {
      google.sheet(SPREADSHEET, SHEET).rows.push(['h', 'eventId'], ['x', 'E1'], ['y'], ['z', 'E3']);
      expect(await writer.readColumn(1)).toEqual(['eventId', 'E1', '', 'E3']);
      expect(sheetsRequests()[0]?.path).toBe(`/v4/spreadsheets/${SPREADSHEET}/values/'Leadsie''s log'!B:B`);
      expect(sheetsRequests()[0]?.query).toEqual({ majorDimension: 'COLUMNS' });
    });
  });

  describe('failures', () => {
    const sheetsOnly = (r: GoogleRequest) => r.rawPath !== '/token';

    it('retries a 429 in-process and succeeds', async () => {
      google.script(sheetsOnly, {
        status: 429,
        body: { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' } },
      });
      await writer.appendRow(['x']);
      expect(sheetsRequests()).toHaveLength(2);
      expect(rows()).toEqual([['x']]);
    });

    it('hands a lasting 503 back to the queue as retryable', async () => {
      google.script(
        sheetsOnly,
        ...Array(3).fill({
          status: 503,
          body: {
            error: { code: 503, status: 'UNAVAILABLE', message: 'The service is currently unavailable.' },
          },
        }),
      );
      const error = await rejection(writer.appendRow(['x']));
      expect(error).toBeInstanceOf(RetryableDeliveryError);
      expect(error.message).toBe(
        'Google Sheets answered 503: UNAVAILABLE: The service is currently unavailable.',
      );
      expect(sheetsRequests()).toHaveLength(3);
      expect(rows()).toEqual([]);
    });

    it('leaves a long Retry-After to the queue', async () => {
      google.script(sheetsOnly, {
        status: 429,
        headers: { 'retry-after': '30' },
        body: { error: { status: 'RESOURCE_EXHAUSTED', message: 'slow down' } },
      });
      const error = await rejection(writer.appendRow(['x']));
      expect(error).toBeInstanceOf(RetryableDeliveryError);
      expect((error as RetryableDeliveryError).retryAfterSeconds).toBe(30);
      expect(sheetsRequests()).toHaveLength(1);
    });

    it('says to share the spreadsheet with the service account on 403', async () => {
      google.notShared.add(SPREADSHEET);
      const error = await rejection(writer.appendRow(['x']));
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect(error.message).toBe(
        `Google Sheets answered 403: PERMISSION_DENIED: The caller does not have permission (share the spreadsheet ${SPREADSHEET} with ${account.clientEmail} as an editor, and check its id)`,
      );
      expect(sheetsRequests()).toHaveLength(1);
    });

    it('makes an unknown spreadsheet permanent (404)', async () => {
      const error = await rejection(makeWriter({ spreadsheetId: 'nope' }).readHeader());
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect(error.message).toMatch(
        /^Google Sheets answered 404: NOT_FOUND: Requested entity was not found\. \(share/,
      );
    });

    it('makes an unknown sheet permanent, naming it, on read and on header write', async () => {
      const missing = makeWriter({ sheetName: 'Missing' });
      const read = await rejection(missing.readHeader());
      expect(read).toBeInstanceOf(PermanentDeliveryError);
      expect(read.message).toBe(
        `Google Sheets answered 400: INVALID_ARGUMENT: Unable to parse range: 'Missing'!1:1 (does the sheet "Missing" exist?)`,
      );
      const write = await rejection(missing.writeHeader(['a']));
      expect(write.message).toMatch(/has no sheet named "Missing"/);
    });
  });

  describe('the appender over the adapter', () => {
    const v2 = (extra: JsonObject = {}, eventId?: string) =>
      eventOf(parse({ ...rawFixture('v2-partial-multi-platform.json'), ...extra }), eventId);

    it('creates the header on an empty sheet (widened to 33 columns), then appends the row under it', async () => {
      const event = v2({ clientName: EVIL });
      expect(await append(event)).toEqual({ outcome: 'appended', status: 200 });
      const header = sheetColumns(event);
      expect(header).toHaveLength(33);
      expect(rows()[0]).toEqual(header);
      expect(rows()).toHaveLength(2);
      const row = rows()[1] ?? [];
      const cell = (column: string) => row[header.indexOf(column)];
      expect(cell('clientName')).toBe(EVIL);
      expect(cell('client_name')).toBe(EVIL);
      expect(cell('eventId')).toBe(event.eventId);
      expect(cell('receivedAt')).toBe(RECEIVED_AT);
      expect(cell('status')).toBe('PARTIAL_SUCCESS');
      expect(cell('google_ads_account_connection_status')).toBe('Insufficient permissions');
      const appendRequest = sheetsRequests().find((r) => r.path.endsWith(':append'));
      expect(appendRequest?.query.valueInputOption).toBe('RAW');
      expect(JSON.parse(appendRequest?.body ?? '').values[0][header.indexOf('clientName')]).toBe(EVIL);
    });

    it('reads the header once and writes nothing but the row when the header has every column', async () => {
      await append(v2({}, 'E-1'));
      google.requests.length = 0;
      await append(v2({}, 'E-2'));
      expect(sheetsRequests().map((r) => `${r.method} ${r.path.split('/values/')[1] ?? r.path}`)).toEqual([
        `GET 'Leadsie''s log'!1:1`,
        `POST 'Leadsie''s log'!A1:append`,
      ]);
      expect(rows()).toHaveLength(3);
    });

    it('extends the header with a new asset type instead of shifting the rows already there', async () => {
      await append(eventOf(parsedFixture('v1-failed.json'), 'E-1'));
      const before = rows().map((row) => [...row]);
      const v1Header = before[0] ?? [];
      const pixel = {
        ...rawFixture('v1-failed.json'),
        connectionAssets: [{ type: 'Pixel', name: 'Main pixel', id: 'px-1', isSuccess: true, message: '' }],
      };
      await append(eventOf(parse(pixel), 'E-2'));
      const header = rows()[0] ?? [];
      expect(header.slice(0, v1Header.length)).toEqual(v1Header);
      expect(header.slice(v1Header.length)).toEqual([
        'pixel_id',
        'pixel_name',
        'pixel_is_success',
        'pixel_message',
      ]);
      expect(rows()[1]).toEqual(before[1]);
      const row = rows()[2] ?? [];
      expect(row[header.indexOf('pixel_id')]).toBe('px-1');
      expect(row[header.indexOf('eventId')]).toBe('E-2');
      expect(row[header.indexOf('page_id')]).toBe('');
    });

    it('writes under an agency-arranged header in its order, leaving its own columns empty', async () => {
      const custom = ['eventId', 'Owner', 'status', 'receivedAt'];
      google.sheet(SPREADSHEET, SHEET).rows.push([...custom]);
      await append(eventOf(parsedFixture('v1-failed.json'), 'E-9'));
      const header = rows()[0] ?? [];
      expect(header.slice(0, 4)).toEqual(custom);
      expect(rows()[1]?.slice(0, 4)).toEqual(['E-9', '', 'FAILED', RECEIVED_AT]);
    });

    it('recovers a failed attempt by looking at the sheet first (once-only itself is the engine job)', async () => {
      const event = v2({}, 'E-once');
      // The append reaches Google but its answer is lost: the attempt fails after the row went in.
      const original = writer.appendRow.bind(writer);
      let calls = 0;
      writer.appendRow = async (cells) => {
        calls++;
        if (calls === 1) {
          google.sheet(SPREADSHEET, SHEET).rows.push(cells);
          throw new RetryableDeliveryError('Google Sheets gave no answer within 2000 ms');
        }
        return original(cells);
      };
      await expect(append(event)).rejects.toBeInstanceOf(RetryableDeliveryError);
      expect(await append(event, { force: false, attempt: 2, recovering: false })).toEqual({
        outcome: 'already-in-sheet',
      });
      expect(rows().filter((row) => row.includes('E-once'))).toHaveLength(1);
      expect(calls).toBe(1);
      // A forced send appends again without looking.
      expect(await append(event, { force: true, attempt: 3, recovering: false })).toEqual({
        outcome: 'appended',
        status: 200,
      });
      expect(rows().filter((row) => row.includes('E-once'))).toHaveLength(2);
    });

    it('extends the header only under the header lease: held elsewhere, the try is retried', async () => {
      headerLease = new InMemoryHeaderLease();
      await headerLease.acquire('another-container', clock, 60_000);
      await expect(append(v2({}, 'E-lease'))).rejects.toBeInstanceOf(RetryableDeliveryError);
      expect(rows()).toEqual([]);
      await headerLease.release('another-container');
      expect(await append(v2({}, 'E-lease'))).toEqual({ outcome: 'appended', status: 200 });
      expect(rows()[1]).toContain('E-lease');
    });
  });
});
