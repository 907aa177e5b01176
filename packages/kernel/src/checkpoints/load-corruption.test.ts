import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import { checkpointKeys } from '../naming/layout.js';
import { readAll } from '../storage/body.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { bytesAt, flipBit, storeOver, testRun } from '../testing/checkpoints-fixtures.js';
import { rejection } from '../testing/rejection.js';

const state = { answers: Array.from({ length: 50 }, (_, index) => `answer ${index}`) };

async function savedOnMemory() {
  const storage = createMemoryStorage();
  const fixture = storeOver(storage);
  const record = await fixture.store.save({ run: testRun, step: 'gen', state });
  const keys = checkpointKeys(record.id);
  const payload = await bytesAt(storage, keys.payload);
  return { ...fixture, storage, record, keys, payload };
}

describe('loading damaged payloads on plain storage', () => {
  it.each([
    ['truncated', (bytes: Buffer) => bytes.subarray(0, bytes.length - 10), 'bytes, not the'],
    ['bit-flipped', (bytes: Buffer) => flipBit(bytes, 20), 'SHA-256'],
    ['extended', (bytes: Buffer) => Buffer.concat([bytes, Buffer.from('!')]), 'more than the'],
  ])(
    'refuses a %s payload with CORRUPT_DATA naming the checkpoint and key',
    async (_name, damage, expected) => {
      const { store, storage, record, keys, payload, events } = await savedOnMemory();
      storage.corrupt(keys.payload, damage(payload));
      const error = await rejection(store.load({ id: record.id }));
      expect(error.code).toBe('CORRUPT_DATA');
      expect(error.message).toContain(`checkpoint "${record.id}"`);
      expect(error.message).toContain(keys.payload);
      expect(error.message).toContain(expected);
      // Loading latest by step must not return the bad bytes either.
      expect((await rejection(store.load({ step: 'gen' }))).code).toBe('CORRUPT_DATA');
      expect(events.filter((event) => event.type === 'checkpoint-loaded')).toEqual([]);
    },
  );

  it('refuses a committed checkpoint whose payload was deleted', async () => {
    const { store, storage, record, keys } = await savedOnMemory();
    await storage.delete(keys.payload);
    const error = await rejection(store.load({ id: record.id }));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('the payload was lost');
    // The sidecar alone still answers get: the catalog never opens payloads.
    expect((await store.get(record.id)).id).toBe(record.id);
  });

  it('open streams a good payload to its end', async () => {
    const { store, record, payload } = await savedOnMemory();
    const opened = await store.open({ id: record.id });
    expect(opened.record).toEqual(record);
    expect((await readAll(opened.body)).equals(payload)).toBe(true);
  });

  it('open fails the stream before its end when the digest does not match', async () => {
    const { store, storage, record, keys, payload } = await savedOnMemory();
    storage.corrupt(keys.payload, flipBit(payload, -1));
    const opened = await store.open({ id: record.id });
    let ended = false;
    opened.body.on('end', () => {
      ended = true;
    });
    const error = await rejection(readAll(opened.body));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(ended).toBe(false);
  });

  it('open stops a payload that is longer than recorded as soon as it passes the size', async () => {
    const { store, storage, record, keys, payload } = await savedOnMemory();
    storage.corrupt(keys.payload, Buffer.concat([payload, Buffer.alloc(1024 * 1024)]));
    const opened = await store.open({ id: record.id });
    let received = 0;
    const error = await rejection(
      (async () => {
        for await (const chunk of opened.body) received += (chunk as Buffer).length;
      })(),
    );
    expect(error.message).toContain('more than the');
    expect(received).toBeLessThanOrEqual(record.size);
  });

  it('keeps a storage error retryable when the payload cannot be read for now', async () => {
    const memory = createMemoryStorage();
    let failing = false;
    const { store } = storeOver({
      ...memory,
      get: async (key, options) => {
        if (key.endsWith('/payload') && failing) {
          throw new CairnError({ code: 'TRANSIENT_IO', backend: 'flaky', message: 'Reset.' });
        }
        return memory.get(key, options);
      },
    });
    const record = await store.save({ run: testRun, step: 'gen', state: 1 });
    failing = true;
    const error = await rejection(store.load({ id: record.id }));
    expect(error.code).toBe('TRANSIENT_IO');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('Reset.');
  });

  it('a decode failure of verified bytes is CORRUPT_DATA naming the codec', async () => {
    const storage = createMemoryStorage();
    const sloppy = {
      name: 'sloppy',
      contentType: 'text/plain',
      encode: (value: unknown) => String(value),
      decode: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')),
    };
    const { store } = storeOver(storage, { codecs: [sloppy] });
    const record = await store.save({
      run: testRun,
      step: 'gen',
      state: 'not json',
      codec: 'sloppy',
    });
    const error = await rejection(store.load({ id: record.id }));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('codec "sloppy" could not decode it');
  });

  it('an aborted load fails with ABORTED', async () => {
    const { store, record } = await savedOnMemory();
    const controller = new AbortController();
    controller.abort();
    expect(
      (await rejection(store.load({ id: record.id }, { signal: controller.signal }))).code,
    ).toBe('ABORTED');
  });
});
