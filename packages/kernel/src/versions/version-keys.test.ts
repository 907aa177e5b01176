import { describe, expect, it } from 'vitest';
import { compareKeys } from '../storage/keys.js';
import { expectCairnError } from '../testing/rejection.js';
import { maxVersion, validateVersionPrefix, versionKey, versionOfKey } from './version-keys.js';

describe('version keys', () => {
  it('are the prefix, "v" and a twelve-digit number', () => {
    expect(versionKey('artifacts/dataset-x/', 1)).toBe('artifacts/dataset-x/v000000000001');
    expect(versionKey('a/', maxVersion)).toBe('a/v999999999999');
  });

  it('sort in number order', () => {
    const numbers = [1, 2, 9, 10, 11, 99, 100, 1000, 123_456];
    const keys = numbers.map((number) => versionKey('p/', number));
    expect([...keys].reverse().sort(compareKeys)).toEqual(keys);
  });

  it('parse back to their number; other keys are not versions', () => {
    expect(versionOfKey('p/', versionKey('p/', 42))).toBe(42);
    expect(versionOfKey('p/', 'p/v000000000000')).toBeUndefined();
    expect(versionOfKey('p/', 'p/v00000000001')).toBeUndefined();
    expect(versionOfKey('p/', 'p/v000000000001.tmp')).toBeUndefined();
    expect(versionOfKey('p/', 'p/versions.json')).toBeUndefined();
    expect(versionOfKey('p/', 'q/v000000000001')).toBeUndefined();
  });

  it('need a prefix that ends with "/"', () => {
    for (const prefix of ['', 'artifacts/dataset-x', 42 as unknown as string]) {
      const error = expectCairnError(() => validateVersionPrefix(prefix), 'INVALID_OPTIONS');
      expect(error.message).toContain('ending with "/"');
    }
  });

  it('need a prefix that follows the key rules and leaves room for the number', () => {
    expect(
      expectCairnError(() => validateVersionPrefix('../up/'), 'INVALID_KEY').message,
    ).toContain('".."');
    const long = `${'x'.repeat(20)}/`;
    const error = expectCairnError(() => validateVersionPrefix(long, 30), 'INVALID_OPTIONS');
    expect(error.message).toContain('too long');
    expect(() => validateVersionPrefix(long, 34)).not.toThrow();
  });
});
