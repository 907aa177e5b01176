import { describe, expect, it } from 'vitest';
import { rejection } from '../testing/rejection.js';
import { createMemoryStorage } from './memory-storage.js';
import { maxMetadataBytes, maxUserMetadataBytes, validatePutOptions } from './put-options.js';
import type { PutOptions } from './storage.js';

describe('validatePutOptions', () => {
  it.each<[string, PutOptions]>([
    ['ifNoneMatch must be "*", not "etag"', { ifNoneMatch: 'etag' as '*' }],
    ['ifMatch must be an etag string', { ifMatch: '' }],
    ['not both', { ifMatch: '"1"', ifNoneMatch: '*' }],
    ['expectedSha256 must be 64 hexadecimal digits', { expectedSha256: 'abc' }],
    ['metadata name "Run-Id" must be lowercase', { metadata: { 'Run-Id': 'x' } }],
    ['metadata "note" must be printable ASCII', { metadata: { note: 'naïve' } }],
    ['metadata "note" must be printable ASCII', { metadata: { note: 'two\nlines' } }],
    [
      `keep it within ${maxUserMetadataBytes}`,
      { metadata: { big: 'x'.repeat(maxUserMetadataBytes) } },
    ],
    [
      `the limit is ${maxMetadataBytes}`,
      {
        metadata: {
          'cairn-a': 'x'.repeat(maxMetadataBytes - maxUserMetadataBytes),
          user: 'y'.repeat(maxUserMetadataBytes - 'user'.length),
        },
      },
    ],
  ])('refuses options with "%s"', async (reason, options) => {
    const storage = createMemoryStorage();
    const error = await rejection(storage.put('a', 'x', options));
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain('[cairn] [memory] Invalid put options for "a"');
    expect(error.message).toContain(reason);
    expect(await storage.head('a')).toBeUndefined();
  });

  it('accepts the limit exactly and every valid form', () => {
    const name = 'n';
    const atLimit = { [name]: 'v'.repeat(maxUserMetadataBytes - name.length) };
    const withCairnEntries = {
      ...atLimit,
      'cairn-sha256': 'v'.repeat(maxMetadataBytes - maxUserMetadataBytes - 'cairn-sha256'.length),
    };
    for (const options of [
      { metadata: atLimit },
      { metadata: withCairnEntries },
      { ifNoneMatch: '*' as const },
      { ifMatch: '"etag"' },
      { expectedSha256: 'A'.repeat(64), contentType: 'text/plain' },
    ]) {
      expect(() => validatePutOptions('a', options, 'memory')).not.toThrow();
    }
  });
});
