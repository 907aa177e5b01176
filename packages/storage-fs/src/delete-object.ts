import { dirname } from 'node:path';
import type { DeleteOptions } from '@cairn/kernel';
import { removeEmptyDirectories, syncDirectory } from './directories.js';
import type { FsContext } from './fs-context.js';
import { withKeyLock } from './key-lock.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';
import { findObject } from './object-paths.js';
import { removeRecord } from './object-record.js';

/** Removes the object at `key` and its record; a missing key is already deleted. */
export async function deleteObject(
  context: FsContext,
  key: string,
  options: DeleteOptions,
): Promise<void> {
  const { fileSystem } = context;
  // Deleting what is not there needs no lock: it is already gone.
  if ((await findObject(context, key)) === undefined) return;
  const removedPath = await withKeyLock(
    context.lock,
    key,
    async (lock) => {
      const found = await findObject(context, key);
      if (found === undefined) return undefined;
      await lock.assertHeld();
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
    options.signal,
  );
  if (removedPath !== undefined)
    await removeEmptyDirectories(fileSystem, dirname(removedPath), context.layout.root);
}
