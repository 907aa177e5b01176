import { Readable } from 'node:stream';
import { type ObjectInfo, readAll, type Storage, sha256Of, toReadable } from '@cairn/kernel';

// Deliberately broken storages for the crash harness's self-check: run under the harness, each
// must make it fail. They break the promises the checkpoint store relies on, the way real
// storage has broken them (write-back caches, acknowledgements before the data is down).

/** The faults the crash writer can run with. */
export const crashFaults = ['none', 'ack-before-durable', 'lying-cache'] as const;

/** One of {@link crashFaults}. */
export type CrashFault = (typeof crashFaults)[number];

/** How long `ack-before-durable` holds a sidecar back before writing it. */
export const deferredCommitMs = 400;

function fakeInfo(key: string, bytes: Buffer): ObjectInfo {
  return {
    key,
    size: bytes.length,
    etag: `"unwritten-${sha256Of(bytes).slice(0, 16)}"`,
    lastModified: new Date(),
    sha256: sha256Of(bytes),
  };
}

/**
 * Answers a sidecar's put at once and writes it {@link deferredCommitMs} later: the store
 * reports a checkpoint saved that a kill in between loses.
 */
function ackBeforeDurable(storage: Storage): Storage {
  return {
    ...storage,
    async put(key, body, options) {
      if (!key.endsWith('/checkpoint.yaml')) return storage.put(key, body, options);
      const bytes = await readAll(toReadable(body));
      setTimeout(() => {
        storage.put(key, bytes, options).catch(() => {});
      }, deferredCommitMs);
      return fakeInfo(key, bytes);
    },
  };
}

/**
 * Keeps payloads whole in memory but writes only their first half: the writer's own read-back
 * (served from memory) passes, and a fresh process finds a torn payload.
 */
function lyingCache(storage: Storage): Storage {
  const cache = new Map<string, Buffer>();
  return {
    ...storage,
    async put(key, body, options) {
      if (!key.endsWith('/payload')) return storage.put(key, body, options);
      const bytes = await readAll(toReadable(body));
      await storage.put(key, bytes.subarray(0, Math.floor(bytes.length / 2)), options);
      cache.set(key, bytes);
      return fakeInfo(key, bytes);
    },
    async get(key, options) {
      const bytes = cache.get(key);
      if (bytes === undefined) return storage.get(key, options);
      return { info: fakeInfo(key, bytes), body: Readable.from([bytes]) };
    },
  };
}

/** `storage` with `fault` applied. */
export function withCrashFault(storage: Storage, fault: CrashFault): Storage {
  switch (fault) {
    case 'none':
      return storage;
    case 'ack-before-durable':
      return ackBeforeDurable(storage);
    case 'lying-cache':
      return lyingCache(storage);
  }
}
