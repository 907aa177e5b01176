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
  /** With `groupFolders`: report folders without checking that they hold an object. */
  readonly allowEmptyFolders?: boolean;
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

/** What a walk does with one folder entry. */
type EntryPlan =
  | { readonly kind: 'object'; readonly key: string }
  | { readonly kind: 'skip' }
  | { readonly kind: 'stop' }
  | { readonly kind: 'group'; readonly folderPrefix: string }
  | { readonly kind: 'descend'; readonly folderPrefix: string };

function planEntry(entry: Entry, base: string, bounds: WalkBounds): EntryPlan {
  const { prefix, after } = bounds;
  const key = base + entry.segment;
  if (!entry.folder) {
    if (!key.startsWith(prefix)) {
      // Keys with a prefix are contiguous in key order: once past them, nothing follows.
      return compareKeys(key, prefix) > 0 ? { kind: 'stop' } : { kind: 'skip' };
    }
    if (after !== undefined && compareKeys(key, after) <= 0) return { kind: 'skip' };
    // Files put there by hand may have names no key can have (control characters…).
    return isValidKey(key) ? { kind: 'object', key } : { kind: 'skip' };
  }
  const folderPrefix = `${key}/`;
  const inPrefix = folderPrefix.startsWith(prefix);
  if (!inPrefix && !prefix.startsWith(folderPrefix)) {
    return compareKeys(folderPrefix, prefix) > 0 ? { kind: 'stop' } : { kind: 'skip' };
  }
  if (after !== undefined) {
    // Every key in the folder sorts before `after` unless `after` is inside the folder.
    if (!after.startsWith(folderPrefix) && compareKeys(folderPrefix, after) < 0) {
      return { kind: 'skip' };
    }
    if (after === cursorAfterFolder(folderPrefix)) return { kind: 'skip' };
  }
  return bounds.groupFolders && inPrefix && folderPrefix !== prefix
    ? { kind: 'group', folderPrefix }
    : { kind: 'descend', folderPrefix };
}

/** Folders checked for objects at once when grouping: a listing of 10,000 folders is 10,000 reads. */
const groupLookahead = 16;

/**
 * Walks the objects below `directory` (whose keys start with `base`) lazily in key order,
 * reading one folder at a time and skipping folders that cannot hold a key within `bounds`.
 * With `groupFolders`, the next few folders are checked for objects at once (a folder group
 * is reported only when it holds one), still yielded in key order.
 */
export async function* walkObjects(
  context: FsContext,
  directory: string,
  base: string,
  bounds: WalkBounds,
): AsyncGenerator<WalkItem> {
  const entries = await readEntries(context, directory, directory === context.layout.root);
  const plans = entries.map((entry) => planEntry(entry, base, bounds));
  const checks = new Map<number, Promise<boolean>>();
  const startCheck = (index: number) => {
    const plan = plans[index];
    const entry = entries[index];
    if (plan?.kind !== 'group' || entry === undefined || checks.has(index)) return;
    const check = holdsAnyObject(context, entry.path, plan.folderPrefix, bounds.after);
    // Observed now; awaited (and any failure thrown) when its turn comes.
    check.catch(() => {});
    checks.set(index, check);
  };
  for (let index = 0; index < entries.length; index++) {
    const plan = plans[index] as EntryPlan;
    const entry = entries[index] as Entry;
    if (plan.kind === 'stop') return;
    if (plan.kind === 'skip') continue;
    if (plan.kind === 'object') {
      yield { kind: 'object', key: plan.key, path: entry.path, directory };
      continue;
    }
    if (plan.kind === 'group') {
      if (bounds.allowEmptyFolders === true) {
        yield { kind: 'folder', prefix: plan.folderPrefix };
        continue;
      }
      for (let ahead = index; ahead < Math.min(entries.length, index + groupLookahead); ahead++)
        startCheck(ahead);
      const holds = await (checks.get(index) as Promise<boolean>);
      checks.delete(index);
      if (holds) yield { kind: 'folder', prefix: plan.folderPrefix };
      continue;
    }
    yield* walkObjects(context, entry.path, plan.folderPrefix, bounds);
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
