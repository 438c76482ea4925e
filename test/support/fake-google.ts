/**
 * A loopback HTTP server standing in for Google: the OAuth token endpoint (JWT bearer grant, the
 * assertion's RS256 signature verified with the public half of a key pair made for the test) and
 * the slice of the Sheets API v4 the appender uses, over an in-memory spreadsheet that behaves like
 * Google's where it matters:
 *
 * - `GET  /v4/spreadsheets/{id}?fields=…`             the sheets' ids, titles and grid sizes
 * - `POST /v4/spreadsheets/{id}:batchUpdate`          `appendDimension` (COLUMNS) only
 * - `GET  /v4/spreadsheets/{id}/values/{range}`       `1:1`, `D:D` (majorDimension ROWS or COLUMNS)
 * - `PUT  /v4/spreadsheets/{id}/values/{range}`       from a start cell, `valueInputOption=RAW` only
 * - `POST /v4/spreadsheets/{id}/values/{range}:append` after the table's last row, RAW only
 *
 * Like Google: trailing empty cells are not returned; a write past the sheet's columns is refused
 * ("exceeds grid limits"); an unknown sheet is "Unable to parse range" (400); an unknown spreadsheet
 * is 404; a spreadsheet not shared with the service account is 403; a missing or unknown token is 401.
 * Every request is recorded; answers can be scripted ahead of the simulation (429, 503, …).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';

export interface GoogleRequest {
  method: string;
  /** The path as sent (still percent-encoded). */
  rawPath: string;
  /** The path, decoded. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ScriptedGoogleAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeSheet {
  sheetId: number;
  columnCount: number;
  rowCount: number;
  /** Row-major cells; rows and cells past the data are absent. */
  rows: string[][];
}

export interface ServiceAccountFixture {
  /** The JSON key as Google hands it out (what goes in Secrets Manager). */
  json: string;
  clientEmail: string;
  privateKeyId: string;
  publicKey: KeyObject;
}

/** A fresh RSA key pair and the service account key file around its private half. */
export const makeServiceAccount = (clientEmail = 'leadsie-sheets@agency-project.iam.gserviceaccount.com') => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyId = 'f3c5a1b2c3d4e5f60718293a4b5c6d7e8f901234';
  const json = JSON.stringify({
    type: 'service_account',
    project_id: 'agency-project',
    private_key_id: privateKeyId,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: clientEmail,
    client_id: '104857600000000000000',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
  });
  return { json, clientEmail, privateKeyId, publicKey } satisfies ServiceAccountFixture;
};

export interface FakeGoogle {
  url: string;
  tokenUrl: string;
  requests: GoogleRequest[];
  /** Verified claims and header of every assertion received. */
  assertions: { header: Record<string, unknown>; claims: JWTPayload }[];
  /** Spreadsheet id → sheet title → sheet. */
  spreadsheets: Map<string, Map<string, FakeSheet>>;
  /** Spreadsheets that exist but are not shared with the service account (403). */
  notShared: Set<string>;
  /** Seconds the tokens issued from now on live. */
  tokenLifetimeSeconds: number;
  /** The clock assertions are checked against (`iat`, `exp`); the test's own clock when it moves time. */
  now: () => number;
  /** Adds a spreadsheet with these (empty) sheets. */
  addSpreadsheet(id: string, sheets: string[], columnCount?: number): void;
  sheet(id: string, title: string): FakeSheet;
  /** Answers for the next requests matching `when`, in order (before the simulation runs). */
  script(when: (request: GoogleRequest) => boolean, ...answers: ScriptedGoogleAnswer[]): void;
  /** Makes every issued token invalid (Sheets answers 401 until a new one is issued). */
  revokeTokens(): void;
  reset(): void;
  close(): Promise<void>;
}

const googleError = (code: number, status: string, message: string): ScriptedGoogleAnswer => ({
  status: code,
  body: { error: { code, message, status } },
});

/** `'It''s'!D:D` → `{ sheet: "It's", ref: 'D:D' }`; unquoted names too. */
const parseRange = (range: string): { sheet: string; ref: string } => {
  const quoted = /^'((?:[^']|'')*)'(?:!(.*))?$/.exec(range);
  if (quoted) return { sheet: (quoted[1] ?? '').replaceAll("''", "'"), ref: quoted[2] ?? '' };
  const [sheet = '', ref = ''] = range.split('!');
  return { sheet, ref };
};

const columnIndex = (letters: string): number =>
  [...letters.toUpperCase()].reduce((n, c) => n * 26 + (c.charCodeAt(0) - 64), 0) - 1;

const letters = (index: number): string => {
  let out = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
    out = String.fromCharCode(65 + ((n - 1) % 26)) + out;
  return out;
};

const trimRow = (row: string[]): string[] => {
  const copy = [...row];
  while (copy.length > 0 && (copy[copy.length - 1] ?? '') === '') copy.pop();
  return copy;
};

export const startFakeGoogle = async (account: ServiceAccountFixture): Promise<FakeGoogle> => {
  const requests: GoogleRequest[] = [];
  const assertions: FakeGoogle['assertions'] = [];
  const spreadsheets = new Map<string, Map<string, FakeSheet>>();
  const notShared = new Set<string>();
  const scripts: { when: (request: GoogleRequest) => boolean; answers: ScriptedGoogleAnswer[] }[] = [];
  const tokens = new Map<string, number>();
  let issued = 0;
  let url = '';
  const state = { tokenLifetimeSeconds: 3599, now: Date.now };

  const token = async (request: GoogleRequest): Promise<ScriptedGoogleAnswer> => {
    if (!String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return { status: 400, body: { error: 'invalid_request', error_description: 'form body expected' } };
    }
    const form = new URLSearchParams(request.body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' },
      };
    }
    const assertion = form.get('assertion') ?? '';
    try {
      const { payload } = await jwtVerify(assertion, account.publicKey, {
        algorithms: ['RS256'],
        issuer: account.clientEmail,
        audience: `${url}/token`,
        maxTokenAge: '1h',
        currentDate: new Date(state.now()),
      });
      assertions.push({
        header: decodeProtectedHeader(assertion) as Record<string, unknown>,
        claims: payload,
      });
    } catch (error) {
      return {
        status: 400,
        body: {
          error: 'invalid_grant',
          error_description: `Invalid JWT Signature. (${(error as Error).message})`,
        },
      };
    }
    issued++;
    const accessToken = `ya29.fake-${issued}`;
    tokens.set(accessToken, Date.now() + state.tokenLifetimeSeconds * 1000);
    return {
      status: 200,
      body: { access_token: accessToken, expires_in: state.tokenLifetimeSeconds, token_type: 'Bearer' },
    };
  };

  const sheets = (request: GoogleRequest): ScriptedGoogleAnswer => {
    const bearer = /^Bearer (\S+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!bearer || (tokens.get(bearer) ?? 0) < Date.now()) {
      return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    }
    // /v4/spreadsheets/{id}[:verb] or /v4/spreadsheets/{id}/values/{range}[:verb], on the raw path.
    const match = /^\/v4\/spreadsheets\/([^/:]+)(?::(\w+))?(?:\/values\/([^:]+)(?::(\w+))?)?$/.exec(
      request.rawPath,
    );
    if (!match) return googleError(404, 'NOT_FOUND', 'Unknown method');
    const [, id = '', spreadsheetVerb, rawRange, valuesVerb] = match;
    const book = spreadsheets.get(id);
    if (!book) return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
    if (notShared.has(id))
      return googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission');

    if (rawRange === undefined) {
      if (request.method === 'GET' && spreadsheetVerb === undefined) {
        return {
          status: 200,
          body: {
            sheets: [...book].map(([title, sheet]) => ({
              properties: {
                sheetId: sheet.sheetId,
                title,
                gridProperties: { rowCount: sheet.rowCount, columnCount: sheet.columnCount },
              },
            })),
          },
        };
      }
      if (request.method === 'POST' && spreadsheetVerb === 'batchUpdate') {
        const body = JSON.parse(request.body) as {
          requests: { appendDimension?: { sheetId: number; dimension: string; length: number } }[];
        };
        for (const change of body.requests) {
          const append = change.appendDimension;
          const sheet = [...book.values()].find((s) => s.sheetId === append?.sheetId);
          if (!append || !sheet || append.dimension !== 'COLUMNS') {
            return googleError(400, 'INVALID_ARGUMENT', 'Unsupported request in this fake');
          }
          sheet.columnCount += append.length;
        }
        return { status: 200, body: { spreadsheetId: id, replies: body.requests.map(() => ({})) } };
      }
      return googleError(404, 'NOT_FOUND', 'Unknown method');
    }

    const range = decodeURIComponent(rawRange);
    const { sheet: title, ref } = parseRange(range);
    const sheet = book.get(title);
    if (!sheet) return googleError(400, 'INVALID_ARGUMENT', `Unable to parse range: ${range}`);
    const tooWide = (columns: number, row: number) =>
      googleError(
        400,
        'INVALID_ARGUMENT',
        `Range ('${title}'!A${row}:${letters(columns - 1)}${row}) exceeds grid limits. Max rows: ${sheet.rowCount}, max columns: ${sheet.columnCount}`,
      );

    if (request.method === 'GET' && valuesVerb === undefined) {
      const rowRef = /^(\d+):(\d+)$/.exec(ref);
      const colRef = /^([A-Z]+):([A-Z]+)$/.exec(ref);
      if (rowRef && rowRef[1] === rowRef[2]) {
        const row = trimRow(sheet.rows[Number(rowRef[1]) - 1] ?? []);
        return {
          status: 200,
          body: { range, majorDimension: 'ROWS', ...(row.length ? { values: [row] } : {}) },
        };
      }
      if (colRef && colRef[1] === colRef[2]) {
        const index = columnIndex(colRef[1] ?? 'A');
        const column = trimRow(sheet.rows.map((row) => row[index] ?? ''));
        const columns = request.query.majorDimension === 'COLUMNS';
        return {
          status: 200,
          body: {
            range,
            majorDimension: columns ? 'COLUMNS' : 'ROWS',
            ...(column.length ? { values: columns ? [column] : column.map((cell) => [cell]) } : {}),
          },
        };
      }
      return googleError(400, 'INVALID_ARGUMENT', `Unsupported range in this fake: ${range}`);
    }

    if (request.query.valueInputOption !== 'RAW') {
      return googleError(400, 'INVALID_ARGUMENT', 'this fake only accepts valueInputOption=RAW');
    }
    const body = JSON.parse(request.body) as { values: unknown[][]; majorDimension?: string };
    const values = body.values.map((row) => row.map((cell) => String(cell)));

    if (request.method === 'PUT' && valuesVerb === undefined) {
      const start = /^([A-Z]+)(\d+)$/.exec(ref);
      if (!start) return googleError(400, 'INVALID_ARGUMENT', `Unsupported range in this fake: ${range}`);
      const column = columnIndex(start[1] ?? 'A');
      const rowIndex = Number(start[2]) - 1;
      for (const [offset, row] of values.entries()) {
        if (column + row.length > sheet.columnCount)
          return tooWide(column + row.length, rowIndex + offset + 1);
      }
      for (const [offset, row] of values.entries()) {
        const target = sheet.rows[rowIndex + offset] ?? [];
        for (const [i, cell] of row.entries()) target[column + i] = cell;
        sheet.rows[rowIndex + offset] = Array.from(target, (cell) => cell ?? '');
      }
      return { status: 200, body: { spreadsheetId: id, updatedRange: range, updatedRows: values.length } };
    }

    if (request.method === 'POST' && valuesVerb === 'append') {
      if (request.query.insertDataOption !== 'INSERT_ROWS') {
        return googleError(400, 'INVALID_ARGUMENT', 'this fake expects insertDataOption=INSERT_ROWS');
      }
      let last = sheet.rows.length;
      while (last > 0 && trimRow(sheet.rows[last - 1] ?? []).length === 0) last--;
      for (const [offset, row] of values.entries()) {
        if (row.length > sheet.columnCount) return tooWide(row.length, last + offset + 1);
      }
      for (const row of values) {
        sheet.rows[last] = [...row];
        last++;
      }
      sheet.rowCount = Math.max(sheet.rowCount, last);
      return {
        status: 200,
        body: {
          spreadsheetId: id,
          tableRange: `'${title}'!A1:${letters(Math.max(0, sheet.columnCount - 1))}${last - values.length}`,
          updates: { updatedRange: `'${title}'!A${last}`, updatedRows: values.length },
        },
      };
    }
    return googleError(404, 'NOT_FOUND', 'Unknown method');
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const parsed = new URL(req.url ?? '/', 'http://fake');
      const request: GoogleRequest = {
        method: req.method ?? '',
        rawPath: parsed.pathname,
        path: decodeURIComponent(parsed.pathname),
        query: Object.fromEntries(parsed.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const scripted = scripts.find((s) => s.answers.length > 0 && s.when(request))?.answers.shift();
      const answer = scripted ?? (request.rawPath === '/token' ? await token(request) : sheets(request));
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
      res.end(
        answer.body === undefined
          ? ''
          : typeof answer.body === 'string'
            ? answer.body
            : JSON.stringify(answer.body),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeGoogle = {
    url,
    tokenUrl: `${url}/token`,
    requests,
    assertions,
    spreadsheets,
    notShared,
    get tokenLifetimeSeconds() {
      return state.tokenLifetimeSeconds;
    },
    set tokenLifetimeSeconds(value: number) {
      state.tokenLifetimeSeconds = value;
    },
    get now() {
      return state.now;
    },
    set now(value: () => number) {
      state.now = value;
    },
    addSpreadsheet: (id, titles, columnCount = 26) => {
      spreadsheets.set(
        id,
        new Map(
          titles.map((title, index) => [
            title,
            { sheetId: index * 1000, columnCount, rowCount: 1000, rows: [] },
          ]),
        ),
      );
    },
    sheet: (id, title) => {
      const sheet = spreadsheets.get(id)?.get(title);
      if (!sheet) throw new Error(`no sheet ${title} in ${id}`);
      return sheet;
    },
    script: (when, ...answers) => {
      scripts.push({ when, answers });
    },
    revokeTokens: () => tokens.clear(),
    reset: () => {
      requests.length = 0;
      assertions.length = 0;
      spreadsheets.clear();
      notShared.clear();
      scripts.length = 0;
      tokens.clear();
      issued = 0;
      state.tokenLifetimeSeconds = 3599;
      state.now = Date.now;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
};
