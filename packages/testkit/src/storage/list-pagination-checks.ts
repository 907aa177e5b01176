import type { ListPage, ListPageOptions, ObjectInfo, Storage } from '@cairn/kernel';
import { expect } from 'vitest';
import { collectKeys, putMany, withoutPrefix } from './assertions.js';
import type { StorageCheckGroup } from './check-context.js';

/** Every page of a listing, following cursors, with a bound against cursors that never end. */
async function allPages(
  storage: Storage,
  options: ListPageOptions,
  maximumPages: number,
): Promise<ListPage[]> {
  const pages: ListPage[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.listPage({
      ...options,
      ...(cursor === undefined ? {} : { cursor }),
    });
    pages.push(page);
    if (options.pageSize !== undefined) {
      expect(
        page.objects.length + page.prefixes.length,
        `page ${pages.length} respects pageSize`,
      ).toBeLessThanOrEqual(options.pageSize);
    }
    expect(pages.length, 'the listing ends (the last page has no cursor)').toBeLessThanOrEqual(
      maximumPages,
    );
    if (page.cursor !== undefined) {
      expect(page.cursor, 'each page moves the cursor on').not.toBe(cursor);
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return pages;
}

function keysOf(pages: readonly ListPage[]): string[] {
  return pages.flatMap((page) => page.objects.map((info) => info.key));
}

function numbered(count: number, prefix: string, name: (index: number) => string): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${name(index)}`);
}

/** Listings page through many keys, resume after a key, and group by folder. */
export const listPaginationChecks: StorageCheckGroup = {
  title: 'list pagination',
  checks: [
    {
      title:
        'pages through 250 keys with pageSize 7: each key once, in order, no cursor at the end',
      async run({ storage, prefix }) {
        const keys = numbered(250, prefix, (index) => `item-${index.toString().padStart(3, '0')}`);
        await putMany(storage, [...keys].reverse());
        const pages = await allPages(storage, { prefix, pageSize: 7 }, 250 + 1);
        expect(keysOf(pages)).toEqual(keys);
        expect(pages.length, 'no page held more than 7').toBeGreaterThanOrEqual(Math.ceil(250 / 7));
        expect(pages.at(-1)?.cursor).toBeUndefined();
        expect(
          pages.flatMap((page) => page.prefixes),
          'no delimiter, no prefixes',
        ).toEqual([]);
        expect(
          await collectKeys(storage.list({ prefix, pageSize: 7 })),
          'list with the same pageSize',
        ).toEqual(keys);
      },
    },
    {
      title: 'startAfter resumes strictly after a key, existing or not',
      async run({ storage, prefix }) {
        const keys = numbered(20, prefix, (index) => `k${index.toString().padStart(2, '0')}`);
        await putMany(storage, keys);
        const cases: ReadonlyArray<readonly [string, readonly string[]]> = [
          [`${prefix}k07`, keys.slice(8)],
          [`${prefix}k07x`, keys.slice(8)],
          [`${prefix}k19`, []],
          [`${prefix}zzz`, []],
          [prefix, keys],
          [prefix.slice(0, -1), keys],
          ['', keys],
        ];
        for (const [startAfter, expected] of cases) {
          const label = `startAfter "${withoutPrefix([startAfter], prefix)[0]}"`;
          expect(await collectKeys(storage.list({ prefix, startAfter })), label).toEqual(expected);
          const pages = await allPages(storage, { prefix, startAfter, pageSize: 3 }, 20 + 1);
          expect(keysOf(pages), `${label}, pages of 3`).toEqual(expected);
        }
      },
    },
    {
      title: "delimiter '/' groups keys below the next '/' into prefixes",
      async run({ storage, prefix }) {
        const names = [
          'a.txt',
          'dir1/x',
          'dir1/y/z',
          'dir1-sibling',
          'dir2/v/u',
          'dir2/w',
          'z.txt',
        ];
        await putMany(
          storage,
          names.map((name) => `${prefix}${name}`),
        );
        const cases: ReadonlyArray<readonly [string, readonly string[], readonly string[]]> = [
          ['', ['a.txt', 'dir1-sibling', 'z.txt'], ['dir1/', 'dir2/']],
          ['dir1/', ['dir1/x'], ['dir1/y/']],
          ['dir', ['dir1-sibling'], ['dir1/', 'dir2/']],
          ['dir2/v/', ['dir2/v/u'], []],
          ['nothing/', [], []],
        ];
        for (const [name, objects, prefixes] of cases) {
          const label = `prefix "${name}"`;
          const page = await storage.listPage({ prefix: `${prefix}${name}`, delimiter: '/' });
          expect(
            withoutPrefix(
              page.objects.map((info) => info.key),
              prefix,
            ),
            `${label}: objects`,
          ).toEqual(objects);
          expect(withoutPrefix(page.prefixes, prefix), `${label}: prefixes`).toEqual(prefixes);
          expect(page.cursor, `${label}: one page`).toBeUndefined();
          // Page by page, each object and each folder still appears exactly once.
          const pages = await allPages(
            storage,
            { prefix: `${prefix}${name}`, delimiter: '/', pageSize: 1 },
            names.length + 1,
          );
          expect(withoutPrefix(keysOf(pages), prefix), `${label}, pages of 1: objects`).toEqual(
            objects,
          );
          expect(
            withoutPrefix(
              pages.flatMap((each) => each.prefixes),
              prefix,
            ),
            `${label}, pages of 1: prefixes`,
          ).toEqual(prefixes);
        }
      },
    },
    {
      title: 'the list() iterable yields exactly the concatenated pages',
      async run({ storage, prefix }) {
        const keys = numbered(30, prefix, (index) => `entry/${(index * 37) % 30}-${index}`);
        await putMany(storage, keys, (key) => key.repeat((key.length % 4) + 1));
        const pages = await allPages(storage, { prefix, pageSize: 4 }, 30 + 1);
        const fromPages = pages.flatMap((page) => page.objects);
        const fromIterable: ObjectInfo[] = [];
        for await (const info of storage.list({ prefix, pageSize: 4 })) fromIterable.push(info);
        const summary = (info: ObjectInfo) => ({ key: info.key, size: info.size, etag: info.etag });
        expect(fromIterable.map(summary)).toEqual(fromPages.map(summary));
        expect(fromIterable.length).toBe(30);
      },
    },
  ],
};
