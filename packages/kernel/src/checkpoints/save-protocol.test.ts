import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import {
  corruptingReads,
  corruptingWrites,
  failingPuts,
  payloadKeys,
  puttingThenFailing,
  recordingDeletes,
  sidecarKeys,
} from '../testing/checkpoints-faulty-storage.js';
import { bytesAt, keysOf, storeOver, testRun } from '../testing/checkpoints-fixtures.js';
import { rejection } from '../testing/rejection.js';

function networkError(): CairnError {
  return new CairnError({ code: 'TRANSIENT_IO', backend: 'flaky', message: 'Connection reset.' });
}

describe('the commit protocol', () => {
  it('writes the payload first and the sidecar last, create-only', async () => {
    const memory = createMemoryStorage();
    const puts: { key: string; ifNoneMatch: unknown; expectedSha256: unknown }[] = [];
    const storage: Storage = {
      ...memory,
      put: (key, body, options) => {
        puts.push({
          key,
          ifNoneMatch: options?.ifNoneMatch,
          expectedSha256: options?.expectedSha256,
        });
        return memory.put(key, body, options);
      },
    };
    const { store } = storeOver(storage);
    await store.save({ run: testRun, step: 'gen', body: Readable.from([Buffer.from('x')]) });
    expect(puts.map((put) => put.key.split('/').at(-1))).toEqual(['payload', 'checkpoint.yaml']);
    expect(puts[1]?.ifNoneMatch).toBe('*');
    // Nothing that would make a backend buffer the stream to check a digest up front.
    expect(puts[0]?.expectedSha256).toBeUndefined();
  });

  it('refuses a backend that stores other bytes than it was given: CORRUPT_DATA, payload deleted, nothing committed', async () => {
    const memory = createMemoryStorage();
    const { store, events } = storeOver(corruptingWrites(memory, payloadKeys));
    const error = await rejection(store.save({ run: testRun, step: 'gen', state: { a: 1 } }));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('was not committed');
    expect(error.message).toContain('the payload was deleted');
    expect(await keysOf(memory)).toEqual([]);
    expect(events).toEqual([]);
    expect(await store.latest({ step: 'gen' })).toBeUndefined();
  });

  it('refuses when reading the payload back gives other bytes, though the backend reports the right digest', async () => {
    const memory = createMemoryStorage();
    const { store } = storeOver(corruptingReads(memory, payloadKeys));
    const error = await rejection(store.save({ run: testRun, step: 'gen', body: 'payload bytes' }));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('reading it back gave');
    expect(await keysOf(memory)).toEqual([]);
  });

  it('an aborted save before it starts writes nothing', async () => {
    const memory = createMemoryStorage();
    const { store } = storeOver(memory);
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    const error = await rejection(
      store.save({ run: testRun, step: 'gen', state: 1, signal: controller.signal }),
    );
    expect(error.code).toBe('ABORTED');
    expect(await keysOf(memory)).toEqual([]);
  });

  it('an abort while the payload streams leaves no sidecar and no payload', async () => {
    const memory = createMemoryStorage();
    const { store } = storeOver(memory);
    const controller = new AbortController();
    async function* body() {
      yield Buffer.from('first chunk');
      controller.abort(new Error('user cancelled'));
      yield Buffer.from('second chunk');
      // Never ends on its own: only the abort can stop the save.
      await new Promise(() => {});
    }
    const error = await rejection(
      store.save({ run: testRun, step: 'gen', body: body(), signal: controller.signal }),
    );
    expect(error.code).toBe('ABORTED');
    expect(await keysOf(memory)).toEqual([]);
  });

  it('an abort between the payload and the sidecar deletes the payload and commits nothing', async () => {
    const memory = createMemoryStorage();
    const controller = new AbortController();
    const storage: Storage = {
      ...memory,
      get: async (key, options) => {
        // The read-back is the last step before the commit.
        const result = await memory.get(key, options);
        if (payloadKeys(key)) controller.abort(new Error('user cancelled'));
        return result;
      },
    };
    const { store } = storeOver(storage);
    const error = await rejection(
      store.save({ run: testRun, step: 'gen', state: 1, signal: controller.signal }),
    );
    expect(error.code).toBe('ABORTED');
    expect(error.message).toContain('Nothing was committed');
    expect(await keysOf(memory)).toEqual([]);
  });

  it('a body that fails mid-stream commits nothing and says the body failed', async () => {
    const memory = createMemoryStorage();
    const { store } = storeOver(memory);
    async function* body() {
      yield Buffer.from('some bytes');
      throw new Error('disk read error');
    }
    const error = await rejection(store.save({ run: testRun, step: 'gen', body: body() }));
    expect(error.message).toContain('Reading the payload of checkpoint');
    expect(error.message).toContain('disk read error');
    expect(await keysOf(memory)).toEqual([]);
  });

  it('a failing payload write commits nothing and keeps the storage error', async () => {
    const memory = createMemoryStorage();
    const { store } = storeOver(failingPuts(memory, payloadKeys, networkError()));
    const error = await rejection(store.save({ run: testRun, step: 'gen', state: 1 }));
    expect(error.code).toBe('TRANSIENT_IO');
    expect(error.retryable).toBe(true);
    expect(await keysOf(memory)).toEqual([]);
  });

  it('a failing sidecar write deletes the payload', async () => {
    const memory = createMemoryStorage();
    const { store } = storeOver(failingPuts(memory, sidecarKeys, networkError()));
    const error = await rejection(store.save({ run: testRun, step: 'gen', state: 1 }));
    expect(error.code).toBe('TRANSIENT_IO');
    expect(await keysOf(memory, 'checkpoints/')).toEqual([]);
  });

  it('a sidecar write that landed but reported failure is uncommitted: sidecar deleted first, then the payload', async () => {
    const memory = createMemoryStorage();
    const storage = recordingDeletes(memory);
    const { store } = storeOver(puttingThenFailing(storage as never, sidecarKeys, networkError()));
    await rejection(store.save({ run: testRun, step: 'gen', state: 1 }));
    expect(await keysOf(memory, 'checkpoints/')).toEqual([]);
    // Catalog indexes that saw the sidecar in its short life learn it was taken back.
    const changes = await keysOf(memory, 'catalog/changes/checkpoints/gen/');
    expect(changes).toHaveLength(1);
    const takenBack = (storage.deleted[0] as string).split('/').slice(1, 3).join('/');
    expect((await bytesAt(memory, changes[0] as string)).toString()).toContain(`- ${takenBack}`);
    expect(storage.deleted.map((key) => key.split('/').at(-1))).toEqual([
      'checkpoint.yaml',
      'payload',
    ]);
  });

  it('a sidecar that landed and cannot be deleted keeps its payload: the save fails, the checkpoint it committed stays whole', async () => {
    const memory = createMemoryStorage();
    const storage: Storage = {
      ...memory,
      delete: async (key) => {
        if (sidecarKeys(key)) throw networkError();
        return memory.delete(key);
      },
    };
    const { store } = storeOver(puttingThenFailing(storage as never, sidecarKeys, networkError()));
    const error = await rejection(store.save({ run: testRun, step: 'gen', state: { epoch: 7 } }));
    expect(error.code).toBe('TRANSIENT_IO');
    // The save reported failure, but its sidecar is there: whatever finds it must load it.
    const found = await store.latest({ step: 'gen' });
    expect(found).toBeDefined();
    expect((await store.load({ step: 'gen' })).state).toEqual({ epoch: 7 });
  });

  it("a save whose id is taken by another writer's sidecar is a CONFLICT and leaves that sidecar alone", async () => {
    const memory = createMemoryStorage();
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        if (sidecarKeys(key)) await memory.put(key, 'someone else');
        return memory.put(key, body, options);
      },
    };
    const { store } = storeOver(storage);
    const error = await rejection(store.save({ run: testRun, step: 'gen', state: 1 }));
    expect(error.code).toBe('CONFLICT');
    const keys = await keysOf(memory);
    expect(keys.some((key) => sidecarKeys(key))).toBe(true);
  });

  it('a throwing onEvent listener does not fail a committed save', async () => {
    const { store } = storeOver(createMemoryStorage(), {
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    const saved = await store.save({ run: testRun, step: 'gen', state: 1 });
    expect((await store.load({ id: saved.id })).state).toBe(1);
  });

  it('measures the save duration with the injected clock', async () => {
    const memory = createMemoryStorage();
    let clockNow = 1_000;
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        clockNow += 250;
        return memory.put(key, body, options);
      },
    };
    const { store, events } = storeOver(storage, { now: () => clockNow });
    await store.save({ run: testRun, step: 'gen', state: 1 });
    expect(events[0]).toMatchObject({ type: 'checkpoint-saved', durationMs: 500 });
  });
});
