import { type BigIntStats, constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { CairnError, type GetOptions, type GetResult, type ObjectInfo } from '@cairn/kernel';
import { createFileBody } from './file-body.js';
import type { FsContext } from './fs-context.js';
import { fsStorageName } from './fs-storage-options.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';
import { objectInfoOf } from './object-info.js';
import { findObject, symbolicLinkRefused } from './object-paths.js';
import { type ObjectRecord, readTrustedRecord } from './object-record.js';

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

const maxAttempts = 10;

function keptChanging(key: string): CairnError {
  return new CairnError({
    code: 'TRANSIENT_IO',
    backend: fsStorageName,
    message: `Could not read "${key}": it was replaced ${maxAttempts} times while being looked at. Retry.`,
    details: { key },
  });
}

function sameFile(left: BigIntStats, right: BigIntStats): boolean {
  return (
    left.ino === right.ino &&
    left.birthtimeNs === right.birthtimeNs &&
    left.size === right.size &&
    left.mtimeNs === right.mtimeNs
  );
}

/**
 * The record of the file `stat` describes, found at `key`; `'replaced'` when it has none
 * because it is no longer the object at `key`.
 *
 * A put writes the new file's record, keeping the replaced file's entry, before it renames
 * the file into place (see `RecordFile` in object-record.ts). So a file found at a key has
 * its record, unless it was put there by hand or has been replaced twice since it was found.
 * Looking at the key again tells these apart: a file still there truly has no record (its
 * digest is unknown); a replaced one is looked up again, so a reader never reports a
 * committed object without the digest its put wrote.
 */
async function recordOrReplaced(
  context: FsContext,
  key: string,
  path: string,
  stat: BigIntStats,
): Promise<ObjectRecord | undefined | 'replaced'> {
  const record = await readTrustedRecord(context, path, stat, key);
  if (record !== undefined) return record;
  const again = await findObject(context, key);
  return again !== undefined && again.path === path && sameFile(again.stat, stat)
    ? undefined
    : 'replaced';
}

async function openFound(context: FsContext, key: string, path: string): Promise<FileHandle> {
  try {
    return await context.fileSystem.open(path, readFlags);
  } catch (error) {
    const code = errorCodeOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(key);
    if (code === 'ELOOP') throw symbolicLinkRefused(key, path);
    throw mapFsError(error, { operation: 'read', key, path });
  }
}

/** Opens the object at `key` for reading: its info and a stream of its (ranged) bytes. */
export async function getObject(
  context: FsContext,
  key: string,
  options: GetOptions,
): Promise<GetResult> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const found = await findObject(context, key);
    if (found === undefined) throw notFound(key);
    const handle = await openFound(context, key, found.path);
    let result: GetResult | undefined;
    try {
      // The open file's own stat: it describes the bytes read even if the key is replaced.
      const stat = await handle.stat({ bigint: true });
      if (!stat.isFile()) throw notFound(key);
      const record = await recordOrReplaced(context, key, found.path, stat);
      if (record !== 'replaced') {
        const info = objectInfoOf(key, stat, record, true);
        const start = options.range?.start ?? 0;
        const end = Math.min(options.range?.end ?? info.size - 1, info.size - 1);
        const body = createFileBody({
          handle,
          key,
          path: found.path,
          start,
          end,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
        result = { info, body };
      }
    } catch (error) {
      await handle.close().catch(() => {});
      throw mapFsError(error, { operation: 'read', key, path: found.path });
    }
    if (result !== undefined) return result;
    await handle.close().catch(() => {});
  }
  throw keptChanging(key);
}

/** The info of the object at `key`, or undefined when there is none. */
export async function headObject(context: FsContext, key: string): Promise<ObjectInfo | undefined> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const found = await findObject(context, key);
    if (found === undefined) return undefined;
    const record = await recordOrReplaced(context, key, found.path, found.stat);
    if (record !== 'replaced') return objectInfoOf(key, found.stat, record, true);
  }
  throw keptChanging(key);
}
