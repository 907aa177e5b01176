import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors/cairn-error.js';
import { compareKeys, isValidKey, validateKey, validatePrefix } from './keys.js';

function problemOf(action: () => void): string {
  try {
    action();
  } catch (error) {
    if (isCairnError(error, 'INVALID_KEY')) return error.message;
    throw error;
  }
  throw new Error('expected an INVALID_KEY error');
}

describe('validateKey', () => {
  it.each([
    ['runs/a/checkpoint.yaml'],
    ['a'],
    ['dataset-x:v2/manifest.json'],
    ['ünïcødé/日本語/🙂.bin'],
    ['name with spaces/and.dots..too'],
    ['...'],
  ])('accepts %j', (key) => {
    expect(() => validateKey(key)).not.toThrow();
    expect(isValidKey(key)).toBe(true);
  });

  it.each([
    ['', 'it is empty'],
    ['../etc/passwd', '".." segment'],
    ['a/../../b', '".." segment'],
    ['a/./b', '"." segment'],
    ['/absolute', 'absolute path'],
    ['C:/windows', 'Windows drive letter'],
    ['a\\b', 'backslash'],
    ['a\u0000b', 'control character U+0000 at position 1'],
    ['a\nb', 'control character U+000A'],
    ['a\u007fb', 'control character U+007F'],
    ['a//b', 'empty segment'],
    ['a/', 'empty segment'],
    ['a\ud800b', 'unpaired UTF-16 surrogate'],
    ['x'.repeat(1025), '1025 bytes long'],
    ['é'.repeat(513), '1026 bytes long'],
  ])('rejects %j saying why', (key, reason) => {
    const message = problemOf(() => validateKey(key, { backend: 'fs' }));
    expect(message).toContain('[cairn] [fs] Invalid storage key');
    expect(message).toContain(reason);
    expect(isValidKey(key)).toBe(false);
  });

  it('quotes the key with control characters escaped', () => {
    expect(problemOf(() => validateKey('bad\u0000key'))).toContain('"bad\\u0000key"');
  });

  it('honours a tighter backend limit', () => {
    expect(problemOf(() => validateKey('abcdef', { maxBytes: 5 }))).toContain('the limit is 5');
  });
});

describe('validatePrefix', () => {
  it.each([[''], ['runs/'], ['runs/2025'], ['a/b/']])('accepts %j', (prefix) => {
    expect(() => validatePrefix(prefix)).not.toThrow();
  });

  it.each([['../'], ['/runs'], ['a//'], ['a\\'], ['a/../b/']])('rejects %j', (prefix) => {
    expect(problemOf(() => validatePrefix(prefix))).toContain('Invalid storage prefix');
  });
});

describe('compareKeys', () => {
  it('sorts by UTF-8 bytes, as S3 does', () => {
    // U+FF5E encodes as EF BD 9E, U+1F642 as F0 9F 99 82: UTF-8 puts the emoji last,
    // while UTF-16 code units (0xFF5E vs 0xD83D) would put it first.
    const keys = ['b', '🙂', '～', 'a/b', 'a', 'A', 'é'];
    expect([...keys].sort(compareKeys)).toEqual(['A', 'a', 'a/b', 'b', 'é', '～', '🙂']);
    expect(compareKeys('x', 'x')).toBe(0);
  });

  it('orders characters above U+FFFF that share a high surrogate', () => {
    // 😀 (D83D DE00) and 😁 (D83D DE01) differ only in their low surrogate.
    expect(compareKeys('a😀', 'a😁')).toBeLessThan(0);
    expect(compareKeys('a😁', 'a😀')).toBeGreaterThan(0);
    expect(['t/😂', 't/😀', 't/😁'].sort(compareKeys)).toEqual(['t/😀', 't/😁', 't/😂']);
    expect(compareKeys('ab', 'abc')).toBeLessThan(0);
  });

  it('agrees with Buffer.compare on random strings', () => {
    const alphabet = ['a', 'z', '/', '-', 'é', '中', '～', '🙂', '😀', '😁', '𝄞', '\uffff'];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 2000; round++) {
      const make = () =>
        Array.from({ length: next() % 6 }, () => alphabet[next() % alphabet.length]).join('');
      const left = make();
      const right = make();
      const expected = Math.sign(Buffer.compare(Buffer.from(left), Buffer.from(right)));
      expect(Math.sign(compareKeys(left, right))).toBe(expected);
    }
  });
});
