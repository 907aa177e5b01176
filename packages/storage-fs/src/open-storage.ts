import { CairnError, type Logger } from '@cairn/kernel';
import { cleanupLeftovers } from './cleanup-leftovers.js';
import type { FileSystem } from './file-system.js';
import type { FsContext } from './fs-context.js';
import { FsLayout } from './fs-layout.js';
import { fsStorageName, type ResolvedFsStorageOptions } from './fs-storage-options.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';

/**
 * Makes the root and the storage's own folders, resolves the root's symbolic links and
 * cleans up after writers that crashed.
 *
 * @throws CairnError `PERMANENT_IO` when the root is a file; a mapped I/O error otherwise.
 */
export async function openStorage(
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
