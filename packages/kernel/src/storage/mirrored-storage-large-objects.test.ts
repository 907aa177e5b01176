import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors/cairn-error.js';
import { mirrorOf } from '../testing/mirrored-storage-support.js';
import { rejection } from '../testing/rejection.js';
import { readAll, sha256Of } from './body.js';
import { createMemoryStorage, type MemoryStorage } from './memory-storage.js';
import { createMirroredStorage } from './mirrored-storage.js';
import type { MirrorEvent } from './mirrored-storage-events.js';
import type { Storage } from './storage.js';

describe('mirrored storage large objects', () => {
  const size = 1024 * 1024;

  it('verifies in a separate pass, then streams, and repairs from the good copy', async () => {
    const { mirror, copies, events } = mirrorOf(2, { bufferLimitBytes: 1024 });
    const content = randomBytes(size);
    await mirror.put('big', content);

    expect(sha256Of(await readAll((await mirror.get('big')).body))).toBe(sha256Of(content));
    expect(events).toEqual([]);

    (copies[0] as MemoryStorage).corrupt('big', randomBytes(size));
    const read = await mirror.get('big');
    expect(Buffer.compare(await readAll(read.body), content)).toBe(0);
    expect(events.map((event) => event.type)).toEqual(['copy-corrupt', 'copy-repaired']);
    const primaryBytes = await readAll((await (copies[0] as Storage).get('big')).body);
    expect(Buffer.compare(primaryBytes, content)).toBe(0);
  });

  it('fails the returned stream if the bytes change after the verification pass', async () => {
    const memory = createMemoryStorage();
    let opened = 0;
    const shifty: Storage = {
      ...memory,
      get: async (key, options) => {
        opened += 1;
        // Rot strikes between the verification pass and the read the caller consumes.
        if (opened === 2) memory.corrupt(key, randomBytes(size));
        return memory.get(key, options);
      },
    };
    const mirror = createMirroredStorage({
      copies: [shifty, createMemoryStorage()],
      bufferLimitBytes: 1024,
    });
    await mirror.put('big', randomBytes(size));
    opened = 0;

    const { body } = await mirror.get('big');
    let received = 0;
    const error = await rejection(
      (async () => {
        for await (const chunk of body) received += (chunk as Buffer).length;
      })(),
    );
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('changed while being read');
    // The last chunk is held back until verified, so the bad object never arrives whole.
    expect(received).toBeLessThan(size);
  });

  it('starts over when the object is replaced between the passes', async () => {
    const memory = createMemoryStorage();
    const replacement = randomBytes(size);
    let opened = 0;
    const busy: Storage = {
      ...memory,
      get: async (key, options) => {
        opened += 1;
        if (opened === 2) await memory.put(key, replacement);
        return memory.get(key, options);
      },
    };
    const mirror = createMirroredStorage({
      copies: [busy, createMemoryStorage()],
      bufferLimitBytes: 1024,
    });
    await mirror.put('big', randomBytes(size));
    opened = 0;

    const read = await mirror.get('big');
    expect(Buffer.compare(await readAll(read.body), replacement)).toBe(0);
    expect(read.info.sha256).toBe(sha256Of(replacement));
  });

  it('gives up with CONFLICT on a copy replaced on every pass and tries the next', async () => {
    const memory = createMemoryStorage();
    const restless: Storage = {
      ...memory,
      get: async (key, options) => {
        const result = await memory.get(key, options);
        await memory.put(key, randomBytes(2048));
        return result;
      },
    };
    const backup = createMemoryStorage();
    const events: MirrorEvent[] = [];
    const mirror = createMirroredStorage({
      copies: [restless, backup],
      bufferLimitBytes: 1024,
      onEvent: (e) => events.push(e),
    });
    const content = randomBytes(2048);
    await mirror.put('big', content);

    expect(Buffer.compare(await readAll((await mirror.get('big')).body), content)).toBe(0);
    const unreadable = events.find((event) => event.type === 'copy-unreadable');
    expect(unreadable?.copy).toBe(0);
    expect(isCairnError((unreadable as { error: unknown }).error, 'CONFLICT')).toBe(true);
  });
});
