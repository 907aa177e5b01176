import { describe, expect, it } from 'vitest';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import {
  mirrorOf,
  text,
  transientError,
  withoutDigests,
} from '../testing/mirrored-storage-support.js';
import { rejection } from '../testing/rejection.js';
import { readAll, sha256Of } from './body.js';
import { createMemoryStorage, type MemoryStorage } from './memory-storage.js';
import { createMirroredStorage } from './mirrored-storage.js';
import { digestMetadataKey } from './mirrored-storage-digest.js';
import type { MirrorEvent } from './mirrored-storage-events.js';
import type { Storage } from './storage.js';

describe('mirrored storage reads', () => {
  it('writes every copy, records the digest in each, and hides that entry from callers', async () => {
    const { mirror, copies, events } = mirrorOf();
    const info = await mirror.put('runs/a.txt', 'hello', { metadata: { step: '3' } });
    expect(info.sha256).toBe(sha256Of('hello'));
    expect(info.metadata).toEqual({ step: '3' });
    expect(info.etag).toBe((await copies[0]?.head('runs/a.txt'))?.etag);
    for (const copy of copies) {
      expect(await text(copy, 'runs/a.txt')).toBe('hello');
      expect((await copy.head('runs/a.txt'))?.metadata?.[digestMetadataKey]).toBe(
        sha256Of('hello'),
      );
    }
    const read = await mirror.get('runs/a.txt');
    expect((await readAll(read.body)).toString()).toBe('hello');
    expect(read.info.metadata).toEqual({ step: '3' });
    expect(events).toEqual([]);
  });

  it('serves a corrupt primary from the backup and repairs the primary', async () => {
    const { mirror, copies, events } = mirrorOf();
    const [primary, backup] = copies as [MemoryStorage, MemoryStorage];
    await mirror.put('a', 'good bytes');
    primary.corrupt('a', 'evil bytes');

    const read = await mirror.get('a');
    expect((await readAll(read.body)).toString()).toBe('good bytes');
    expect(events.map((event) => event.type)).toEqual(['copy-corrupt', 'copy-repaired']);
    expect(events[0]).toMatchObject({
      key: 'a',
      copy: 0,
      copyName: 'memory',
      expected: sha256Of('good bytes'),
      actual: sha256Of('evil bytes'),
    });
    expect(events[1]).toMatchObject({ copy: 0, source: 1, sha256: sha256Of('good bytes') });
    // The primary itself now holds bytes that match its own digest.
    const repaired = await primary.get('a');
    const bytes = await readAll(repaired.body);
    expect(bytes.toString()).toBe('good bytes');
    expect(sha256Of(bytes)).toBe(repaired.info.sha256);
    expect(read.info.etag).toBe(repaired.info.etag);
    expect(await text(backup, 'a')).toBe('good bytes');
  });

  it('serves a missing primary from the backup and restores it', async () => {
    const { mirror, copies, events } = mirrorOf();
    await mirror.put('a', 'kept twice', { contentType: 'text/plain', metadata: { epoch: '7' } });
    await copies[0]?.delete('a');

    expect(await text(mirror, 'a')).toBe('kept twice');
    expect(events.map((event) => [event.type, event.copy])).toEqual([
      ['copy-missing', 0],
      ['copy-repaired', 0],
    ]);
    const restored = await copies[0]?.head('a');
    expect(restored?.contentType).toBe('text/plain');
    expect(restored?.metadata).toEqual({ epoch: '7', [digestMetadataKey]: sha256Of('kept twice') });
    expect(await text(copies[0] as Storage, 'a')).toBe('kept twice');
  });

  it('fails with CORRUPT_DATA naming every copy when all are corrupt', async () => {
    const { mirror, copies } = mirrorOf();
    await mirror.put('a', 'original');
    (copies[0] as MemoryStorage).corrupt('a', 'rot one');
    (copies[1] as MemoryStorage).corrupt('a', 'rot two');

    const error = await rejection(mirror.get('a'));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('copy 0 (memory, primary) is corrupt');
    expect(error.message).toContain('copy 1 (memory) is corrupt');
    expect(error.message).toContain(sha256Of('rot two'));
    expect(error.details.copies).toEqual([
      {
        copy: 0,
        copyName: 'memory',
        problem: 'corrupt',
        expected: sha256Of('original'),
        actual: sha256Of('rot one'),
      },
      {
        copy: 1,
        copyName: 'memory',
        problem: 'corrupt',
        expected: sha256Of('original'),
        actual: sha256Of('rot two'),
      },
    ]);
  });

  it('fails with NOT_FOUND when every copy lacks the object, and with CORRUPT_DATA for a mix', async () => {
    const { mirror, copies, events } = mirrorOf();
    const missing = await rejection(mirror.get('nothing'));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain(
      'copy 0 (memory, primary) is missing; copy 1 (memory) is missing',
    );
    // An ordinary miss is not a mirror problem: no copy-missing events for it.
    expect(events).toEqual([]);

    await mirror.put('a', 'x');
    (copies[0] as MemoryStorage).corrupt('a', 'y');
    await copies[1]?.delete('a');
    const mixed = await rejection(mirror.get('a'));
    expect(mixed.code).toBe('CORRUPT_DATA');
    expect(mixed.message).toContain('copy 1 (memory) is missing');
    expect(events.map((event) => event.type)).toEqual(['copy-corrupt', 'copy-missing']);
  });

  it('with three copies, serves the third when the first two are bad and repairs both', async () => {
    const { mirror, copies, events } = mirrorOf(3);
    await mirror.put('a', 'third time lucky');
    (copies[0] as MemoryStorage).corrupt('a', 'bad');
    await copies[1]?.delete('a');

    expect(await text(mirror, 'a')).toBe('third time lucky');
    expect(events.map((event) => [event.type, event.copy])).toEqual([
      ['copy-corrupt', 0],
      ['copy-missing', 1],
      ['copy-repaired', 0],
      ['copy-repaired', 1],
    ]);
    for (const copy of copies) expect(await text(copy, 'a')).toBe('third time lucky');
  });

  it('reports a failed repair as an event and still returns the good bytes', async () => {
    const memory = createMemoryStorage();
    const refusing: MemoryStorage = {
      ...memory,
      put: async () => {
        throw new CairnError({ code: 'PERMANENT_IO', backend: 'memory', message: 'Disk full.' });
      },
    };
    const backup = createMemoryStorage();
    const events: MirrorEvent[] = [];
    const mirror = createMirroredStorage({
      copies: [refusing, backup],
      onEvent: (e) => events.push(e),
    });
    await backup.put('a', 'fine', { metadata: { [digestMetadataKey]: sha256Of('fine') } });

    expect(await text(mirror, 'a')).toBe('fine');
    expect(events.map((event) => event.type)).toEqual(['copy-missing', 'repair-failed']);
    const failed = events[1] as Extract<MirrorEvent, { type: 'repair-failed' }>;
    expect(isCairnError(failed.error, 'PERMANENT_IO')).toBe(true);
    expect(await memory.head('a')).toBeUndefined();
  });

  it('never lets a repair overwrite what a writer stored meanwhile', async () => {
    const primary = createMemoryStorage();
    const backupMemory = createMemoryStorage();
    const racing: Storage = {
      ...backupMemory,
      get: async (key, options) => {
        // A writer stores new bytes on the primary after the read found it corrupt.
        await primary.put(key, 'newest');
        return backupMemory.get(key, options);
      },
    };
    const events: MirrorEvent[] = [];
    const mirror = createMirroredStorage({
      copies: [primary, racing],
      onEvent: (event) => events.push(event),
    });
    await mirror.put('a', 'older');
    primary.corrupt('a', 'rot');

    expect(await text(mirror, 'a')).toBe('older');
    const failed = events.find((event) => event.type === 'repair-failed');
    expect(isCairnError((failed as { error: unknown }).error, 'PRECONDITION_FAILED')).toBe(true);
    expect(await text(primary, 'a')).toBe('newest');
  });

  it('leaves bad copies alone when repair is off', async () => {
    const { mirror, copies, events } = mirrorOf(2, { repair: false });
    await mirror.put('a', 'good');
    (copies[0] as MemoryStorage).corrupt('a', 'bad!');
    expect(await text(mirror, 'a')).toBe('good');
    expect(events.map((event) => event.type)).toEqual(['copy-corrupt']);
    expect(await text(copies[0] as Storage, 'a')).toBe('bad!');
  });

  it('falls back past a copy that cannot be read, without rewriting it', async () => {
    const memory = createMemoryStorage();
    let writes = 0;
    const unreadable: Storage = {
      ...memory,
      get: async () => {
        throw transientError();
      },
      put: async (...args) => {
        writes += 1;
        return memory.put(...args);
      },
    };
    const backup = createMemoryStorage();
    const events: MirrorEvent[] = [];
    const mirror = createMirroredStorage({
      copies: [unreadable, backup],
      onEvent: (e) => events.push(e),
    });
    await mirror.put('a', 'still here');
    writes = 0;

    expect(await text(mirror, 'a')).toBe('still here');
    expect(events.map((event) => event.type)).toEqual(['copy-unreadable']);
    expect(writes).toBe(0);

    await backup.delete('a');
    const error = await rejection(mirror.get('a'));
    expect(error.code).toBe('TRANSIENT_IO');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('copy 0 (memory, primary) could not be read');
  });

  it('verifies a copy that keeps no digest against another copy and repairs it', async () => {
    const memory = createMemoryStorage();
    const forgetful = withoutDigests(memory, false);
    const backup = createMemoryStorage();
    const events: MirrorEvent[] = [];
    const mirror = createMirroredStorage({
      copies: [forgetful, backup],
      onEvent: (e) => events.push(e),
    });
    await mirror.put('a', 'checked');
    memory.corrupt('a', 'changed');

    expect(await text(mirror, 'a')).toBe('checked');
    expect(events.map((event) => event.type)).toEqual(['copy-corrupt', 'copy-repaired']);
    expect(await text(memory, 'a')).toBe('checked');

    // Written around the mirror to copies that keep no digest: served, but flagged.
    const bare = createMirroredStorage({
      copies: [forgetful, { ...forgetful, name: 'forgetful-too' }],
      onEvent: (e) => events.push(e),
    });
    await memory.put('raw', 'no digest anywhere');
    events.length = 0;
    expect(await text(bare, 'raw')).toBe('no digest anywhere');
    expect(events.map((event) => event.type)).toEqual(['copy-unverified']);
  });

  it('stops at once when the caller aborts', async () => {
    const { mirror } = mirrorOf();
    await mirror.put('a', 'x');
    const error = await rejection(mirror.get('a', { signal: AbortSignal.abort() }));
    expect(error.code).toBe('ABORTED');
  });
});
