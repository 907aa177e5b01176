import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAll } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage, type FsStorage } from './index.js';
import { expectCairnError } from './testing/expect-cairn-error.js';
import { temporaryRoot } from './testing/temporary-root.js';

async function keys(storage: FsStorage): Promise<string[]> {
  const found: string[] = [];
  for await (const info of storage.list()) found.push(info.key);
  return found;
}

describe('fs storage: reserved names', () => {
  it('refuses keys whose first segment starts with .cairn-, for every operation', async () => {
    const storage = createFsStorage({ root: await temporaryRoot() });
    for (const key of ['.cairn-tmp/x', '.cairn-meta/a', '.cairn-anything']) {
      const error = await expectCairnError(storage.put(key, 'v'), 'INVALID_KEY');
      expect(error.message).toContain('reserved');
      await expectCairnError(storage.get(key), 'INVALID_KEY');
      await expectCairnError(storage.head(key), 'INVALID_KEY');
      await expectCairnError(storage.delete(key), 'INVALID_KEY');
    }
    // Deeper down the name is an ordinary one.
    await storage.put('a/.cairn-tmp', 'fine');
    expect(await keys(storage)).toEqual(['a/.cairn-tmp']);
  });

  it('never lists its own folders, even with a prefix aimed at them', async () => {
    const storage = createFsStorage({ root: await temporaryRoot() });
    await storage.put('visible', 'v', { metadata: { a: 'b' } });
    expect(await keys(storage)).toEqual(['visible']);
    const page = await storage.listPage({ prefix: '.cairn', delimiter: '/' });
    expect(page).toEqual({ objects: [], prefixes: [] });
  });

  it('refuses segments longer than a file name can be, saying so', async () => {
    const storage = createFsStorage({ root: await temporaryRoot() });
    const error = await expectCairnError(storage.put(`dir/${'x'.repeat(250)}`, 'v'), 'INVALID_KEY');
    expect(error.message).toContain('250 bytes');
    await storage.put(`dir/${'x'.repeat(241)}`, 'longest name');
  });
});

describe('fs storage: keys cannot escape the root', () => {
  async function rootWithLinks() {
    const base = await temporaryRoot();
    const root = join(base, 'root');
    const outside = join(base, 'outside');
    await mkdir(root);
    await mkdir(outside);
    await writeFile(join(outside, 'secret'), 'outside the root');
    await symlink(outside, join(root, 'escape'));
    await symlink(join(outside, 'secret'), join(root, 'secret-link'));
    return { root, outside, storage: createFsStorage({ root }) };
  }

  it('refuses to read, write or delete through a linked folder, and writes nothing outside', async () => {
    const { outside, storage } = await rootWithLinks();
    for (const key of ['escape/secret', 'escape/new', 'escape/deeper/new']) {
      const refused = await expectCairnError(storage.put(key, 'written?'), 'INVALID_KEY');
      expect(refused.message).toContain('symbolic link');
      await expectCairnError(storage.get(key), 'INVALID_KEY');
      await expectCairnError(storage.head(key), 'INVALID_KEY');
      await expectCairnError(storage.delete(key), 'INVALID_KEY');
    }
    expect((await readdir(outside)).sort()).toEqual(['secret']);
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('outside the root');
  });

  it('refuses to read a key that is itself a link, and lists neither links nor their targets', async () => {
    const { storage } = await rootWithLinks();
    const error = await expectCairnError(storage.get('secret-link'), 'INVALID_KEY');
    expect(error.message).toContain('secret-link');
    await expectCairnError(storage.head('secret-link'), 'INVALID_KEY');
    await storage.put('real', 'inside');
    expect(await keys(storage)).toEqual(['real']);
    const page = await storage.listPage({ delimiter: '/' });
    expect(page.prefixes).toEqual([]);
  });

  it('refuses to overwrite or delete a key that is a link, leaving link and target alone', async () => {
    const { root, outside, storage } = await rootWithLinks();
    await expectCairnError(storage.put('secret-link', 'replacement'), 'INVALID_KEY');
    await expectCairnError(storage.delete('secret-link'), 'INVALID_KEY');
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('outside the root');
    expect((await lstat(join(root, 'secret-link'))).isSymbolicLink()).toBe(true);
  });

  it('works when the root itself is reached through a link', async () => {
    const base = await temporaryRoot();
    await mkdir(join(base, 'real-root'));
    await symlink(join(base, 'real-root'), join(base, 'linked-root'));
    const storage = createFsStorage({ root: join(base, 'linked-root') });
    await storage.put('a/b', 'through the link');
    expect(await readFile(join(base, 'real-root', 'a', 'b'), 'utf8')).toBe('through the link');
    expect((await readAll((await storage.get('a/b')).body)).toString()).toBe('through the link');
  });
});
