/**
 * Clients: the latest state of each (user, request), most recent first (the same listing as
 * `GET /connections`), and one client's delivery history with what changed at each delivery.
 */
import type { EnvelopeAsset } from '../../lambda/domain/envelope.ts';
import type { RecentConnectionsPage } from '../../lambda/use-cases/list-recent-connections.ts';
import type { ClientView } from '../data.ts';
import { type Html, html } from '../html.ts';
import { badge, payloadLink, table, when } from './layout.ts';

/** The link to one client's page (a user of null is `nouser=1`). */
export const clientHref = (user: string | null, requestUrl: string): string =>
  `/clients/view?${new URLSearchParams(user === null ? { nouser: '1', request: requestUrl } : { user, request: requestUrl })}`;

export const clientsBody = (result: RecentConnectionsPage): Html => {
  const rows = result.connections.map((c) => [
    html`<a href="${clientHref(c.user, c.requestUrl)}">${c.clientName ?? c.requestName}</a>`,
    c.requestName,
    c.user ?? html`<span class="muted">no user</span>`,
    badge(c.status),
    c.accessLevel ?? '',
    when(c.receivedAt),
    String(c.version),
    c.isTest ? 'test' : '',
  ]);
  return html`<h1>Clients</h1>
<p>The latest state of each client request, the most recently updated first, since ${when(result.since)}.</p>
${table('Latest state per user and request', ['Client', 'Request', 'User', 'Status', 'Access', 'Last delivery', 'Version', 'Test'], rows, 'No clients yet.')}
<nav class="pager" aria-label="Pages of clients">
${result.next === null ? html`<span class="muted">No more clients.</span>` : html`<a rel="next" href="/clients?${new URLSearchParams({ cursor: result.next }).toString()}">More clients</a>`}
</nav>`;
};

const assetName = (a: EnvelopeAsset): Html =>
  html`<li>${a.type}${a.platform ? html` (${a.platform})` : ''}: ${a.name ?? a.id ?? 'unnamed'}${a.message ? html` <span class="muted">— ${a.message}</span>` : ''}</li>`;

const changeList = (title: string, css: string, assets: EnvelopeAsset[]): Html =>
  assets.length === 0
    ? html``
    : html`<div class="change ${css}"><h4>${title} (${assets.length})</h4><ul>${assets.map(assetName)}</ul></div>`;

export const clientBody = (view: ClientView, user: string | null, requestUrl: string): Html => {
  const latest = view.latest;
  return html`<h1>Client ${latest?.clientName ?? latest?.requestName ?? requestUrl}</h1>
<dl class="facts">
<dt>User</dt><dd>${user ?? 'no user'}</dd>
<dt>Request</dt><dd>${latest?.requestName ?? '-'}</dd>
<dt>Request URL</dt><dd>${payloadLink(requestUrl)}</dd>
<dt>Latest status</dt><dd>${badge(latest?.status)}</dd>
<dt>Latest delivery</dt><dd>${latest ? html`<a href="/events/${encodeURIComponent(latest.eventId)}">${latest.eventId}</a> (${when(latest.receivedAt)}, version ${latest.version})` : 'none'}</dd>
</dl>
<h2>Delivery history, newest first</h2>
${view.history.length === 0 ? html`<p class="empty">No deliveries kept.</p>` : ''}
<ol class="history">${view.history.map(
    (entry) => html`<li class="delivery">
<h3>${when(entry.delivery.receivedAt)} ${badge(entry.delivery.status)} <a href="/events/${encodeURIComponent(entry.delivery.eventId)}">${entry.delivery.eventId}</a></h3>
${
  entry.changes === null
    ? html`<p class="error-text">Cannot rebuild this delivery: ${entry.envelopeError ?? 'unknown'}</p>`
    : html`<div class="changes">
${changeList('Granted', 'granted', entry.changes.granted)}
${changeList('Lost', 'lost', entry.changes.lost)}
${changeList('Still missing', 'missing', entry.changes.missing)}
${entry.changes.kept.length > 0 ? html`<p class="muted">${entry.changes.kept.length} still connected as before.</p>` : ''}
${entry.changes.granted.length + entry.changes.lost.length + entry.changes.missing.length + entry.changes.kept.length === 0 ? html`<p class="muted">No assets.</p>` : ''}
</div>`
}
</li>`,
  )}</ol>`;
};
