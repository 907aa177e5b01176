import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  CairnError,
  createMemoryStorage,
  DigestTransform,
  type ObjectInfo,
  readAll,
  type Storage,
  toReadable,
} from '@cairn/kernel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckContext, defaultLargeObjectBytes } from './check-context.js';
import { largeObjectChecks } from './large-object-checks.js';

const [streamLargeObject] = largeObjectChecks.checks;
if (streamLargeObject === undefined) throw new Error('the large-object check is missing');

function unsupported(): never {
  throw new CairnError({ code: 'UNSUPPORTED', backend: 'spool', message: 'Not needed here.' });
}

/**
 * The smallest backend that truly streams: each object goes to its own file on disk and is
 * read back from it. The large-object check must pass on it without `storesInMemory`.
 */
function createSpoolStorage(directory: string): Storage {
  const files = new Map<string, { path: string; info: ObjectInfo }>();
  let counter = 0;
  return {
    name: 'spool',
    capabilities: { conditionalWrites: false, rangedReads: false, sha256: true, atomicPut: true },
    async put(key, body) {
      counter += 1;
      const path = join(directory, `${counter}.bin`);
      const digest = new DigestTransform();
      await pipeline(toReadable(body), digest, createWriteStream(path));
      const { sha256, size } = digest.digest();
      const info: ObjectInfo = {
        key,
        size,
        sha256,
        etag: `"${counter}"`,
        lastModified: new Date(),
      };
      files.set(key, { path, info });
      return info;
    },
    async get(key) {
      const entry = files.get(key);
      if (!entry) throw new CairnError({ code: 'NOT_FOUND', backend: 'spool', message: key });
      return { info: entry.info, body: createReadStream(entry.path) };
    },
    async head(key) {
      return files.get(key)?.info;
    },
    async delete(key) {
      const entry = files.get(key);
      files.delete(key);
      if (entry) await rm(entry.path, { force: true });
    },
    list: unsupported,
    listPage: unsupported,
  };
}

/** A memory backend that keeps a second, joined copy of every object: double buffering. */
function createDoubleBufferingStorage(): Storage & { readonly copies: Map<string, Buffer> } {
  const inner = createMemoryStorage();
  const copies = new Map<string, Buffer>();
  return {
    ...inner,
    copies,
    async put(key, body, options) {
      const info = await inner.put(key, body, options);
      copies.set(key, await readAll((await inner.get(key)).body));
      return info;
    },
    async delete(key) {
      copies.delete(key);
      await inner.delete(key);
    },
  };
}

describe('the large-object check', () => {
  let directory = '';
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cairn-testkit-spool-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('passes a backend that streams to disk, with memory growth well below the object size', async () => {
    const notes: string[] = [];
    const storage = createSpoolStorage(directory);
    await streamLargeObject.run(
      createCheckContext(storage, { note: (message) => notes.push(message) }),
    );
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain(`put of ${defaultLargeObjectBytes / 1024 / 1024}.0 MiB`);
    expect(notes[1]).toContain('get of');
    expect(await readdir(directory), 'the check removed its object').toEqual([]);
  });

  it('fails a backend that holds the whole object in memory when it claims to stream', async () => {
    const context = createCheckContext(createMemoryStorage(), {
      largeObjectBytes: 64 * 1024 * 1024,
    });
    await expect(streamLargeObject.run(context)).rejects.toThrow(
      /put of 64\.0 MiB.*below the limit/,
    );
  });

  it('fails an in-memory backend that keeps a second copy of each object', async () => {
    const storage = createDoubleBufferingStorage();
    const context = createCheckContext(storage, {
      largeObjectBytes: 64 * 1024 * 1024,
      storesInMemory: true,
      memoryHeadroomBytes: 16 * 1024 * 1024,
    });
    await expect(streamLargeObject.run(context)).rejects.toThrow(
      /put of 64\.0 MiB.*below the limit/,
    );
    expect(storage.copies.size, 'the check removed its object').toBe(0);
  });
});
