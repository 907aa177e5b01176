import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAll } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage, type FsStorage } from './index.js';
import { expectCairnError } from './testing/expect-cairn-error.js';
import { filesBelow, temporaryRoot } from './testing/temporary-root.js';

async function newStorage(): Promise<FsStorage> {
  return createFsStorage({ root: await temporaryRoot() });
}

async function text(storage: FsStorage, key: string): Promise<string> {
  return (await readAll((await storage.get(key)).body)).toString('utf8');
}

async function keys(storage: FsStorage, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for await (const info of storage.list({ prefix })) found.push(info.key);
  return found;
}

// S3 and the memory storage let "a" and "a/b" exist together; so must the fs storage, or a
// mirror of disk and S3 would fail on keys S3 accepts.
describe('fs storage: a key and keys below it coexist', () => {
  it('object first: the folder takes the name a.cairn-folder', async () => {
    const storage = await newStorage();
    await storage.put('a', 'object a');
    await storage.put('a/b', 'object a/b');
    await storage.put('a/c/d', 'object a/c/d');
    expect(await text(storage, 'a')).toBe('object a');
    expect(await text(storage, 'a/b')).toBe('object a/b');
    expect(await text(storage, 'a/c/d')).toBe('object a/c/d');
    expect(await filesBelow(storage.root)).toEqual([
      '.cairn-meta/a',
      '.cairn-meta/a.cairn-folder/b',
      '.cairn-meta/a.cairn-folder/c/d',
      'a',
      'a.cairn-folder/b',
      'a.cairn-folder/c/d',
    ]);
    expect(await keys(storage)).toEqual(['a', 'a/b', 'a/c/d']);
  });

  it('folder first: the object takes the name a.cairn-object', async () => {
    const storage = await newStorage();
    await storage.put('a/b', 'object a/b');
    const info = await storage.put('a', 'object a', { metadata: { kind: 'parent' } });
    expect(await text(storage, 'a')).toBe('object a');
    expect(await storage.head('a')).toEqual(info);
    expect(info.metadata).toEqual({ kind: 'parent' });
    expect(await filesBelow(storage.root)).toEqual([
      '.cairn-meta/a.cairn-object',
      '.cairn-meta/a/b',
      'a.cairn-object',
      'a/b',
    ]);
    expect(await keys(storage)).toEqual(['a', 'a/b']);
  });

  it('overwrites, conditional writes and deletes find the object under either name', async () => {
    const storage = await newStorage();
    await storage.put('a/b', 'child');
    const first = await storage.put('a', 'v1', { ifNoneMatch: '*' });
    await expectCairnError(storage.put('a', 'again', { ifNoneMatch: '*' }), 'PRECONDITION_FAILED');
    const second = await storage.put('a', 'v2', { ifMatch: first.etag });
    expect(await text(storage, 'a')).toBe('v2');
    expect(second.etag).not.toBe(first.etag);
    await storage.delete('a');
    expect(await storage.head('a')).toBeUndefined();
    expect(await text(storage, 'a/b')).toBe('child');
    await storage.delete('a/b');
    expect(await filesBelow(storage.root)).toEqual([]);
  });

  it('after the folder empties, the object stays findable and writable under its suffixed name', async () => {
    const storage = await newStorage();
    await storage.put('a/b', 'child');
    await storage.put('a', 'v1');
    await storage.delete('a/b');
    expect(await text(storage, 'a')).toBe('v1');
    await storage.put('a', 'v2');
    expect(await filesBelow(storage.root)).toEqual([
      '.cairn-meta/a.cairn-object',
      'a.cairn-object',
    ]);
    // The folder comes back under its plain name: the plain name is free again.
    await storage.put('a/c', 'new child');
    expect(await keys(storage)).toEqual(['a', 'a/c']);
    expect(await text(storage, 'a')).toBe('v2');
  });

  it('lists nested keys in key order and groups them with a delimiter', async () => {
    const storage = await newStorage();
    for (const key of ['a/b', 'a', 'a-b', 'a0', '🙂/x', '🙂', '～']) await storage.put(key, key);
    expect(await keys(storage)).toEqual(['a', 'a-b', 'a/b', 'a0', '～', '🙂', '🙂/x']);
    const page = await storage.listPage({ delimiter: '/' });
    expect(page.objects.map((info) => info.key)).toEqual(['a', 'a-b', 'a0', '～', '🙂']);
    expect(page.prefixes).toEqual(['a/', '🙂/']);
  });

  it('racing puts of "a" and "a/b" both land, whichever wins the name', async () => {
    for (let round = 0; round < 10; round++) {
      const storage = await newStorage();
      await Promise.all([storage.put('a', 'parent'), storage.put('a/b', 'child')]);
      expect(await text(storage, 'a')).toBe('parent');
      expect(await text(storage, 'a/b')).toBe('child');
      expect(await keys(storage)).toEqual(['a', 'a/b']);
    }
  });

  it('refuses keys with a segment ending in a layout suffix', async () => {
    const storage = await newStorage();
    for (const key of ['x.cairn-folder', 'x.cairn-folder/y', 'y/x.cairn-object']) {
      const error = await expectCairnError(storage.put(key, 'v'), 'INVALID_KEY');
      expect(error.message).toContain('reserved');
    }
  });

  it('when both names hold a file (made by hand), reads and listings use the plain one', async () => {
    const storage = await newStorage();
    await storage.put('a', 'plain');
    await writeFile(join(storage.root, 'a.cairn-object'), 'shadowed');
    await mkdir(join(storage.root, 'b'));
    await writeFile(join(storage.root, 'b', 'inside'), 'plain folder');
    await mkdir(join(storage.root, 'b.cairn-folder'));
    await writeFile(join(storage.root, 'b.cairn-folder', 'inside'), 'shadowed folder');
    expect(await text(storage, 'a')).toBe('plain');
    expect(await text(storage, 'b/inside')).toBe('plain folder');
    expect(await keys(storage)).toEqual(['a', 'b/inside']);
  });
});
