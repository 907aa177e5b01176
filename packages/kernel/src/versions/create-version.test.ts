import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import type { Clock } from '../retry/clock.js';
import { createSeededRandom } from '../retry/deterministic-random.js';
import { readAll } from '../storage/body.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { rejection } from '../testing/rejection.js';
import { createVersion } from './create-version.js';
import { listVersions } from './latest-version.js';
import { versionKey } from './version-keys.js';
import { versionWriterMetadataKey } from './version-ownership.js';

const prefix = 'artifacts/dataset-x/';

/** Waits only a turn of the event loop, whatever the backoff asks: races without real time. */
const turnClock: Clock = {
  now: () => 0,
  sleep: () => new Promise((resolve) => setImmediate(resolve)),
};

const fastRetry = { clock: turnClock, random: createSeededRandom(7) };

async function storedVersions(storage: Storage): Promise<Map<number, string>> {
  const stored = new Map<number, string>();
  for await (const { version, key } of listVersions(storage, prefix)) {
    stored.set(version, (await readAll((await storage.get(key)).body)).toString());
  }
  return stored;
}

describe('createVersion', () => {
  it('numbers versions 1, 2, 3 … and stores each body with its content type', async () => {
    const storage = createMemoryStorage();
    for (let index = 1; index <= 3; index += 1) {
      const created = await createVersion(storage, {
        prefix,
        body: `record ${index}`,
        contentType: 'text/plain',
        metadata: { origin: 'test' },
      });
      expect(created).toMatchObject({
        version: index,
        key: versionKey(prefix, index),
        attempts: 1,
      });
      expect(created.info.etag).toBeTruthy();
    }
    expect(await storedVersions(storage)).toEqual(
      new Map([
        [1, 'record 1'],
        [2, 'record 2'],
        [3, 'record 3'],
      ]),
    );
    const info = await storage.head(versionKey(prefix, 2));
    expect(info?.contentType).toBe('text/plain');
    expect(info?.metadata).toMatchObject({ origin: 'test' });
    expect(info?.metadata?.[versionWriterMetadataKey]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('continues after the highest version, past gaps', async () => {
    const storage = createMemoryStorage();
    await storage.put(versionKey(prefix, 7), 'written earlier');
    expect((await createVersion(storage, { prefix, body: new Uint8Array([1, 2]) })).version).toBe(
      8,
    );
  });

  it('searches from startAfter when given, and never reuses a number below it', async () => {
    const storage = createMemoryStorage();
    await storage.put(versionKey(prefix, 1), 'one');
    const created = await createVersion(storage, { prefix, body: 'x', startAfter: 5 });
    expect(created.version).toBe(6);
    // A hint below the highest only costs a longer look.
    expect((await createVersion(storage, { prefix, body: 'y', startAfter: 1 })).version).toBe(7);
  });

  it('gives racing writers distinct numbers 1…n, each holding its own record', async () => {
    const storage = createMemoryStorage();
    const writers = 8;
    const versionsEach = 10;
    const attempts: number[] = [];
    const got = await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        const numbers = new Map<number, string>();
        let last = 0;
        for (let iteration = 0; iteration < versionsEach; iteration += 1) {
          const body = `writer ${writer} iteration ${iteration}`;
          // Half the writers continue from their last number, half search from the start.
          const startAfter = writer % 2 === 0 ? last : undefined;
          const created = await createVersion(storage, {
            prefix,
            body,
            startAfter,
            retry: fastRetry,
          });
          numbers.set(created.version, body);
          last = created.version;
          attempts.push(created.attempts);
        }
        return numbers;
      }),
    );
    const claimed = got.flatMap((numbers) => [...numbers]);
    expect(new Set(claimed.map(([version]) => version)).size).toBe(80);
    const stored = await storedVersions(storage);
    expect([...stored.keys()]).toEqual(Array.from({ length: 80 }, (_, index) => index + 1));
    expect(new Map(claimed.sort(([left], [right]) => left - right))).toEqual(stored);
    // The writers really raced: some lost a number to another and tried again.
    expect(Math.max(...attempts)).toBeGreaterThan(1);
  });

  it('returns the number it created when the answer to its put was lost', async () => {
    const inner = createMemoryStorage();
    let failures = 0;
    // Commits the first put, then reports a timeout: the write happened, the answer did not.
    const storage: Storage = {
      ...inner,
      put: async (key, body, options) => {
        const info = await inner.put(key, body, options);
        if (failures === 0) {
          failures += 1;
          throw new CairnError({ code: 'TRANSIENT_IO', message: 'timed out after committing' });
        }
        return info;
      },
    };
    const created = await createVersion(storage, { prefix, body: 'mine', retry: fastRetry });
    expect(created).toMatchObject({ version: 1, attempts: 2 });
    expect(await storedVersions(inner)).toEqual(new Map([[1, 'mine']]));
    expect((await createVersion(storage, { prefix, body: 'next' })).version).toBe(2);
  });

  it('does not take another writer’s record with the same body for its own', async () => {
    const inner = createMemoryStorage();
    let sneaked = false;
    // Another writer stores the same body at the number this one is about to take.
    const storage: Storage = {
      ...inner,
      put: async (key, body, options) => {
        if (!sneaked) {
          sneaked = true;
          await inner.put(key, 'same', { metadata: { [versionWriterMetadataKey]: 'other' } });
        }
        return inner.put(key, body, options);
      },
    };
    const created = await createVersion(storage, { prefix, body: 'same', retry: fastRetry });
    expect(created).toMatchObject({ version: 2, attempts: 2 });
  });

  it('retries a transient failure with the same number when nothing landed', async () => {
    const inner = createMemoryStorage();
    const tried: string[] = [];
    const storage: Storage = {
      ...inner,
      put: async (key, body, options) => {
        tried.push(key);
        if (tried.length === 1) throw new CairnError({ code: 'CONFLICT', message: 'try again' });
        return inner.put(key, body, options);
      },
    };
    expect((await createVersion(storage, { prefix, body: 'x', retry: fastRetry })).version).toBe(1);
    expect(tried).toEqual([versionKey(prefix, 1), versionKey(prefix, 1)]);
  });

  it('refuses a storage without conditional writes, saying why and what to use', async () => {
    const inner = createMemoryStorage();
    const storage: Storage = {
      ...inner,
      capabilities: { ...inner.capabilities, conditionalWrites: false },
    };
    const error = await rejection(createVersion(storage, { prefix, body: 'x' }));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toContain('version allocation needs conditional writes');
    expect(error.message).toContain('cannot host versioned names');
    expect(inner.size).toBe(0);
  });

  it('refuses bad input before writing anything', async () => {
    const storage = createMemoryStorage();
    const cases: [Parameters<typeof createVersion>[1], string, RegExp][] = [
      [{ prefix: 'no-slash', body: 'x' }, 'INVALID_OPTIONS', /ending with "\/"/],
      [{ prefix: '/absolute/', body: 'x' }, 'INVALID_KEY', /absolute/],
      [{ prefix, body: (async function* () {})() as never }, 'INVALID_OPTIONS', /not a stream/],
      [{ prefix, body: 'x', metadata: { 'Bad Name': 'x' } }, 'INVALID_OPTIONS', /metadata name/],
      [{ prefix, body: 'x', retry: { maxAttempts: 0 } }, 'INVALID_OPTIONS', /maxAttempts/],
      [{ prefix, body: 'x', startAfter: -1 }, 'INVALID_OPTIONS', /startAfter/],
    ];
    for (const [options, code, message] of cases) {
      const error = await rejection(createVersion(storage, options));
      expect(error.code, error.message).toBe(code);
      expect(error.message).toMatch(message);
    }
    expect(storage.size).toBe(0);
  });

  it('stops with ABORTED when the signal fires, before or while waiting', async () => {
    const storage = createMemoryStorage();
    const aborted = new AbortController();
    aborted.abort(new Error('stop'));
    const before = await rejection(
      createVersion(storage, { prefix, body: 'x', signal: aborted.signal }),
    );
    expect(before.code).toBe('ABORTED');
    expect(storage.size).toBe(0);

    // Every number is taken by someone else: the writer keeps waiting until aborted.
    const controller = new AbortController();
    const contended: Storage = {
      ...storage,
      put: async (key) => {
        controller.abort(new Error('stop while racing'));
        throw new CairnError({ code: 'PRECONDITION_FAILED', message: `${key} exists` });
      },
    };
    const during = await rejection(
      createVersion(contended, { prefix, body: 'x', signal: controller.signal }),
    );
    expect(during.code).toBe('ABORTED');
    expect(during.cause).toEqual(new Error('stop while racing'));
  });

  it('gives up after the last attempt with a typed error saying how often it lost', async () => {
    const inner = createMemoryStorage();
    // Another writer always gets there first: every number this one tries is already taken.
    const storage: Storage = {
      ...inner,
      put: async (key, body, options) => {
        await inner.put(key, 'someone else', { metadata: { [versionWriterMetadataKey]: 'other' } });
        return inner.put(key, body, options);
      },
    };
    const error = await rejection(
      createVersion(storage, { prefix, body: 'x', retry: { ...fastRetry, maxAttempts: 5 } }),
    );
    expect(error.code).toBe('RETRIES_EXHAUSTED');
    expect(error.backend).toBe('versions');
    expect(error.details).toMatchObject({ attempts: 5, lostRaces: 5, lastTried: 5 });
    expect(error.message).toContain('another writer took the number every time (5 lost races)');
    expect(error.message).toContain('raise retry.maxAttempts (now 5)');
    expect(error.cause).toMatchObject({ code: 'PRECONDITION_FAILED' });
  });

  it('passes a permanent storage failure through without retrying', async () => {
    const inner = createMemoryStorage();
    let puts = 0;
    const storage: Storage = {
      ...inner,
      put: async () => {
        puts += 1;
        throw new CairnError({ code: 'PERMANENT_IO', message: 'access denied' });
      },
    };
    const error = await rejection(createVersion(storage, { prefix, body: 'x', retry: fastRetry }));
    expect(error.code).toBe('PERMANENT_IO');
    expect(puts).toBe(1);
  });
});
