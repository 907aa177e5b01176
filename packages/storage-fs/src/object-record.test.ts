import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAll, sha256Of } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage, type FsStorage } from './index.js';
import { temporaryRoot } from './testing/temporary-root.js';

async function newStorage(): Promise<FsStorage> {
  return createFsStorage({ root: await temporaryRoot() });
}

describe('fs storage: metadata records', () => {
  it('forgets the digest when the file is replaced behind its back (new inode)', async () => {
    const storage = await newStorage();
    await storage.put('k', 'original', { contentType: 'text/plain', metadata: { a: 'b' } });
    // What a crash between the data rename and the record rename leaves: new file, old record.
    const replacement = join(storage.root, 'replacement');
    await writeFile(replacement, 'replaced!');
    await rename(replacement, join(storage.root, 'k'));
    const info = await storage.head('k');
    expect(info?.size).toBe(9);
    expect(info?.sha256).toBeUndefined();
    expect(info?.contentType).toBeUndefined();
    expect(info?.metadata).toBeUndefined();
    const listed = [];
    for await (const each of storage.list()) listed.push(each);
    expect(listed[0]?.sha256).toBeUndefined();
  });

  it('keeps the digest when the file is truncated or extended in place', async () => {
    const storage = await newStorage();
    const written = await storage.put('k', 'abcdef');
    const handle = await open(join(storage.root, 'k'), 'r+');
    await handle.truncate(3);
    await handle.close();
    expect((await storage.head('k'))?.sha256).toBe(written.sha256);
    expect((await storage.head('k'))?.size).toBe(3);
    await writeFile(join(storage.root, 'k'), 'abcdefgh', { flag: 'r+' });
    const { info, body } = await storage.get('k');
    expect(info.sha256).toBe(written.sha256);
    expect(sha256Of(await readAll(body))).not.toBe(info.sha256);
  });

  it('keeps the digest when the file is edited in place, so the edit shows as a mismatch', async () => {
    const storage = await newStorage();
    const written = await storage.put('k', 'abcdef');
    const handle = await open(join(storage.root, 'k'), 'r+');
    await handle.write(Buffer.from('X'), 0, 1, 2);
    await handle.close();
    const { info, body } = await storage.get('k');
    const bytes = await readAll(body);
    expect(bytes.toString()).toBe('abXdef');
    expect(info.sha256).toBe(written.sha256);
    expect(sha256Of(bytes)).not.toBe(info.sha256);
  });

  it('ignores a record that does not parse or has an unknown version', async () => {
    const storage = await newStorage();
    await storage.put('torn', 'x');
    await writeFile(join(storage.root, '.cairn-meta', 'torn'), '{"version":1,"ino');
    expect((await storage.head('torn'))?.sha256).toBeUndefined();
    await storage.put('future', 'y');
    const path = join(storage.root, '.cairn-meta', 'future');
    const record = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...record, version: 2 }));
    expect((await storage.head('future'))?.sha256).toBeUndefined();
  });

  it('reports no digest for files put there by hand, and a digest once written through put', async () => {
    const storage = await newStorage();
    await storage.head('open-it');
    await mkdir(join(storage.root, 'hand'));
    await writeFile(join(storage.root, 'hand', 'made'), 'by hand');
    expect((await storage.head('hand/made'))?.sha256).toBeUndefined();
    await storage.put('hand/made', 'by put');
    expect((await storage.head('hand/made'))?.sha256).toBe(sha256Of('by put'));
  });

  it('writes a record over stale records left in the way by a crash', async () => {
    const storage = await newStorage();
    await storage.head('open-it');
    const meta = join(storage.root, '.cairn-meta');
    // A stale record file where a record folder is needed, and a stale folder where a file is.
    await writeFile(join(meta, 'a'), 'stale record of an object "a" long gone');
    await mkdir(join(meta, 'b', 'c'), { recursive: true });
    await writeFile(join(meta, 'b', 'c', 'd'), 'stale');
    const nested = await storage.put('a/x', 'nested');
    const flat = await storage.put('b', 'flat');
    expect((await storage.head('a/x'))?.sha256).toBe(nested.sha256);
    expect((await storage.head('b'))?.sha256).toBe(flat.sha256);
  });

  it('a crash between the record write and the rename leaves the old object with its digest', async () => {
    const storage = await newStorage();
    const old = await storage.put('k', 'old', { contentType: 'text/plain' });
    const path = join(storage.root, '.cairn-meta', 'k');
    const current = JSON.parse(await readFile(path, 'utf8'));
    // What such a crash leaves: the record of a file that never reached the key, naming the
    // replaced file as previous.
    const { version, ...entry } = current;
    const pending = { ...entry, inode: '1', birthtimeNs: '2', size: 3, sha256: sha256Of('new') };
    await writeFile(path, JSON.stringify({ version, ...pending, previous: entry }));
    expect(await storage.head('k')).toEqual(old);
    const listed = [];
    for await (const info of storage.list()) listed.push(info.sha256);
    expect(listed).toEqual([old.sha256]);
    // The next put keeps the real current file as previous, not the file that never arrived.
    await storage.put('k', 'next');
    const after = JSON.parse(await readFile(path, 'utf8'));
    expect(after.previous).toMatchObject({ sha256: old.sha256 });
  });

  it('trusts records written without a previous entry (by earlier versions)', async () => {
    const storage = await newStorage();
    await storage.put('k', 'before');
    const written = await storage.put('k', 'v', { metadata: { a: 'b' } });
    const path = join(storage.root, '.cairn-meta', 'k');
    const { previous, ...single } = JSON.parse(await readFile(path, 'utf8'));
    expect(previous).toBeDefined();
    await writeFile(path, JSON.stringify(single));
    expect(await storage.head('k')).toEqual(written);
  });

  it('a missing record folder costs nothing: the object is still listed and read', async () => {
    const storage = await newStorage();
    await storage.put('deep/path/k', 'v');
    await rm(join(storage.root, '.cairn-meta', 'deep'), { recursive: true });
    const listed = [];
    for await (const info of storage.list()) listed.push(info);
    expect(listed.map((info) => [info.key, info.sha256])).toEqual([['deep/path/k', undefined]]);
  });
});
