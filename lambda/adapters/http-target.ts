/**
 * Outgoing HTTP calls of the consumers (Slack, HubSpot, forwarder targets), with one classification
 * of outcomes shared by all of them:
 *
 * - 2xx: delivered;
 * - 408, 425, 429, 5xx, a timeout or a network error: `RetryableDeliveryError` (with the target's
 *   `Retry-After`, when it gave one);
 * - any other status: `PermanentDeliveryError`, with the target's own words.
 *
 * Short in-process retries with exponential backoff and jitter (p-retry) absorb brief blips; longer
 * waits are left to the queue, so a function never sleeps for long.
 */
import pRetry from 'p-retry';
import { PermanentDeliveryError, RetryableDeliveryError } from '../domain/errors.ts';

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: string;
}

export interface PostOptions {
  /** Name of the target in error messages (never the URL: it may carry a secret). */
  target: string;
  url: string;
  body: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** @default 'POST' (a GET sends no body) */
  method?: 'POST' | 'PUT' | 'GET';
}

const RETRYABLE_STATUSES = new Set([408, 425, 429]);
/** Longest excerpt of a target's answer kept in an error message. */
const MAX_REASON_CHARS = 500;

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export const parseRetryAfter = (value: string | null, nowMs: number = Date.now()): number | undefined => {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // Only the HTTP date form (RFC 9110 IMF-fixdate); Date.parse alone reads "-5" or "1.5" as dates.
  if (!HTTP_DATE.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
};

const HTTP_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

export const excerpt = (text: string): string =>
  text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;

/** Throws the classified error for a non-2xx answer; returns for a 2xx one. */
export const classifyResponse = (target: string, response: HttpResponse, detail?: string): void => {
  if (response.status >= 200 && response.status < 300) return;
  if (response.status >= 300 && response.status < 400) {
    throw new PermanentDeliveryError(
      `${target} answered ${response.status} (a redirect); configure the final URL instead`,
    );
  }
  const said = excerpt(detail ?? response.body.trim());
  const reason = `${target} answered ${response.status}${said ? `: ${said}` : ''}`;
  if (response.status >= 500 || RETRYABLE_STATUSES.has(response.status)) {
    throw new RetryableDeliveryError(reason, parseRetryAfter(response.headers.get('retry-after')));
  }
  throw new PermanentDeliveryError(reason);
};

/** A target that did not answer in time: retried through the queue, never waited for again in-process. */
export class TargetTimeoutError extends RetryableDeliveryError {}

/** One POST (or PUT, GET) with a timeout; network failures and timeouts become `RetryableDeliveryError`. */
export const post = async (options: PostOptions): Promise<HttpResponse> => {
  if (!URL.canParse(options.url)) {
    // Never retried: the configuration must change. The URL is not shown (it may be a secret).
    throw new PermanentDeliveryError(`${options.target} has an invalid URL; check its configuration`);
  }
  let response: Response;
  try {
    const method = options.method ?? 'POST';
    response = await fetch(options.url, {
      method,
      headers: { 'content-type': 'application/json', ...options.headers },
      body: method === 'GET' ? undefined : options.body,
      signal: AbortSignal.timeout(options.timeoutMs),
      // A redirect is answered, not followed: classifyResponse makes it permanent ("use the final URL"),
      // and the body (which may carry secrets) never goes to a Location we were not configured with.
      redirect: 'manual',
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new TargetTimeoutError(`${options.target} gave no answer within ${options.timeoutMs} ms`);
    }
    const cause =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new RetryableDeliveryError(`${options.target} could not be reached (${cause})`);
  }
  let body = '';
  try {
    body = await response.text();
  } catch {
    // The status is what matters; an unreadable body leaves the reason shorter.
  }
  return { status: response.status, headers: response.headers, body };
};

export interface BackoffOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** First delay in ms; doubles each retry, with jitter. */
  minDelayMs: number;
  /** A `Retry-After` longer than this is left to the queue instead of waited for here. */
  maxInlineWaitSeconds: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { retries: 2, minDelayMs: 250, maxInlineWaitSeconds: 2 };

/**
 * Runs `attempt`, retrying `RetryableDeliveryError`s from 5xx/429 answers a few times with backoff.
 * Timeouts are not retried here (a hung target would hold the function); the queue retries them.
 */
export const withBackoff = <T>(
  attempt: () => Promise<T>,
  options: BackoffOptions = DEFAULT_BACKOFF,
): Promise<T> =>
  pRetry(attempt, {
    retries: options.retries,
    minTimeout: options.minDelayMs,
    factor: 2,
    randomize: true,
    // A short Retry-After is waited for in full before the backoff delay adds its own.
    onFailedAttempt: async ({ error, retriesLeft }) => {
      const wait = error instanceof RetryableDeliveryError ? (error.retryAfterSeconds ?? 0) : 0;
      if (retriesLeft > 0 && wait > 0 && wait <= options.maxInlineWaitSeconds) {
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      }
    },
    shouldRetry: ({ error }) =>
      error instanceof RetryableDeliveryError &&
      !(error instanceof TargetTimeoutError) &&
      (error.retryAfterSeconds ?? 0) <= options.maxInlineWaitSeconds,
  });
