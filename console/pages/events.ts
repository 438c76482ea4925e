/**
 * Events: the stored deliveries of a time range, newest first, filtered through the time index;
 * and one event: its payload, flat record, envelope, and each consumer's outcome, with replay.
 */
import type { Outcome } from '../../lambda/consumers/runtime/outcomes.ts';
import type { ConsumerVerdict, EventReport } from '../../lambda/use-cases/inspect-deliveries.ts';
import type { EventFilter, EventsPage } from '../../lambda/use-cases/list-events.ts';
import { type Html, html } from '../html.ts';
import { badge, payloadLink, table, when } from './layout.ts';

/** The statuses Leadsie sends, offered in the filter (any other can be typed in the URL). */
export const KNOWN_STATUSES = ['SUCCESS', 'PARTIAL_SUCCESS', 'FAILED', 'IN_PROGRESS'] as const;

export interface EventsForm {
  /** `datetime-local` values (UTC). */
  since: string;
  until: string;
  status: string;
  user: string;
  platform: string;
  assetType: string;
  /** '' any, 'yes' tests only, 'no' no tests. */
  test: string;
  q: string;
}

/** The filter the form's fields make. */
export const filterOf = (form: EventsForm): EventFilter => ({
  ...(form.status ? { statuses: [form.status] } : {}),
  ...(form.user ? { user: form.user } : {}),
  ...(form.platform ? { platform: form.platform } : {}),
  ...(form.assetType ? { assetType: form.assetType } : {}),
  ...(form.test === 'yes' ? { isTest: true } : form.test === 'no' ? { isTest: false } : {}),
  ...(form.q ? { text: form.q } : {}),
});

const query = (form: EventsForm, extra: Record<string, string> = {}): string =>
  new URLSearchParams(
    Object.entries({ ...form, ...extra }).filter(([, value]) => value !== '') as [string, string][],
  ).toString();

const field = (name: keyof EventsForm, label: string, value: string, type = 'text', hint?: string): Html =>
  html`<div class="field"><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" type="${type}" value="${value}"${type === 'datetime-local' ? html` step="1"` : ''}${hint ? html` placeholder="${hint}"` : ''}></div>`;

const select = (name: keyof EventsForm, label: string, value: string, options: [string, string][]): Html =>
  html`<div class="field"><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}">${options.map(
    ([v, text]) => html`<option value="${v}"${v === value ? html` selected` : ''}>${text}</option>`,
  )}</select></div>`;

export const eventsBody = (form: EventsForm, result: EventsPage): Html => {
  const statuses: [string, string][] = [
    ['', 'Any status'],
    ...KNOWN_STATUSES.map((s): [string, string] => [s, s]),
  ];
  if (form.status && !KNOWN_STATUSES.includes(form.status as never))
    statuses.push([form.status, form.status]);
  const rows = result.events.map((e) => [
    when(e.receivedAt),
    html`<a href="/events/${encodeURIComponent(e.eventId)}">${e.eventId}</a>`,
    e.clientName ?? html`<span class="muted">-</span>`,
    e.requestName,
    e.user ?? html`<span class="muted">no user</span>`,
    badge(e.status),
    e.platforms.join(', '),
    e.assetTypes.join(', '),
    e.isTest === true ? 'test' : '',
  ]);
  return html`<h1>Events</h1>
<form method="get" action="/events" class="filters" aria-label="Filter the events">
${field('since', 'From (UTC)', form.since, 'datetime-local')}
${field('until', 'To (UTC)', form.until, 'datetime-local')}
${select('status', 'Status', form.status, statuses)}
${field('user', 'User', form.user)}
${field('platform', 'Platform', form.platform, 'text', 'e.g. Google')}
${field('assetType', 'Asset type', form.assetType, 'text', 'e.g. Google Ads Account')}
${select('test', 'Test events', form.test, [
  ['', 'Tests and real events'],
  ['yes', 'Only tests'],
  ['no', 'No tests'],
])}
${field('q', 'Client or request name contains', form.q, 'search')}
<div class="field buttons"><button type="submit">Show</button> <a href="/events">Reset</a></div>
</form>
${table(
  `Events from ${form.since} to ${form.until} UTC, newest first`,
  ['Received', 'Event', 'Client', 'Request', 'User', 'Status', 'Platforms', 'Asset types', 'Test'],
  rows,
  'No events match in this time range.',
)}
<nav class="pager" aria-label="Pages of events">
${result.next === null ? html`<span class="muted">No older events in this range.</span>` : html`<a rel="next" href="/events?${query(form, { cursor: result.next })}">Older events</a>`}
</nav>`;
};

const tries = (n: number) => `${n} ${n === 1 ? 'try' : 'tries'}`;

/** The outcome record as a timeline: each fact it keeps, in time order. */
const timeline = (o: Outcome): Html => {
  const items: Html[] = [];
  for (const [step, at] of Object.entries(o.steps).sort((a, b) => a[1].localeCompare(b[1]))) {
    items.push(html`<li>${when(at)} step <strong>${step}</strong> done</li>`);
  }
  if (o.lastError) items.push(html`<li>last error: <span class="error-text">${o.lastError}</span></li>`);
  if (o.nextAttemptAt) items.push(html`<li>${when(o.nextAttemptAt)} next try</li>`);
  items.push(
    html`<li>${when(o.updatedAt)} ${badge(o.state)} after ${tries(o.attempts)}${o.detail ? html`: ${o.detail}` : ''}${o.reason ? html`: <span class="reason">${o.reason}</span>` : ''}</li>`,
  );
  if (o.resolvedAt) items.push(html`<li>${when(o.resolvedAt)} resolved</li>`);
  return html`<ol class="timeline">${items}</ol>`;
};

const verdict = (v: ConsumerVerdict): Html => {
  if (v.kind === 'outcome') return timeline(v.outcome);
  if (v.kind === 'filtered out')
    return html`<p>${badge('filtered out')} its subscription's filter policy keeps this event out.</p>`;
  return html`<p>${badge('no outcome')} ${
    v.passesFilter === null
      ? 'its filter policy is unknown here'
      : 'not received yet, or sent on the first try without a record'
  }</p>`;
};

const prettyJson = (text: string): string => {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
};

export const eventBody = (report: EventReport): Html => {
  const { delivery, event } = report;
  const rows: [string, Html | string][] = [
    ['Event', delivery.eventId],
    ['Received', when(delivery.receivedAt)],
    ['Client', event?.client?.name ?? '-'],
    ['Client summary', payloadLink(event?.client?.summaryUrl)],
    ['Request', delivery.requestName],
    ['Request URL', payloadLink(delivery.requestUrl)],
    ['User', delivery.user ?? 'no user'],
    ['Status', badge(delivery.status)],
    ['Test', event?.isTest ? 'yes' : 'no'],
    ['Version', delivery.version === null ? 'none yet (not advanced)' : String(delivery.version)],
    ['Published', delivery.publishedAt ? when(delivery.publishedAt) : 'not yet'],
    ['Fingerprint', delivery.fingerprint],
  ];
  return html`<h1>Event <span class="mono">${delivery.eventId}</span></h1>
<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
<section aria-labelledby="consumers-title">
<h2 id="consumers-title">Consumers</h2>
${report.consumers.length === 0 ? html`<p class="empty">No consumers.</p>` : ''}
<ul class="consumers">${report.consumers.map(
    (v) => html`<li class="consumer" data-consumer="${v.consumer}"><h3>${v.consumer}</h3>${verdict(v)}</li>`,
  )}</ul>
<form method="post" action="/events/${encodeURIComponent(delivery.eventId)}/replay" class="action replay">
<h3>Replay</h3>
<div class="field"><label for="replay-consumer">Send to</label><select id="replay-consumer" name="consumer">
<option value="">All consumers (through the topic)</option>
${report.consumers.map((v) => html`<option value="${v.consumer}">${v.consumer} only</option>`)}
</select></div>
<div class="field check"><input type="checkbox" id="replay-force" name="force" value="yes"><label for="replay-force">Force: send again even where it was already sent</label></div>
<button type="submit">Replay</button>
</form>
</section>
<section aria-labelledby="flat-title">
<h2 id="flat-title">Flat record</h2>
${
  report.flat
    ? table(
        'The flat record, as the spreadsheet and Zapier get it',
        ['Field', 'Value'],
        Object.entries(report.flat).map(([k, v]) => [
          html`<span class="mono">${k}</span>`,
          v === null ? '' : String(v),
        ]),
        'Empty.',
      )
    : html`<p class="error-text">Cannot rebuild the envelope: ${report.envelopeError ?? 'unknown'}</p>`
}
</section>
<section aria-labelledby="envelope-title">
<h2 id="envelope-title">Envelope (as published)</h2>
<pre class="json">${event ? JSON.stringify({ ...event, flat: undefined }, null, 2) : 'not available'}</pre>
</section>
<section aria-labelledby="payload-title">
<h2 id="payload-title">Original payload</h2>
<pre class="json">${prettyJson(delivery.rawBody)}</pre>
</section>`;
};
