/** Quarantine: the refused requests kept with their reasons and bodies; retry after a fix, or discard. */
import type { QuarantineEntry } from '../../lambda/use-cases/ports.ts';
import { type Html, html } from '../html.ts';
import { actionForm, when } from './layout.ts';

/** The body as text when it is UTF-8, else a note (it is shown, never interpreted). */
const bodyText = (entry: QuarantineEntry): string => {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(entry.body);
  } catch {
    return `(${entry.body.length} bytes, not UTF-8 text)`;
  }
};

const entryBlock = (entry: QuarantineEntry): Html => {
  const short = entry.id.slice(0, 12);
  const truncated = entry.body.length < entry.bodyBytes;
  return html`<li class="quarantined" data-id="${entry.id}">
<h2>Entry <span class="mono">${short}</span> <span class="muted">HTTP ${entry.reason.status} ${entry.reason.kind}</span></h2>
<dl class="facts">
<dt>First received</dt><dd>${when(entry.firstReceivedAt)}</dd>
<dt>Last received</dt><dd>${when(entry.receivedAt)}</dd>
<dt>Attempts</dt><dd>${entry.attempts}</dd>
<dt>Content type</dt><dd>${entry.contentType ?? 'none'}</dd>
<dt>Size</dt><dd>${entry.bodyBytes} bytes${truncated ? html` (kept ${entry.body.length}: cannot be retried)` : ''}</dd>
${entry.fingerprint ? html`<dt>Stored delivery</dt><dd class="mono">${entry.fingerprint}</dd>` : ''}
</dl>
<p class="reason">${entry.reason.message}</p>
${entry.reason.problems.length > 0 ? html`<ul class="problems">${entry.reason.problems.map((p) => html`<li><span class="mono">${p.path}</span>: ${p.message}</li>`)}</ul>` : ''}
<details><summary>Body</summary><pre class="json">${bodyText(entry)}</pre></details>
<div class="actions">
${actionForm(
  `/quarantine/${entry.id}/retry`,
  'Retry',
  entry.fingerprint
    ? ''
    : html`<div class="field"><label for="ct-${short}">Send as content type (optional)</label><input id="ct-${short}" name="contentType" type="text" placeholder="${entry.contentType ?? 'application/json'}"></div>`,
)}
${actionForm(`/quarantine/${entry.id}/discard`, 'Discard', '', 'Discard this entry without ingesting it?')}
</div>
</li>`;
};

export const quarantineBody = (entries: QuarantineEntry[]): Html => html`<h1>Quarantine</h1>
<p>Requests with the right token whose body was refused, kept so that nothing Leadsie sent is lost. After a fix, <strong>Retry</strong> sends the body to the webhook again (or publishes the stored delivery); <strong>Discard</strong> marks it resolved without ingesting it.</p>
${entries.length === 0 ? html`<p class="empty">Nothing in quarantine.</p>` : html`<ol class="entries">${entries.map(entryBlock)}</ol>`}`;
