/**
 * The generic webhook forwarder: POSTs the flat record (Zapier-compatible keys) or the whole envelope
 * to any URL (Zapier, Make, Pabbly Connect, n8n, the agency's own app), signed with HMAC-SHA256 over
 * `<timestamp>.<body>` in the `x-leadsie-webhooks-signature` header so the receiver can verify it.
 * The event's id and version travel in headers too, so a receiver can drop repeats and stale events.
 *
 * Its secret is JSON: `{"url": "https://hooks.zapier.com/…", "signingSecret": "…"}` (the URL of a
 * catch hook is itself a credential).
 */
import * as z from 'zod/mini';
import { classifyResponse, post, withBackoff } from '../../adapters/http-target.ts';
import type { SecretSource } from '../../adapters/secrets.ts';
import { SIGNATURE_HEADER } from '../../contract.ts';
import type { ConnectionEvent } from '../../domain/envelope.ts';
import { PermanentDeliveryError } from '../../domain/errors.ts';
import { signatureHeader } from '../../domain/signature.ts';
import type { CrmReceipt, CrmTarget } from '../../use-cases/ports.ts';

export type ForwardFormat = 'flat' | 'envelope';

const forwarderSecretSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  signingSecret: z.string().check(z.minLength(16)),
});
export type ForwarderSecret = z.infer<typeof forwarderSecretSchema>;

/**
 * Reads the forwarder's secret; the message names what is wrong, never the value. A bad secret is a
 * permanent failure: retrying cannot fix it, so messages go to the DLQ (redrive them once it is fixed).
 */
export const parseForwarderSecret = (text: string): ForwarderSecret => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PermanentDeliveryError(
      'the forwarder secret must be JSON: {"url": "https://…", "signingSecret": "…"}',
    );
  }
  const parsed = forwarderSecretSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
    throw new PermanentDeliveryError(
      `the forwarder secret is invalid at: ${fields} (needs url and a signingSecret of 16+ chars)`,
    );
  }
  return parsed.data;
};

export interface WebhookForwarderOptions {
  /** The consumer's name, used in messages: `forward-zapier`. */
  name: string;
  secret: SecretSource;
  format: ForwardFormat;
  timeoutMs: number;
  nowSeconds?: () => number;
}

export class WebhookForwarder implements CrmTarget {
  readonly name: string;
  readonly requiresUser = false;

  constructor(private readonly options: WebhookForwarderOptions) {
    this.name = options.name;
  }

  async upsert(event: ConnectionEvent): Promise<CrmReceipt> {
    const { url, signingSecret } = parseForwarderSecret(await this.options.secret.value());
    const body = JSON.stringify(this.options.format === 'flat' ? event.flat : event);
    return withBackoff(async () => {
      const timestamp = Math.floor((this.options.nowSeconds ?? (() => Date.now() / 1000))());
      const response = await post({
        target: this.name,
        url,
        body,
        timeoutMs: this.options.timeoutMs,
        headers: {
          [SIGNATURE_HEADER]: signatureHeader(signingSecret, body, timestamp),
          'x-leadsie-event-id': event.eventId,
          'x-leadsie-event-version': String(event.version),
        },
      });
      classifyResponse(this.name, response);
      return { outcome: 'posted' as const, status: response.status };
    });
  }
}
