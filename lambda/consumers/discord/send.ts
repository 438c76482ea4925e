/**
 * Posts Discord messages with Execute Webhook (`POST /api/webhooks/{id}/{token}?wait=true`). The URL
 * holds the webhook's token, so it lives in Secrets Manager and never appears in a log or an error:
 * errors name the target "Discord", and anything of the URL the answer repeats is cut out.
 *
 * `wait=true` makes Discord answer only once the message exists: `200` with the message (its id goes
 * in the receipt). A `204` (no wait, as a proxy may answer) is a post too.
 *
 * Answers:
 * - 429: `RetryableDeliveryError` after the longer of the `Retry-After` header and the body's
 *   `retry_after` (seconds, fractional), rounded up;
 * - 408, 425, 5xx, a timeout or a network error: `RetryableDeliveryError`;
 * - any other 4xx (`10015 Unknown Webhook`, `50027 Invalid Webhook Token`, `50035 Invalid Form Body`
 *   with the path of each invalid field): `PermanentDeliveryError` with Discord's words.
 */
import {
  type BackoffOptions,
  classifyResponse,
  DEFAULT_BACKOFF,
  excerpt,
  type HttpResponse,
  parseRetryAfter,
  post,
  withBackoff,
} from '../../adapters/http-target.ts';
import type { SecretSource } from '../../adapters/secrets.ts';
import type { ConnectionEvent } from '../../domain/envelope.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../domain/errors.ts';
import type { DiscordMessage } from './message.ts';

export const TARGET = 'Discord';
export const USER_AGENT = 'leadsie-webhooks';

export interface DiscordReceipt {
  status: number;
  outcome: 'posted';
  /** The message's id, when Discord sent the message back (`wait=true`). */
  messageId?: string;
}

export interface DiscordSender {
  /** Posts the message; `event` is what it was built from (for senders that record it, like local mode's outbox). */
  send(message: DiscordMessage, event?: ConnectionEvent): Promise<DiscordReceipt>;
}

/** The webhook URL with `wait=true`, its other parameters (such as `thread_id`) kept. */
export const withWait = (url: string): string => {
  if (!URL.canParse(url)) return url; // post() refuses it, without showing it
  const parsed = new URL(url);
  parsed.searchParams.set('wait', 'true');
  return parsed.href;
};

/** Parts of a webhook URL long enough to be a secret (the token segment, query values). */
const secretParts = (url: string): string[] => {
  if (!URL.canParse(url)) return [url];
  const parsed = new URL(url);
  const parts = [...parsed.pathname.split('/'), ...[...parsed.searchParams.values()]];
  return [url, parsed.origin + parsed.pathname, ...parts.filter((part) => part.length >= 16)];
};

/** `text` with every secret-looking part of `url` replaced by "…". */
export const redact = (text: string, url: string): string => {
  let out = text;
  for (const part of secretParts(url).sort((a, b) => b.length - a.length)) out = out.replaceAll(part, '…');
  return out;
};

interface DiscordError {
  message?: unknown;
  code?: unknown;
  retry_after?: unknown;
  global?: unknown;
  errors?: unknown;
}

const parseJson = (body: string): DiscordError | undefined => {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === 'object' ? (parsed as DiscordError) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The paths of the invalid fields of a `50035 Invalid Form Body`: `embeds.0.fields.6.value: Must be
 * 1024 or fewer in length.` (Discord nests them as `{ embeds: { 0: { …: { _errors: [{ message }] } } } }`).
 */
export const formErrors = (errors: unknown, path: string[] = []): string[] => {
  if (errors === null || typeof errors !== 'object') return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(errors as Record<string, unknown>)) {
    if (key === '_errors' && Array.isArray(value)) {
      for (const error of value as { message?: unknown }[]) {
        const message = typeof error?.message === 'string' ? error.message : 'invalid';
        out.push(`${path.join('.') || '(body)'}: ${message}`);
      }
    } else {
      out.push(...formErrors(value, [...path, key]));
    }
  }
  return out;
};

/** Discord's words: "message (code N): field errors", or the body as sent when it is not Discord's JSON. */
const detailOf = (body: string): string => {
  const parsed = parseJson(body);
  if (!parsed || (parsed.message === undefined && parsed.code === undefined)) return body.trim();
  const words = typeof parsed.message === 'string' ? parsed.message : 'error';
  const code = typeof parsed.code === 'number' ? ` (code ${parsed.code})` : '';
  const fields = formErrors(parsed.errors);
  return `${words}${code}${fields.length > 0 ? `: ${fields.join('; ')}` : ''}`;
};

/** Seconds to wait after a 429: the longer of the header and the body's `retry_after`, rounded up. */
export const retryAfterOf = (response: HttpResponse, nowMs: number = Date.now()): number | undefined => {
  const header = parseRetryAfter(response.headers.get('retry-after'), nowMs);
  const fromBody = parseJson(response.body)?.retry_after;
  const body =
    typeof fromBody === 'number' && Number.isFinite(fromBody) && fromBody >= 0
      ? Math.ceil(fromBody)
      : undefined;
  if (header === undefined) return body;
  if (body === undefined) return header;
  return Math.max(header, body);
};

/** The receipt of a 2xx answer, or the typed error of any other. */
export const classifyDiscordResponse = (response: HttpResponse, url: string): DiscordReceipt => {
  if (response.status >= 200 && response.status < 300) {
    const id = parseJson(response.body) as { id?: unknown } | undefined;
    return typeof id?.id === 'string'
      ? { status: response.status, outcome: 'posted', messageId: id.id }
      : { status: response.status, outcome: 'posted' };
  }
  const said = excerpt(redact(detailOf(response.body), url));
  if (response.status === 429) {
    const global = parseJson(response.body)?.global === true ? ' (global rate limit)' : '';
    throw new RetryableDeliveryError(`${TARGET} answered 429${global}: ${said}`, retryAfterOf(response));
  }
  classifyResponse(TARGET, response, said);
  // classifyResponse throws for every status outside 2xx.
  throw new PermanentDeliveryError(`${TARGET} answered ${response.status}`);
};

export class DiscordWebhook implements DiscordSender {
  constructor(
    private readonly webhookUrl: SecretSource,
    private readonly timeoutMs: number,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  async send(message: DiscordMessage): Promise<DiscordReceipt> {
    const url = withWait(await this.webhookUrl.value());
    const body = JSON.stringify(message);
    return withBackoff(async () => {
      const response = await post({
        target: TARGET,
        url,
        body,
        headers: { 'user-agent': USER_AGENT },
        timeoutMs: this.timeoutMs,
      });
      return classifyDiscordResponse(response, url);
    }, this.backoff);
  }
}
