import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CairnError } from '../errors/cairn-error.js';
import { DigestTransform, toReadable } from '../storage/body.js';
import { compareKeys } from '../storage/keys.js';
import { listFromPages } from '../storage/list-pages.js';
import type { ListPageOptions, ObjectInfo, Storage } from '../storage/storage.js';

/**
 * A small storage that keeps object bytes in files under `root` and their infos in memory, so a
 * test can stream large payloads without the storage itself holding them in memory (as the
 * memory storage must). Just enough of the contract for the checkpoint tests: no conditional
 * writes beyond `ifNoneMatch`, no ranges, no delimiter listings.
 */
export function createDiskStorage(root: string): Storage {
  const infos = new Map<string, ObjectInfo>();
  let counter = 0;
  const fileOf = (key: string) => path.join(root, encodeURIComponent(key));
  const storage: Storage = {
    name: 'test-disk',
    capabilities: { conditionalWrites: true, rangedReads: false, sha256: true, atomicPut: true },
    async put(key, body, options = {}) {
      if (options.ifNoneMatch === '*' && infos.has(key)) {
        throw new CairnError({ code: 'PRECONDITION_FAILED', backend: 'test-disk', message: key });
      }
      counter += 1;
      const temporary = `${fileOf(key)}.${counter}.partial`;
      const digest = new DigestTransform();
      try {
        await pipeline(toReadable(body), digest, createWriteStream(temporary), {
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
      } catch (error) {
        await rm(temporary, { force: true });
        throw new CairnError({
          code: options.signal?.aborted ? 'ABORTED' : 'TRANSIENT_IO',
          backend: 'test-disk',
          message: `put ${key} failed`,
          cause: error,
        });
      }
      await rename(temporary, fileOf(key));
      const { sha256, size } = digest.digest();
      const info: ObjectInfo = {
        key,
        size,
        sha256,
        etag: `"${counter}"`,
        lastModified: new Date(0),
        ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
      };
      infos.set(key, info);
      return info;
    },
    async get(key) {
      const info = infos.get(key);
      if (info === undefined) {
        throw new CairnError({
          code: 'NOT_FOUND',
          backend: 'test-disk',
          message: `No object at "${key}".`,
        });
      }
      return { info, body: createReadStream(fileOf(key)) };
    },
    async head(key) {
      return infos.get(key);
    },
    list(options = {}) {
      return listFromPages((page) => storage.listPage(page), options, 'test-disk');
    },
    async listPage(options: ListPageOptions = {}) {
      const prefix = options.prefix ?? '';
      const after = options.cursor ?? options.startAfter;
      const keys = [...infos.keys()]
        .filter(
          (key) => key.startsWith(prefix) && (after === undefined || compareKeys(key, after) > 0),
        )
        .sort(compareKeys);
      return { objects: keys.map((key) => infos.get(key) as ObjectInfo), prefixes: [] };
    },
    async delete(key) {
      infos.delete(key);
      await rm(fileOf(key), { force: true });
    },
  };
  return storage;
}
