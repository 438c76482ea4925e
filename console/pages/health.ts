/**
 * Health: the pending backlog, the quarantine and dead-letter counts, the stack's alarms (deployed),
 * and events per hour over the last 24 hours by status, as an SVG drawn here (no chart library, no
 * script), with the same numbers in a table for screen readers.
 */
import type { HealthView, HourBucket } from '../data.ts';
import { type Html, html } from '../html.ts';
import { badge, table, when } from './layout.ts';

/** Bar colours per status, dark enough for white text and distinct for the common kinds of colour blindness. */
export const STATUS_COLOURS: Record<string, string> = {
  SUCCESS: '#1b7a3a',
  PARTIAL_SUCCESS: '#8a5a00',
  FAILED: '#b3261e',
  IN_PROGRESS: '#1f5fa8',
};
const OTHER_COLOUR = '#5f6368';
const colourOf = (status: string): string => STATUS_COLOURS[status] ?? OTHER_COLOUR;

/** The statuses seen, the known ones first. */
const statusesOf = (hours: HourBucket[]): string[] => {
  const seen = new Set(hours.flatMap((h) => Object.keys(h.counts)));
  const known = Object.keys(STATUS_COLOURS).filter((s) => seen.has(s));
  return [...known, ...[...seen].filter((s) => !(s in STATUS_COLOURS)).sort()];
};

const WIDTH = 720;
const HEIGHT = 180;
const LEFT = 36;
const BOTTOM = 22;

/** A stacked bar per hour; its `<title>` gives the counts on hover. */
export const hourlyChart = (hours: HourBucket[]): Html => {
  const statuses = statusesOf(hours);
  const totals = hours.map((h) => Object.values(h.counts).reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...totals);
  const plotHeight = HEIGHT - BOTTOM - 8;
  const slot = (WIDTH - LEFT) / Math.max(1, hours.length);
  const barWidth = Math.max(2, slot - 4);
  const bars = hours.map((hour, i) => {
    let y = HEIGHT - BOTTOM;
    const x = LEFT + i * slot + 2;
    const parts = statuses.flatMap((status) => {
      const count = hour.counts[status] ?? 0;
      if (count === 0) return [];
      const h = (count / max) * plotHeight;
      y -= h;
      return [
        html`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="${colourOf(status)}"></rect>`,
      ];
    });
    const label = `${hour.start.slice(11, 16)} UTC: ${totals[i]} event${totals[i] === 1 ? '' : 's'}${statuses
      .filter((s) => hour.counts[s])
      .map((s) => `, ${s} ${hour.counts[s]}`)
      .join('')}`;
    const tick =
      i % 3 === 0
        ? html`<text x="${(x + barWidth / 2).toFixed(1)}" y="${HEIGHT - 6}" text-anchor="middle" class="tick">${hour.start.slice(11, 13)}h</text>`
        : '';
    return html`<g><title>${label}</title>${parts}</g>${tick}`;
  });
  return html`<figure class="chart">
<svg role="img" aria-labelledby="chart-title" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg">
<title id="chart-title">Events per hour over the last 24 hours, by status (most in one hour: ${max})</title>
<line x1="${LEFT}" y1="${HEIGHT - BOTTOM}" x2="${WIDTH}" y2="${HEIGHT - BOTTOM}" stroke="#444"></line>
<text x="${LEFT - 6}" y="14" text-anchor="end" class="tick">${max}</text>
<text x="${LEFT - 6}" y="${HEIGHT - BOTTOM}" text-anchor="end" class="tick">0</text>
${bars}
</svg>
<figcaption>Events per hour (UTC), last 24 hours. ${
    statuses.length === 0
      ? 'No events.'
      : html`<span class="legend">${statuses.map((s) => html`<span class="key"><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${colourOf(s)}"></rect></svg> ${s}</span>`)}</span>`
  }</figcaption>
</figure>
<details><summary>The same numbers as a table</summary>
${table(
  'Events per hour by status',
  ['Hour (UTC)', 'Total', ...statuses],
  hours.map((h, i) => [
    h.start.slice(0, 13).replace('T', ' '),
    String(totals[i]),
    ...statuses.map((s) => String(h.counts[s] ?? 0)),
  ]),
  'No events.',
)}
</details>`;
};

const alarmsSection = (alarms: HealthView['alarms']): Html => {
  if (alarms === null) return html`<p class="muted">Local mode has no CloudWatch alarms.</p>`;
  if ('error' in alarms) return html`<p class="error-text">${alarms.error}</p>`;
  return table(
    'Alarms of the stack',
    ['Alarm', 'State', 'Since', 'Reason'],
    alarms.map((a) => [a.name, badge(a.state), when(a.updatedAt), a.reason]),
    'The stack has no alarms.',
  );
};

export const healthBody = (health: HealthView): Html => {
  const deadTotal = health.deadLetters.reduce((n, d) => n + d.count, 0);
  return html`<h1>Health</h1>
<ul class="cards">
<li class="card"><span class="label">Pending backlog</span><span class="value" data-metric="pending">${health.pending}</span><span class="muted">stored, not yet published</span></li>
<li class="card"><span class="label">Quarantined</span><span class="value" data-metric="quarantined">${health.quarantined}</span><a href="/quarantine">see the quarantine</a></li>
<li class="card"><span class="label">Dead letters</span><span class="value" data-metric="dead-letters">${deadTotal}</span><a href="/dead-letters">see the dead letters</a></li>
</ul>
${table(
  'Unresolved dead letters per consumer',
  ['Consumer', 'Dead letters'],
  health.deadLetters.map((d) => [d.consumer, String(d.count)]),
  'No consumers.',
)}
<h2>Events per hour</h2>
${hourlyChart(health.hours)}
<h2>Alarms</h2>
${alarmsSection(health.alarms)}`;
};
