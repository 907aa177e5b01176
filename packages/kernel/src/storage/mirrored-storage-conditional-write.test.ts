import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { createGate, type Gate, refusingPuts, text } from '../testing/mirrored-storage-support.js';
import { rejection } from '../testing/rejection.js';
import { sha256Of } from './body.js';
import { createMemoryStorage, type MemoryStorage } from './memory-storage.js';
import { createMirroredStorage } from './mirrored-storage.js';
import { digestMetadataKey, primaryEtagMetadataKey } from './mirrored-storage-digest.js';
import type { MirrorEvent } from './mirrored-storage-events.js';
import type { PutOptions, Storage } from './storage.js';

describe('mirrored conditional puts', () => {
  it('lets exactly one of ten racing creates win, and the backup holds the winner', async () => {
    const [primary, backup] = [createMemoryStorage(), createMemoryStorage()];
    const mirror = createMirroredStorage({ copies: [primary, backup] });
    const attempts = Array.from({ length: 10 }, (_, writer) =>
      mirror.put('versions/v1', Readable.from([Buffer.from(`writer ${writer}`)]), {
        ifNoneMatch: '*',
      }),
    );
    const results = await Promise.allSettled(attempts);
    const winners = results.flatMap((result, writer) =>
      result.status === 'fulfilled' ? [writer] : [],
    );
    expect(winners).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') {
        expect(isCairnError(result.reason, 'PRECONDITION_FAILED')).toBe(true);
      }
    }
    const expected = `writer ${winners[0]}`;
    expect(await text(primary, 'versions/v1')).toBe(expected);
    expect(await text(backup, 'versions/v1')).toBe(expected);
    expect((await backup.head('versions/v1'))?.metadata?.[digestMetadataKey]).toBe(
      sha256Of(expected),
    );
  });

  it('compares ifMatch with the primary etag and leaves the backup alone when it fails', async () => {
    const [primary, backup] = [createMemoryStorage(), createMemoryStorage()];
    const mirror = createMirroredStorage({ copies: [primary, backup] });
    const first = await mirror.put('alias', 'v1');
    const second = await mirror.put('alias', 'v2', { ifMatch: first.etag });
    expect(second.etag).toBe((await primary.head('alias'))?.etag);
    expect(await text(backup, 'alias')).toBe('v2');

    const error = await rejection(mirror.put('alias', 'v3', { ifMatch: first.etag }));
    expect(error.code).toBe('PRECONDITION_FAILED');
    expect(await text(backup, 'alias')).toBe('v2');
  });

  it('says the primary committed when a backup then fails, keeping the code', async () => {
    const failure = new CairnError({ code: 'TRANSIENT_IO', backend: 's3', message: 'Timeout.' });
    const primary = createMemoryStorage();
    const events: MirrorEvent[] = [];
    const mirror = createMirroredStorage({
      copies: [primary, refusingPuts(createMemoryStorage(), failure)],
      onEvent: (event) => events.push(event),
    });
    const error = await rejection(mirror.put('v1', 'content', { ifNoneMatch: '*' }));
    expect(error.code).toBe('TRANSIENT_IO');
    expect(error.cause).toBe(failure);
    expect(error.message).toContain('not a lost conditional write');
    expect(error.details).toMatchObject({
      copy: 1,
      primaryCommitted: true,
      primaryEtag: (await primary.head('v1'))?.etag,
    });
    expect(events.map((event) => event.type)).toEqual(['copy-write-failed']);
  });

  it('refuses to copy a primary object that reads back different from what was sent', async () => {
    const memory = createMemoryStorage();
    const rotting: Storage = {
      ...memory,
      put: async (key, body, options) => {
        const info = await memory.put(key, body, options);
        memory.corrupt(key, 'flipped bits');
        return info;
      },
    };
    const backup = createMemoryStorage();
    const mirror = createMirroredStorage({ copies: [rotting, backup] });
    const error = await rejection(mirror.put('a', 'sent bytes', { ifNoneMatch: '*' }));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('reading it back gave');
    expect(await backup.head('a')).toBeUndefined();
  });

  it('reports a primary that fails while being read back', async () => {
    const memory = createMemoryStorage();
    const failingRead: Storage = {
      ...memory,
      get: async (key, options) => {
        const result = await memory.get(key, options);
        const broken = new Readable({
          read() {
            this.destroy(new Error('disk read error'));
          },
        });
        result.body.destroy();
        return { ...result, body: broken };
      },
    };
    const backup = createMemoryStorage();
    const mirror = createMirroredStorage({ copies: [failingRead, backup] });
    const error = await rejection(mirror.put('a', 'bytes', { ifNoneMatch: '*' }));
    expect(error.details).toMatchObject({ copy: 0, primaryCommitted: true });
    expect(error.message).toContain('disk read error');
    expect(await backup.head('a')).toBeUndefined();
  });

  it('leaves the backups to a writer that replaced the object first', async () => {
    const memory = createMemoryStorage();
    const contested: Storage = {
      ...memory,
      put: async (key, body, options) => {
        const info = await memory.put(key, body, options);
        // Another writer replaces it before this one reads it back.
        await memory.put(key, 'the other writer');
        return info;
      },
    };
    const backup = createMemoryStorage();
    const mirror = createMirroredStorage({ copies: [contested, backup] });
    const info = await mirror.put('a', 'mine', { ifNoneMatch: '*' });
    expect(info.sha256).toBe(sha256Of('mine'));
    expect(await backup.head('a')).toBeUndefined();
  });
});

/** A backup whose next put waits at a gate the test sets, or lets `before` run first. */
function interceptedBackup(memory: MemoryStorage) {
  const control: {
    holdNext: Gate | undefined;
    before: ((key: string) => Promise<void>) | undefined;
    calls: PutOptions[];
  } = { holdNext: undefined, before: undefined, calls: [] };
  const storage: Storage = {
    ...memory,
    put: async (key, body, options = {}) => {
      control.calls.push(options);
      const gate = control.holdNext;
      control.holdNext = undefined;
      if (gate !== undefined) await gate.pass();
      await control.before?.(key);
      return memory.put(key, body, options);
    },
  };
  return { storage, control };
}

describe('mirrored conditional puts and their backup copies', () => {
  it('never leaves a backup older than the primary when two writers finish out of order', async () => {
    const [primary, backupMemory] = [createMemoryStorage(), createMemoryStorage()];
    const backup = interceptedBackup(backupMemory);
    const mirror = createMirroredStorage({ copies: [primary, backup.storage] });
    const first = await mirror.put('alias', 'v0', { ifNoneMatch: '*' });

    // Writer A commits on the primary, reads it back, and stalls before its backup copy lands.
    const slow = createGate();
    backup.control.holdNext = slow;
    const writingA = mirror.put('alias', 'A', { ifMatch: first.etag });
    await slow.reached;
    // Writer B replaces A on the primary and finishes first.
    const afterA = (await primary.head('alias'))?.etag as string;
    const b = await mirror.put('alias', 'B', { ifMatch: afterA });
    slow.open();
    const a = await writingA;

    expect(a.etag).toBe(afterA);
    expect(await text(primary, 'alias')).toBe('B');
    expect(await text(backupMemory, 'alias')).toBe('B');
    expect((await backupMemory.head('alias'))?.metadata?.[primaryEtagMetadataKey]).toBe(b.etag);
    // So a read that must fall back serves B, the version the primary holds.
    primary.corrupt('alias', 'rot');
    expect(await text(mirror, 'alias')).toBe('B');
  });

  it('copies again when a backup changed under the copy but the primary still holds the put', async () => {
    const backupMemory = createMemoryStorage();
    const backup = interceptedBackup(backupMemory);
    backup.control.before = async (key) => {
      backup.control.before = undefined;
      await backupMemory.put(key, 'written meanwhile');
    };
    const events: MirrorEvent[] = [];
    const mirror = createMirroredStorage({
      copies: [createMemoryStorage(), backup.storage],
      onEvent: (event) => events.push(event),
    });
    await mirror.put('k', 'mine', { ifNoneMatch: '*' });
    expect(await text(backupMemory, 'k')).toBe('mine');
    expect(backup.control.calls.map((options) => options.ifNoneMatch ?? options.ifMatch)).toEqual([
      '*',
      expect.any(String),
    ]);
    expect(events).toEqual([]);
  });

  it('gives up with CONFLICT, saying the primary committed, on a backup that never settles', async () => {
    const backupMemory = createMemoryStorage();
    const backup = interceptedBackup(backupMemory);
    let intrusions = 0;
    backup.control.before = async (key) => {
      intrusions += 1;
      await backupMemory.put(key, `intruder ${intrusions}`);
    };
    const primary = createMemoryStorage();
    const mirror = createMirroredStorage({ copies: [primary, backup.storage] });
    const error = await rejection(mirror.put('k', 'mine', { ifNoneMatch: '*' }));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain('changed under the copy 5 times');
    expect(error.details).toMatchObject({ copy: 1, primaryCommitted: true });
    expect(intrusions).toBe(5);
    expect(await text(primary, 'k')).toBe('mine');
  });

  it('fails, saying the primary committed, when a backup cannot be looked at before the copy', async () => {
    const backupMemory = createMemoryStorage();
    const failure = new CairnError({ code: 'TRANSIENT_IO', backend: 's3', message: 'Reset.' });
    const unreachable: Storage = {
      ...backupMemory,
      head: async () => {
        throw failure;
      },
    };
    const events: MirrorEvent[] = [];
    const mirror = createMirroredStorage({
      copies: [createMemoryStorage(), unreachable],
      onEvent: (event) => events.push(event),
    });
    const error = await rejection(mirror.put('k', 'v', { ifNoneMatch: '*' }));
    expect(error.cause).toBe(failure);
    expect(error.details).toMatchObject({ copy: 1, primaryCommitted: true });
    expect(events).toEqual([
      { type: 'copy-write-failed', key: 'k', copy: 1, copyName: 'memory', error: failure },
    ]);
    expect(await backupMemory.head('k')).toBeUndefined();
  });

  it('writes backups without conditional writes unconditionally, still recording the primary etag', async () => {
    const backupMemory = createMemoryStorage();
    const backup = interceptedBackup(backupMemory);
    const unconditional: Storage = {
      ...backup.storage,
      capabilities: { ...backupMemory.capabilities, conditionalWrites: false },
    };
    const mirror = createMirroredStorage({ copies: [createMemoryStorage(), unconditional] });
    const info = await mirror.put('k', 'v', { ifNoneMatch: '*' });
    const [options] = backup.control.calls;
    expect(options?.ifMatch).toBeUndefined();
    expect(options?.ifNoneMatch).toBeUndefined();
    expect(options?.metadata?.[primaryEtagMetadataKey]).toBe(info.etag);
    expect(await text(backupMemory, 'k')).toBe('v');
  });
});
