import { dirname, sep } from 'node:path';
import type { FileSystem } from './file-system.js';
import { errorCodeOf } from './map-fs-error.js';

/**
 * Flushes a folder's entries (a rename or a new file in it) to disk. Windows cannot open
 * folders for flushing, and some file systems refuse it; there the rename is as durable as
 * the platform allows.
 */
export async function syncDirectory(fileSystem: FileSystem, directory: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fileSystem.open(directory, 'r');
  try {
    await handle.sync();
  } catch (error) {
    const code = errorCodeOf(error);
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Flushes every folder in `directories` once, deepest first (new entries are only reachable
 * once their parents are durable, and flushing in any order gets there; deepest first just
 * finishes the object's own folder soonest).
 */
export async function syncDirectories(
  fileSystem: FileSystem,
  directories: Iterable<string>,
): Promise<void> {
  const unique = [...new Set(directories)].sort((left, right) => right.length - left.length);
  for (const directory of unique) await syncDirectory(fileSystem, directory);
}

/**
 * Removes `directory` and then its parents while they are empty, stopping below `stopAt`.
 * Best effort: it keeps listings fast, and a failure (a folder not empty, or already gone)
 * just ends it. A write racing into a folder removed here sees ENOENT and starts over.
 */
export async function removeEmptyDirectories(
  fileSystem: FileSystem,
  directory: string,
  stopAt: string,
): Promise<void> {
  let current = directory;
  while (current !== stopAt && current.startsWith(stopAt + sep)) {
    try {
      await fileSystem.rmdir(current);
    } catch {
      return;
    }
    current = dirname(current);
  }
}
