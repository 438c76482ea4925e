/** Token comparison: equal tokens only, never an empty one, any presented against any accepted. */
import { describe, expect, it } from 'vitest';
import { anyTokenMatches, tokensMatch } from '../../lambda/domain/tokens.ts';

describe('tokensMatch', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'ABC', false],
    ['abc', 'abcd', false],
    ['', '', false],
    ['x', '', false],
  ])('%j against %j: %s', (given, expected, match) => {
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
