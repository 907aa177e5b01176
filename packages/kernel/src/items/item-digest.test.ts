import { describe, expect, it } from 'vitest';
import { sha256Of } from '../storage/body.js';
import { canonicalJson, digestPrefix, inputDigestOf } from './item-digest.js';

describe('input digests', () => {
  it('sorts object keys at every level, keeping array order', () => {
    expect(canonicalJson({ b: [{ y: 1, x: 2 }, 3], a: null })).toBe(
      '{"a":null,"b":[{"x":2,"y":1},3]}',
    );
    expect(canonicalJson(undefined)).toBe('undefined');
  });

  it('is the SHA-256 of the item JSON, or of item and parameters together', () => {
    expect(inputDigestOf('hello', 0, undefined)).toBe(sha256Of('"hello"'));
    expect(inputDigestOf('hello', 0, { t: 1 })).toBe(sha256Of('["hello",{"t":1}]'));
    expect(inputDigestOf({ a: 1, b: 2 }, 0, undefined)).toBe(
      inputDigestOf({ b: 2, a: 1 }, 5, undefined),
    );
    expect(inputDigestOf([1, 2], 0, undefined)).not.toBe(inputDigestOf([2, 1], 0, undefined));
  });

  it('refuses an item that is not JSON, naming it', () => {
    expect(() => inputDigestOf({ n: 1n }, 4, undefined)).toThrow(
      'Item 4 cannot be written as JSON',
    );
  });

  it('keeps 16 hex characters in segments', () => {
    expect(digestPrefix('0123456789abcdef0123')).toBe('0123456789abcdef');
  });
});
