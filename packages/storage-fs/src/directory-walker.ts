import { join } from 'node:path';
import { compareKeys, isValidKey } from '@cairn/kernel';
import type { FsContext } from './fs-context.js';
import { folderSuffix, objectSuffix, reservedPrefix } from './fs-layout.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';

/** What a walk finds, in key order. */
export type WalkItem =
  | {
      readonly kind: 'object';
      /** The object's key. */
      readonly key: string;
      /** Its file. */
      readonly path: string;
      /** The folder holding the file. */
      readonly directory: string;
    }
  | {
      readonly kind: 'folder';
      /** A group of keys, ending with `/` (only when walking with a delimiter). */
      readonly prefix: string;
    };

/** Which keys a walk yields. */
export interface WalkBounds {
  /** Only keys starting with this. */
  readonly prefix: string;
  /** Only keys sorting after this. */
  readonly after?: string;
  /** Group keys below the next `/` after the prefix into folder items. */
  readonly groupFolders: boolean;
}

/**
 * The cursor after a folder group: sorts after every ordinary key inside the folder (the same
 * convention as the memory storage), so the next page resumes behind the whole group.
 */
export function cursorAfterFolder(folderPrefix: string): string {
  return `${folderPrefix}\u{10ffff}`;
}

interface Entry {
  readonly segment: string;
  readonly sortKey: string;
  readonly folder: boolean;
  readonly path: string;
  readonly suffixed: boolean;
}

function decode(name: string, folder: boolean): { segment: string; suffixed: boolean } {
  const suffix = folder ? folderSuffix : objectSuffix;
  return name.endsWith(suffix)
    ? { segment: name.slice(0, -suffix.length), suffixed: true }
    : { segment: name, suffixed: false };
}

// Names no key can produce; whole keys are checked with the kernel's rules when yielded.
function isListableSegment(segment: string): boolean {
  return (
    segment !== '' &&
    segment !== '.' &&
    segment !== '..' &&
    !segment.includes('\\') &&
    !segment.endsWith(folderSuffix) &&
    !segment.endsWith(objectSuffix)
  );
}

/**
 * One folder's entries in key order. Files are objects and folders hold keys; symbolic links
 * and special files are not followed or listed. Sorting by the name plus `/` for folders
 * gives key order: folder `a` holds `a/…`, which sorts after `a-b` but before `a0`.
 */
async function readEntries(
  context: FsContext,
  directory: string,
  atRoot: boolean,
): Promise<Entry[]> {
  let names: import('node:fs').Dirent[];
  try {
    names = await context.fileSystem.readdir(directory, { withFileTypes: true });
  } catch (error) {
    // Removed by a concurrent delete since its parent was read: it holds nothing now.
    if (errorCodeOf(error) === 'ENOENT') return [];
    throw mapFsError(error, { operation: 'list', path: directory });
  }
  const entries: Entry[] = [];
  for (const dirent of names) {
    if (atRoot && dirent.name.startsWith(reservedPrefix)) continue;
    const folder = dirent.isDirectory();
    if (!folder && !dirent.isFile()) continue;
    const { segment, suffixed } = decode(dirent.name, folder);
    if (!isListableSegment(segment)) continue;
    if (atRoot && segment.startsWith(reservedPrefix)) continue;
    entries.push({
      segment,
      sortKey: folder ? `${segment}/` : segment,
      folder,
      path: join(directory, dirent.name),
      suffixed,
    });
  }
  entries.sort(
    (left, right) =>
      compareKeys(left.sortKey, right.sortKey) || Number(left.suffixed) - Number(right.suffixed),
  );
  // Reads look at the plain name first, so of two entries for one key, the plain one counts.
  return entries.filter(
    (entry, index) => index === 0 || entries[index - 1]?.sortKey !== entry.sortKey,
  );
}

/**
 * Walks the objects below `directory` (whose keys start with `base`) lazily in key order,
 * reading one folder at a time and skipping folders that cannot hold a key within `bounds`.
 */
export async function* walkObjects(
  context: FsContext,
  directory: string,
  base: string,
  bounds: WalkBounds,
): AsyncGenerator<WalkItem> {
  const { prefix, after } = bounds;
  const entries = await readEntries(context, directory, directory === context.layout.root);
  for (const entry of entries) {
    const key = base + entry.segment;
    if (!entry.folder) {
      if (!key.startsWith(prefix)) {
        // Keys with a prefix are contiguous in key order: once past them, nothing follows.
        if (compareKeys(key, prefix) > 0) return;
        continue;
      }
      if (after !== undefined && compareKeys(key, after) <= 0) continue;
      // Files put there by hand may have names no key can have (control characters…).
      if (!isValidKey(key)) continue;
      yield { kind: 'object', key, path: entry.path, directory };
      continue;
    }
    const folderPrefix = `${key}/`;
    const inPrefix = folderPrefix.startsWith(prefix);
    if (!inPrefix && !prefix.startsWith(folderPrefix)) {
      if (compareKeys(folderPrefix, prefix) > 0) return;
      continue;
    }
    if (after !== undefined) {
      // Every key in the folder sorts before `after` unless `after` is inside the folder.
      if (!after.startsWith(folderPrefix) && compareKeys(folderPrefix, after) < 0) continue;
      if (after === cursorAfterFolder(folderPrefix)) continue;
    }
    if (bounds.groupFolders && inPrefix && folderPrefix !== prefix) {
      if (await holdsAnyObject(context, entry.path, folderPrefix, after)) {
        yield { kind: 'folder', prefix: folderPrefix };
      }
      continue;
    }
    yield* walkObjects(context, entry.path, folderPrefix, bounds);
  }
}

/** Whether a folder holds at least one object after `after`: empty folders are not groups. */
async function holdsAnyObject(
  context: FsContext,
  directory: string,
  folderPrefix: string,
  after: string | undefined,
): Promise<boolean> {
  const walk = walkObjects(context, directory, folderPrefix, {
    prefix: folderPrefix,
    ...(after === undefined ? {} : { after }),
    groupFolders: false,
  });
  const first = await walk.next();
  await walk.return(undefined);
  return first.done !== true;
}
