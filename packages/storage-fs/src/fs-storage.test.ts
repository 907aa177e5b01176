import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CairnError, type PutOptions, readAll, sha256Of } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage, type FsStorage, nodeFileSystem } from './index.js';
import { expectCairnError } from './testing/expect-cairn-error.js';
import { filesBelow, foldersBelow, temporaryRoot } from './testing/temporary-root.js';

async function newStorage(): Promise<FsStorage> {
  return createFsStorage({ root: await temporaryRoot() });
}

async function text(storage: FsStorage, key: string): Promise<string> {
  const { body } = await storage.get(key);
  return (await readAll(body)).toString('utf8');
}

describe('fs storage: files on disk', () => {
  it('stores each object as a plain file at <root>/<key>, with its record under .cairn-meta', async () => {
    const storage = await newStorage();
    const info = await storage.put('runs/r1/result.json', '{"score":0.93}', {
      contentType: 'application/json',
      metadata: { epoch: '3' },
    });
    expect(await readFile(join(storage.root, 'runs/r1/result.json'), 'utf8')).toBe(
      '{"score":0.93}',
    );
    const record = JSON.parse(
      await readFile(join(storage.root, '.cairn-meta/runs/r1/result.json'), 'utf8'),
    );
    expect(record).toMatchObject({
      version: 1,
      size: 14,
      sha256: sha256Of('{"score":0.93}'),
      contentType: 'application/json',
      metadata: { epoch: '3' },
    });
    expect(record.inode).toBe(
      (await stat(join(storage.root, 'runs/r1/result.json'))).ino.toString(),
    );
    expect(info).toMatchObject({ key: 'runs/r1/result.json', size: 14, sha256: record.sha256 });
    // Nothing else: no temporary file, no lock left behind.
    expect(await filesBelow(storage.root)).toEqual([
      '.cairn-meta/runs/r1/result.json',
      'runs/r1/result.json',
    ]);
  });

  it('creates the root when it is missing and opens lazily', async () => {
    const parent = await temporaryRoot();
    const root = join(parent, 'not', 'yet');
    const storage = createFsStorage({ root });
    await expect(stat(root)).rejects.toThrow();
    expect(await storage.head('anything')).toBeUndefined();
    expect((await stat(root)).isDirectory()).toBe(true);
  });

  it('refuses a root that is a file with PERMANENT_IO, and works once it is fixed', async () => {
    const parent = await temporaryRoot();
    const root = join(parent, 'root');
    await writeFile(root, 'not a folder');
    const storage = createFsStorage({ root });
    const error = await expectCairnError(storage.put('a', 'x'), 'PERMANENT_IO');
    expect(error.message).toContain('is not a folder');
    const { mkdir } = await import('node:fs/promises');
    await rm(root);
    await mkdir(root);
    await storage.put('a', 'x');
    expect(await text(storage, 'a')).toBe('x');
  });
});

describe('fs storage: put, get, head', () => {
  it('round trips every body type', async () => {
    const storage = await newStorage();
    const bodies = {
      string: 'héllo ✓',
      bytes: new Uint8Array([0, 1, 2, 255]),
      readable: Readable.from([Buffer.from('one '), Buffer.from('two')]),
      web: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('web stream'));
          controller.close();
        },
      }),
      iterable: (async function* () {
        yield new TextEncoder().encode('async ');
        yield new TextEncoder().encode('iterable');
      })(),
    };
    const expected = {
      string: Buffer.from('héllo ✓'),
      bytes: Buffer.from([0, 1, 2, 255]),
      readable: Buffer.from('one two'),
      web: Buffer.from('web stream'),
      iterable: Buffer.from('async iterable'),
    };
    for (const [name, body] of Object.entries(bodies)) {
      const info = await storage.put(`bodies/${name}`, body);
      const { info: read, body: stream } = await storage.get(`bodies/${name}`);
      const bytes = await readAll(stream);
      const wanted = expected[name as keyof typeof expected];
      expect(bytes.equals(wanted), name).toBe(true);
      expect(info.sha256).toBe(sha256Of(wanted));
      expect(read).toEqual(info);
      expect(await storage.head(`bodies/${name}`)).toEqual(info);
    }
  });

  it('changes the etag on every put, even of identical bytes, and keeps lastModified current', async () => {
    const storage = await newStorage();
    const before = Date.now();
    const etags = new Set<string>();
    for (let round = 0; round < 20; round++) etags.add((await storage.put('same', 'same')).etag);
    expect(etags.size).toBe(20);
    const info = await storage.head('same');
    expect(info?.lastModified.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(info?.etag.startsWith('"') && info.etag.endsWith('"')).toBe(true);
  });

  it('get and head of a missing key: NOT_FOUND and undefined, also below a missing folder or a file', async () => {
    const storage = await newStorage();
    await storage.put('file', 'x');
    for (const key of ['missing', 'no/such/folder', 'file/below']) {
      const error = await expectCairnError(storage.get(key), 'NOT_FOUND');
      expect(error.message).toContain(`"${key}"`);
      expect(await storage.head(key)).toBeUndefined();
    }
  });

  it('reads ranges, clamps an end past the object and gives nothing for a start past it', async () => {
    const storage = await newStorage();
    await storage.put('digits', '0123456789');
    const read = async (range: { start: number; end?: number }) =>
      (await readAll((await storage.get('digits', { range })).body)).toString();
    expect(await read({ start: 2, end: 4 })).toBe('234');
    expect(await read({ start: 7 })).toBe('789');
    expect(await read({ start: 8, end: 100 })).toBe('89');
    expect(await read({ start: 10 })).toBe('');
    await storage.put('empty', '');
    expect((await readAll((await storage.get('empty')).body)).length).toBe(0);
  });

  it('refuses malformed ranges with INVALID_OPTIONS', async () => {
    const storage = await newStorage();
    await storage.put('digits', '0123456789');
    for (const range of [{ start: -1 }, { start: 5, end: 4 }, { start: 1.5 }]) {
      await expectCairnError(storage.get('digits', { range }), 'INVALID_OPTIONS');
    }
  });

  it('keeps streaming the bytes it opened while the key is replaced', async () => {
    const storage = await newStorage();
    const old = Buffer.alloc(1024 * 1024, 'o');
    await storage.put('big', old);
    const reading = await storage.get('big');
    const replaced = await storage.put('big', 'new');
    const bytes = await readAll(reading.body);
    expect(bytes.equals(old)).toBe(true);
    expect(reading.info.size).toBe(old.length);
    expect(reading.info.etag).not.toBe(replaced.etag);
    expect(await text(storage, 'big')).toBe('new');
  });

  it('aborts a read: the body fails with ABORTED', async () => {
    const storage = await newStorage();
    await storage.put('big', Buffer.alloc(4 * 1024 * 1024, 1));
    const controller = new AbortController();
    const { body } = await storage.get('big', { signal: controller.signal });
    const chunks: Buffer[] = [];
    const failure = (async () => {
      for await (const chunk of body) {
        chunks.push(chunk as Buffer);
        controller.abort(new Error('enough'));
      }
    })();
    await expectCairnError(failure, 'ABORTED');
    expect(chunks.length).toBeGreaterThan(0);
    controller.abort();
    await expectCairnError(storage.get('big', { signal: controller.signal }), 'ABORTED');
  });

  it('validates put options before reading the body', async () => {
    const storage = await newStorage();
    const cases: PutOptions[] = [
      { metadata: { Epoch: '1' } },
      { metadata: { epoch: 1 as unknown as string } },
      { metadata: { big: 'x'.repeat(9000) } },
      { expectedSha256: 'abc' },
      { ifNoneMatch: 'yes' as '*' },
    ];
    for (const options of cases) {
      const error = await expectCairnError(storage.put('k', 'v', options), 'INVALID_OPTIONS');
      expect(error.message).toContain('"k"');
    }
    expect(await storage.head('k')).toBeUndefined();
  });

  it('accepts expectedSha256 in either case', async () => {
    const storage = await newStorage();
    const info = await storage.put('k', 'v', { expectedSha256: sha256Of('v').toUpperCase() });
    expect(info.sha256).toBe(sha256Of('v'));
  });
});

describe('fs storage: failed and conditional writes leave nothing behind', () => {
  it('an expectedSha256 mismatch stores nothing and leaves no temporary file or folder', async () => {
    const storage = await newStorage();
    const error = await expectCairnError(
      storage.put('deep/new/key', 'content', { expectedSha256: sha256Of('other') }),
      'CORRUPT_DATA',
    );
    expect(error.message).toContain(sha256Of('content'));
    expect(await filesBelow(storage.root)).toEqual([]);
    expect(await foldersBelow(storage.root)).toEqual([
      '.cairn-meta',
      '.cairn-tmp',
      '.cairn-tmp/locks',
    ]);
  });

  it('an aborted put removes its temporary file and keeps the old content', async () => {
    const storage = await newStorage();
    await storage.put('key', 'old');
    const controller = new AbortController();
    const body = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024, 7));
        controller.abort(new Error('stop'));
      },
    });
    await expectCairnError(storage.put('key', body, { signal: controller.signal }), 'ABORTED');
    expect(await text(storage, 'key')).toBe('old');
    expect(await filesBelow(storage.root)).toEqual(['.cairn-meta/key', 'key']);
  });

  it('a failing body is reported as TRANSIENT_IO; a CairnError from the body passes through', async () => {
    const storage = await newStorage();
    const broken = (async function* () {
      yield Buffer.from('half');
      throw new Error('source broke');
    })();
    const error = await expectCairnError(storage.put('key', broken), 'TRANSIENT_IO');
    expect(error.message).toContain('Reading the body for "key" failed');
    const upstream = new CairnError({
      code: 'CORRUPT_DATA',
      backend: 'mirror',
      message: 'bad copy',
    });
    const corrupt = (async function* () {
      yield Buffer.from('half');
      throw upstream;
    })();
    await expect(storage.put('key', corrupt)).rejects.toBe(upstream);
    expect(await filesBelow(storage.root)).toEqual([]);
  });

  it('ifNoneMatch and ifMatch decide under the lock and leave no lock file behind', async () => {
    const storage = await newStorage();
    const created = await storage.put('pointer', 'v1', { ifNoneMatch: '*' });
    await expectCairnError(
      storage.put('pointer', 'v0', { ifNoneMatch: '*' }),
      'PRECONDITION_FAILED',
    );
    const updated = await storage.put('pointer', 'v2', { ifMatch: created.etag });
    const stale = await expectCairnError(
      storage.put('pointer', 'v3', { ifMatch: created.etag }),
      'PRECONDITION_FAILED',
    );
    expect(stale.message).toContain(updated.etag);
    await expectCairnError(
      storage.put('absent', 'x', { ifMatch: created.etag }),
      'PRECONDITION_FAILED',
    );
    expect(await text(storage, 'pointer')).toBe('v2');
    expect(await filesBelow(storage.root)).toEqual(['.cairn-meta/pointer', 'pointer']);
  });
});

describe('fs storage: delete', () => {
  it('removes the file, its record and folders left empty, and keeps folders still in use', async () => {
    const storage = await newStorage();
    await storage.put('runs/a/one', '1');
    await storage.put('runs/a/two', '2');
    await storage.put('runs/b/three', '3');
    await storage.delete('runs/a/one');
    expect(await foldersBelow(storage.root)).toContain('runs/a');
    await storage.delete('runs/a/two');
    expect(await foldersBelow(storage.root)).not.toContain('runs/a');
    expect(await foldersBelow(storage.root)).not.toContain('.cairn-meta/runs/a');
    expect(await filesBelow(storage.root)).toEqual(['.cairn-meta/runs/b/three', 'runs/b/three']);
    await storage.delete('runs/b/three');
    expect(await foldersBelow(storage.root)).toEqual([
      '.cairn-meta',
      '.cairn-tmp',
      '.cairn-tmp/locks',
    ]);
  });

  it('deleting a missing key, or a key that is only a folder, succeeds and changes nothing', async () => {
    const storage = await newStorage();
    await storage.put('folder/child', 'kept');
    await storage.delete('missing');
    await storage.delete('folder');
    await storage.delete('folder/child/deeper');
    expect(await text(storage, 'folder/child')).toBe('kept');
  });

  it('honours an aborted signal before deleting', async () => {
    const storage = await newStorage();
    await storage.put('kept', 'x');
    const controller = new AbortController();
    controller.abort();
    await expectCairnError(storage.delete('kept', { signal: controller.signal }), 'ABORTED');
    expect(await text(storage, 'kept')).toBe('x');
  });
});

describe('fs storage: fsync', () => {
  /** A file system that counts flushes of files and folders. */
  function countingFlushes() {
    const flushed: string[] = [];
    const fileSystem = {
      ...nodeFileSystem,
      open: (async (...parameters: Parameters<typeof nodeFileSystem.open>) => {
        const handle = await nodeFileSystem.open(...parameters);
        const sync = handle.sync.bind(handle);
        handle.sync = async () => {
          flushed.push(String(parameters[0]));
          await sync();
        };
        return handle;
      }) as typeof nodeFileSystem.open,
    };
    return { flushed, fileSystem };
  }

  it('flushes the data file, its new folders, the record and its folder before put returns', async () => {
    const root = await temporaryRoot();
    const { flushed, fileSystem } = countingFlushes();
    const storage = createFsStorage({ root }, { fileSystem });
    await storage.put('new/folder/key', 'durable');
    const real = storage.root;
    const temporary = flushed.filter((path) => path.includes('.cairn-tmp'));
    expect(temporary).toHaveLength(2);
    expect(flushed.filter((path) => !path.includes('.cairn-tmp')).sort()).toEqual(
      [
        join(real, 'new', 'folder'),
        join(real, 'new'),
        real,
        join(real, '.cairn-meta', 'new', 'folder'),
        join(real, '.cairn-meta', 'new'),
        join(real, '.cairn-meta'),
      ].sort(),
    );
    flushed.length = 0;
    await storage.delete('new/folder/key');
    expect(flushed).toEqual([join(real, 'new', 'folder')]);
  });

  it('with fsync off, nothing is flushed and everything still works', async () => {
    const { flushed, fileSystem } = countingFlushes();
    const storage = createFsStorage({ root: await temporaryRoot(), fsync: false }, { fileSystem });
    await storage.put('a/b', 'fast');
    expect(await text(storage, 'a/b')).toBe('fast');
    await storage.delete('a/b');
    expect(flushed).toEqual([]);
  });
});

describe('fs storage: its own folders removed while in use', () => {
  it('recreates .cairn-tmp and .cairn-meta when someone deletes them', async () => {
    const storage = await newStorage();
    await storage.put('before', '1');
    await rm(join(storage.root, '.cairn-tmp'), { recursive: true });
    await rm(join(storage.root, '.cairn-meta'), { recursive: true });
    // A top-level key: the temporary file is the first thing written, before any lock.
    const info = await storage.put('after', '2', { ifNoneMatch: '*' });
    expect(await storage.head('after')).toEqual(info);
    expect(info.sha256).toBe(sha256Of('2'));
    await rm(join(storage.root, '.cairn-meta'), { recursive: true });
    const nested = await storage.put('after-folder/deep', '3');
    expect((await storage.head('after-folder/deep'))?.sha256).toBe(nested.sha256);
    expect(await text(storage, 'before')).toBe('1');
  });
});
