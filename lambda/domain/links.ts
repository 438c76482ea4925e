/**
 * Which links a message may carry. A connection event's URLs come from the payload, so anyone holding
 * the webhook token (or a client setting its own values) chooses them: a chat message or an email
 * links only to Leadsie's hosts or to hosts the agency configured, over https, without credentials.
 * One rule for Slack, Teams, Discord and email, so none of them drifts.
 *
 * Pure: no I/O.
 */
import * as z from 'zod/mini';

/** Leadsie's own hosts: the client summary and request links point there. Subdomains included. */
export const LEADSIE_HOSTS: readonly string[] = ['leadsie.com'];

/** A host name as configured: labels of letters, digits and hyphens, at least two of them. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i;

/** True for a host an agency may allow (`agency.example`): a plain DNS name, no scheme, port or path. */
export const isLinkHost = (value: string): boolean => HOST_NAME.test(value);

/**
 * The `linkHosts` setting of a consumer (`zod/mini`, as the consumer functions bundle it): host
 * names such as `crm.agency.example`; each allows itself and its subdomains.
 */
export const linkHostList = () =>
  z
    .array(
      z
        .string({ error: 'a host is a string, such as "crm.agency.example"' })
        .check(
          z.refine(isLinkHost, 'a host name such as "crm.agency.example": no scheme, port, path or wildcard'),
        ),
      { error: 'expected a list of host names, such as ["crm.agency.example"]' },
    )
    .check(z.maxLength(20, 'at most 20 hosts'));

/** The hosts a link may point to: Leadsie's and the configured ones. */
export const linkHosts = (configured: readonly string[] | undefined): readonly string[] => [
  ...LEADSIE_HOSTS,
  ...(configured ?? []),
];

/**
 * The URL of a link, or null: only an absolute https URL, without credentials, whose host is one of
 * `hosts` or a subdomain of one (so never `javascript:`, never `http:`, never a look-alike such as
 * `leadsie.com.evil.io` or `evil-leadsie.com`).
 */
export const allowedLink = (url: string | null | undefined, hosts: readonly string[]): string | null => {
  if (!url || !URL.canParse(url)) return null;
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') return null;
  const host = parsed.hostname.toLowerCase();
  const allowed = hosts.some((h) => {
    const wanted = h.toLowerCase().replace(/^\.+|\.+$/g, '');
    return wanted !== '' && (host === wanted || host.endsWith(`.${wanted}`));
  });
  return allowed ? parsed.href : null;
};
