import { describe, expect, it } from 'vitest';
import { closestMatch } from './closest-match.js';

const keys = ['storage', 'backup', 'metadataSources', 'exporters', 'retry', 'logging', 'project'];

describe('closestMatch', () => {
  it.each([
    ['storag', 'storage'],
    ['Storage', 'storage'],
    ['metadataSource', 'metadataSources'],
    ['exporter', 'exporters'],
    ['retyr', 'retry'],
    ['loging', 'logging'],
  ])('suggests %s → %s', (typo, expected) => {
    expect(closestMatch(typo, keys)).toBe(expected);
  });

  it.each(['zzz', 'database', 'x'])('suggests nothing for %s, which is close to no key', (word) => {
    expect(closestMatch(word, keys)).toBeUndefined();
  });

  it('suggests nothing for a word that is already a candidate, or with no candidates', () => {
    expect(closestMatch('storage', keys)).toBeUndefined();
    expect(closestMatch('storage', [])).toBeUndefined();
  });
});
