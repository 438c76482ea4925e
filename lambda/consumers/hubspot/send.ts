/**
 * HubSpot: upserts one contact or company per event, identified by a unique property (default
 * `leadsie_user_id`) equal to the event's user, through the batch upsert endpoint
 * (`POST /crm/objects/{version}/{objectType}/batch/upsert`, one input per call). Properties come
 * from the configured mapping (`crmProperties`). Authenticated with a private-app token from Secrets
 * Manager.
 *
 * HubSpot's API reference lists `/crm/v3/objects/…` under "legacy": the date-versioned path takes the
 * same body, and its version is a setting (`HUBSPOT_API_VERSION`), so moving to the next one is
 * configuration, not code.
 */

import {
  classifyResponse,
  excerpt,
  type HttpResponse,
  post,
  withBackoff,
} from '../../adapters/http-target.ts';
import type { SecretSource } from '../../adapters/secrets.ts';
import type { ConnectionEvent } from '../../domain/envelope.ts';
import { PermanentDeliveryError } from '../../domain/errors.ts';
import type { CrmReceipt, CrmTarget } from '../../use-cases/ports.ts';
import { crmProperties, type PropertyMapping } from './message.ts';

/** The date version of HubSpot's CRM API used unless configured. */
export const DEFAULT_HUBSPOT_API_VERSION = '2026-03';

/** HubSpot's date versions: `2026-03`. */
export const HUBSPOT_API_VERSION = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The batch upsert path of an object type, at a date version. */
export const batchUpsertPath = (
  objectType: string,
  apiVersion: string = DEFAULT_HUBSPOT_API_VERSION,
): string => `/crm/objects/${apiVersion}/${objectType}/batch/upsert`;

export interface HubSpotOptions {
  token: SecretSource;
  /** e.g. `https://api.hubapi.com` */
  baseUrl: string;
  objectType: 'contacts' | 'companies';
  /** Unique property identifying the record; its value is the event's user. */
  idProperty: string;
  mapping: PropertyMapping;
  timeoutMs: number;
  /** The CRM API's date version in the path. @default DEFAULT_HUBSPOT_API_VERSION */
  apiVersion?: string;
}

/** HubSpot's error body: `{ status, message, category, errors: [{ message }] }`. */
const hubSpotMessage = (response: HttpResponse): string | undefined => {
  try {
    const body = JSON.parse(response.body) as {
      message?: string;
      category?: string;
      errors?: { message?: string }[];
    };
    const details = (body.errors ?? []).map((e) => e.message).filter(Boolean);
    const main = [body.category, body.message].filter(Boolean).join(': ');
    return [main, ...details].filter(Boolean).join(' | ') || undefined;
  } catch {
    return undefined;
  }
};

export class HubSpotTarget implements CrmTarget {
  readonly name = 'hubspot';
  readonly requiresUser = true;

  constructor(private readonly options: HubSpotOptions) {}

  /** The path of the upsert request (exposed for dry runs). */
  upsertPath(): string {
    return batchUpsertPath(this.options.objectType, this.options.apiVersion);
  }

  /** The exact request body sent for an event (exposed for tests and dry runs). */
  requestBody(event: ConnectionEvent): {
    inputs: { idProperty: string; id: string; properties: Record<string, string> }[];
  } {
    if (event.user === null) throw new PermanentDeliveryError('HubSpot needs a user to identify the record');
    return {
      inputs: [
        {
          idProperty: this.options.idProperty,
          id: event.user,
          properties: {
            ...crmProperties(event, this.options.mapping),
            [this.options.idProperty]: event.user,
          },
        },
      ],
    };
  }

  async upsert(event: ConnectionEvent): Promise<CrmReceipt> {
    const { baseUrl, timeoutMs } = this.options;
    const token = await this.options.token.value();
    const body = JSON.stringify(this.requestBody(event));
    const url = `${baseUrl.replace(/\/+$/, '')}${this.upsertPath()}`;
    return withBackoff(async () => {
      const response = await post({
        target: 'HubSpot',
        url,
        body,
        timeoutMs,
        headers: { authorization: `Bearer ${token}` },
      });
      // 207: some inputs failed; with one input, that is this event's failure.
      if (response.status === 207) {
        throw new PermanentDeliveryError(
          `HubSpot rejected the record: ${excerpt(hubSpotMessage(response) ?? response.body)}`,
        );
      }
      classifyResponse('HubSpot', response, hubSpotMessage(response));
      return { outcome: 'upserted' as const, status: response.status };
    });
  }
}
