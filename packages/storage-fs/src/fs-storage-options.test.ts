import { describe, expect, it } from 'vitest';
import { parseFsStorageOptions } from './fs-storage-options.js';
import { createFsStorage, fsStorageName, fsStorageOptionsSchema } from './index.js';
import { expectCairnError } from './testing/expect-cairn-error.js';

describe('fs storage options', () => {
  it('fills in the defaults', () => {
    expect(parseFsStorageOptions({ root: 'data' })).toEqual({
      root: 'data',
      fsync: true,
      cleanupTemporaryFilesOlderThanMs: 3_600_000,
      lockTimeoutMs: 30_000,
      staleLockAfterMs: 60_000,
    });
    expect(fsStorageName).toBe('fs');
    expect(fsStorageOptionsSchema.safeParse({ root: 'x', fsync: false }).success).toBe(true);
  });

  it.each([
    [{}, '"root"'],
    [{ root: '' }, 'expected a non-empty directory path'],
    [{ root: 'x', fsync: 'yes' }, '"fsync": Invalid input: expected boolean'],
    [
      { root: 'x', cleanupTemporaryFilesOlderThanMs: -5 },
      '"cleanupTemporaryFilesOlderThanMs": expected a positive number',
    ],
    [{ root: 'x', lockTimeoutMs: 1.5 }, '"lockTimeoutMs"'],
    [{ root: 'x', fsynk: false }, 'unknown option "fsynk"'],
    [null, '"options"'],
  ])('refuses %j with INVALID_OPTIONS naming %s', async (options, words) => {
    const error = await expectCairnError(
      async () => createFsStorage(options as Parameters<typeof createFsStorage>[0]),
      'INVALID_OPTIONS',
    );
    expect(error.message).toContain(words);
    expect(error.message).toContain('createFsStorage');
  });
});
