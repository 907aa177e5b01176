import { mkdir, readdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  compareKeys,
  createMemoryStorage,
  type ListPage,
  type ListPageOptions,
  type Storage,
} from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { nodeFileSystem } from './file-system.js';
import { createFsStorage, type FsStorage } from './index.js';
import { expectCairnError } from './testing/expect-cairn-error.js';
import { temporaryRoot } from './testing/temporary-root.js';

async function keysOf(storage: Storage, options = {}): Promise<string[]> {
  const found: string[] = [];
  for await (const info of storage.list(options)) found.push(info.key);
  return found;
}

async function allPages(storage: Storage, options: ListPageOptions): Promise<ListPage[]> {
  const pages: ListPage[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.listPage({
      ...options,
      ...(cursor === undefined ? {} : { cursor }),
    });
    pages.push({ ...page, objects: page.objects.map((info) => ({ ...info })) });
    cursor = page.cursor;
    if (pages.length > 500) throw new Error('the listing does not end');
  } while (cursor !== undefined);
  return pages;
}

/** A small deterministic random source, so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fs listing', () => {
  it('lists files written by hand and by put in UTF-8 byte order', async () => {
    const root = await temporaryRoot();
    const byHand = ['a', 'a-b', 'Z', '~', 'é', '中', '.hidden', 'x/y/z'];
    for (const key of byHand) {
      await mkdir(join(root, ...key.split('/').slice(0, -1)), { recursive: true });
      await writeFile(join(root, ...key.split('/')), key);
    }
    const storage = createFsStorage({ root });
    for (const key of ['a/b', 'a0', '～', '🙂', '🙂/x', 'x/y-']) await storage.put(key, key);
    const expected = [...byHand, 'a/b', 'a0', '～', '🙂', '🙂/x', 'x/y-'].sort(compareKeys);
    expect(await keysOf(storage)).toEqual(expected);
    // JavaScript's own sort would disagree (UTF-16 order puts 🙂 before ～).
    expect([...expected].sort()).not.toEqual(expected);
  });

  it('pages exactly like the memory storage for many prefixes, cursors and page sizes', async () => {
    const next = random(20251122);
    const alphabet = ['a', 'b', 'a-', 'é', '🙂', 'z0', '.'];
    const keys = new Set<string>();
    while (keys.size < 60) {
      const depth = 1 + Math.floor(next() * 3);
      const segments = Array.from(
        { length: depth },
        () => alphabet[Math.floor(next() * alphabet.length)] as string,
      );
      const key = segments.join('/');
      if (key !== '.' && !key.split('/').includes('.')) keys.add(key);
    }
    const fs = createFsStorage({ root: await temporaryRoot() });
    const memory = createMemoryStorage();
    for (const key of keys) {
      await fs.put(key, key);
      await memory.put(key, key);
    }
    const sorted = [...keys].sort(compareKeys);
    const cuts = [
      '',
      'nothing',
      'a',
      'a/',
      'a-',
      'é/',
      '🙂',
      // Cut at code points: half of a surrogate pair is no valid prefix.
      ...sorted.map((key) => {
        const characters = Array.from(key);
        return characters.slice(0, Math.floor(next() * (characters.length + 1))).join('');
      }),
    ];
    let comparisons = 0;
    for (let round = 0; round < 120; round++) {
      const pick = () => cuts[Math.floor(next() * cuts.length)] as string;
      const options: ListPageOptions = {
        prefix: pick(),
        pageSize: 1 + Math.floor(next() * 5),
        ...(next() < 0.5 ? { delimiter: '/' as const } : {}),
        ...(next() < 0.3 ? { startAfter: pick() } : {}),
      };
      const summary = (pages: ListPage[]) =>
        pages.map((page) => ({
          keys: page.objects.map((info) => info.key),
          prefixes: page.prefixes,
          cursor: page.cursor,
        }));
      const label = JSON.stringify(options);
      expect(summary(await allPages(fs, options)), label).toEqual(
        summary(await allPages(memory, options)),
      );
      const { delimiter: _ignored, ...listOptions } = options;
      expect(await keysOf(fs, listOptions), label).toEqual(await keysOf(memory, listOptions));
      comparisons += 1;
    }
    expect(comparisons).toBe(120);
  });

  it('skips links, special names and empty folders; an empty folder is no group', async () => {
    const root = await temporaryRoot();
    const storage = createFsStorage({ root });
    await storage.put('kept/file', 'x');
    await mkdir(join(root, 'empty', 'deeper'), { recursive: true });
    await writeFile(join(root, 'control\u0001char'), 'invalid key');
    await writeFile(join(root, 'back\\slash'), 'invalid key');
    await writeFile(join(root, '.cairn-object'), 'no name left');
    await symlink(join(root, 'kept'), join(root, 'linked-folder'));
    await symlink(join(root, 'kept', 'file'), join(root, 'linked-file'));
    expect(await keysOf(storage)).toEqual(['kept/file']);
    expect(await storage.listPage({ delimiter: '/' })).toEqual({
      objects: [],
      prefixes: ['kept/'],
    });
  });

  it('with allowEmptyFolders, reports every folder from one directory read, empty ones too', async () => {
    const root = await temporaryRoot();
    const storage = createFsStorage({ root });
    for (const name of ['a', 'c', 'e']) await storage.put(`top/${name}/payload`, name);
    await mkdir(join(root, 'top', 'b'));
    await mkdir(join(root, 'top', 'd', 'deeper'), { recursive: true });
    expect((await storage.listPage({ prefix: 'top/', delimiter: '/' })).prefixes).toEqual([
      'top/a/',
      'top/c/',
      'top/e/',
    ]);
    const page = await storage.listPage({
      prefix: 'top/',
      delimiter: '/',
      allowEmptyFolders: true,
    });
    expect(page.prefixes).toEqual(['top/a/', 'top/b/', 'top/c/', 'top/d/', 'top/e/']);
    const after = await storage.listPage({
      prefix: 'top/',
      delimiter: '/',
      allowEmptyFolders: true,
      startAfter: 'top/b',
      pageSize: 2,
    });
    expect(after.prefixes).toEqual(['top/b/', 'top/c/']);
    expect(after.cursor).toBeDefined();
  });

  it('reads one folder at a time: the first key arrives before the other folders are read', async () => {
    const root = await temporaryRoot();
    for (let folder = 0; folder < 40; folder++) {
      const directory = join(root, `folder-${String(folder).padStart(2, '0')}`);
      await mkdir(directory);
      for (let file = 0; file < 100; file++) await writeFile(join(directory, `f${file}`), '');
    }
    let entriesRead = 0;
    const storage = createFsStorage(
      { root },
      {
        fileSystem: {
          ...nodeFileSystem,
          readdir: (async (...parameters: Parameters<typeof readdir>) => {
            const entries = await readdir(...parameters);
            entriesRead += entries.length;
            return entries;
          }) as typeof nodeFileSystem.readdir,
        },
      },
    );
    const iterator = storage.list({ pageSize: 10 })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.key).toBe('folder-00/f0');
    // The root (40 folders, plus the storage's own entries) and one folder of 100.
    expect(entriesRead).toBeLessThan(40 + 100 + 10);
    await iterator.return?.();
  });

  it('drops an object deleted between the walk and its stat', async () => {
    const root = await temporaryRoot();
    const seed = createFsStorage({ root });
    for (const key of ['a', 'b', 'c']) await seed.put(key, key);
    const storage = createFsStorage(
      { root },
      {
        fileSystem: {
          ...nodeFileSystem,
          lstat: (async (path: string, options?: { bigint?: boolean }) => {
            if (path === join(root, 'b') && options?.bigint) await unlink(path).catch(() => {});
            return nodeFileSystem.lstat(path, options as { bigint: true });
          }) as typeof nodeFileSystem.lstat,
        },
      },
    );
    const page = await storage.listPage();
    expect(page.objects.map((info) => info.key)).toEqual(['a', 'c']);
  });

  it('refuses a bad pageSize and honours an aborted signal', async () => {
    const storage: FsStorage = createFsStorage({ root: await temporaryRoot() });
    await storage.put('k', 'v');
    for (const pageSize of [0, -1, 1.5]) {
      await expectCairnError(storage.listPage({ pageSize }), 'INVALID_OPTIONS');
      await expectCairnError(keysOf(storage, { pageSize }), 'INVALID_OPTIONS');
    }
    const controller = new AbortController();
    controller.abort();
    await expectCairnError(storage.listPage({ signal: controller.signal }), 'ABORTED');
    await expectCairnError(keysOf(storage, { signal: controller.signal }), 'ABORTED');
  });
});
