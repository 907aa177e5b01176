import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { type ObjectInfo, readAll, sha256Of } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage, type FsStorage } from './index.js';
import { expectCairnError } from './testing/expect-cairn-error.js';
import { pauseAt } from './testing/pause-step.js';
import { temporaryRoot } from './testing/temporary-root.js';

/** A storage over a fresh root, and the root with its links resolved (as the storage sees it). */
async function fixture() {
  const root = await temporaryRoot();
  const storage = createFsStorage({ root });
  await storage.head('open-it');
  return { root, real: await realpath(root), storage };
}

/** What a reader sees of `key` through head, get (with the bytes) and list. */
async function observe(storage: FsStorage, key: string) {
  const head = await storage.head(key);
  const { info, body } = await storage.get(key);
  const bytes = await readAll(body);
  const listed: ObjectInfo[] = [];
  for await (const each of storage.list({ prefix: key })) listed.push(each);
  return { head, info, text: bytes.toString(), digestOfBytes: sha256Of(bytes), listed };
}

describe('fs storage: a reader never sees a committed object without its digest', () => {
  it('right after a put placed its file, before it returned: the new bytes with their digest', async () => {
    const { root, real, storage } = await fixture();
    await storage.put('k', 'old');
    const paused = pauseAt('rename', 'after', (_from, to) => to === join(real, 'k'));
    const writer = createFsStorage({ root }, { fileSystem: paused.fileSystem });
    const putting = writer.put('k', 'new');
    await paused.reached;

    const seen = await observe(storage, 'k');
    expect(seen.text).toBe('new');
    expect(seen.info.sha256).toBe(sha256Of('new'));
    expect(seen.info.sha256).toBe(seen.digestOfBytes);
    expect(seen.head).toEqual(seen.info);
    expect(seen.listed.map((info) => info.sha256)).toEqual([sha256Of('new')]);

    paused.resume();
    const written = await putting;
    expect(written).toEqual(seen.info);
  });

  it('after the record is written but before the file is placed: the old bytes with their digest', async () => {
    const { root, real, storage } = await fixture();
    const old = await storage.put('k', 'old', { contentType: 'text/plain', metadata: { a: 'b' } });
    const paused = pauseAt('rename', 'before', (_from, to) => to === join(real, 'k'));
    const writer = createFsStorage({ root }, { fileSystem: paused.fileSystem });
    const putting = writer.put('k', 'new');
    await paused.reached;

    const seen = await observe(storage, 'k');
    expect(seen.text).toBe('old');
    expect(seen.head).toEqual(old);
    expect(seen.info).toEqual(old);
    expect(seen.listed.map((info) => info.sha256)).toEqual([old.sha256]);

    paused.resume();
    await putting;
    expect((await storage.head('k'))?.sha256).toBe(sha256Of('new'));
  });

  it('a head that found a file replaced twice before it read the record looks again', async () => {
    const { root, real, storage } = await fixture();
    await storage.put('k', 'first');
    const recordPath = join(real, '.cairn-meta', 'k');
    const paused = pauseAt('readFile', 'before', (path) => path === recordPath);
    const reader = createFsStorage({ root }, { fileSystem: paused.fileSystem });
    const heading = reader.head('k');
    // The reader has found the file of "first" and is about to read its record.
    await paused.reached;
    await storage.put('k', 'second');
    const third = await storage.put('k', 'third');
    paused.resume();
    expect(await heading).toEqual(third);
  });

  it('a get that opened a file replaced twice before it read the record opens the key again', async () => {
    const { root, real, storage } = await fixture();
    await storage.put('k', 'first');
    const recordPath = join(real, '.cairn-meta', 'k');
    const paused = pauseAt('readFile', 'before', (path) => path === recordPath);
    const reader = createFsStorage({ root }, { fileSystem: paused.fileSystem });
    const getting = reader.get('k');
    await paused.reached;
    await storage.put('k', 'second');
    const third = await storage.put('k', 'third');
    paused.resume();
    const { info, body } = await getting;
    const bytes = await readAll(body);
    expect(bytes.toString()).toBe('third');
    expect(info).toEqual(third);
    expect(info.sha256).toBe(sha256Of(bytes));
  });

  it('between the two steps of a delete, the object is gone rather than left without its digest', async () => {
    const { root, real, storage } = await fixture();
    await storage.put('runs/k', 'doomed');
    const dataPath = join(real, 'runs', 'k');
    const recordPath = join(real, '.cairn-meta', 'runs', 'k');
    // Whichever of the file and its record goes first, stop right after it.
    const paused = pauseAt('unlink', 'after', (path) => path === dataPath || path === recordPath);
    const deleter = createFsStorage({ root }, { fileSystem: paused.fileSystem });
    const deleting = deleter.delete('runs/k');
    await paused.reached;

    expect(await storage.head('runs/k')).toBeUndefined();
    await expectCairnError(storage.get('runs/k'), 'NOT_FOUND');
    const listed: string[] = [];
    for await (const info of storage.list()) listed.push(info.key);
    expect(listed).toEqual([]);

    paused.resume();
    await deleting;
    expect(await storage.head('runs/k')).toBeUndefined();
  });

  it('keeps the replaced file in the record, so readers of it find its digest until it is gone', async () => {
    const { real, storage } = await fixture();
    const first = await storage.put('k', 'first', { metadata: { step: '1' } });
    const second = await storage.put('k', 'second');
    const { readFile } = await import('node:fs/promises');
    const record = JSON.parse(await readFile(join(real, '.cairn-meta', 'k'), 'utf8'));
    expect(record).toMatchObject({
      version: 1,
      sha256: second.sha256,
      previous: { sha256: first.sha256, metadata: { step: '1' } },
    });
    // One generation only: the put after drops "first".
    const third = await storage.put('k', 'third');
    const after = JSON.parse(await readFile(join(real, '.cairn-meta', 'k'), 'utf8'));
    expect(after).toMatchObject({ sha256: third.sha256, previous: { sha256: second.sha256 } });
    expect(JSON.stringify(after)).not.toContain(first.sha256 as string);
  });
});
