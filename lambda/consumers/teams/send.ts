/**
 * Posts Teams messages to a Workflows webhook ("When a Teams webhook request is received") or a
 * legacy Incoming Webhook. The URL is itself the credential (a Workflows URL carries its `sig`), so it
 * lives in Secrets Manager and never appears in a log or an error: errors name the target "Teams",
 * and anything of the URL the answer repeats is cut out.
 *
 * Answers:
 * - Workflows `202 Accepted`: the flow was started; Teams posts the card afterwards, so the receipt says
 *   `accepted`, not `posted` (a card the flow then fails to post is only visible in the flow's run history);
 * - `200` (legacy webhooks answer `1`): posted. A legacy webhook also answers `200` with "Webhook message
 *   delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 …": classified by that
 *   inner status;
 * - 408, 425, 429 (with Retry-After), 5xx, a timeout or a network error: `RetryableDeliveryError`;
 * - any other 4xx (a bad or disabled flow, a revoked signature, a card Teams refuses): `PermanentDeliveryError`
 *   with Power Automate's error code and message.
 */
import {
  type BackoffOptions,
  classifyResponse,
  DEFAULT_BACKOFF,
  excerpt,
  type HttpResponse,
  post,
  withBackoff,
} from '../../adapters/http-target.ts';
import type { SecretSource } from '../../adapters/secrets.ts';
import type { ConnectionEvent } from '../../domain/envelope.ts';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../domain/errors.ts';
import type { TeamsMessage } from './message.ts';

export const TARGET = 'Teams';
export const USER_AGENT = 'leadsie-webhooks';

/** What Teams said: `accepted` (Workflows: the flow will post it) or `posted` (legacy webhook). */
export interface TeamsReceipt {
  status: number;
  outcome: 'accepted' | 'posted';
}

export interface TeamsSender {
  /** Posts the message; `event` is what it was built from (for senders that record it, like local mode's outbox). */
  send(message: TeamsMessage, event?: ConnectionEvent): Promise<TeamsReceipt>;
}

/** Parts of a webhook URL long enough to be a secret (path segments, query values). */
const secretParts = (url: string): string[] => {
  if (!URL.canParse(url)) return [url];
  const parsed = new URL(url);
  const parts = [
    ...parsed.pathname.split('/').map(decodeURIComponentSafe),
    ...[...parsed.searchParams.values()],
  ];
  return [url, parsed.origin + parsed.pathname, ...parts.filter((part) => part.length >= 16)];
};

const decodeURIComponentSafe = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** `text` with every secret-looking part of `url` (and any `sig=` value) replaced by "…". */
export const redact = (text: string, url: string): string => {
  let out = text;
  for (const part of secretParts(url).sort((a, b) => b.length - a.length)) out = out.replaceAll(part, '…');
  return out.replace(/([?&]sig=)[^&\s"']+/gi, '$1…');
};

/** Power Automate's `{"error":{"code","message"}}` as "code: message"; otherwise the body as sent. */
const detailOf = (body: string): string => {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof parsed.error?.code === 'string' ? parsed.error.code : '';
    const message = typeof parsed.error?.message === 'string' ? parsed.error.message : '';
    if (code !== '' || message !== '') return [code, message].filter((s) => s !== '').join(': ');
  } catch {
    // Not JSON: the text itself is the reason.
  }
  return body.trim();
};

const LEGACY_FAILURE = /delivery failed/i;
const LEGACY_INNER_STATUS = /HTTP error (\d{3})/i;

/** The receipt of a 2xx answer, or the typed error of any other (or of a legacy 200 that failed). */
export const classifyTeamsResponse = (response: HttpResponse, url: string): TeamsReceipt => {
  if (response.status === 202) return { status: 202, outcome: 'accepted' };
  const ok = response.status >= 200 && response.status < 300;
  if (ok && !LEGACY_FAILURE.test(response.body)) return { status: response.status, outcome: 'posted' };
  const said = excerpt(redact(detailOf(response.body), url));
  if (ok) {
    const inner = Number(LEGACY_INNER_STATUS.exec(response.body)?.[1] ?? 0);
    const reason = `${TARGET} answered ${response.status} but did not deliver: ${said}`;
    if (inner === 429 || inner >= 500) throw new RetryableDeliveryError(reason);
    throw new PermanentDeliveryError(reason);
  }
  classifyResponse(TARGET, response, said);
  // classifyResponse throws for every status outside 2xx.
  throw new PermanentDeliveryError(`${TARGET} answered ${response.status}`);
};

export class TeamsWebhook implements TeamsSender {
  constructor(
    private readonly webhookUrl: SecretSource,
    private readonly timeoutMs: number,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  async send(message: TeamsMessage): Promise<TeamsReceipt> {
    const url = await this.webhookUrl.value();
    const body = JSON.stringify(message);
    return withBackoff(async () => {
      const response = await post({
        target: TARGET,
        url,
        body,
        headers: { 'user-agent': USER_AGENT },
        timeoutMs: this.timeoutMs,
      });
      return classifyTeamsResponse(response, url);
    }, this.backoff);
  }
}
