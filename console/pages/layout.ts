/**
 * The frame of every page: navigation, the target it works on, a notice after an action, and the
 * one stylesheet and script (files of their own: the Content-Security-Policy allows no inline script).
 */
import { allowedLink, LEADSIE_HOSTS } from '../../lambda/domain/links.ts';
import { type Html, type HtmlValue, html } from '../html.ts';

export const NAV = [
  { path: '/events', title: 'Events' },
  { path: '/clients', title: 'Clients' },
  { path: '/quarantine', title: 'Quarantine' },
  { path: '/dead-letters', title: 'Dead letters' },
  { path: '/health', title: 'Health' },
] as const;

export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

export interface PageFrame {
  title: string;
  /** The navigation entry to mark current. */
  section: string;
  target: string;
  notice?: Notice | null;
  body: HtmlValue;
}

export const page = (frame: PageFrame): Html => html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · Leadsie webhooks console</title>
<link rel="stylesheet" href="/static/console.css">
<script src="/static/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<p class="brand">Leadsie webhooks <span class="target">${frame.target}</span></p>
<nav aria-label="Pages"><ul>${NAV.map(
  (entry) =>
    html`<li><a href="${entry.path}"${entry.path === frame.section ? html` aria-current="page"` : ''}>${entry.title}</a></li>`,
)}</ul></nav>
</header>
<main id="main">
${frame.notice ? html`<p class="notice ${frame.notice.kind}" role="status">${frame.notice.text}</p>` : ''}
${frame.body}
</main>
</body>
</html>
`;

/** A page that says what went wrong, for every error status. */
export const errorPage = (status: number, title: string, message: string, target: string | null): Html =>
  html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${status} ${title} · Leadsie webhooks console</title>
<link rel="stylesheet" href="/static/console.css">
</head>
<body>
<main id="main">
<h1>${status} ${title}</h1>
<p class="error-message">${message}</p>
${target === null ? '' : html`<p><a href="/events">Back to the events</a></p>`}
</main>
</body>
</html>
`;

/**
 * A URL from a payload as a link only when it is an https link to Leadsie (the rule the chat
 * messages follow); anything else, `javascript:` included, is shown as text.
 */
export const payloadLink = (url: string | null | undefined, text?: string): Html => {
  if (!url) return html`<span class="muted">none</span>`;
  const safe = allowedLink(url, LEADSIE_HOSTS);
  return safe === null
    ? html`<span class="url">${text ?? url}</span>`
    : html`<a href="${safe}" rel="noreferrer noopener" target="_blank">${text ?? url}</a>`;
};

/** A status or state as a small labelled badge. */
export const badge = (text: string | null | undefined): Html =>
  html`<span class="badge badge-${(text ?? 'none').toLowerCase().replace(/[^a-z0-9]+/g, '-')}">${text ?? 'none'}</span>`;

/** A table with a caption, header and rows; an empty one says so. */
export const table = (caption: string, header: string[], rows: HtmlValue[][], empty: string): Html =>
  rows.length === 0
    ? html`<p class="empty">${empty}</p>`
    : html`<table><caption>${caption}</caption><thead><tr>${header.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody></table>`;

/** `2026-12-05T06:30:00.000Z` → `2026-12-05 06:30:00Z`: shorter, still UTC. */
export const when = (iso: string | null | undefined): Html =>
  iso
    ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`
    : html`<span class="muted">-</span>`;

/** A form that POSTs one action. */
export const actionForm = (action: string, label: string, fields: HtmlValue = '', confirm?: string): Html =>
  html`<form method="post" action="${action}" class="action"${confirm ? html` data-confirm="${confirm}"` : ''}>${fields}<button type="submit">${label}</button></form>`;
