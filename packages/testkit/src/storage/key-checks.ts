import { Readable } from 'node:stream';
import { maxKeyBytes, type Storage } from '@cairn/kernel';
import { expect } from 'vitest';
import { collectKeys, expectCairnError, expectRoundTrip, withoutPrefix } from './assertions.js';
import type { StorageCheckGroup } from './check-context.js';

function keyLimit(storage: Storage): number {
  return storage.capabilities.maxKeyBytes ?? maxKeyBytes;
}

function invalidKeys(storage: Storage): ReadonlyArray<readonly [string, string]> {
  const limit = keyLimit(storage);
  return [
    ['empty', ''],
    ['parent segment', '../x'],
    ['parent segment inside', 'a/../../x'],
    ['absolute', '/abs'],
    ['empty segment', 'a//b'],
    ['trailing slash', 'a/'],
    ['backslash', 'a\\b'],
    ['NUL', 'a\u0000b'],
    ['over-long', 'k'.repeat(limit + 1)],
    ['over-long in UTF-8 bytes', 'é'.repeat(Math.floor(limit / 2) + 1)],
  ];
}

function invalidPrefixes(storage: Storage): ReadonlyArray<readonly [string, string]> {
  return [
    ['parent segment', '../'],
    ['absolute', '/abs'],
    ['empty segment', 'a//b'],
    ['backslash', 'a\\b'],
    ['NUL', 'a\u0000b'],
    ['over-long', 'k'.repeat(keyLimit(storage) + 1)],
  ];
}

/** A body that records whether anyone started reading it. */
function watchedBody(): { body: Readable; wasRead: () => boolean } {
  let read = false;
  const body = new Readable({
    read() {
      read = true;
      this.push(Buffer.from('should never be read'));
      this.push(null);
    },
  });
  return { body, wasRead: () => read };
}

// A key of exactly `bytes` UTF-8 bytes made of short segments: long keys are legal, but single
// path segments longer than 255 bytes are a file system limit, not a key rule.
function keyOfLength(prefix: string, bytes: number): string {
  let key = prefix;
  while (Buffer.byteLength(key) < bytes) {
    const room = bytes - Buffer.byteLength(key);
    key += room > 101 ? `${'s'.repeat(99)}/` : 'e'.repeat(room);
  }
  return key;
}

/** Keys are validated before any I/O, and every valid key works as written. */
export const keyChecks: StorageCheckGroup = {
  title: 'keys',
  checks: [
    {
      title: 'put rejects invalid keys with INVALID_KEY without reading the body',
      async run({ storage }) {
        for (const [reason, key] of invalidKeys(storage)) {
          const { body, wasRead } = watchedBody();
          await expectCairnError(
            storage,
            `put of a key with ${reason}`,
            () => storage.put(key, body),
            ['INVALID_KEY'],
          );
          expect(wasRead(), `put of a key with ${reason}: the body was not read`).toBe(false);
          body.destroy();
        }
      },
    },
    {
      title: 'get, head and delete reject invalid keys with INVALID_KEY',
      async run({ storage }) {
        for (const [reason, key] of invalidKeys(storage)) {
          await expectCairnError(storage, `get of a key with ${reason}`, () => storage.get(key), [
            'INVALID_KEY',
          ]);
          await expectCairnError(storage, `head of a key with ${reason}`, () => storage.head(key), [
            'INVALID_KEY',
          ]);
          await expectCairnError(
            storage,
            `delete of a key with ${reason}`,
            () => storage.delete(key),
            ['INVALID_KEY'],
          );
        }
      },
    },
    {
      title: 'list and listPage reject invalid prefixes with INVALID_KEY',
      async run({ storage }) {
        for (const [reason, prefix] of invalidPrefixes(storage)) {
          await expectCairnError(
            storage,
            `listPage with a prefix with ${reason}`,
            () => storage.listPage({ prefix }),
            ['INVALID_KEY'],
          );
          await expectCairnError(
            storage,
            `list with a prefix with ${reason}`,
            () => collectKeys(storage.list({ prefix })),
            ['INVALID_KEY'],
          );
        }
      },
    },
    {
      title: 'unicode keys and keys with spaces and colons round trip and list as written',
      async run({ storage, prefix }) {
        const names = [
          'dataset-x:v2/file name.txt',
          'ünïcødé/日本語/🙂.bin',
          'café ～ 中/é',
          'with spaces/file name (1).txt',
          'a:b:c',
        ];
        for (const name of names) {
          const bytes = Buffer.from(`content of ${name}`);
          await expectRoundTrip(storage, `${prefix}${name}`, bytes, bytes);
        }
        const listed = withoutPrefix(await collectKeys(storage.list({ prefix })), prefix);
        expect([...listed].sort()).toEqual([...names].sort());
        for (const name of names) await storage.delete(`${prefix}${name}`);
        expect(await collectKeys(storage.list({ prefix }))).toEqual([]);
      },
    },
    {
      title: 'accepts a key of exactly the maximum length',
      async run({ storage, prefix }) {
        const key = keyOfLength(prefix, keyLimit(storage));
        expect(Buffer.byteLength(key)).toBe(keyLimit(storage));
        const bytes = Buffer.from('longest key');
        await expectRoundTrip(storage, key, bytes, bytes);
        expect(await collectKeys(storage.list({ prefix }))).toEqual([key]);
      },
    },
  ],
};
