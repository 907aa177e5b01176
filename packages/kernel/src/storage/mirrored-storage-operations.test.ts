import { describe, expect, it } from 'vitest';
import type { Logger } from '../logging/logger.js';
import { mirrorOf, text, transientError } from '../testing/mirrored-storage-support.js';
import { rejection } from '../testing/rejection.js';
import { sha256Of } from './body.js';
import { createMemoryStorage } from './memory-storage.js';
import { createMirroredStorage } from './mirrored-storage.js';
import type { ObjectInfo, Storage } from './storage.js';

function recordingLogger() {
  const warnings: unknown[] = [];
  const errors: unknown[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (fields: unknown) => warnings.push(fields),
    error: (fields: unknown) => errors.push(fields),
    child: () => logger,
  };
  return { logger, warnings, errors };
}

describe('mirrored storage head, list, delete and events', () => {
  it('heads the primary, falls back to a backup, and says nothing for absent keys', async () => {
    const { mirror, copies, events } = mirrorOf();
    await mirror.put('a', 'x', { metadata: { tag: 't' } });
    expect(await mirror.head('a')).toMatchObject({ sha256: sha256Of('x'), metadata: { tag: 't' } });
    await copies[0]?.delete('a');
    const info = await mirror.head('a');
    expect(info?.etag).toBe((await copies[1]?.head('a'))?.etag);
    expect(events.map((event) => event.type)).toEqual(['copy-missing']);
    events.length = 0;
    expect(await mirror.head('none')).toBeUndefined();
    expect(events).toEqual([]);
  });

  it('throws from head when a copy cannot answer and none has the object', async () => {
    const memory = createMemoryStorage();
    const broken: Storage = {
      ...memory,
      head: async () => {
        throw transientError();
      },
    };
    const mirror = createMirroredStorage({ copies: [broken, createMemoryStorage()] });
    expect((await rejection(mirror.head('a'))).code).toBe('TRANSIENT_IO');
  });

  it('lists what the primary holds', async () => {
    const { mirror, copies } = mirrorOf();
    await mirror.put('b/2', 'two');
    await mirror.put('b/1', 'one');
    await copies[1]?.put('b/only-on-backup', 'orphan');
    const listed: ObjectInfo[] = [];
    for await (const info of mirror.list({ prefix: 'b/', pageSize: 1 })) listed.push(info);
    expect(listed.map((info) => [info.key, info.sha256])).toEqual([
      ['b/1', sha256Of('one')],
      ['b/2', sha256Of('two')],
    ]);
    expect((await rejection(mirror.listPage({ prefix: '../' }))).code).toBe('INVALID_KEY');
  });

  it("walks the primary's own listing once, not page by page, and restates its errors", async () => {
    const memory = createMemoryStorage();
    const calls = { list: 0, listPage: 0, returned: 0 };
    let failAfter = Number.POSITIVE_INFINITY;
    const walking: Storage = {
      ...memory,
      listPage: async (options) => {
        calls.listPage += 1;
        return memory.listPage(options);
      },
      list: (options) => {
        calls.list += 1;
        const inner = memory.list(options)[Symbol.asyncIterator]();
        let served = 0;
        return {
          [Symbol.asyncIterator]: () => ({
            next: async () => {
              if (served >= failAfter) throw transientError();
              served += 1;
              return inner.next();
            },
            return: async () => {
              calls.returned += 1;
              return { done: true as const, value: undefined };
            },
          }),
        };
      },
    };
    const mirror = createMirroredStorage({ copies: [walking, createMemoryStorage()] });
    for (const key of ['c/1', 'c/2', 'c/3']) await mirror.put(key, key);

    const listed: ObjectInfo[] = [];
    for await (const info of mirror.list({ prefix: 'c/', pageSize: 1 })) listed.push(info);
    expect(listed.map((info) => info.key)).toEqual(['c/1', 'c/2', 'c/3']);
    expect(listed[0]?.sha256).toBe(sha256Of('c/1'));
    expect(calls).toEqual({ list: 1, listPage: 0, returned: 0 });

    // A caller that stops early lets the primary's walk go.
    for await (const _info of mirror.list({ prefix: 'c/' })) break;
    expect(calls.returned).toBe(1);

    failAfter = 1;
    const error = await rejection(
      (async () => {
        for await (const _info of mirror.list({ prefix: 'c/' })) {
          // Consumed until the primary fails.
        }
      })(),
    );
    expect(error.code).toBe('TRANSIENT_IO');
    expect(error.message).toBe('[cairn] [mirror] copy 0 (memory, primary): Connection reset.');
    expect(calls.returned).toBe(1);

    const invalid = await rejection(mirror.list({ prefix: '../' })[Symbol.asyncIterator]().next());
    expect(invalid.code).toBe('INVALID_KEY');
    expect(invalid.backend).toBe('mirror');
  });

  it('deletes every copy, and keeps the primary when a backup refuses', async () => {
    const { mirror, copies } = mirrorOf();
    await mirror.put('a', 'x');
    await mirror.delete('a');
    expect(await copies[0]?.head('a')).toBeUndefined();
    expect(await copies[1]?.head('a')).toBeUndefined();

    const backup = createMemoryStorage();
    const stubborn: Storage = {
      ...backup,
      delete: async () => {
        throw transientError();
      },
    };
    const primary = createMemoryStorage();
    const guarded = createMirroredStorage({ copies: [primary, stubborn] });
    await guarded.put('a', 'still readable');
    const error = await rejection(guarded.delete('a'));
    expect(error.code).toBe('TRANSIENT_IO');
    expect(error.message).toContain('copy 1 (memory)');
    expect(await text(guarded, 'a')).toBe('still readable');
    expect(await primary.head('a')).toBeDefined();
  });

  it('logs every event as a warning without object content, and survives a throwing listener', async () => {
    const { logger, warnings, errors } = recordingLogger();
    const [primary, backup] = [createMemoryStorage(), createMemoryStorage()];
    const mirror = createMirroredStorage({
      copies: [primary, backup],
      logger,
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    const secret = 'the secret training data';
    await mirror.put('a', secret);
    primary.corrupt('a', 'rotten training data');

    expect(await text(mirror, 'a')).toBe(secret);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ type: 'copy-corrupt', key: 'a', copy: 0 });
    expect(JSON.stringify(warnings)).not.toContain('training data');
    expect(errors).toHaveLength(2);
    expect(JSON.stringify(errors)).toContain('listener bug');
  });

  it("restates a failing primary's list and delete errors under the mirror's name", async () => {
    const memory = createMemoryStorage();
    const failing: Storage = {
      ...memory,
      listPage: async () => {
        throw transientError();
      },
      delete: async () => {
        throw new Error('EACCES: permission denied');
      },
    };
    const backup = createMemoryStorage();
    const mirror = createMirroredStorage({ copies: [failing, backup] });
    await mirror.put('a', 'x');

    const listed = await rejection(mirror.listPage({ prefix: '' }));
    expect(listed.code).toBe('TRANSIENT_IO');
    expect(listed.message).toBe('[cairn] [mirror] copy 0 (memory, primary): Connection reset.');
    const deleted = await rejection(mirror.delete('a'));
    expect(deleted.backend).toBe('mirror');
    expect(deleted.message).toContain('EACCES: permission denied (an unexpected error');
    expect((deleted.cause as Error).message).toBe('EACCES: permission denied');
    // Backups go first, so the object is still on the primary, where reads look first.
    expect(await backup.head('a')).toBeUndefined();
    expect(await text(mirror, 'a')).toBe('x');
  });

  it('fails a scrub when a copy cannot list, rather than report a partial picture', async () => {
    const memory = createMemoryStorage();
    const unlistable: Storage = {
      ...memory,
      list: () => ({
        [Symbol.asyncIterator]: () => ({
          next: async () => {
            throw transientError();
          },
        }),
      }),
    };
    const mirror = createMirroredStorage({ copies: [createMemoryStorage(), unlistable] });
    await mirror.put('a', 'x');
    const error = await rejection(mirror.scrub());
    expect(error.code).toBe('TRANSIENT_IO');
    expect(error.message).toContain('copy 1 (memory)');
  });

  it('closes every copy that can be closed and reports a failing close', async () => {
    const closed: string[] = [];
    const closing = (name: string, fail = false): Storage => ({
      ...createMemoryStorage(),
      name,
      close: async () => {
        closed.push(name);
        if (fail) throw transientError();
      },
    });
    await createMirroredStorage({ copies: [closing('one'), closing('two')] }).close?.();
    expect(closed).toEqual(['one', 'two']);
    const failing = createMirroredStorage({ copies: [closing('three', true), closing('four')] });
    expect((await rejection(failing.close?.() ?? Promise.resolve())).code).toBe('TRANSIENT_IO');
    expect(closed).toContain('four');
  });
});
