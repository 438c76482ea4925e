/** Text helpers shared by the messages the consumers build (Slack, email). Pure. */

/**
 * Made on the first text that needs clipping, not at import: creating a segmenter loads ICU's
 * break rules, ~15 ms of a function's cold start (`npm run bench`), and most messages never need it.
 */
let graphemes: Intl.Segmenter | undefined;

/**
 * Clips `text` to at most `max` UTF-16 code units, the "…" included, cutting only between grapheme
 * clusters (never inside a surrogate pair, an emoji sequence or a letter with its combining marks).
 */
export const clipGraphemes = (text: string, max: number): string => {
  if (text.length <= max) return text;
  const budget = max - 1;
  let out = '';
  graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(text)) {
    if (out.length + segment.length > budget) break;
    out += segment;
  }
  return `${out}…`;
};
