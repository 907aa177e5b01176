import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import { refusingPuts, text, withoutDigests } from '../testing/mirrored-storage-support.js';
import { rejection } from '../testing/rejection.js';
import { readAll, sha256Of } from './body.js';
import { createMemoryStorage, type MemoryStorage } from './memory-storage.js';
import { createMirroredStorage } from './mirrored-storage.js';
import { digestMetadataKey, primaryEtagMetadataKey } from './mirrored-storage-digest.js';
import type { MirrorEvent } from './mirrored-storage-events.js';
import type { PutOptions, Storage, StorageBody } from './storage.js';

/** A stream of `count` chunks of `chunkSize` bytes that counts how many it has produced. */
function countingStream(count: number, chunkSize: number) {
  const state = { produced: 0 };
  const stream = new Readable({
    read() {
      if (state.produced === count) {
        this.push(null);
        return;
      }
      state.produced += 1;
      this.push(Buffer.alloc(chunkSize, state.produced % 256));
    },
  });
  return { stream, state };
}

/**
 * A backend that reads the whole body before storing it, as a network backend does; unlike the
 * memory backend, it sees an error on the body stream.
 */
function consumingStorage(memory: MemoryStorage): Storage {
  return {
    ...memory,
    put: async (key: string, body: StorageBody, options?: PutOptions) => {
      const bytes = await readAll(body as Readable);
      return memory.put(key, bytes, options);
    },
  };
}

describe('mirrored puts', () => {
  it('streams one body to every copy, moving at the pace of the slowest', async () => {
    const primary = createMemoryStorage();
    const backupMemory = createMemoryStorage();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: Storage = {
      ...backupMemory,
      put: async (key, body, options) => {
        await gate;
        return backupMemory.put(key, body, options);
      },
    };
    const mirror = createMirroredStorage({ copies: [primary, slow] });
    const chunks = 1000;
    const { stream, state } = countingStream(chunks, 16 * 1024);
    const writing = mirror.put('big', stream);
    for (let turn = 0; turn < 50; turn++) await nextTurn();
    // The backup has not read a byte, so the source may only fill the stream buffers.
    expect(state.produced).toBeLessThan(10);
    release();
    const info = await writing;
    expect(state.produced).toBe(chunks);
    expect(info.size).toBe(chunks * 16 * 1024);
    const primaryBytes = await readAll((await primary.get('big')).body);
    expect(sha256Of(primaryBytes)).toBe(info.sha256);
    expect((await backupMemory.head('big'))?.sha256).toBe(info.sha256);
  });

  it('rejects with the error of a copy that fails, and reports it', async () => {
    const failure = new CairnError({ code: 'TRANSIENT_IO', backend: 's3', message: 'Slow down.' });
    const primary = createMemoryStorage();
    const events: MirrorEvent[] = [];
    const mirror = createMirroredStorage({
      copies: [primary, refusingPuts(createMemoryStorage(), failure)],
      onEvent: (event) => events.push(event),
    });
    const { stream } = countingStream(64, 1024);
    // Restated under the mirror's name, as the contract asks, with the copy's error as cause.
    const error = await rejection(mirror.put('a', stream));
    expect(error.code).toBe('TRANSIENT_IO');
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(failure);
    expect(error.message).toBe('[cairn] [mirror] copy 1 (memory): Slow down.');
    expect(error.details).toMatchObject({ copy: 1, copyName: 'memory' });
    expect(events).toEqual([
      { type: 'copy-write-failed', key: 'a', copy: 1, copyName: 'memory', error: failure },
    ]);
    // Left on the copy that took it: a failed put's outcome is unknown, reads repair, and
    // deleting it would have destroyed the previous version of an overwrite.
    expect((await primary.head('a'))?.size).toBe(64 * 1024);
  });

  it('rejects with the first copy error when every copy fails', async () => {
    const first = new CairnError({ code: 'PERMANENT_IO', backend: 'fs', message: 'Read-only.' });
    const second = new CairnError({ code: 'TRANSIENT_IO', backend: 's3', message: 'Reset.' });
    const mirror = createMirroredStorage({
      copies: [
        refusingPuts(createMemoryStorage(), first),
        refusingPuts(createMemoryStorage(), second),
      ],
    });
    const error = await rejection(mirror.put('a', countingStream(8, 1024).stream));
    expect(error.cause).toBe(first);
    expect(error.code).toBe('PERMANENT_IO');
    expect(error.retryable).toBe(false);
  });

  it('fails without storing anything when the body stream fails', async () => {
    const memories = [createMemoryStorage(), createMemoryStorage()];
    const mirror = createMirroredStorage({ copies: memories.map(consumingStorage) });
    const body = new Readable({ read() {} });
    body.push(Buffer.from('partial '));
    const writing = mirror.put('a', body);
    await nextTurn();
    body.destroy(new Error('upstream connection lost'));
    const error = await rejection(writing);
    expect(error.code).toBe('TRANSIENT_IO');
    expect(error.message).toContain('Reading the body for "a" failed');
    expect((error.cause as Error).message).toBe('upstream connection lost');
    for (const memory of memories) expect(await memory.head('a')).toBeUndefined();
  });

  it('refuses a body whose digest differs from expectedSha256 on every copy', async () => {
    const copies = [createMemoryStorage(), createMemoryStorage()];
    const mirror = createMirroredStorage({ copies });
    const error = await rejection(
      mirror.put('a', 'actual', { expectedSha256: sha256Of('something else') }),
    );
    expect(error.code).toBe('CORRUPT_DATA');
    for (const copy of copies) expect(await copy.head('a')).toBeUndefined();
  });

  it('records its own digest over a caller-supplied cairn-sha256 entry', async () => {
    const copies = [createMemoryStorage(), createMemoryStorage()];
    const mirror = createMirroredStorage({ copies });
    const forged = sha256Of('forged');
    await mirror.put('a', 'real', { metadata: { [digestMetadataKey]: forged, kept: 'yes' } });
    for (const copy of copies) {
      expect((await copy.head('a'))?.metadata).toEqual({
        kept: 'yes',
        [digestMetadataKey]: sha256Of('real'),
      });
    }
  });

  it('writes the primary first when a copy keeps no digest, so the backup records it', async () => {
    const primaryMemory = createMemoryStorage();
    const backupMemory = createMemoryStorage();
    const mirror = createMirroredStorage({
      copies: [withoutDigests(primaryMemory), withoutDigests(backupMemory)],
    });
    const info = await mirror.put('a', Readable.from([Buffer.from('str'), Buffer.from('eam')]));
    expect(info.sha256).toBe(sha256Of('stream'));
    // The primary got the stream before its digest was known; the backup was written after.
    expect((await primaryMemory.head('a'))?.metadata).toBeUndefined();
    // It also records which primary version it copies.
    expect((await backupMemory.head('a'))?.metadata).toEqual({
      [digestMetadataKey]: sha256Of('stream'),
      [primaryEtagMetadataKey]: (await primaryMemory.head('a'))?.etag,
    });
    primaryMemory.corrupt('a', 'rotten');
    expect(await text(mirror, 'a')).toBe('stream');
  });
});
