import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointKeys } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { bytesAt, flipBit, storeOver, testRun } from '../testing/checkpoints-fixtures.js';
import { mirrorOf } from '../testing/mirrored-storage-support.js';
import { rejection } from '../testing/rejection.js';
import { temporaryProjects } from '../testing/temporary-project.js';

const temporaryDirectory = temporaryProjects('cairn-checkpoints-restore');
const content = Buffer.from('model weights '.repeat(5000));

async function setUp() {
  const storage = createMemoryStorage();
  const fixture = storeOver(storage);
  const record = await fixture.store.save({ run: testRun, step: 'train', body: content });
  const directory = await temporaryDirectory();
  const target = path.join(directory, 'model.bin');
  return { ...fixture, storage, record, directory, target, keys: checkpointKeys(record.id) };
}

describe('restoreToFile', () => {
  it('writes the verified payload to the path and returns the sidecar', async () => {
    const { store, record, target, directory, events } = await setUp();
    const restored = await store.restoreToFile({ step: 'train' }, target);
    expect(restored).toEqual(record);
    expect((await readFile(target)).equals(content)).toBe(true);
    // No temporary file is left beside it.
    expect(await readdir(directory)).toEqual(['model.bin']);
    expect(events.at(-1)).toEqual({
      type: 'checkpoint-loaded',
      step: 'train',
      checkpoint: record.id,
    });
  });

  it('replaces an existing file only with good bytes', async () => {
    const { store, record, target } = await setUp();
    await writeFile(target, 'old version');
    await store.restoreToFile({ id: record.id }, target);
    expect((await readFile(target)).equals(content)).toBe(true);
  });

  it.each([
    ['bit-flipped', (bytes: Buffer) => flipBit(bytes, -1)],
    ['truncated', (bytes: Buffer) => bytes.subarray(0, 100)],
    ['extended', (bytes: Buffer) => Buffer.concat([bytes, Buffer.from('tail')])],
  ])('leaves the path as it was when the payload is %s', async (_name, damage) => {
    const { store, storage, record, target, directory, keys } = await setUp();
    await writeFile(target, 'old version');
    storage.corrupt(keys.payload, damage(await bytesAt(storage, keys.payload)));
    const error = await rejection(store.restoreToFile({ id: record.id }, target));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain(record.id);
    expect(await readFile(target, 'utf8')).toBe('old version');
    expect(await readdir(directory)).toEqual(['model.bin']);
  });

  it('creates no file at all when the payload is bad and the path did not exist', async () => {
    const { store, storage, record, target, directory, keys } = await setUp();
    storage.corrupt(keys.payload, flipBit(await bytesAt(storage, keys.payload), 10));
    await rejection(store.restoreToFile({ id: record.id }, target));
    expect(await readdir(directory)).toEqual([]);
  });

  it('says so when the directory does not exist, and leaves nothing behind', async () => {
    const { store, record, directory } = await setUp();
    const error = await rejection(
      store.restoreToFile({ id: record.id }, path.join(directory, 'missing', 'model.bin')),
    );
    expect(error.code).toBe('PERMANENT_IO');
    expect(error.message).toContain('ENOENT');
    expect(await readdir(directory)).toEqual([]);
  });

  it('stops when aborted and leaves the path as it was', async () => {
    const { store, record, target, directory } = await setUp();
    await writeFile(target, 'old version');
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    const error = await rejection(
      store.restoreToFile({ id: record.id }, target, { signal: controller.signal }),
    );
    expect(error.code).toBe('ABORTED');
    expect(await readFile(target, 'utf8')).toBe('old version');
    expect(await readdir(directory)).toEqual(['model.bin']);
  });

  it('removes its temporary file when aborted while writing', async () => {
    const memory = createMemoryStorage();
    const record = await storeOver(memory).store.save({
      run: testRun,
      step: 'train',
      body: content,
    });
    const restoring = new AbortController();
    const { store: reader } = storeOver({
      ...memory,
      get: async (key, options) => {
        const result = await memory.get(key, options);
        // Aborted once the payload is open: the temporary file exists by the first chunk.
        if (key.endsWith('/payload')) restoring.abort(new Error('user cancelled'));
        return result;
      },
    });
    const directory = await temporaryDirectory();
    const target = path.join(directory, 'model.bin');
    const error = await rejection(
      reader.restoreToFile({ id: record.id }, target, { signal: restoring.signal }),
    );
    expect(error.code).toBe('ABORTED');
    expect(error.message).toContain('target file was left as it was');
    expect(await readdir(directory)).toEqual([]);
  });

  it('restores from the backup copy of a mirror when the primary is damaged', async () => {
    const { mirror, copies } = mirrorOf(2);
    const { store } = storeOver(mirror);
    const record = await store.save({ run: testRun, step: 'train', body: content });
    const primary = copies[0];
    if (primary === undefined) throw new Error('no primary');
    const { payload } = checkpointKeys(record.id);
    primary.corrupt(payload, flipBit(await bytesAt(primary, payload), 0));
    const directory = await temporaryDirectory();
    await mkdir(path.join(directory, 'out'));
    const target = path.join(directory, 'out', 'model.bin');
    await store.restoreToFile({ id: record.id }, target);
    expect((await readFile(target)).equals(content)).toBe(true);
    expect((await bytesAt(primary, payload)).equals(content)).toBe(true);
  });

  it('refuses an empty path', async () => {
    const { store, record } = await setUp();
    expect((await rejection(store.restoreToFile({ id: record.id }, ''))).code).toBe(
      'INVALID_OPTIONS',
    );
  });
});
