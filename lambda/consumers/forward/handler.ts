/**
 * A webhook forwarder: posts each connection event, signed, to its target (see `send.ts`), skipping
 * stale events. It runs in the CRM updater function (`lambda/handlers/crm-updater.ts`), which HubSpot
 * shares.
 */
import type { SecretSource } from '../../adapters/secrets.ts';
import { DEFAULTS } from '../../contract.ts';
import { readEnv } from '../settings.ts';
import { WebhookForwarder } from './send.ts';
import { FORWARD_FACTS } from './settings.ts';

export { makeHandler } from '../hubspot/handler.ts';

/** The forwarder from the function's environment (the stack's default format when unset). */
export const forwarderFromEnv = (
  env: Readonly<Record<string, string | undefined>>,
  secret: SecretSource,
  name: string,
  timeoutMs: number,
): WebhookForwarder =>
  new WebhookForwarder({
    name,
    secret,
    format: readEnv(FORWARD_FACTS, env).format ?? DEFAULTS.forwardFormat,
    timeoutMs,
  });
