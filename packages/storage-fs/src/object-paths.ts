import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '@cairn/kernel';
import type { FsContext } from './fs-context.js';
import { folderSuffix, objectSuffix } from './fs-layout.js';
import { fsStorageName } from './fs-storage-options.js';
import { withKeyLock } from './key-lock.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';

/** An object's file, found on disk. */
export interface FoundObject {
  /** Absolute path of the file. */
  readonly path: string;
  /** Its `lstat`, with nanosecond times and 64-bit inode numbers. */
  readonly stat: BigIntStats;
}

/**
 * Thrown when a folder vanished under a write (a concurrent delete removed it as empty) or
 * appeared where a file was about to go: the write starts over from the root.
 */
export class LayoutChangedError extends Error {
  override readonly name = 'LayoutChangedError';
}

/** The refusal of a path that goes through a symbolic link. */
export function symbolicLinkRefused(key: string, path: string): CairnError {
  return new CairnError({
    code: 'INVALID_KEY',
    backend: fsStorageName,
    message: `Refusing key "${key}": ${path} is a symbolic link. The fs storage never follows symbolic links, so keys cannot escape the root; replace the link with a real folder or file.`,
    details: { key, path },
  });
}

async function statOf(
  context: FsContext,
  path: string,
  key: string,
): Promise<BigIntStats | undefined> {
  try {
    return await context.fileSystem.lstat(path, { bigint: true });
  } catch (error) {
    const code = errorCodeOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw mapFsError(error, { operation: 'look up', key, path });
  }
}

/**
 * The folder holding keys `<segment>/…` inside `directory`: `<segment>` or, when a file took
 * that name first, `<segment>.cairn-folder`. Undefined when there is none.
 *
 * @throws CairnError `INVALID_KEY` when the way goes through a symbolic link.
 */
export async function findFolder(
  context: FsContext,
  directory: string,
  segment: string,
  key: string,
): Promise<string | undefined> {
  for (const name of [segment, segment + folderSuffix]) {
    const path = join(directory, name);
    const stat = await statOf(context, path, key);
    if (stat?.isDirectory()) return path;
    if (stat?.isSymbolicLink()) throw symbolicLinkRefused(key, path);
  }
  return undefined;
}

/** The file of object `<segment>` inside `directory`, trying the same two names. */
export async function findObjectIn(
  context: FsContext,
  directory: string,
  segment: string,
  key: string,
): Promise<FoundObject | undefined> {
  for (const name of [segment, segment + objectSuffix]) {
    const path = join(directory, name);
    const stat = await statOf(context, path, key);
    if (stat?.isFile()) return { path, stat };
    if (stat?.isSymbolicLink()) throw symbolicLinkRefused(key, path);
  }
  return undefined;
}

/** The last segment of a key: the object's own name. */
export function objectName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** The folder that would hold `key`'s file, or undefined when a folder on the way is missing. */
export async function findParentFolder(
  context: FsContext,
  key: string,
): Promise<string | undefined> {
  const segments = key.split('/');
  let directory: string | undefined = context.layout.root;
  for (const segment of segments.slice(0, -1)) {
    directory = await findFolder(context, directory, segment, key);
    if (directory === undefined) return undefined;
  }
  return directory;
}

/** The file of `key`, or undefined when no object exists there. Read-only, takes no lock. */
export async function findObject(
  context: FsContext,
  key: string,
): Promise<FoundObject | undefined> {
  const directory = await findParentFolder(context, key);
  if (directory === undefined) return undefined;
  return findObjectIn(context, directory, objectName(key), key);
}

/** The folder a write goes into, and the folders created for it (shallowest first). */
export interface PreparedFolder {
  /** The folder that will hold the object's file. */
  readonly directory: string;
  /** Folders created on the way, which must be flushed (and removed if the write fails). */
  readonly created: readonly string[];
}

/**
 * Finds or creates the folders on the way to `key`. A missing folder is created under the
 * lock of its own key path (`runs/a` for the folder of `runs/a/b`), the same lock an object
 * `runs/a` is written under, so a folder and an object never race for one name.
 *
 * @throws LayoutChangedError when a concurrent delete removed a folder meanwhile: start over.
 */
export async function prepareParentFolder(
  context: FsContext,
  key: string,
  signal?: AbortSignal,
): Promise<PreparedFolder> {
  const segments = key.split('/');
  const created: string[] = [];
  let directory = context.layout.root;
  for (let index = 0; index < segments.length - 1; index++) {
    const segment = segments[index] as string;
    const found = await findFolder(context, directory, segment, key);
    if (found !== undefined) {
      directory = found;
      continue;
    }
    const parent = directory;
    const folderKey = segments.slice(0, index + 1).join('/');
    directory = await withKeyLock(
      context.lock,
      folderKey,
      async () => {
        const again = await findFolder(context, parent, segment, key);
        if (again !== undefined) return again;
        const primary = join(parent, segment);
        const taken = (await statOf(context, primary, key)) !== undefined;
        const target = taken ? join(parent, segment + folderSuffix) : primary;
        try {
          await context.fileSystem.mkdir(target);
        } catch (error) {
          const code = errorCodeOf(error);
          if (code === 'ENOENT' || code === 'EEXIST') throw new LayoutChangedError(target);
          throw mapFsError(error, { operation: 'create a folder for', key, path: target });
        }
        created.push(target);
        return target;
      },
      signal,
    );
  }
  return { directory, created };
}

/** Where a put of `key` commits: the existing object's file, or a free name for a new one. */
export interface ObjectTarget {
  /** The object currently stored, if any. */
  readonly existing?: FoundObject;
  /** The path to rename or link the new file to. */
  readonly path: string;
}

/**
 * Decides where the object `key` goes inside `directory`. Call it holding the key's lock:
 * then no folder of the same name can appear before the commit.
 */
export async function chooseObjectTarget(
  context: FsContext,
  directory: string,
  key: string,
): Promise<ObjectTarget> {
  const name = objectName(key);
  const existing = await findObjectIn(context, directory, name, key);
  if (existing !== undefined) return { existing, path: existing.path };
  const primary = join(directory, name);
  const taken = (await statOf(context, primary, key)) !== undefined;
  return { path: taken ? join(directory, name + objectSuffix) : primary };
}
