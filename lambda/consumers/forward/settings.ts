/**
 * The webhook forwarders' settings: `consumers.forwarders` of the cdk.json context, a list of named
 * forwarders (Zapier, Make, n8n, the agency's own app), one consumer each. One rule per fact: the
 * format is checked by the same rule at synth and at cold start (`FORWARD_FACTS`).
 */
import * as z from 'zod/mini';
import { DEFAULTS, ENV } from '../../contract.ts';
import { consumerFields, secretName, textFact } from '../settings.ts';

/** Leadsie's test payloads reach the forwarders by default: the receiving Zap can be built from one. */
export const FORWARD_INCLUDES_TEST_EVENTS = true;

/** A forwarder's name: it becomes the consumer name `forward-<name>` and part of output names. */
export const FORWARDER_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The consumer name of a forwarder. */
export const forwarderConsumerName = (name: string): string => `forward-${name}`;

const format = z.enum(['flat', 'envelope']);

/** What crosses to the function, each fact with its variable and its rule. */
export const FORWARD_FACTS = {
  format: textFact(ENV.forwardFormat, format),
};

export const forwarderSettings = z.strictObject({
  /** Unique name; the consumer is called `forward-<name>`. */
  name: z
    .string({ error: 'required: a name for the forwarder, such as "zapier"' })
    .check(
      z.maxLength(32, 'at most 32 characters'),
      z.regex(FORWARDER_NAME, 'lower-case letters and digits, in words joined by single hyphens ("my-zap")'),
    ),
  /** Secret holding `{"url": "https://…", "signingSecret": "…"}`. */
  secretName: secretName('the forwarder\'s {"url", "signingSecret"} JSON'),
  /**
   * What is posted: `flat` (the Zapier-compatible flat record) or `envelope` (the whole event).
   * @default DEFAULTS.forwardFormat ('flat')
   */
  format: z._default(format, DEFAULTS.forwardFormat),
  ...consumerFields(FORWARD_INCLUDES_TEST_EVENTS),
});

export type ForwarderSettings = z.output<typeof forwarderSettings>;

/** The list, each name unique, also once the hyphens output names drop are gone. */
export const forwardersSettings = z._default(
  z
    .array(forwarderSettings, { error: 'expected a list of forwarders, such as [{"name": "zapier", …}]' })
    .check(
      z.superRefine((forwarders, ctx) => {
        const seen = new Map<string, string>();
        forwarders.forEach((forwarder, index) => {
          // Output names drop the hyphens, so `a-1b` and `a1b` would clash there.
          const key = forwarder.name.replaceAll('-', '');
          const earlier = seen.get(key);
          if (earlier === undefined) {
            seen.set(key, forwarder.name);
            return;
          }
          ctx.addIssue({
            code: 'custom',
            path: [index, 'name'],
            input: forwarder.name,
            message:
              earlier === forwarder.name
                ? `duplicate forwarder name "${forwarder.name}": each forwarder needs its own`
                : `"${forwarder.name}" and "${earlier}" differ only by hyphens, which output names drop: rename one`,
          });
        });
      }),
    ),
  [],
);
