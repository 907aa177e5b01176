import { readFile, realpath, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAll } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from './index.js';
import { lockPathOf } from './key-lock.js';
import { expectCairnError } from './testing/expect-cairn-error.js';
import { pauseAt } from './testing/pause-step.js';
import { temporaryRoot } from './testing/temporary-root.js';

const nextWriter = JSON.stringify({ pid: process.pid, key: 'k', token: 'next-writer' });

async function fixture() {
  const root = await temporaryRoot();
  const storage = createFsStorage({ root });
  const old = await storage.put('k', 'old', { metadata: { kept: 'yes' } });
  const real = await realpath(root);
  const lockPath = lockPathOf(join(real, '.cairn-tmp', 'locks'), 'k');
  const recordPath = join(real, '.cairn-meta', 'k');
  /** What another process does once this writer stalled too long: breaks the lock, takes it. */
  const takeOverLock = async () => {
    await unlink(lockPath);
    await writeFile(lockPath, nextWriter, { flag: 'wx' });
  };
  return { root, real, storage, old, lockPath, recordPath, takeOverLock };
}

describe('fs storage: a writer whose lock was taken over changes nothing', () => {
  it('a put that lost its lock before writing the record fails with CONFLICT', async () => {
    const { root, storage, old, lockPath, recordPath, takeOverLock } = await fixture();
    const recordBefore = await readFile(recordPath, 'utf8');
    // The put has read the current record under its lock; it stalls there.
    const paused = pauseAt('readFile', 'after', (path) => path === recordPath);
    const writer = createFsStorage({ root }, { fileSystem: paused.fileSystem });
    const putting = expectCairnError(writer.put('k', 'new'), 'CONFLICT');
    await paused.reached;
    await takeOverLock();
    paused.resume();
    const error = await putting;
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('Nothing was changed');
    expect(await storage.head('k')).toEqual(old);
    expect((await readAll((await storage.get('k')).body)).toString()).toBe('old');
    expect(await readFile(recordPath, 'utf8')).toBe(recordBefore);
    expect(await readFile(lockPath, 'utf8')).toBe(nextWriter);
  });

  it('a put that lost its lock between the record and the data fails with CONFLICT, the old object intact', async () => {
    const { root, storage, old, lockPath, recordPath, takeOverLock } = await fixture();
    const paused = pauseAt('rename', 'after', (_from, to) => to === recordPath);
    const writer = createFsStorage({ root }, { fileSystem: paused.fileSystem });
    const putting = expectCairnError(writer.put('k', 'new'), 'CONFLICT');
    await paused.reached;
    await takeOverLock();
    paused.resume();
    await putting;
    expect(await storage.head('k')).toEqual(old);
    expect((await readAll((await storage.get('k')).body)).toString()).toBe('old');
    // Once the lock is someone else's, so is the record: the writer did not put it back,
    // and the replaced file's entry it kept there is what still vouches for "old".
    const record = JSON.parse(await readFile(recordPath, 'utf8'));
    expect(record.previous).toMatchObject({ sha256: old.sha256, metadata: { kept: 'yes' } });
    expect(await readFile(lockPath, 'utf8')).toBe(nextWriter);
  });

  it('a delete that lost its lock fails with CONFLICT and deletes nothing', async () => {
    const { root, real, storage, old, lockPath, takeOverLock } = await fixture();
    const dataPath = join(real, 'k');
    // The first look is before the lock; the second, under it, is where the delete stalls.
    let looks = 0;
    const paused = pauseAt('lstat', 'after', (path) => path === dataPath && ++looks === 2);
    const deleter = createFsStorage({ root }, { fileSystem: paused.fileSystem });
    const deleting = expectCairnError(deleter.delete('k'), 'CONFLICT');
    await paused.reached;
    await takeOverLock();
    paused.resume();
    await deleting;
    expect(await storage.head('k')).toEqual(old);
    expect(await readFile(lockPath, 'utf8')).toBe(nextWriter);
  });
});
