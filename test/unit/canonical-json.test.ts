/**
 * The canonical JSON of a text, numbers as written: key order and white space do not matter, the
 * digits of a number do, and every string is written as JSON.stringify writes it.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJsonText, JsonSyntaxError } from '../../lambda/domain/canonical-json.ts';
import { canonicalJson } from '../../lambda/domain/fingerprint.ts';

describe('canonicalJsonText', () => {
  it.each<[string, string]>([
    ['null', 'null'],
    ['true', 'true'],
    [' false ', 'false'],
    ['"a"', '"a"'],
    ['0', '0'],
    ['-0', '-0'],
    ['1.0', '1.0'],
    ['1e2', '1e2'],
    ['1E+2', '1E+2'],
    ['-1.25e-7', '-1.25e-7'],
    ['1e309', '1e309'],
    ['12345678901234567890123', '12345678901234567890123'],
    ['[]', '[]'],
    ['{}', '{}'],
    ['[ 3 , 1 ,2 ]', '[3,1,2]'],
    ['{"b":1,"a":2}', '{"a":2,"b":1}'],
    ['{ "z" : { "y" : 1 , "x" : [ { "b" : 1 , "a" : 2 } ] } }', '{"z":{"x":[{"a":2,"b":1}],"y":1}}'],
    ['{"B":1,"a":2,"_":3}', '{"B":1,"_":3,"a":2}'],
    ['{"10":1,"9":2,"a":3}', '{"10":1,"9":2,"a":3}'],
    ['\t\r\n{"a"\n:\r[\t]}\n', '{"a":[]}'],
    ['[[[[]]],{}]', '[[[[]]],{}]'],
  ])('%j is %s', (text, expected) => {
    expect(canonicalJsonText(text)).toBe(expected);
  });

  it('keeps the last value of a repeated key, as JSON.parse does', () => {
    expect(canonicalJsonText('{"a":1,"b":2,"a":3}')).toBe('{"a":3,"b":2}');
    expect(canonicalJsonText('{"a":1,"\\u0061":3}')).toBe('{"a":3}');
  });

  it('keeps a "__proto__" key as an ordinary member, as JSON.parse does', () => {
    const text = '{"b":1,"__proto__":{"x":1}}';
    expect(canonicalJsonText(text)).toBe('{"__proto__":{"x":1},"b":1}');
    expect(canonicalJsonText(text)).toBe(canonicalJson(JSON.parse(text)));
  });

  it.each<[string, string]>([
    ['"\\u00e9"', '"é"'],
    ['"\\/"', '"/"'],
    ['"a\\"b\\\\c"', '"a\\"b\\\\c"'],
    ['"\\b\\f\\n\\r\\t"', '"\\b\\f\\n\\r\\t"'],
    ['"\\u0001\\u001f"', '"\\u0001\\u001f"'],
    ['"\\u2028\\u2029"', '"\u2028\u2029"'],
    ['"\\ud83d\\ude00"', '"😀"'],
    ['"😀"', '"😀"'],
    ['"\\udc00"', '"\\udc00"'],
    ['"\\uD800x"', '"\\ud800x"'],
    ['"\udc00"', '"\\udc00"'],
  ])('writes the string %s as JSON.stringify does: %s', (text, expected) => {
    expect(canonicalJsonText(text)).toBe(expected);
    expect(canonicalJsonText(text)).toBe(JSON.stringify(JSON.parse(text)));
  });

  it('sorts keys by their decoded value, escapes or not', () => {
    expect(canonicalJsonText('{"\\u0062":1,"a":2,"\\u00e9":3,"z":4}')).toBe('{"a":2,"b":1,"z":4,"é":3}');
  });

  it.each([
    '',
    ' ',
    '{',
    '}',
    '[1,]',
    '[,1]',
    '{"a":1,}',
    '{"a" 1}',
    '{a:1}',
    "{'a':1}",
    '[1 2]',
    '01',
    '1.',
    '.5',
    '+1',
    '1e',
    '-',
    'NaN',
    'Infinity',
    'tru',
    'nul',
    '"abc',
    '"a\nb"',
    '"\\x"',
    '"\\u12"',
    '{} {}',
    '[1]]',
    '\u00a0{}',
  ])('refuses %j, as JSON.parse does', (text) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(() => canonicalJsonText(text)).toThrow(JsonSyntaxError);
  });

  it('reads deep nesting without recursion', () => {
    const depth = 200_000;
    const text = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    expect(canonicalJsonText(text)).toBe(text);
  });

  it('agrees with the canonical JSON of the parsed value wherever numbers print back as written', () => {
    const texts = [
      '{"user":"u","connectionAssets":[{"id":"1","n":12,"f":1.5,"e":1e+21,"neg":-3,"small":1e-7}]}',
      '{"x":[true,false,null,"",{},[]],"a":{"c":0,"b":-1.25}}',
      '{"nested":{"z":"\\u00e9","y":["\\ud83d\\ude00",9007199254740991]}}',
    ];
    for (const text of texts) expect(canonicalJsonText(text)).toBe(canonicalJson(JSON.parse(text)));
  });
});
