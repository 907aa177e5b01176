import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readAll, sha256Of } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from './index.js';
import { expectCairnError } from './testing/expect-cairn-error.js';
import { type Faults, faultyFileSystem } from './testing/faulty-file-system.js';
import { filesBelow, temporaryRoot } from './testing/temporary-root.js';

/** A healthy storage and a faulty one over the same root. */
async function storages(faults: Faults) {
  const root = await temporaryRoot();
  return {
    healthy: createFsStorage({ root }),
    faulty: createFsStorage({ root }, { fileSystem: faultyFileSystem(faults) }),
  };
}

function megabytes(count: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      this.push(sent++ < count ? Buffer.alloc(1024 * 1024, sent) : null);
    },
  });
}

describe('fs storage: injected disk failures', () => {
  it('a full disk mid-write: PERMANENT_IO saying to free space, old content kept, no temporary file', async () => {
    const { healthy, faulty } = await storages({
      writeFailsAfterBytes: { bytes: 3 * 1024 * 1024, code: 'ENOSPC' },
    });
    await healthy.put('model.bin', 'the previous checkpoint');
    const error = await expectCairnError(faulty.put('model.bin', megabytes(8)), 'PERMANENT_IO');
    expect(error.message).toContain('"model.bin"');
    expect(error.message).toContain('is full');
    expect(error.message).toContain('Free disk space');
    expect(error.retryable).toBe(false);
    expect(error.details).toMatchObject({ key: 'model.bin', systemCode: 'ENOSPC' });
    expect((await readAll((await healthy.get('model.bin')).body)).toString()).toBe(
      'the previous checkpoint',
    );
    expect(await filesBelow(healthy.root)).toEqual(['.cairn-meta/model.bin', 'model.bin']);
  });

  it('a full disk on a new key leaves nothing visible, not even its folder', async () => {
    const { healthy, faulty } = await storages({
      writeFailsAfterBytes: { bytes: 0, code: 'ENOSPC' },
    });
    await expectCairnError(faulty.put('runs/new/item', 'data'), 'PERMANENT_IO');
    expect(await healthy.head('runs/new/item')).toBeUndefined();
    expect(await filesBelow(healthy.root)).toEqual([]);
    const page = await healthy.listPage({ delimiter: '/' });
    expect(page).toEqual({ objects: [], prefixes: [] });
  });

  it('a quota exceeded and a read-only file system are permanent and say what to do', async () => {
    for (const [code, words] of [
      ['EDQUOT', 'quota'],
      ['EROFS', 'read-only'],
    ] as const) {
      const { faulty } = await storages({ writeFailsAfterBytes: { bytes: 0, code } });
      const error = await expectCairnError(faulty.put('k', 'v'), 'PERMANENT_IO');
      expect(error.message).toContain(words);
    }
  });

  it('permission denied at the commit: PERMANENT_IO naming the path to check', async () => {
    // Only the rename that places the data: the record's rename goes before it and works.
    const { healthy, faulty } = await storages({
      calls: { rename: { code: 'EACCES', when: (_from, to) => !to.includes('.cairn-meta') } },
    });
    const error = await expectCairnError(faulty.put('k', 'v'), 'PERMANENT_IO');
    expect(error.message).toContain('permission denied');
    expect(error.message).toContain(`Check the permissions of ${join(healthy.root, 'k')}`);
    expect(await healthy.head('k')).toBeUndefined();
    expect(await filesBelow(healthy.root)).toEqual([]);
  });

  it('too many open files is TRANSIENT_IO and retryable', async () => {
    const { faulty } = await storages({
      calls: { open: { code: 'EMFILE', when: (path) => path.includes('.cairn-tmp') } },
    });
    const error = await expectCairnError(faulty.put('k', 'v'), 'TRANSIENT_IO');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('ulimit');
  });

  it('a failing metadata record write commits nothing: the previous object keeps its bytes and digest', async () => {
    const { healthy, faulty } = await storages({
      calls: { rename: { code: 'ENOSPC', when: (_from, to) => to.includes('.cairn-meta') } },
    });
    const error = await expectCairnError(faulty.put('k', 'v'), 'PERMANENT_IO');
    expect(error.message).toContain('metadata record of "k"');
    expect(error.message).toContain('is full');
    expect(error.details.committed).toBeUndefined();
    // The record goes before the data, so a put whose record failed placed no data.
    expect(await healthy.head('k')).toBeUndefined();
    expect(await filesBelow(healthy.root)).toEqual([]);
    const previous = await healthy.put('k', 'previous');
    await expectCairnError(faulty.put('k', 'replacement'), 'PERMANENT_IO');
    expect(await healthy.head('k')).toEqual(previous);
    expect(previous.sha256).toBe(sha256Of('previous'));
    expect((await readAll((await healthy.get('k')).body)).toString()).toBe('previous');
    expect(await filesBelow(healthy.root)).toEqual(['.cairn-meta/k', 'k']);
  });

  it('a commit that fails after the record was written puts the record back as it was', async () => {
    const { healthy, faulty } = await storages({
      calls: { rename: { code: 'EACCES', when: (_from, to) => !to.includes('.cairn-meta') } },
    });
    const previous = await healthy.put('k', 'previous', { contentType: 'text/plain' });
    const recordPath = join(healthy.root, '.cairn-meta', 'k');
    const recordBefore = JSON.parse(await readFile(recordPath, 'utf8'));
    await expectCairnError(faulty.put('k', 'replacement'), 'PERMANENT_IO');
    expect(await healthy.head('k')).toEqual(previous);
    expect(JSON.parse(await readFile(recordPath, 'utf8'))).toEqual(recordBefore);
  });

  it('permission denied at the record write: nothing committed, the record path named', async () => {
    const { healthy, faulty } = await storages({
      calls: { rename: { code: 'EACCES', when: (_from, to) => to.includes('.cairn-meta') } },
    });
    const error = await expectCairnError(faulty.put('runs/k', 'v'), 'PERMANENT_IO');
    expect(error.message).toContain(
      `Check the permissions of ${join(healthy.root, '.cairn-meta', 'runs', 'k')}`,
    );
    expect(await healthy.head('runs/k')).toBeUndefined();
    expect(await filesBelow(healthy.root)).toEqual([]);
  });

  it('a failing flush after the data is in place says the put is committed', async () => {
    const root = await temporaryRoot();
    const healthy = createFsStorage({ root });
    // Fails the flush of the data folder, the last step, after the rename placed the file.
    const faulty = createFsStorage(
      { root },
      {
        fileSystem: faultyFileSystem({
          calls: {
            open: {
              code: 'EIO',
              when: (path, flags) =>
                flags === 'r' && path.endsWith('/runs') && !path.includes('.cairn-meta'),
            },
          },
        }),
      },
    );
    const error = await expectCairnError(
      faulty.put('runs/k', 'stored', { ifNoneMatch: '*' }),
      'TRANSIENT_IO',
    );
    expect(error.details).toMatchObject({ key: 'runs/k', committed: true, systemCode: 'EIO' });
    expect(error.message).toContain('the put is committed');
    expect(error.message).toContain('ifNoneMatch');
    // It is there, with its digest; a retried create-only put now fails, as the message says.
    const info = await healthy.head('runs/k');
    expect(info?.sha256).toBe(sha256Of('stored'));
    expect((await readAll((await healthy.get('runs/k')).body)).toString()).toBe('stored');
    await expectCairnError(
      healthy.put('runs/k', 'stored', { ifNoneMatch: '*' }),
      'PRECONDITION_FAILED',
    );
  });

  it('a read error mid-stream arrives as a CairnError on the body', async () => {
    const { healthy, faulty } = await storages({ readFails: { code: 'EIO' } });
    await healthy.put('k', 'content');
    const { body } = await faulty.get('k');
    const error = await expectCairnError(readAll(body), 'TRANSIENT_IO');
    expect(error.message).toContain('I/O error');
  });

  it('a failing open of the storage is retried on the next call', async () => {
    const root = await temporaryRoot();
    let failures = 1;
    const base = faultyFileSystem({});
    const realpath = (async (path: string) => {
      if (failures-- > 0) throw Object.assign(new Error('busy'), { code: 'EBUSY' });
      return base.realpath(path);
    }) as typeof base.realpath;
    const storage = createFsStorage({ root }, { fileSystem: { ...base, realpath } });
    await expectCairnError(storage.head('k'), 'TRANSIENT_IO');
    await storage.put('k', 'v');
    expect(await readFile(join(root, 'k'), 'utf8')).toBe('v');
  });
});
