import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { DigestTransform, toReadable } from './body.js';
import { validateGetRange } from './get-options.js';
import { compareKeys, validateKey } from './keys.js';
import { validateListOptions } from './list-options.js';
import { listFromPages } from './list-pages.js';
import { validatePutOptions } from './put-options.js';
import type {
  GetOptions,
  GetResult,
  ListOptions,
  ListPage,
  ListPageOptions,
  ObjectInfo,
  PutOptions,
  Storage,
  StorageBody,
  StorageCapabilities,
} from './storage.js';

/** The name memory storage reports in errors and the config's `use: memory`. */
export const memoryStorageName = 'memory';

interface StoredObject {
  // Kept as the chunks that arrived: joining them would briefly double the memory.
  readonly chunks: readonly Buffer[];
  readonly info: ObjectInfo;
}

/** A memory storage with test hooks to reach under the contract. */
export interface MemoryStorage extends Storage {
  /**
   * Replaces an object's bytes without updating its recorded digest or etag, the way bit rot
   * or a careless hand would. For tests of corruption handling only.
   */
  corrupt(key: string, bytes: Uint8Array | string): void;
  /** Number of objects held. */
  readonly size: number;
}

const capabilities: StorageCapabilities = {
  conditionalWrites: true,
  rangedReads: true,
  sha256: true,
  atomicPut: true,
};

/**
 * The reference backend: everything in a sorted in-process map. Complete contract semantics
 * (conditional writes, ranges, digests, pagination), nothing durable; for tests and examples.
 */
export function createMemoryStorage(): MemoryStorage {
  const objects = new Map<string, StoredObject>();
  // Sorted key list so a page is a binary search plus a slice, not a sort of everything.
  const sortedKeys: string[] = [];
  let generation = 0;

  function insertionPoint(key: string): number {
    let low = 0;
    let high = sortedKeys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareKeys(sortedKeys[middle] as string, key) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  function checkPreconditions(key: string, options: PutOptions): void {
    const current = objects.get(key);
    if (options.ifNoneMatch === '*' && current) {
      throw new CairnError({
        code: 'PRECONDITION_FAILED',
        backend: memoryStorageName,
        message: `Object "${key}" already exists and ifNoneMatch "*" was given; read it or pick another key.`,
        details: { key },
      });
    }
    if (options.ifMatch !== undefined && current?.info.etag !== options.ifMatch) {
      throw new CairnError({
        code: 'PRECONDITION_FAILED',
        backend: memoryStorageName,
        message: current
          ? `Object "${key}" changed since it was read (etag ${current.info.etag}, expected ${options.ifMatch}); read it again and retry.`
          : `Object "${key}" does not exist, so ifMatch ${options.ifMatch} cannot hold.`,
        details: { key },
      });
    }
  }

  function abortedError(reason: unknown): CairnError {
    return new CairnError({
      code: 'ABORTED',
      backend: memoryStorageName,
      message: 'The operation was aborted.',
      cause: reason,
    });
  }

  const storage: MemoryStorage = {
    name: memoryStorageName,
    capabilities,

    get size() {
      return objects.size;
    },

    async put(key: string, body: StorageBody, options: PutOptions = {}): Promise<ObjectInfo> {
      validateKey(key, { backend: memoryStorageName });
      validatePutOptions(key, options, memoryStorageName);
      checkPreconditions(key, options);
      const digest = new DigestTransform();
      const chunks: Buffer[] = [];
      try {
        // pipeline, not pipe: a failing body must reject the put instead of leaving it waiting
        // forever, and the signal must stop a body that has stalled between chunks.
        await pipeline(
          toReadable(body),
          digest,
          async (source: AsyncIterable<Buffer>) => {
            for await (const chunk of source) chunks.push(chunk);
          },
          { signal: options.signal },
        );
      } catch (error) {
        if (options.signal?.aborted) throw abortedError(options.signal.reason);
        if (isCairnError(error)) throw error;
        throw new CairnError({
          code: 'TRANSIENT_IO',
          backend: memoryStorageName,
          message: `Reading the body for "${key}" failed; nothing was stored. Retry with a fresh body.`,
          cause: error,
        });
      }
      if (options.signal?.aborted) throw abortedError(options.signal.reason);
      const { sha256, size } = digest.digest();
      if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256) {
        throw new CairnError({
          code: 'CORRUPT_DATA',
          backend: memoryStorageName,
          message: `Body for "${key}" has SHA-256 ${sha256}, expected ${options.expectedSha256}; nothing was stored.`,
          details: { key, sha256, expectedSha256: options.expectedSha256 },
        });
      }
      // Checked again after the body was read: another put may have committed meanwhile.
      checkPreconditions(key, options);
      generation += 1;
      const info: ObjectInfo = {
        key,
        size,
        etag: `"${generation.toString(36)}-${sha256.slice(0, 16)}"`,
        lastModified: new Date(),
        sha256,
        ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
        ...(options.metadata === undefined ? {} : { metadata: { ...options.metadata } }),
      };
      if (!objects.has(key)) sortedKeys.splice(insertionPoint(key), 0, key);
      objects.set(key, { chunks, info });
      return info;
    },

    async get(key: string, options: GetOptions = {}): Promise<GetResult> {
      validateKey(key, { backend: memoryStorageName });
      const stored = objects.get(key);
      if (!stored) {
        throw new CairnError({
          code: 'NOT_FOUND',
          backend: memoryStorageName,
          message: `No object at "${key}". List the prefix to see which keys exist.`,
          details: { key },
        });
      }
      if (options.signal?.aborted) throw abortedError(options.signal.reason);
      validateGetRange(key, options.range, memoryStorageName);
      let chunks = stored.chunks;
      if (options.range)
        chunks = sliceChunks(
          chunks,
          options.range.start,
          options.range.end ?? stored.info.size - 1,
        );
      // Byte mode, as a file or socket stream would be: read(size) and highWaterMark count bytes.
      return { info: stored.info, body: Readable.from(chunks, { objectMode: false }) };
    },

    async head(key: string): Promise<ObjectInfo | undefined> {
      validateKey(key, { backend: memoryStorageName });
      return objects.get(key)?.info;
    },

    list(options: ListOptions = {}): AsyncIterable<ObjectInfo> {
      return listFromPages((page) => storage.listPage(page), options, memoryStorageName);
    },

    async listPage(options: ListPageOptions = {}): Promise<ListPage> {
      const { prefix, pageSize } = validateListOptions(options, memoryStorageName);
      const after = [options.cursor, options.startAfter].reduce<string | undefined>(
        (latest, candidate) =>
          candidate === undefined || (latest !== undefined && compareKeys(latest, candidate) >= 0)
            ? latest
            : candidate,
        undefined,
      );
      let index =
        after === undefined
          ? insertionPoint(prefix) - (objects.has(prefix) ? 1 : 0)
          : insertionPoint(after);
      if (index < 0) index = 0;
      const found: ObjectInfo[] = [];
      const prefixes: string[] = [];
      let last: string | undefined;
      while (index < sortedKeys.length && found.length + prefixes.length < pageSize) {
        const key = sortedKeys[index] as string;
        if (!key.startsWith(prefix)) {
          if (compareKeys(key, prefix) > 0) break;
          index += 1;
          continue;
        }
        const separator =
          options.delimiter === undefined ? -1 : key.indexOf(options.delimiter, prefix.length);
        if (separator >= 0) {
          const folder = key.slice(0, separator + 1);
          prefixes.push(folder);
          // Skip every key in the folder: the cursor moves past the whole group.
          last = `${folder}\u{10ffff}`;
          index = insertionPoint(last);
          continue;
        }
        found.push((objects.get(key) as StoredObject).info);
        last = key;
        index += 1;
      }
      const more = index < sortedKeys.length && (sortedKeys[index] as string).startsWith(prefix);
      return { objects: found, prefixes, ...(more && last !== undefined ? { cursor: last } : {}) };
    },

    async delete(key: string): Promise<void> {
      validateKey(key, { backend: memoryStorageName });
      if (objects.delete(key)) sortedKeys.splice(insertionPoint(key) - 1, 1);
    },

    corrupt(key: string, bytes: Uint8Array | string): void {
      const stored = objects.get(key);
      if (!stored) throw new Error(`corrupt(): no object at "${key}"`);
      const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
      objects.set(key, { chunks: [data], info: stored.info });
    },
  };
  return storage;
}

function sliceChunks(chunks: readonly Buffer[], start: number, end: number): Buffer[] {
  const result: Buffer[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    const chunkEnd = offset + chunk.length;
    if (chunkEnd > start && offset <= end) {
      result.push(
        chunk.subarray(Math.max(0, start - offset), Math.min(chunk.length, end - offset + 1)),
      );
    }
    offset = chunkEnd;
  }
  return result;
}
