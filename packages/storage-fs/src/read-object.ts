import { constants } from 'node:fs';
import { CairnError, type GetOptions, type GetResult, type ObjectInfo } from '@cairn/kernel';
import { createFileBody } from './file-body.js';
import type { FileSystem } from './file-system.js';
import type { FsContext } from './fs-context.js';
import { fsStorageName } from './fs-storage-options.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';
import { objectInfoOf } from './object-info.js';
import { findObject, symbolicLinkRefused } from './object-paths.js';
import { readTrustedRecord } from './object-record.js';

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

/** Checks a get's range before anything is opened. */
export function checkRange(key: string, range: GetOptions['range']): void {
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

/** Opens the object at `key` for reading: its info and a stream of its (ranged) bytes. */
export async function getObject(
  context: FsContext,
  key: string,
  options: GetOptions,
): Promise<GetResult> {
  const { fileSystem } = context;
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
    return { info, body };
  } catch (error) {
    await handle.close().catch(() => {});
    throw mapFsError(error, { operation: 'read', key, path: found.path });
  }
}

/** The info of the object at `key`, or undefined when there is none. */
export async function headObject(context: FsContext, key: string): Promise<ObjectInfo | undefined> {
  const found = await findObject(context, key);
  if (found === undefined) return undefined;
  const record = await readTrustedRecord(context, found.path, found.stat, key);
  return objectInfoOf(key, found.stat, record, true);
}
