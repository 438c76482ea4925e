/** Token comparison: equal tokens only, never an empty one, any presented against any accepted. */
import { describe, expect, it } from 'vitest';
import { anyTokenMatches, tokensMatch } from '../../lambda/domain/tokens.ts';

describe('tokensMatch', () => {
  it.each([
    ['the same token', 'secret-token', 'secret-token', true],
    ['a different token', 'other-token', 'secret-token', false],
    ['another case', 'SECRET-TOKEN', 'secret-token', false],
    ['a prefix', 'secret-toke', 'secret-token', false],
    ['a longer token', 'secret-token-', 'secret-token', false],
    ['a trailing space', 'secret-token ', 'secret-token', false],
    ['an empty token', '', 'secret-token', false],
    ['an empty token against an empty expected value', '', '', false],
    ['any token against an empty expected value', 'x', '', false],
    ['non-ASCII, the same', 'clé-ünïcode-🔑', 'clé-ünïcode-🔑', true],
    ['non-ASCII, another normalisation', 'cle\u0301', 'cl\u00e9', false],
  ])('%s → %s', (_name, given, expected, match) => {
    expect(tokensMatch(given, expected)).toBe(match);
  });
});

describe('anyTokenMatches', () => {
  it.each([
    [['new'], ['new', 'old'], true],
    [['old'], ['new', 'old'], true],
    [['wrong', 'old'], ['new', 'old'], true],
    [['old', 'wrong'], ['new', 'old'], true],
    [['wrong'], ['new', 'old'], false],
    [['new'], [], false],
    [[], ['new'], false],
    [[''], [''], false],
  ])('%j against %j: %s', (presented, accepted, match) => {
    expect(anyTokenMatches(presented, accepted)).toBe(match);
  });
});
