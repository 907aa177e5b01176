import { resolve } from 'node:path';
import {
  CairnError,
  type DeleteOptions,
  type GetOptions,
  type GetResult,
  type ListOptions,
  type ListPage,
  type ListPageOptions,
  type Logger,
  type ObjectInfo,
  type PutOptions,
  type Storage,
  type StorageBody,
  type StorageCapabilities,
  silentLogger,
  validateGetRange,
  validatePutOptions,
} from '@cairn/kernel';
import { deleteObject } from './delete-object.js';
import { type FileSystem, nodeFileSystem } from './file-system.js';
import type { FsContext } from './fs-context.js';
import { validateFsKey } from './fs-layout.js';
import { checkListOptions, listFsObjects, listFsPage } from './fs-listing.js';
import {
  type FsStorageOptions,
  fsStorageName,
  parseFsStorageOptions,
} from './fs-storage-options.js';
import { openStorage } from './open-storage.js';
import { putObject } from './put-object.js';

import { getObject, headObject } from './read-object.js';
import { abortedWrite } from './temporary-file.js';

/** The fs storage: a {@link Storage} with the folder it keeps its objects in. */
export interface FsStorage extends Storage {
  /** The root folder as given, made absolute (the storage resolves symbolic links in it). */
  readonly root: string;
}

/** What the storage gets besides its options: never part of the config file. */
export interface FsStorageHooks {
  /** Where to report cleanups after crashes; silent by default. */
  readonly logger?: Logger;
  /**
   * Replaces `node:fs/promises` for every call the storage makes, e.g. to make the write
   * step fail with ENOSPC without filling a disk.
   */
  readonly fileSystem?: FileSystem;
}

const capabilities: StorageCapabilities = {
  conditionalWrites: true,
  rangedReads: true,
  sha256: true,
  atomicPut: true,
};

/**
 * Creates the embedded default storage: every object is a plain file under `root` (key
 * `runs/a/b.json` is the file `<root>/runs/a/b.json`), written atomically and crash-safely.
 * Nothing touches the disk until the first operation, which also cleans up after writers
 * that crashed.
 *
 * @throws CairnError `INVALID_OPTIONS` naming each option that is wrong.
 *
 * @example
 * const storage = createFsStorage({ root: '.cairn/store' });
 * await storage.put('runs/demo/result.json', JSON.stringify({ score: 0.93 }));
 */
export function createFsStorage(options: FsStorageOptions, hooks: FsStorageHooks = {}): FsStorage {
  const settings = parseFsStorageOptions(options);
  const fileSystem = hooks.fileSystem ?? nodeFileSystem;
  const logger = hooks.logger ?? silentLogger;
  const root = resolve(settings.root);
  let opening: Promise<FsContext> | undefined;

  // Opened once, on first use; a failed open (e.g. permissions) is tried again next time.
  function open(): Promise<FsContext> {
    opening ??= openStorage(fileSystem, root, settings, logger).catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  }

  const storage: FsStorage = {
    name: fsStorageName,
    capabilities,
    root,

    async put(key: string, body: StorageBody, putOptions: PutOptions = {}): Promise<ObjectInfo> {
      validateFsKey(key);
      validatePutOptions(key, putOptions, fsStorageName);
      if (putOptions.signal?.aborted) throw abortedWrite(key, putOptions.signal.reason);
      return putObject(await open(), key, body, putOptions);
    },

    async get(key: string, getOptions: GetOptions = {}): Promise<GetResult> {
      validateFsKey(key);
      validateGetRange(key, getOptions.range, fsStorageName);
      if (getOptions.signal?.aborted) {
        throw new CairnError({
          code: 'ABORTED',
          backend: fsStorageName,
          message: `Reading "${key}" was aborted.`,
          cause: getOptions.signal.reason,
          details: { key },
        });
      }
      return getObject(await open(), key, getOptions);
    },

    async head(key: string): Promise<ObjectInfo | undefined> {
      validateFsKey(key);
      return headObject(await open(), key);
    },

    list(listOptions: ListOptions = {}): AsyncIterable<ObjectInfo> {
      async function* generate() {
        // Bad options fail before the folder is even opened.
        checkListOptions(listOptions);
        yield* listFsObjects(await open(), listOptions);
      }
      return { [Symbol.asyncIterator]: generate };
    },

    async listPage(pageOptions: ListPageOptions = {}): Promise<ListPage> {
      checkListOptions(pageOptions);
      return listFsPage(await open(), pageOptions);
    },

    async delete(key: string, deleteOptions: DeleteOptions = {}): Promise<void> {
      validateFsKey(key);
      if (deleteOptions.signal?.aborted) {
        throw new CairnError({
          code: 'ABORTED',
          backend: fsStorageName,
          message: `Deleting "${key}" was aborted; nothing was deleted.`,
          cause: deleteOptions.signal.reason,
          details: { key },
        });
      }
      await deleteObject(await open(), key, deleteOptions);
    },

    async close(): Promise<void> {
      // Every operation opens and closes its own handles; a pending open is let finish.
      await opening?.catch(() => {});
    },
  };
  return storage;
}
