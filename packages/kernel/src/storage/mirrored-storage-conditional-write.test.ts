import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { refusingPuts, text } from '../testing/mirrored-storage-support.js';
import { rejection } from '../testing/rejection.js';
import { sha256Of } from './body.js';
import { createMemoryStorage } from './memory-storage.js';
import { createMirroredStorage } from './mirrored-storage.js';
import { digestMetadataKey } from './mirrored-storage-digest.js';
import type { MirrorEvent } from './mirrored-storage-events.js';
import type { Storage } from './storage.js';

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
