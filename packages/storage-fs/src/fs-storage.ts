import { constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
} from '@cairn/kernel';
import { cleanupLeftovers } from './cleanup-leftovers.js';
import { removeEmptyDirectories, syncDirectory } from './directories.js';
import { createFileBody } from './file-body.js';
import { type FileSystem, nodeFileSystem } from './file-system.js';
import type { FsContext } from './fs-context.js';
import { FsLayout, validateFsKey } from './fs-layout.js';
import { checkListOptions, listFsObjects, listFsPage } from './fs-listing.js';
import {
  type FsStorageOptions,
  fsStorageName,
  parseFsStorageOptions,
  type ResolvedFsStorageOptions,
} from './fs-storage-options.js';
import { withKeyLock } from './key-lock.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';
import { objectInfoOf } from './object-info.js';
import { findObject, symbolicLinkRefused } from './object-paths.js';
import { readTrustedRecord, removeRecord } from './object-record.js';
import { checkPutOptions, putObject } from './put-object.js';
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

// O_NOFOLLOW refuses a symbolic link as the last part of the path; Windows has no such flag.
const readFlags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

function notFound(key: string): CairnError {
  return new CairnError({
    code: 'NOT_FOUND',
    backend: fsStorageName,
    message: `No object at "${key}". List the prefix to see which keys exist.`,
    details: { key },
  });
}

function checkRange(key: string, range: GetOptions['range']): void {
  if (range === undefined) return;
  const { start, end } = range;
  const valid =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!valid) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: fsStorageName,
      message: `Invalid range ${JSON.stringify(range)} for "${key}": expected whole numbers with 0 <= start <= end (end inclusive, optional).`,
      details: { key },
    });
  }
}

async function openStorage(
  fileSystem: FileSystem,
  root: string,
  settings: ResolvedFsStorageOptions,
  logger: Logger,
): Promise<FsContext> {
  let realRoot: string;
  try {
    await fileSystem.mkdir(root, { recursive: true });
    realRoot = await fileSystem.realpath(root);
  } catch (error) {
    const code = errorCodeOf(error);
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new CairnError({
        code: 'PERMANENT_IO',
        backend: fsStorageName,
        message: `The storage root ${root} is not a folder. Point "root" at a folder (it is created when missing).`,
        cause: error,
        details: { path: root },
      });
    }
    throw mapFsError(error, { operation: 'open the storage', path: root });
  }
  const layout = new FsLayout(realRoot);
  const context: FsContext = {
    fileSystem,
    layout,
    fsync: settings.fsync,
    lock: {
      fileSystem,
      lockDirectory: layout.lockDirectory,
      timeoutMs: settings.lockTimeoutMs,
      staleAfterMs: settings.staleLockAfterMs,
    },
  };
  try {
    await fileSystem.mkdir(layout.lockDirectory, { recursive: true });
    await fileSystem.mkdir(layout.metadataDirectory, { recursive: true });
    const removed = await cleanupLeftovers(context, settings.cleanupTemporaryFilesOlderThanMs);
    if (removed.temporaryFiles > 0 || removed.locks > 0) {
      logger.info(
        { backend: fsStorageName, root: realRoot, ...removed },
        'Removed temporary files and locks left by writers that crashed',
      );
    }
  } catch (error) {
    throw mapFsError(error, { operation: 'prepare the storage', path: realRoot });
  }
  return context;
}

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
      checkPutOptions(key, putOptions);
      if (putOptions.signal?.aborted) throw abortedWrite(key, putOptions.signal.reason);
      return putObject(await open(), key, body, putOptions);
    },

    async get(key: string, getOptions: GetOptions = {}): Promise<GetResult> {
      validateFsKey(key);
      checkRange(key, getOptions.range);
      if (getOptions.signal?.aborted) {
        throw new CairnError({
          code: 'ABORTED',
          backend: fsStorageName,
          message: `Reading "${key}" was aborted.`,
          cause: getOptions.signal.reason,
          details: { key },
        });
      }
      const context = await open();
      const found = await findObject(context, key);
      if (found === undefined) throw notFound(key);
      let handle: Awaited<ReturnType<FileSystem['open']>>;
      try {
        handle = await fileSystem.open(found.path, readFlags);
      } catch (error) {
        const code = errorCodeOf(error);
        if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(key);
        if (code === 'ELOOP') throw symbolicLinkRefused(key, found.path);
        throw mapFsError(error, { operation: 'read', key, path: found.path });
      }
      try {
        // The open file's own stat: it describes the bytes read even if the key is replaced.
        const stat = await handle.stat({ bigint: true });
        if (!stat.isFile()) throw notFound(key);
        const record = await readTrustedRecord(context, found.path, stat, key);
        const info = objectInfoOf(key, stat, record, true);
        const start = getOptions.range?.start ?? 0;
        const end = Math.min(getOptions.range?.end ?? info.size - 1, info.size - 1);
        const body = createFileBody({
          handle,
          key,
          path: found.path,
          start,
          end,
          ...(getOptions.signal === undefined ? {} : { signal: getOptions.signal }),
        });
        return { info, body };
      } catch (error) {
        await handle.close().catch(() => {});
        throw mapFsError(error, { operation: 'read', key, path: found.path });
      }
    },

    async head(key: string): Promise<ObjectInfo | undefined> {
      validateFsKey(key);
      const context = await open();
      const found = await findObject(context, key);
      if (found === undefined) return undefined;
      const record = await readTrustedRecord(context, found.path, found.stat, key);
      return objectInfoOf(key, found.stat, record, true);
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
      const context = await open();
      // Deleting what is not there needs no lock: it is already gone.
      if ((await findObject(context, key)) === undefined) return;
      const removedPath = await withKeyLock(
        context.lock,
        key,
        async () => {
          const found = await findObject(context, key);
          if (found === undefined) return undefined;
          // The record goes first: a crash in between leaves a file without a record (digest
          // unknown), never a record without its file.
          await removeRecord(context, found.path, key);
          try {
            await fileSystem.unlink(found.path);
          } catch (error) {
            if (errorCodeOf(error) === 'ENOENT') return undefined;
            throw mapFsError(error, { operation: 'delete', key, path: found.path });
          }
          if (context.fsync) {
            await syncDirectory(fileSystem, dirname(found.path)).catch((error: unknown) => {
              throw mapFsError(error, { operation: 'flush the delete of', key, path: found.path });
            });
          }
          return found.path;
        },
        deleteOptions.signal,
      );
      if (removedPath !== undefined)
        await removeEmptyDirectories(fileSystem, dirname(removedPath), context.layout.root);
    },

    async close(): Promise<void> {
      // Every operation opens and closes its own handles; a pending open is let finish.
      await opening?.catch(() => {});
    },
  };
  return storage;
}
