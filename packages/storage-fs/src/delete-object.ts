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
      // The data goes first and its record after it: a reader never finds the object
      // without its digest. A crash in between leaves a record of a file that is gone; it
      // names that file by inode and birth time, so it is never trusted for another, and
      // the next put at this key writes over it.
      try {
        await fileSystem.unlink(found.path);
      } catch (error) {
        if (errorCodeOf(error) === 'ENOENT') return undefined;
        throw mapFsError(error, { operation: 'delete', key, path: found.path });
      }
      // Flushed before the record goes, so a power loss cannot keep the file and lose its
      // record either.
      if (context.fsync) {
        await syncDirectory(fileSystem, dirname(found.path)).catch((error: unknown) => {
          throw mapFsError(error, { operation: 'flush the delete of', key, path: found.path });
        });
      }
      // The object is deleted either way: a record left behind is harmless (see above).
      await removeRecord(context, found.path, key).catch(() => {});
      return found.path;
    },
    options.signal,
  );
  if (removedPath !== undefined)
    await removeEmptyDirectories(fileSystem, dirname(removedPath), context.layout.root);
}
