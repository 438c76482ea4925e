/**
 * The HubSpot updater's settings: `consumers.hubspot` of the cdk.json context. One rule per fact:
 * the same rule checks the context at synth and the variable at cold start (`HUBSPOT_FACTS`).
 */
import * as z from 'zod/mini';
import { DEFAULTS, ENV } from '../../contract.ts';
import { consumerFields, type EnvFact, jsonFact, secretName, textFact } from '../settings.ts';
import { HUBSPOT_PROPERTY_NAME, type PropertyMapping, parsePropertyMapping } from './message.ts';
import { HUBSPOT_API_VERSION } from './send.ts';

/** A CRM should not fill up with Leadsie's test payloads. */
export const HUBSPOT_INCLUDES_TEST_EVENTS = false;

/** Largest property mapping, as JSON: Lambda allows 4 KB of environment variables per function in all. */
export const MAX_PROPERTY_MAPPING_CHARS = 2048;

const objectType = z.enum(['contacts', 'companies']);

const idProperty = z
  .string()
  .check(
    z.regex(
      HUBSPOT_PROPERTY_NAME,
      'a HubSpot property name: lower-case letters, digits and "_", starting with a letter',
    ),
  );

const propertyMapping = z.pipe(
  z.unknown(),
  z.transform((value: unknown, ctx): PropertyMapping => {
    let mapping: PropertyMapping;
    try {
      mapping = parsePropertyMapping(value);
    } catch (error) {
      ctx.issues.push({
        code: 'custom',
        message: (error as Error).message.replaceAll('\n', '\n    '),
        input: value,
      });
      return z.NEVER;
    }
    const chars = JSON.stringify(mapping).length;
    if (chars > MAX_PROPERTY_MAPPING_CHARS) {
      ctx.issues.push({
        code: 'custom',
        message: `the mapping is ${chars} characters as JSON; at most ${MAX_PROPERTY_MAPPING_CHARS} fit in the function's environment`,
        input: value,
      });
      return z.NEVER;
    }
    return mapping;
  }),
);

const httpsUrl = z.string().check(
  z.refine((value) => {
    try {
      const url = new URL(value);
      return (
        url.protocol === 'https:' && url.username === '' && url.password === '' && !url.search && !url.hash
      );
    } catch {
      return false;
    }
  }, 'expected an https:// URL without credentials, query or fragment, such as "https://api.hubapi.com"'),
);

const apiVersion = z
  .string({ error: 'expected a HubSpot API date version, such as "2026-03"' })
  .check(z.regex(HUBSPOT_API_VERSION, 'a HubSpot API date version: YYYY-MM, such as "2026-03"'));

/** What crosses to the function, each fact with its variable and its rule. */
export const HUBSPOT_FACTS = {
  objectType: textFact(ENV.hubspotObjectType, objectType),
  idProperty: textFact(ENV.hubspotIdProperty, idProperty),
  propertyMapping: jsonFact(ENV.hubspotPropertyMapping, propertyMapping) as EnvFact<PropertyMapping>,
  // Tests and local mode point it at a loopback server, over http: the function accepts any URL.
  baseUrl: textFact(ENV.hubspotBaseUrl, z.string().check(z.refine((v) => URL.canParse(v), 'expected a URL'))),
  apiVersion: textFact(ENV.hubspotApiVersion, apiVersion),
};

export const hubspotSettings = z.strictObject({
  /** Secret holding the HubSpot private-app token, as a plain string. */
  secretName: secretName('the HubSpot private-app token'),
  /**
   * The HubSpot object upserted per event.
   * @default DEFAULTS.hubspotObjectType ('contacts')
   */
  objectType: z._default(objectType, DEFAULTS.hubspotObjectType),
  /**
   * The unique HubSpot property that identifies a record: set to the event's user.
   * @default DEFAULTS.hubspotIdProperty ('leadsie_user_id')
   */
  idProperty: z._default(idProperty, DEFAULTS.hubspotIdProperty),
  /**
   * Source key → HubSpot property name (see `message.ts`).
   * @default - DEFAULT_HUBSPOT_MAPPING
   */
  propertyMapping: z.optional(propertyMapping),
  /**
   * Base URL of the HubSpot API.
   * @default - DEFAULTS.hubspotBaseUrl ('https://api.hubapi.com')
   */
  baseUrl: z.optional(httpsUrl),
  /**
   * The date version of HubSpot's CRM API (`/crm/objects/<version>/…`); the legacy `/crm/v3/` paths
   * are not used.
   * @default - DEFAULT_HUBSPOT_API_VERSION ('2026-03'), the sender's own
   */
  apiVersion: z.optional(apiVersion),
  ...consumerFields(HUBSPOT_INCLUDES_TEST_EVENTS),
});

export type HubspotSettings = z.output<typeof hubspotSettings>;
