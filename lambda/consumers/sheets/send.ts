/**
 * Google Sheets over its REST API, authenticated as a service account: no googleapis client (a few
 * fetch calls keep the bundle lean), `jose` for the one piece of cryptography.
 *
 * Authentication (OAuth 2.0 for server-to-server applications, the JWT bearer grant):
 *
 *   service account key (Secrets Manager) ──sign RS256──▶ JWT assertion
 *     { iss: client_email, scope: spreadsheets, aud: token URL, iat, exp: iat + 1 h }
 *   POST <token URL>  grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>
 *     ──▶ { access_token, expires_in }   cached until a minute before it expires
 *
 * The sheet (`GoogleSheetsWriter`, the `SheetsWriter` port):
 *
 *   readHeader   GET  /v4/spreadsheets/{id}/values/'<sheet>'!1:1
 *   writeHeader  GET  /v4/spreadsheets/{id}?fields=sheets.properties(…)    the sheet's width
 *                POST /v4/spreadsheets/{id}:batchUpdate  appendDimension    only when too narrow
 *                PUT  /v4/spreadsheets/{id}/values/'<sheet>'!A1?valueInputOption=RAW
 *   readColumn   GET  /v4/spreadsheets/{id}/values/'<sheet>'!D:D?majorDimension=COLUMNS
 *   appendRow    POST /v4/spreadsheets/{id}/values/'<sheet>'!A1:append
 *                     ?valueInputOption=RAW&insertDataOption=INSERT_ROWS
 *
 * `valueInputOption=RAW` stores every cell as the string sent: `=HYPERLINK("…")` stays text.
 *
 * Failures (`classifyResponse` of `http-target.ts`, with Google's own error words): 429 and 5xx
 * are retried with backoff, then through the queue; 400 (no such sheet), 403 (not shared with the
 * service account), 404 (no such spreadsheet) are permanent. A 401 from Sheets means the cached
 * token went bad: one fresh token, one more try. The key never reaches a log or an error message.
 */
import { importPKCS8, SignJWT } from 'jose';
import * as z from 'zod/mini';
import {
  classifyResponse,
  excerpt,
  type HttpResponse,
  post,
  withBackoff,
} from '../../adapters/http-target.ts';
import type { SecretSource } from '../../adapters/secrets.ts';
import { DEFAULTS } from '../../contract.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../domain/errors.ts';
import type { SheetsWriter } from '../../use-cases/ports.ts';
import { sheetRanges } from './message.ts';

/** The OAuth scope of the Sheets API (read and write spreadsheets). */
export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** A token is renewed this long before Google says it expires. */
const TOKEN_RENEW_MARGIN_MS = 60_000;
/** Lifetime asked for in the assertion: Google's maximum. */
const ASSERTION_LIFETIME_SECONDS = 3600;

/** The fields of a Google service account JSON key this adapter uses (the file has more). */
const serviceAccountKeySchema = z.object({
  type: z.optional(z.literal('service_account')),
  client_email: z.string().check(z.minLength(3), z.regex(/@/)),
  private_key: z.string().check(z.regex(/-----BEGIN PRIVATE KEY-----/)),
  private_key_id: z.optional(z.string()),
  token_uri: z.optional(z.url()),
});

export type ServiceAccountKey = z.infer<typeof serviceAccountKeySchema>;

/**
 * Reads the consumer's secret as a service account key. A bad secret is permanent (the operator
 * must fix it); the message names the fields, never their values.
 */
export const parseServiceAccountKey = (secret: string): ServiceAccountKey => {
  let json: unknown;
  try {
    json = JSON.parse(secret);
  } catch {
    throw new PermanentDeliveryError(
      'the Google service account key (the consumer secret) is not JSON; store the key file as is',
    );
  }
  const parsed = serviceAccountKeySchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '(root)')))];
    throw new PermanentDeliveryError(
      `the Google service account key (the consumer secret) is not valid: check ${fields.join(', ')}`,
    );
  }
  return parsed.data;
};

/** Google's error words: OAuth's `{ error, error_description }` or the APIs' `{ error: { status, message } }`. */
export const googleMessage = (response: HttpResponse): string | undefined => {
  try {
    const body = JSON.parse(response.body) as {
      error?: string | { status?: string; message?: string };
      error_description?: string;
    };
    if (typeof body.error === 'string') {
      return [body.error, body.error_description].filter(Boolean).join(': ') || undefined;
    }
    return [body.error?.status, body.error?.message].filter(Boolean).join(': ') || undefined;
  } catch {
    return undefined;
  }
};

export interface GoogleAuthOptions {
  /** The service account's JSON key. */
  key: SecretSource;
  /** Where to ask for tokens: the configured URL, else the key's `token_uri`, else Google's. */
  tokenUrl?: string;
  timeoutMs: number;
  now?: () => number;
}

/** Access tokens for a service account, cached per key until shortly before they expire. */
export class GoogleServiceAccountAuth {
  private cached: { forKey: string; token: string; renewAt: number } | undefined;
  private inFlight: Promise<string> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: GoogleAuthOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The service account's address (share the spreadsheet with it). */
  async clientEmail(): Promise<string> {
    return parseServiceAccountKey(await this.options.key.value()).client_email;
  }

  /** A valid access token: the cached one, or a new one. */
  async accessToken(): Promise<string> {
    const secret = await this.options.key.value();
    const cached = this.cached;
    if (cached && cached.forKey === secret && cached.renewAt > this.now()) return cached.token;
    // Concurrent callers share one exchange.
    this.inFlight ??= this.exchange(secret).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Forgets the cached token (Sheets refused it). */
  invalidate(): void {
    this.cached = undefined;
  }

  /** The signed JWT assertion for `key` (exposed for tests). */
  async assertion(key: ServiceAccountKey, tokenUrl: string): Promise<string> {
    let privateKey: Awaited<ReturnType<typeof importPKCS8>>;
    try {
      privateKey = await importPKCS8(key.private_key, 'RS256');
    } catch {
      throw new PermanentDeliveryError(
        'the private_key of the Google service account key (the consumer secret) is not a PKCS #8 RSA key',
      );
    }
    const issuedAt = Math.floor(this.now() / 1000);
    return new SignJWT({ scope: SHEETS_SCOPE })
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        ...(key.private_key_id ? { kid: key.private_key_id } : {}),
      })
      .setIssuer(key.client_email)
      .setAudience(tokenUrl)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ASSERTION_LIFETIME_SECONDS)
      .sign(privateKey);
  }

  private async exchange(secret: string): Promise<string> {
    const key = parseServiceAccountKey(secret);
    const tokenUrl = this.options.tokenUrl || key.token_uri || DEFAULTS.googleTokenUrl;
    const assertion = await this.assertion(key, tokenUrl);
    const body = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString();
    const started = this.now();
    const response = await withBackoff(async () => {
      const answer = await post({
        target: "Google's token endpoint",
        url: tokenUrl,
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        timeoutMs: this.options.timeoutMs,
      });
      classifyResponse("Google's token endpoint", answer, googleMessage(answer));
      return answer;
    });
    let token: { access_token?: unknown; expires_in?: unknown };
    try {
      token = JSON.parse(response.body) as typeof token;
    } catch {
      throw new RetryableDeliveryError("Google's token endpoint answered with something other than JSON");
    }
    if (typeof token.access_token !== 'string' || token.access_token === '') {
      throw new RetryableDeliveryError("Google's token endpoint answered without an access token");
    }
    const lifetimeMs = (typeof token.expires_in === 'number' ? token.expires_in : 3599) * 1000;
    this.cached = {
      forKey: secret,
      token: token.access_token,
      renewAt: started + Math.max(0, lifetimeMs - TOKEN_RENEW_MARGIN_MS),
    };
    return token.access_token;
  }
}

export interface GoogleSheetsOptions {
  auth: GoogleServiceAccountAuth;
  spreadsheetId: string;
  sheetName: string;
  /** e.g. `https://sheets.googleapis.com` */
  baseUrl: string;
  timeoutMs: number;
}

type Method = 'GET' | 'POST' | 'PUT';

/** One sheet of one spreadsheet through the Sheets API v4. */
export class GoogleSheetsWriter implements SheetsWriter {
  readonly spreadsheetId: string;
  readonly sheetName: string;

  constructor(private readonly options: GoogleSheetsOptions) {
    this.spreadsheetId = options.spreadsheetId;
    this.sheetName = options.sheetName;
  }

  /** The URL of a values call on `range` (`suffix` like `:append`), with its query. */
  valuesUrl(range: string, suffix = '', query: Record<string, string> = {}): string {
    const search = new URLSearchParams(query).toString();
    return `${this.spreadsheetUrl()}/values/${encodeURIComponent(range)}${suffix}${search ? `?${search}` : ''}`;
  }

  async readHeader(): Promise<string[]> {
    const body = await this.call('GET', this.valuesUrl(sheetRanges.headerRow(this.sheetName)));
    return cellsOf(body)[0] ?? [];
  }

  async writeHeader(header: string[]): Promise<void> {
    await this.ensureColumns(header.length);
    const range = sheetRanges.headerStart(this.sheetName);
    await this.call('PUT', this.valuesUrl(range, '', { valueInputOption: 'RAW' }), {
      range,
      majorDimension: 'ROWS',
      values: [header],
    });
  }

  async readColumn(index: number): Promise<string[]> {
    const range = sheetRanges.column(this.sheetName, index);
    const body = await this.call('GET', this.valuesUrl(range, '', { majorDimension: 'COLUMNS' }));
    return cellsOf(body)[0] ?? [];
  }

  async appendRow(cells: string[]): Promise<number> {
    const range = sheetRanges.table(this.sheetName);
    const { status } = await this.exchangeJson(
      'POST',
      this.valuesUrl(range, ':append', { valueInputOption: 'RAW', insertDataOption: 'INSERT_ROWS' }),
      { majorDimension: 'ROWS', values: [cells] },
    );
    return status;
  }

  /** Widens the sheet to `count` columns when it is narrower (Sheets refuses writes past its grid). */
  private async ensureColumns(count: number): Promise<void> {
    const fields = 'sheets.properties(sheetId,title,gridProperties.columnCount)';
    const body = (await this.call(
      'GET',
      `${this.spreadsheetUrl()}?fields=${encodeURIComponent(fields)}`,
    )) as {
      sheets?: {
        properties?: { sheetId?: number; title?: string; gridProperties?: { columnCount?: number } };
      }[];
    };
    const sheet = (body.sheets ?? []).find((s) => s.properties?.title === this.sheetName)?.properties;
    if (sheet === undefined) {
      throw new PermanentDeliveryError(
        `Google Sheets: the spreadsheet has no sheet named "${this.sheetName}"; create it or fix the configured sheet name`,
      );
    }
    const columns = sheet.gridProperties?.columnCount ?? 0;
    if (columns >= count) return;
    await this.call('POST', `${this.spreadsheetUrl()}:batchUpdate`, {
      requests: [
        { appendDimension: { sheetId: sheet.sheetId ?? 0, dimension: 'COLUMNS', length: count - columns } },
      ],
    });
  }

  private spreadsheetUrl(): string {
    return `${this.options.baseUrl.replace(/\/+$/, '')}/v4/spreadsheets/${encodeURIComponent(this.spreadsheetId)}`;
  }

  /** One Sheets call: a token, backoff on 429/5xx, one fresh token on 401; the answer's JSON. */
  private async call(method: Method, url: string, payload?: unknown): Promise<unknown> {
    return (await this.exchangeJson(method, url, payload)).json;
  }

  /** `call`, with the status of the answer it took. */
  private async exchangeJson(
    method: Method,
    url: string,
    payload?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const attempt = async (): Promise<HttpResponse> => {
      const token = await this.options.auth.accessToken();
      return withBackoff(async () => {
        const response = await post({
          target: 'Google Sheets',
          method,
          url,
          body,
          timeoutMs: this.options.timeoutMs,
          headers: { authorization: `Bearer ${token}` },
        });
        if (response.status !== 401) await this.classify(response);
        return response;
      });
    };
    let response = await attempt();
    if (response.status === 401) {
      this.options.auth.invalidate();
      response = await attempt();
      if (response.status === 401) await this.classify(response);
    }
    try {
      const json = response.body === '' ? {} : (JSON.parse(response.body) as unknown);
      return { status: response.status, json };
    } catch {
      throw new RetryableDeliveryError('Google Sheets answered with something other than JSON');
    }
  }

  /** `classifyResponse` with Google's words, and what to do for "not shared" and "not found". */
  private async classify(response: HttpResponse): Promise<void> {
    if (response.status >= 200 && response.status < 300) return;
    let said = googleMessage(response) ?? excerpt(response.body.trim());
    if (response.status === 403 || response.status === 404) {
      const email = await this.options.auth.clientEmail().catch(() => 'the service account');
      said += ` (share the spreadsheet ${this.spreadsheetId} with ${email} as an editor, and check its id)`;
    } else if (response.status === 400 && /Unable to parse range/i.test(said)) {
      said += ` (does the sheet "${this.sheetName}" exist?)`;
    }
    classifyResponse('Google Sheets', response, said);
  }
}

/** The `values` of a ValueRange answer, every cell as text. */
const cellsOf = (body: unknown): string[][] => {
  const values = (body as { values?: unknown } | null)?.values;
  if (!Array.isArray(values)) return [];
  return values.map((row) =>
    Array.isArray(row) ? row.map((cell) => (cell == null ? '' : String(cell))) : [],
  );
};
