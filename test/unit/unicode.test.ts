/**
 * Well-formed text: every string of a JSON value, keys included, holds no lone surrogate; each one
 * that does is named by its path.
 */
import { describe, expect, it } from 'vitest';
import { illFormedStrings, isWellFormedJson, isWellFormedText } from '../../lambda/domain/unicode.ts';

describe('isWellFormedText', () => {
  it.each([
    ['', true],
    ['plain', true],
    ['é ü ß', true],
    ['😀', true],
    ['\ud83d\ude00', true],
    ['\ud83d', false],
    ['\ude00', false],
    ['\ude00\ud83d', false],
    ['a\udc00b', false],
    ['\ud800\ud800\udc00', false],
  ])('%j is %s', (text, expected) => {
    expect(isWellFormedText(text)).toBe(expected);
  });
});

describe('illFormedStrings', () => {
  it('finds nothing in well-formed values of every JSON type', () => {
    expect(illFormedStrings({ a: [1, true, null, 'x', { '😀': '😀' }], b: 2.5 })).toEqual([]);
    expect(isWellFormedJson(['x', { y: 'z' }])).toBe(true);
  });

  it('names a root string (root)', () => {
    expect(illFormedStrings('\udc00')).toEqual([
      { path: '(root)', message: 'a lone surrogate (U+DC00 at index 0): not well-formed Unicode' },
    ]);
  });

  it('names array elements and object members in formatPath form, in document order', () => {
    const value = { a: ['ok', '\ud800x'], b: { c: [{ d: 'x\udfff' }] }, e: '\udc01' };
    expect(illFormedStrings(value).map((p) => p.path)).toEqual(['a[1]', 'b.c[0].d', 'e']);
    expect(illFormedStrings(value)[0]?.message).toBe(
      'a lone surrogate (U+D800 at index 0): not well-formed Unicode',
    );
  });

  it("names a key's object, escapes the key, and does not look into its value", () => {
    expect(illFormedStrings({ x: { '\udc00k': '\udc00' } })).toEqual([
      {
        path: 'x',
        message: 'the key "\\udc00k" has a lone surrogate (U+DC00 at index 0): not well-formed Unicode',
      },
    ]);
  });

  it('stops at the limit', () => {
    const many = Array.from({ length: 1000 }, () => '\udc00');
    expect(illFormedStrings(many, 3)).toHaveLength(3);
    expect(isWellFormedJson(many)).toBe(false);
    expect(illFormedStrings(Object.fromEntries(many.map((_, i) => [`${i}\udc00`, 1])), 2)).toHaveLength(2);
  });

  it('walks deep nesting without recursion', () => {
    let value: unknown = '\udc00';
    for (let i = 0; i < 100_000; i++) value = [value];
    expect(illFormedStrings(value)).toHaveLength(1);
  });
});
