import { sha256Of } from '@cairn/kernel';
import { expect } from 'vitest';
import { expectAbsent, expectCairnError, expectRoundTrip, expectUnchanged } from './assertions.js';
import type { StorageCheckGroup } from './check-context.js';
import { createPatternBody, patternDigest } from './pattern-body.js';

const streamedBytes = 1024 * 1024 + 17;

/** `expectedSha256` is verified while writing; a mismatch stores nothing. */
export const integrityChecks: StorageCheckGroup = {
  title: 'expected digests',
  checks: [
    {
      title: 'a put whose expectedSha256 matches succeeds',
      async run({ storage, prefix }) {
        const bytes = Buffer.from('verified content');
        await expectRoundTrip(storage, `${prefix}verified.txt`, bytes, bytes, {
          expectedSha256: sha256Of(bytes),
        });
        const digest = patternDigest(streamedBytes, 7);
        const info = await storage.put(
          `${prefix}verified-stream.bin`,
          createPatternBody({ size: streamedBytes, seed: 7 }).readable,
          { expectedSha256: digest.sha256 },
        );
        expect(info.size).toBe(streamedBytes);
      },
    },
    {
      title: 'an expectedSha256 mismatch on a new key fails with CORRUPT_DATA and stores nothing',
      async run({ storage, prefix }) {
        const key = `${prefix}mismatch.txt`;
        await expectCairnError(
          storage,
          'put with a wrong expectedSha256',
          () => storage.put(key, 'actual content', { expectedSha256: sha256Of('other content') }),
          ['CORRUPT_DATA'],
        );
        await expectAbsent(storage, key, 'after the mismatched put');
        const streamed = `${prefix}mismatch-stream.bin`;
        await expectCairnError(
          storage,
          'streamed put with a wrong expectedSha256',
          () =>
            storage.put(streamed, createPatternBody({ size: streamedBytes, seed: 8 }).readable, {
              expectedSha256: patternDigest(streamedBytes, 9).sha256,
            }),
          ['CORRUPT_DATA'],
        );
        await expectAbsent(storage, streamed, 'after the mismatched streamed put');
      },
    },
    {
      title: 'an expectedSha256 mismatch on an existing key keeps the old content',
      async run({ storage, prefix }) {
        const key = `${prefix}kept.txt`;
        const original = await storage.put(key, 'good content');
        await expectCairnError(
          storage,
          'overwrite with a wrong expectedSha256',
          () => storage.put(key, 'bad content', { expectedSha256: sha256Of('different') }),
          ['CORRUPT_DATA'],
        );
        await expectUnchanged(
          storage,
          key,
          Buffer.from('good content'),
          original.etag,
          'after the mismatched overwrite',
        );
      },
    },
  ],
};
