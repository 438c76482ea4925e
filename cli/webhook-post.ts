/**
 * Posting a body to the webhook as Leadsie does, for the commands that send something
 * (`send-test-event`, `quarantine retry`): one timeout, one way to say the webhook is unreachable,
 * and the token never printed.
 */
import { CliError } from './errors.ts';

const TIMEOUT_MS = 30_000;

/** The URL with its token hidden, for messages. */
export const redacted = (url: string): string => url.replace(/([?&]token=)[^&]*/, '$1***');

export interface WebhookAnswer {
  status: number;
  statusText: string;
  ok: boolean;
  /** The answer's body as text. */
  text: string;
  /** The answer's body as JSON, when it is JSON. */
  json: unknown;
}

/**
 * POSTs `body` to `url`. `contentType` null sends no Content-Type header at all (a bytes body gets
 * none from fetch), as a client that sends none would.
 */
export const postWebhook = async (
  url: string,
  body: Uint8Array | string,
  contentType: string | null,
): Promise<WebhookAnswer> => {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: contentType === null ? {} : { 'content-type': contentType },
      body: typeof body === 'string' ? body : new Uint8Array(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const why =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${TIMEOUT_MS / 1000} s`
        : (cause ?? (error as Error).message);
    throw new CliError(`cannot reach the webhook at ${redacted(url)}: ${why}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, statusText: response.statusText, ok: response.ok, text, json };
};
