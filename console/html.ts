/**
 * HTML built by a tagged template that escapes every value it is given: a client name such as
 * `<img src=x onerror=alert(1)>` renders as those characters. Only `Html` values (other templates,
 * or `raw` of a constant) go in as they are, so nothing from a payload reaches the page unescaped.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export const escapeHtml = (text: string): string => text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);

/** A value in a template: Html as is, lists joined, nothing for null, undefined and false. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const render = (value: HtmlValue): string => {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
};

export const html = (strings: TemplateStringsArray, ...values: HtmlValue[]): Html =>
  new Html(
    strings.reduce(
      (out, part, index) => out + part + (index < values.length ? render(values[index] as HtmlValue) : ''),
      '',
    ),
  );

/** Markup written in this code base (never text from outside) that must not be escaped. */
export const raw = (markup: string): Html => new Html(markup);
