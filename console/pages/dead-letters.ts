/** Dead letters: per consumer, the events it gave up on and why; redrive puts them back on its queue. */
import type { Outcome } from '../../lambda/consumers/runtime/outcomes.ts';
import { type Html, html } from '../html.ts';
import { actionForm, table, when } from './layout.ts';

export const deadLettersBody = (
  perConsumer: { consumer: string; outcomes: Outcome[] }[],
): Html => html`<h1>Dead letters</h1>
<p>Events a consumer gave up on, from its outcome records (kept until resolved). <strong>Redrive</strong> moves its dead-letter queue back to its work queue and sends again the ones whose message has expired; each leaves the list once delivered.</p>
${perConsumer.length === 0 ? html`<p class="empty">No consumers.</p>` : ''}
${perConsumer.map(
  ({
    consumer,
    outcomes,
  }) => html`<section class="dead-letters" data-consumer="${consumer}" aria-labelledby="dl-${consumer}">
<h2 id="dl-${consumer}">${consumer} <span class="count">${outcomes.length}</span></h2>
${table(
  `Dead letters of ${consumer}`,
  ['Event', 'Version', 'Tries', 'Since', 'Reason'],
  outcomes.map((o) => [
    html`<a href="/events/${encodeURIComponent(o.eventId)}">${o.eventId}</a>`,
    String(o.version),
    String(o.attempts),
    when(o.updatedAt),
    o.reason ?? o.lastError ?? '-',
  ]),
  'None.',
)}
${actionForm(`/dead-letters/${encodeURIComponent(consumer)}/redrive`, `Redrive ${consumer}`)}
</section>`,
)}`;
