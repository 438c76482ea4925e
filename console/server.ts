/**
 * The console's HTTP server: loopback only, one operator, server-rendered pages.
 *
 *   request ─▶ Host is the served 127.0.0.1:port? (DNS rebinding)          no: 421
 *           ─▶ /static/*: the stylesheet and the script
 *           ─▶ ?token=<the printed token>: HttpOnly SameSite=Strict cookie, 303 to the URL without it
 *           ─▶ session cookie?                                             no: 401
 *           ─▶ GET: a page │ POST: Origin is this console?                 no: 403
 *                          └ the action (the CLI's use cases), 303 to the page with a notice
 *
 * Every answer carries a Content-Security-Policy that allows the console's own script and style
 * only (no inline script), and is not cached. Errors are pages with a status and one line.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError, UsageError } from '../cli/errors.ts';
import { parseIsoTime } from '../cli/times.ts';
import { EVENTS_PAGE } from '../lambda/use-cases/list-events.ts';
import { RECENT_PAGE } from '../lambda/use-cases/list-recent-connections.ts';
import type { ConsoleData } from './data.ts';
import type { Html } from './html.ts';
import { clientBody, clientsBody } from './pages/clients.ts';
import { deadLettersBody } from './pages/dead-letters.ts';
import { type EventsForm, eventBody, eventsBody, filterOf } from './pages/events.ts';
import { healthBody } from './pages/health.ts';
import { errorPage, type Notice, page } from './pages/layout.ts';
import { quarantineBody } from './pages/quarantine.ts';

export const SESSION_COOKIE = 'console_session';
/** The one host the console serves. */
export const CONSOLE_HOST = '127.0.0.1';

const MAX_FORM_BYTES = 64 * 1024;
const MAX_NOTICES = 100;
const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_RANGE_DAYS = 7;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const STATIC: Record<string, { type: string; body: Buffer }> = {
  '/static/console.css': {
    type: 'text/css; charset=utf-8',
    body: readFileSync(new URL('./static/console.css', import.meta.url)),
  },
  '/static/console.js': {
    type: 'text/javascript; charset=utf-8',
    body: readFileSync(new URL('./static/console.js', import.meta.url)),
  },
};

/** An answer with a status other than 200, as a page. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ConsoleServerOptions {
  data: ConsoleData;
  /** 0 picks a free port. */
  port: number;
  /** The session token of the printed URL (default: random). */
  token?: string;
  /** A line per failed request (the terminal). */
  log?: (line: string) => void;
}

export interface ConsoleServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** The URL to open: the origin with the session token. */
  url: string;
  close(): Promise<void>;
}

const sameSecret = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

const cookieOf = (header: string | undefined, name: string): string | null => {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
};

const readForm = (req: IncomingMessage): Promise<URLSearchParams> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new HttpError(413, 'Payload Too Large', 'The form is larger than this console accepts.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });

/** `2026-12-05T06:30:00.000Z` → `2026-12-05T06:30:00`, a `datetime-local` value (read as UTC). */
const localValue = (date: Date): string => date.toISOString().slice(0, 19);

const timeParam = (params: URLSearchParams, name: string, label: string, fallback: Date): Date => {
  const text = params.get(name);
  if (text === null || text.trim() === '') return fallback;
  const time = parseIsoTime(text);
  if (time === null) {
    throw new HttpError(
      400,
      'Bad Request',
      `${label} "${text}" is not a date-time (2026-03-01T09:30, UTC when no zone is given).`,
    );
  }
  return time;
};

export const startConsole = async (options: ConsoleServerOptions): Promise<ConsoleServer> => {
  const { data } = options;
  const token = options.token ?? randomBytes(32).toString('base64url');
  // The cookie is a secret of its own: the URL's token (in the terminal, in history) never is a cookie.
  const session = randomBytes(32).toString('base64url');
  const notices = new Map<string, Notice>();
  let origin = '';
  let host = '';

  const remember = (notice: Notice): string => {
    const id = randomBytes(9).toString('base64url');
    notices.set(id, notice);
    for (const key of notices.keys()) {
      if (notices.size <= MAX_NOTICES) break;
      notices.delete(key);
    }
    return id;
  };
  const noticeOf = (url: URL): Notice | null => {
    const id = url.searchParams.get('notice');
    if (id === null) return null;
    const notice = notices.get(id) ?? null;
    notices.delete(id);
    return notice;
  };

  const send = (
    res: ServerResponse,
    status: number,
    body: Html | string,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      // Not no-referrer: with it Chromium sends `Origin: null` on the console's own form posts.
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(String(body));
  };
  const redirect = (res: ServerResponse, location: string, headers: Record<string, string> = {}) =>
    send(res, 303, '', { location, ...headers });
  const render = (res: ServerResponse, url: URL, title: string, section: string, body: Html) =>
    send(res, 200, page({ title, section, target: data.label, notice: noticeOf(url), body }));
  const done = (res: ServerResponse, path: string, notice: Notice) =>
    redirect(res, `${path}${path.includes('?') ? '&' : '?'}notice=${remember(notice)}`);

  const eventsPage = async (res: ServerResponse, url: URL) => {
    const params = url.searchParams;
    const now = data.now();
    const until = timeParam(params, 'until', 'To', now);
    const since = timeParam(params, 'since', 'From', new Date(until.getTime() - DEFAULT_RANGE_DAYS * DAY_MS));
    if (since.getTime() > until.getTime()) {
      throw new HttpError(400, 'Bad Request', '"From" must not be after "To".');
    }
    const form: EventsForm = {
      since: localValue(since),
      until: localValue(until),
      status: params.get('status')?.trim() ?? '',
      user: params.get('user')?.trim() ?? '',
      platform: params.get('platform')?.trim() ?? '',
      assetType: params.get('assetType')?.trim() ?? '',
      test: params.get('test') ?? '',
      q: params.get('q')?.trim() ?? '',
    };
    if (!['', 'yes', 'no'].includes(form.test)) {
      throw new HttpError(400, 'Bad Request', '"Test events" is one of: (empty), yes, no.');
    }
    const cursor = params.get('cursor') ?? undefined;
    const result = await data.events({
      since: since.toISOString(),
      until: until.toISOString(),
      filter: filterOf(form),
      limit: EVENTS_PAGE.defaultLimit,
      ...(cursor ? { cursor } : {}),
    });
    render(res, url, 'Events', '/events', eventsBody(form, result));
  };

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const get = method === 'GET' || method === 'HEAD';
    const allow = (methods: string) => {
      throw new HttpError(405, 'Method Not Allowed', `${path} takes ${methods} only.`, { allow: methods });
    };

    if (path === '/' && get) return redirect(res, '/events');
    if (path === '/events') return get ? eventsPage(res, url) : allow('GET');
    const eventMatch = /^\/events\/([0-9A-Za-z]{1,64})(\/replay)?$/.exec(path);
    if (eventMatch) {
      const eventId = eventMatch[1] as string;
      if (eventMatch[2] === undefined) {
        if (!get) allow('GET');
        const report = await data.event(eventId);
        if (report === null) throw new HttpError(404, 'Not Found', `No event ${eventId} in ${data.label}.`);
        return render(res, url, `Event ${eventId}`, '/events', eventBody(report));
      }
      if (method !== 'POST') allow('POST');
      const form = await readForm(req);
      const consumer = form.get('consumer') || null;
      const force = form.get('force') === 'yes';
      const outcome = await data.replay(eventId, consumer, force);
      if (outcome === null) throw new HttpError(404, 'Not Found', `No event ${eventId} in ${data.label}.`);
      const to = consumer === null ? 'all consumers' : consumer;
      const notice: Notice =
        outcome.kind === 'sent'
          ? { kind: 'ok', text: `Replayed ${eventId} to ${to}${force ? ' (forced)' : ''}.` }
          : outcome.kind === 'skipped'
            ? {
                kind: 'error',
                text:
                  outcome.reason === 'not-subscribed'
                    ? `Not replayed: ${to}'s filter policy does not take this event.`
                    : 'Not replayed: the event has no version yet (its redelivery or the reconciler publishes it).',
              }
            : { kind: 'error', text: `Replay failed (${outcome.stage}): ${outcome.error}` };
      return done(res, `/events/${eventId}`, notice);
    }
    if (path === '/clients') {
      if (!get) allow('GET');
      const cursor = url.searchParams.get('cursor') ?? undefined;
      const result = await data.clients({ limit: RECENT_PAGE.defaultLimit, ...(cursor ? { cursor } : {}) });
      return render(res, url, 'Clients', '/clients', clientsBody(result));
    }
    if (path === '/clients/view') {
      if (!get) allow('GET');
      const requestUrl = url.searchParams.get('request');
      const user = url.searchParams.get('nouser') === '1' ? null : url.searchParams.get('user');
      if (!requestUrl || (user === null && url.searchParams.get('nouser') !== '1')) {
        throw new HttpError(400, 'Bad Request', 'A client is named by "request" and "user" (or "nouser=1").');
      }
      const view = await data.client(user, requestUrl);
      if (view.latest === null && view.history.length === 0) {
        throw new HttpError(404, 'Not Found', `No client with this user and request in ${data.label}.`);
      }
      return render(res, url, 'Client', '/clients', clientBody(view, user, requestUrl));
    }
    if (path === '/quarantine') {
      if (!get) allow('GET');
      return render(res, url, 'Quarantine', '/quarantine', quarantineBody(await data.quarantine()));
    }
    const quarantineMatch = /^\/quarantine\/([0-9a-f]{64})\/(retry|discard)$/.exec(path);
    if (quarantineMatch) {
      if (method !== 'POST') allow('POST');
      const [, id = '', action] = quarantineMatch;
      const form = await readForm(req);
      const short = id.slice(0, 12);
      const gone = () => new HttpError(404, 'Not Found', `No unresolved quarantine entry ${short}.`);
      if (action === 'discard') {
        if (!(await data.discardQuarantine(id))) throw gone();
        return done(res, '/quarantine', { kind: 'ok', text: `Discarded ${short}.` });
      }
      const contentType = form.get('contentType')?.trim() || undefined;
      const result = await data.retryQuarantine(id, contentType);
      if (result === null) throw gone();
      const notice: Notice =
        result.kind === 'resolved'
          ? { kind: 'ok', text: `Resolved ${short}: event ${result.eventId} (${result.note}).` }
          : result.kind === 'pending'
            ? { kind: 'ok', text: `${short}: event ${result.eventId} is pending again (${result.reason}).` }
            : result.kind === 'gone'
              ? {
                  kind: 'error',
                  text: `${short}: the stored delivery ${result.fingerprint} no longer exists.`,
                }
              : { kind: 'error', text: `${short} ${result.kind}: ${result.detail}` };
      return done(res, '/quarantine', notice);
    }
    if (path === '/dead-letters') {
      if (!get) allow('GET');
      return render(res, url, 'Dead letters', '/dead-letters', deadLettersBody(await data.deadLetters()));
    }
    const redriveMatch = /^\/dead-letters\/([^/]{1,100})\/redrive$/.exec(path);
    if (redriveMatch) {
      if (method !== 'POST') allow('POST');
      await readForm(req);
      let consumer: string;
      try {
        consumer = decodeURIComponent(redriveMatch[1] as string);
      } catch {
        throw new HttpError(400, 'Bad Request', 'The consumer name in the address is not valid.');
      }
      const { summary } = await data.redrive(consumer);
      const counts = summary.consumers[0];
      const text = counts
        ? `Redrove ${consumer}: moved ${counts.moved}, resent ${counts.resent}${counts.unavailable > 0 ? `, ${counts.unavailable} not redrivable` : ''} (${counts.unresolved} listed before).`
        : `Redrove ${consumer}.`;
      return done(res, '/dead-letters', { kind: counts && counts.unavailable > 0 ? 'error' : 'ok', text });
    }
    if (path === '/health') {
      if (!get) allow('GET');
      return render(res, url, 'Health', '/health', healthBody(await data.health()));
    }
    throw new HttpError(404, 'Not Found', `There is no page ${path}.`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A page reached through another name (a rebinding DNS name) is refused before anything else.
    if (req.headers.host !== host) {
      throw new HttpError(
        421,
        'Misdirected Request',
        `This console answers at ${origin} only (the request named the host "${req.headers.host ?? ''}").`,
      );
    }
    const url = new URL(req.url ?? '/', origin);
    const asset = STATIC[url.pathname];
    if (asset && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, {
        'content-type': asset.type,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      });
      res.end(asset.body);
      return;
    }
    const given = url.searchParams.get('token');
    if (given !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      if (!sameSecret(given, token)) {
        throw new HttpError(401, 'Unauthorized', 'This session token is not the one the console printed.');
      }
      url.searchParams.delete('token');
      return redirect(res, `${url.pathname}${url.search}`, {
        'set-cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
      });
    }
    const cookie = cookieOf(req.headers.cookie, SESSION_COOKIE);
    if (cookie === null || !sameSecret(cookie, session)) {
      throw new HttpError(
        401,
        'Unauthorized',
        'No console session: open the URL that `npm run console` printed (it carries the session token).',
      );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (req.headers.origin !== origin) {
        throw new HttpError(
          403,
          'Forbidden',
          `Actions are taken from this console's own pages only (the request came from ${req.headers.origin ?? 'no origin'}).`,
        );
      }
    }
    await route(req, res, url);
  };

  const fail = (res: ServerResponse, req: IncomingMessage, error: unknown) => {
    let status = 500;
    let title = 'Internal Server Error';
    let message = error instanceof Error ? error.message : String(error);
    let headers: Record<string, string> = {};
    if (error instanceof HttpError) {
      ({ status, title, headers } = error);
    } else if (error instanceof UsageError || (error instanceof Error && error.name === 'BadRequestError')) {
      status = 400;
      title = 'Bad Request';
    } else if (error instanceof CliError) {
      // The target (the stack, AWS, local mode) could not do it: the CLI's one line says why.
      status = 502;
      title = 'Bad Gateway';
    }
    if (status >= 500)
      options.log?.(`${req.method} ${req.url?.replace(/token=[^&]*/, 'token=***')} → ${status}: ${message}`);
    if (res.headersSent) {
      res.end();
      return;
    }
    message = message.replace(/token=[^&\s]*/g, 'token=***');
    send(
      res,
      status,
      errorPage(status, title, message, status === 401 || status === 421 ? null : data.label),
      headers,
    );
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => fail(res, req, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, CONSOLE_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  host = `${CONSOLE_HOST}:${port}`;
  origin = `http://${host}`;
  return {
    origin,
    url: `${origin}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
