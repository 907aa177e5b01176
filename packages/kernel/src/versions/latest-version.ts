import type { ObjectInfo, Storage } from '../storage/storage.js';
import {
  maxVersion,
  validateVersionPrefix,
  versionKey,
  versionKeyMarker,
  versionOfKey,
} from './version-keys.js';

/**
 * How many keys the first look after a known number reads. Enough to see at once what a few
 * racing writers added since; small because some backends read a record per listed key.
 */
const nearbyPageSize = 32;

/** A version that exists: its number and the key of its record. */
export interface VersionReference {
  /** The version number, from 1. */
  readonly version: number;
  /** The key of the version's record. */
  readonly key: string;
}

/** Options for {@link latestVersion} and {@link listVersions}. */
export interface ReadVersionsOptions {
  /** Cancels the listing. */
  readonly signal?: AbortSignal;
}

/** The highest version number in a page of keys, or undefined when it holds none. */
function highestInPage(prefix: string, objects: readonly ObjectInfo[]): number | undefined {
  // Pages are sorted, so the last version record is the highest.
  for (let index = objects.length - 1; index >= 0; index -= 1) {
    const version = versionOfKey(prefix, (objects[index] as ObjectInfo).key);
    if (version !== undefined) return version;
  }
  return undefined;
}

/**
 * The first version above `after`, or undefined when there is none. Reads one key at a time:
 * callers probe far ahead and want only to know whether anything lies beyond.
 */
async function firstVersionAfter(
  storage: Storage,
  prefix: string,
  after: number,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  let cursor: string | undefined;
  do {
    const page = await storage.listPage({
      prefix: `${prefix}${versionKeyMarker}`,
      startAfter: versionKey(prefix, after),
      pageSize: 1,
      ...(cursor === undefined ? {} : { cursor }),
      ...(signal === undefined ? {} : { signal }),
    });
    // A key under `<prefix>v` that is not a version record is stepped over.
    for (const object of page.objects) {
      const version = versionOfKey(prefix, object.key);
      if (version !== undefined) return version;
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return undefined;
}

/**
 * The highest version under `prefix`, given that versions up to `atLeast` are known to be
 * taken (0 when nothing is known); `atLeast` itself when nothing lies above it.
 *
 * A small page after `atLeast` usually ends the search: a writer continuing from the number it
 * just lost sees only the few versions created since. When more lie beyond, the search
 * gallops ahead one key per probe (is there a version above n?), doubling the stride, and
 * then bisects: about 2·log2(versions) one-key listings, never a listing of everything.
 */
export async function findHighestVersion(
  storage: Storage,
  prefix: string,
  atLeast: number,
  signal?: AbortSignal,
): Promise<number> {
  const page = await storage.listPage({
    prefix: `${prefix}${versionKeyMarker}`,
    startAfter: versionKey(prefix, atLeast),
    pageSize: nearbyPageSize,
    ...(signal === undefined ? {} : { signal }),
  });
  let low = Math.max(atLeast, highestInPage(prefix, page.objects) ?? atLeast);
  if (page.cursor === undefined) return low;

  // Invariants: a version exists at `low` (or low is the caller's floor); none above `high`.
  let stride = Math.max(1, page.objects.length);
  let high: number | undefined;
  while (high === undefined) {
    const probe = Math.min(low + stride, maxVersion);
    const found = await firstVersionAfter(storage, prefix, probe, signal);
    if (found === undefined) high = probe;
    else {
      low = found;
      stride *= 2;
    }
  }
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const found = await firstVersionAfter(storage, prefix, middle, signal);
    if (found === undefined) high = middle;
    else low = found;
  }
  return low;
}

/**
 * The newest version under `prefix` (the highest number), or undefined when there is none.
 * Costs one small listing for up to 32 versions and about 2·log2(n) one-key listings beyond.
 *
 * @throws CairnError `INVALID_OPTIONS`/`INVALID_KEY` for a bad prefix; the storage's errors.
 *
 * @example
 * const latest = await latestVersion(storage, 'artifacts/dataset-x/');
 * if (latest) console.log(`dataset-x:v${latest.version} is at ${latest.key}`);
 */
export async function latestVersion(
  storage: Storage,
  prefix: string,
  options: ReadVersionsOptions = {},
): Promise<VersionReference | undefined> {
  validateVersionPrefix(prefix, storage.capabilities.maxKeyBytes);
  const version = await findHighestVersion(storage, prefix, 0, options.signal);
  return version === 0 ? undefined : { version, key: versionKey(prefix, version) };
}

/** A version found by {@link listVersions}. */
export interface ListedVersion extends VersionReference {
  /** The record's info from the listing (no metadata: listings do not carry it). */
  readonly info: ObjectInfo;
}

/**
 * Every version under `prefix`, lowest first, page by page (memory stays flat). Keys under
 * `<prefix>v` that are not version records are skipped.
 *
 * @throws CairnError `INVALID_OPTIONS`/`INVALID_KEY` for a bad prefix; the storage's errors.
 */
export async function* listVersions(
  storage: Storage,
  prefix: string,
  options: ReadVersionsOptions = {},
): AsyncGenerator<ListedVersion> {
  validateVersionPrefix(prefix, storage.capabilities.maxKeyBytes);
  const listing = storage.list({
    prefix: `${prefix}${versionKeyMarker}`,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  for await (const info of listing) {
    const version = versionOfKey(prefix, info.key);
    if (version !== undefined) yield { version, key: info.key, info };
  }
}
