/**
 * The emails of one connection event, and who gets them. Pure: the email consumer sends what this
 * module plans, through SES.
 *
 * - Team email: to the configured team addresses, for the configured statuses (by default
 *   PARTIAL_SUCCESS and FAILED). It names the client, the request, each asset and what went wrong,
 *   with the client summary link.
 * - Client email (off by default): only for SUCCESS, only to an address the agency allows: the
 *   configured mapping's address for the user, or the user id itself when it is an address at one of
 *   the configured allowed domains. The payload's `user` alone is never enough: anyone holding the
 *   webhook token could otherwise make the agency's SES identity mail any address.
 *
 * Every email has a text part and an HTML part. Values from the payload are untrusted: in the HTML
 * part every one of them is HTML-escaped (`escapeHtml`), links are only https links to Leadsie's
 * hosts or configured ones (`domain/links.ts`), and a URL that is not one is not shown at all; in
 * the subject and the text part they are put on one line with control and bidi-override characters
 * removed, so no value can add a line, fake a header or reorder what is shown around it.
 */
import type { ConnectionEvent, EnvelopeAsset } from '../../domain/envelope.ts';
import { allowedLink, LEADSIE_HOSTS } from '../../domain/links.ts';
import { clipGraphemes } from '../../domain/text.ts';

/** What is sent: the subject and both parts. */
export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

export type EmailKind = 'team' | 'client';

/** One email to send for an event. */
export interface PlannedEmail {
  kind: EmailKind;
  to: string[];
  content: EmailContent;
}

/** A template the agency writes: a subject and a text body with `{{placeholder}}`s. */
export interface EmailTemplate {
  subject: TemplatePart[];
  body: TemplatePart[];
}

type TemplatePart = { literal: string } | { placeholder: Placeholder };

/** What a template may name, and where each value comes from. */
export const TEMPLATE_PLACEHOLDERS = {
  clientName: 'the client name (v2), else the request name',
  requestName: 'the request name',
  requestUrl: 'the request URL',
  summaryUrl: 'the client summary URL (v2), else empty',
  user: 'the user id sent to Leadsie',
  assetCount: 'how many assets were connected',
} as const;

export type Placeholder = keyof typeof TEMPLATE_PLACEHOLDERS;

/** The client thank-you when the agency gives none; same format as an override file. */
export const DEFAULT_CLIENT_TEMPLATE = `Subject: Thank you, {{clientName}}: your accounts are connected

Hi {{clientName}},

Thank you for connecting your accounts for "{{requestName}}". Everything came through, so we have the access we need and will take it from here.

If anything looks wrong, just reply to this email.
`;

/** Longest subject written (SES has no strict limit; mail clients show far less). */
export const MAX_SUBJECT_CHARS = 200;
/** Longest a single payload value may be in an email before it is clipped with "…". */
export const MAX_VALUE_CHARS = 500;
/** Longest template file accepted (it travels in an environment variable: Lambda allows 4 KB in all). */
export const MAX_TEMPLATE_CHARS = 2_000;

// ── text helpers ──

/** Escapes the five characters that matter in HTML text and in quoted attribute values. */
export const escapeHtml = (text: string): string =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

// Control characters and the explicit bidi embedding/override/isolate controls ("Trojan Source").
const CONTROL_OR_BIDI = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;
/** Clips to at most `max` UTF-16 code units, "…" included, cutting only between grapheme clusters. */
export const clip = clipGraphemes;

/** A payload value as safe plain text: one line, no control or bidi-override characters, clipped. */
export const plain = (text: string | null | undefined, max: number = MAX_VALUE_CHARS): string =>
  clip((text ?? '').replace(/\s+/gu, ' ').replace(CONTROL_OR_BIDI, '').trim(), max);

/**
 * A URL fit for a link: https, to Leadsie's hosts or `hosts` (`allowedLink`), else null. Mail
 * clients turn a URL in the text part into a link too, so a URL that fails this is never shown.
 */
export const linkUrl = (
  url: string | null | undefined,
  hosts: readonly string[] = LEADSIE_HOSTS,
): string | null => allowedLink(url, hosts);

/** Hosts, besides Leadsie's, that links may point to. */
export interface LinkOptions {
  linkHosts?: readonly string[];
}

const hostsOf = (options: LinkOptions): readonly string[] => [...LEADSIE_HOSTS, ...(options.linkHosts ?? [])];

// ── addresses ──

const ADDRESS = /^[^\s@"<>(),;:\\[\]]+@[^\s@"<>(),;:\\[\]]+\.[^\s@"<>(),;:\\[\].]+$/u;

/** True for a plain `local@domain.tld` address (no display name, no comments, at most 254 characters). */
export const isEmailAddress = (value: string): boolean =>
  value.length <= 254 && ADDRESS.test(value) && (value.split('@')[0]?.length ?? 0) <= 64;

/** The domain of an address, lower-cased (`acme.example` of `Owner@ACME.example`). */
const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** True when `domain` is one of `allowed` or a subdomain of one. */
const domainAllowed = (domain: string, allowed: readonly string[]): boolean =>
  allowed.some((entry) => {
    const wanted = entry.toLowerCase().replace(/^[@.]+|\.+$/g, '');
    return wanted !== '' && (domain === wanted || domain.endsWith(`.${wanted}`));
  });

/** Where a client email goes, or why it goes nowhere (a skip reason for the log and the outcome record). */
export type ClientRecipient =
  | { address: string }
  | { skipped: 'client-no-user' | 'client-no-address' | 'client-domain-not-allowed' };

/**
 * Where the client email goes: the mapping's address for the user; else the user id when it is an
 * address at an allowed domain. The user id alone, at any other domain, gets nothing.
 */
export const clientRecipient = (
  event: Pick<ConnectionEvent, 'user'>,
  client: { addresses: Readonly<Record<string, string>>; allowedDomains?: readonly string[] | undefined },
): ClientRecipient => {
  if (event.user === null) return { skipped: 'client-no-user' };
  const mapped = Object.hasOwn(client.addresses, event.user) ? client.addresses[event.user] : undefined;
  if (mapped !== undefined) return { address: mapped };
  if (!isEmailAddress(event.user)) return { skipped: 'client-no-address' };
  if (!domainAllowed(domainOf(event.user), client.allowedDomains ?? [])) {
    return { skipped: 'client-domain-not-allowed' };
  }
  return { address: event.user };
};

/** Where the client email goes (`clientRecipient`'s address), or null. */
export const clientAddress = (
  event: Pick<ConnectionEvent, 'user'>,
  addresses: Readonly<Record<string, string>>,
  allowedDomains: readonly string[] = [],
): string | null => {
  const recipient = clientRecipient(event, { addresses, allowedDomains });
  return 'address' in recipient ? recipient.address : null;
};

// ── team email ──

interface StatusWords {
  label: string;
  known: boolean;
}

const KNOWN_STATUSES: Record<string, string> = {
  SUCCESS: 'Connected',
  PARTIAL_SUCCESS: 'Partially connected',
  FAILED: 'Connection failed',
};

const statusWords = (status: string | null): StatusWords => {
  const raw = plain(status, 80);
  const known = KNOWN_STATUSES[raw.toUpperCase()];
  if (known) return { label: known, known: true };
  return { label: raw === '' ? 'No status' : `Status ${raw}`, known: false };
};

/** Who the delivery is about: the client name (v2), else the user, else "(no user)". */
const whoOf = (event: ConnectionEvent): string =>
  plain(event.client?.name) || plain(event.user) || '(no user)';

const assetStatus = (asset: EnvelopeAsset): string => {
  const sent = plain(asset.connectionStatus, 80);
  if (sent !== '') return sent;
  if (asset.ok === true) return 'Connected';
  if (asset.ok === false) return 'Failed';
  return 'Unknown';
};

/** What went wrong with an asset: its note, when it is not connected. */
const assetProblem = (asset: EnvelopeAsset): string => (asset.ok === true ? '' : plain(asset.message));

const assetName = (asset: EnvelopeAsset): string => plain(asset.name) || plain(asset.id);

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The team email of an event. */
export const buildTeamEmail = (event: ConnectionEvent, options: LinkOptions = {}): EmailContent => {
  const who = whoOf(event);
  const status = statusWords(event.status);
  const rawStatus = plain(event.status, 80);
  const request = plain(event.request.name) || '(unnamed request)';
  const connected = event.assets.filter((a) => a.ok === true).length;
  const total = event.assets.length;
  const counts = `${connected} of ${plural(total, 'asset')} connected`;
  const hosts = hostsOf(options);
  const summaryUrl = linkUrl(event.client?.summaryUrl, hosts);
  const requestUrl = linkUrl(event.request.url, hosts);
  const test = event.isTest ? '[TEST] ' : '';

  const subject = clip(`${test}Leadsie: ${status.label}: ${who} (${request}), ${counts}`, MAX_SUBJECT_CHARS);

  const clientName = plain(event.client?.name);
  const facts: { label: string; value: string; href?: string | null }[] = [
    // v1 payloads name no client: a Client row would only repeat the user.
    ...(clientName === '' ? [] : [{ label: 'Client', value: clientName }]),
    { label: 'User', value: plain(event.user) || '(none)' },
    { label: 'Request', value: request },
    {
      label: 'Request URL',
      // Shown only when it may be a link: a mail client links a URL in the text part anyway.
      value: requestUrl ?? (plain(event.request.url) === '' ? '(none)' : '(not shown: not a Leadsie link)'),
      href: requestUrl,
    },
    { label: 'Status', value: rawStatus === '' ? '(none)' : rawStatus },
    { label: 'Access level', value: plain(event.accessLevel, 80) || '(none)' },
    { label: 'Connected', value: `${connected} of ${plural(total, 'asset')}` },
  ];

  // ── text part ──
  const width = Math.max(...facts.map(({ label }) => label.length)) + 2;
  const lines: string[] = [`${who}: ${status.label}${status.known ? ` (${rawStatus})` : ''}`, ''];
  if (event.isTest) lines.push('This is a Leadsie test payload, not a real client connection.', '');
  for (const { label, value } of facts) lines.push(`${`${label}:`.padEnd(width)}${value}`);
  lines.push('', 'Assets:');
  if (total === 0) lines.push('  (no assets in this delivery)');
  for (const asset of event.assets) {
    lines.push(`  - ${plain(asset.type, 80)}: ${assetName(asset)} (${assetStatus(asset)})`);
    const problem = assetProblem(asset);
    if (problem !== '') lines.push(`    What went wrong: ${problem}`);
  }
  if (summaryUrl) lines.push('', `Client summary: ${summaryUrl}`);
  lines.push(
    '',
    `Leadsie API v${event.apiVersion}, received ${plain(event.receivedAt, 40)}, event ${plain(event.eventId, 100)}`,
  );
  const text = `${lines.join('\n')}\n`;

  // ── HTML part: every value escaped ──
  const h = escapeHtml;
  const cell = 'style="padding:4px 12px 4px 0;text-align:left;vertical-align:top"';
  const factRows = facts
    .map(({ label, value, href }) => {
      const shown = href ? `<a href="${h(href)}">${h(value)}</a>` : h(value);
      return `<tr><th ${cell}>${h(label)}</th><td ${cell}>${shown}</td></tr>`;
    })
    .join('\n');
  const assetRows =
    total === 0
      ? `<tr><td ${cell} colspan="4">(no assets in this delivery)</td></tr>`
      : event.assets
          .map(
            (asset) =>
              `<tr><td ${cell}>${h(plain(asset.type, 80))}</td><td ${cell}>${h(assetName(asset))}</td>` +
              `<td ${cell}>${h(assetStatus(asset))}</td><td ${cell}>${h(assetProblem(asset))}</td></tr>`,
          )
          .join('\n');
  const html = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${h(subject)}</title></head>`,
    '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1a1a1a">',
    `<h1 style="font-size:18px">${h(who)}: ${h(status.label)}</h1>`,
    event.isTest
      ? '<p><strong>This is a Leadsie test payload, not a real client connection.</strong></p>'
      : '',
    `<table style="border-collapse:collapse">\n${factRows}\n</table>`,
    '<h2 style="font-size:16px">Assets</h2>',
    `<table style="border-collapse:collapse">\n<tr><th ${cell}>Type</th><th ${cell}>Name</th><th ${cell}>Status</th><th ${cell}>What went wrong</th></tr>\n${assetRows}\n</table>`,
    summaryUrl ? `<p><a href="${h(summaryUrl)}">Open the client summary</a></p>` : '',
    `<p style="color:#666;font-size:12px">Leadsie API v${event.apiVersion}, received ${h(plain(event.receivedAt, 40))}, event ${h(plain(event.eventId, 100))}</p>`,
    '</body></html>',
  ]
    .filter((line) => line !== '')
    .join('\n');

  return { subject, text, html: `${html}\n` };
};

// ── client email ──

/** A template file the agency wrote is not usable; the message says what to fix. */
export class EmailTemplateError extends Error {
  override name = 'EmailTemplateError';
}

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

const parseParts = (text: string, where: string): TemplatePart[] => {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!Object.hasOwn(TEMPLATE_PLACEHOLDERS, name)) {
      throw new EmailTemplateError(
        `unknown placeholder {{${name}}} in the ${where}; known: ${Object.keys(TEMPLATE_PLACEHOLDERS)
          .map((p) => `{{${p}}}`)
          .join(', ')}`,
      );
    }
    if (match.index > last) parts.push({ literal: text.slice(last, match.index) });
    parts.push({ placeholder: name as Placeholder });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ literal: text.slice(last) });
  return parts;
};

/**
 * Reads a template: a first line `Subject: …`, then the body (the text part; the HTML part is made
 * from it: blank lines separate paragraphs). Placeholders are `{{name}}`, from `TEMPLATE_PLACEHOLDERS`.
 */
export const parseEmailTemplate = (source: string): EmailTemplate => {
  if (source.length > MAX_TEMPLATE_CHARS) {
    throw new EmailTemplateError(
      `the template is ${source.length} characters; at most ${MAX_TEMPLATE_CHARS}`,
    );
  }
  const normalised = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const [first = '', ...rest] = normalised.split('\n');
  const subjectMatch = /^Subject:(.*)$/i.exec(first);
  if (!subjectMatch) throw new EmailTemplateError('the template must start with a "Subject: …" line');
  const subject = (subjectMatch[1] ?? '').trim();
  if (subject === '') throw new EmailTemplateError('the template\'s "Subject:" line is empty');
  const body = rest.join('\n').trim();
  if (body === '') throw new EmailTemplateError('the template has no body after its "Subject:" line');
  return { subject: parseParts(subject, 'subject'), body: parseParts(`${body}\n`, 'body') };
};

/** The values a template's placeholders stand for, as safe plain text (one line, clipped). */
export const templateValues = (
  event: ConnectionEvent,
  options: LinkOptions = {},
): Record<Placeholder, string> => ({
  clientName: plain(event.client?.name) || plain(event.request.name) || 'there',
  requestName: plain(event.request.name),
  requestUrl: linkUrl(event.request.url, hostsOf(options)) ?? '',
  summaryUrl: linkUrl(event.client?.summaryUrl, hostsOf(options)) ?? '',
  user: plain(event.user),
  assetCount: String(event.assets.filter((a) => a.ok === true).length),
});

const render = (parts: TemplatePart[], values: Record<Placeholder, string>, encode: (s: string) => string) =>
  parts.map((part) => encode('literal' in part ? part.literal : values[part.placeholder])).join('');

/** The client thank-you of an event, from a parsed template. */
export const buildClientEmail = (
  event: ConnectionEvent,
  template: EmailTemplate,
  options: LinkOptions = {},
): EmailContent => {
  const values = templateValues(event, options);
  const subject = clip(
    plain(
      render(template.subject, values, (s) => s),
      MAX_SUBJECT_CHARS * 2,
    ),
    MAX_SUBJECT_CHARS,
  );
  const text = render(template.body, values, (s) => s);
  const paragraphs = render(template.body, values, escapeHtml)
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => `<p>${paragraph.trim().replaceAll('\n', '<br>\n')}</p>`);
  const html = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1a1a1a">',
    ...paragraphs,
    '</body></html>',
  ].join('\n');
  return { subject, text, html: `${html}\n` };
};

// ── who gets what ──

export interface EmailSettings {
  /** The team's addresses; none: no team email. */
  teamRecipients: readonly string[];
  /** Statuses that email the team. */
  teamStatuses: readonly string[];
  /** Present when client emails are on. */
  client?: {
    /** User id → address: the addresses the agency vouches for. */
    addresses: Readonly<Record<string, string>>;
    /**
     * Domains (and their subdomains) a user id that is itself an address may be at to get the email.
     * @default [] (only mapped users get one)
     */
    allowedDomains?: readonly string[];
    template: EmailTemplate;
  };
  /** Hosts, besides Leadsie's, that links may point to. @default [] */
  linkHosts?: readonly string[];
}

/** Why an event sends a given email or not, for the log. */
export interface EmailPlan {
  emails: PlannedEmail[];
  /**
   * One word per email not sent: `team-status-not-selected`, `client-no-address`,
   * `client-domain-not-allowed`, … When `emails` is empty, these are the event's skip reason.
   */
  skipped: string[];
}

/** The emails an event sends under `settings`, team first. */
export const planEmails = (event: ConnectionEvent, settings: EmailSettings): EmailPlan => {
  const emails: PlannedEmail[] = [];
  const skipped: string[] = [];
  const status = event.status ?? '';

  if (settings.teamRecipients.length === 0) skipped.push('team-no-recipients');
  else if (!settings.teamStatuses.includes(status)) skipped.push('team-status-not-selected');
  else
    emails.push({ kind: 'team', to: [...settings.teamRecipients], content: buildTeamEmail(event, settings) });

  if (settings.client === undefined) skipped.push('client-off');
  else if (status !== 'SUCCESS') skipped.push('client-not-success');
  else {
    const recipient = clientRecipient(event, settings.client);
    if ('skipped' in recipient) skipped.push(recipient.skipped);
    else
      emails.push({
        kind: 'client',
        to: [recipient.address],
        content: buildClientEmail(event, settings.client.template, settings),
      });
  }
  return { emails, skipped };
};
