import { compareKeys } from '@cairn/kernel';
import { expect } from 'vitest';
import { collectKeys, putMany, withoutPrefix } from './assertions.js';
import type { StorageCheckGroup } from './check-context.js';

// In UTF-8 byte order. UTF-16 order (JavaScript's `<`) would put 🙂 (a surrogate pair starting
// 0xD83D) before ～ (0xFF5E); in UTF-8, ～ (EF BD 9E) comes before 🙂 (F0 9F 99 82).
const sortedNames = [
  'Z',
  'a',
  'a-b',
  'a/b',
  'a0',
  'b',
  'e',
  'z',
  '~',
  'é',
  '中',
  '～',
  '😀',
  '😁',
  '🙂',
  '🙂/x',
];

const prefixNames = [
  'a',
  'a-b',
  'a/b',
  'a/c/d',
  'ab',
  'runs/2024-12-31/x',
  'runs/2025/z',
  'runs/20250101T000000/y',
  'runs/2026/w',
];

function shuffled<T>(values: readonly T[]): T[] {
  // A fixed permutation: write order must not leak into list order, and reruns stay equal.
  return values
    .map((value, index) => ({ value, rank: (index * 7919) % 101 }))
    .sort((left, right) => left.rank - right.rank)
    .map(({ value }) => value);
}

/** Listings are sorted by UTF-8 bytes and filtered by plain string prefixes. */
export const listOrderChecks: StorageCheckGroup = {
  title: 'list order and prefixes',
  checks: [
    {
      title: 'lists keys in UTF-8 byte order (compareKeys), unicode included',
      async run({ storage, prefix }) {
        expect(
          [...sortedNames].sort(compareKeys),
          'the expected order is compareKeys order',
        ).toEqual(sortedNames);
        await putMany(
          storage,
          shuffled(sortedNames).map((name) => `${prefix}${name}`),
        );
        const listed = await collectKeys(storage.list({ prefix }));
        expect(withoutPrefix(listed, prefix)).toEqual(sortedNames);
        const page = await storage.listPage({ prefix });
        expect(
          withoutPrefix(
            page.objects.map((info) => info.key),
            prefix,
          ),
        ).toEqual(sortedNames);
        expect(page.prefixes, 'no delimiter, no prefixes').toEqual([]);
        expect(page.cursor, 'everything fit in one page').toBeUndefined();
      },
    },
    {
      title: 'filters by prefix: a key, a sibling, mid-segment, a folder, no match',
      async run({ storage, prefix }) {
        await putMany(
          storage,
          shuffled(prefixNames).map((name) => `${prefix}${name}`),
        );
        const cases: ReadonlyArray<readonly [string, readonly string[]]> = [
          ['', prefixNames],
          ['a', ['a', 'a-b', 'a/b', 'a/c/d', 'ab']],
          ['a/', ['a/b', 'a/c/d']],
          ['a-', ['a-b']],
          ['a/c/d', ['a/c/d']],
          ['runs/2025', ['runs/2025/z', 'runs/20250101T000000/y']],
          ['runs/2025/', ['runs/2025/z']],
          ['runs/', ['runs/2024-12-31/x', 'runs/2025/z', 'runs/20250101T000000/y', 'runs/2026/w']],
          ['a/c/d/e', []],
          ['0', []],
          ['nothing-here', []],
          ['zzz', []],
        ];
        for (const [name, expected] of cases) {
          const listed = await collectKeys(storage.list({ prefix: `${prefix}${name}` }));
          expect(withoutPrefix(listed, prefix), `prefix "${name}"`).toEqual(expected);
          const page = await storage.listPage({ prefix: `${prefix}${name}` });
          expect(
            withoutPrefix(
              page.objects.map((info) => info.key),
              prefix,
            ),
            `one page of prefix "${name}"`,
          ).toEqual(expected);
          expect(page.cursor, `prefix "${name}": a single page has no cursor`).toBeUndefined();
        }
      },
    },
    {
      title: 'an empty or omitted prefix lists every key',
      async run({ storage, prefix }) {
        const names = ['one', 'two/three', 'zz'];
        await putMany(
          storage,
          names.map((name) => `${prefix}${name}`),
        );
        // Starting just before this check's keys keeps the listing short in a shared bucket.
        for (const options of [{ prefix: '', startAfter: prefix }, { startAfter: prefix }]) {
          const seen: string[] = [];
          for await (const info of storage.list(options)) {
            if (!info.key.startsWith(prefix)) break;
            seen.push(info.key);
          }
          expect(withoutPrefix(seen, prefix), JSON.stringify(options)).toEqual(names);
        }
        const page = await storage.listPage({ prefix: '', startAfter: prefix, pageSize: 2 });
        expect(
          withoutPrefix(
            page.objects.map((info) => info.key),
            prefix,
          ),
        ).toEqual(['one', 'two/three']);
        expect(page.cursor, 'more keys follow').toBeDefined();
      },
    },
    {
      title: 'list reports each object with the size and etag head reports',
      async run({ storage, prefix }) {
        const contents = {
          'short.txt': 'x',
          'longer.txt': 'a somewhat longer body',
          'empty.txt': '',
        };
        for (const [name, content] of Object.entries(contents))
          await storage.put(`${prefix}${name}`, content);
        const listed = [];
        for await (const info of storage.list({ prefix })) listed.push(info);
        expect(listed.map((info) => info.key)).toEqual(
          ['empty.txt', 'longer.txt', 'short.txt'].map((name) => `${prefix}${name}`),
        );
        for (const info of listed) {
          const headed = await storage.head(info.key);
          expect(info.size, `${info.key}: size`).toBe(headed?.size);
          expect(info.etag, `${info.key}: etag`).toBe(headed?.etag);
          // Listings may leave the digest out (S3 cannot list it), but never report a wrong one.
          if (info.sha256 !== undefined)
            expect(info.sha256, `${info.key}: sha256`).toBe(headed?.sha256);
        }
      },
    },
  ],
};
