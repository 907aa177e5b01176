import { dirname } from 'node:path';
import { CairnError, type ObjectInfo, type PutOptions, type StorageBody } from '@cairn/kernel';
import { removeEmptyDirectories, syncDirectories } from './directories.js';
import type { FsContext } from './fs-context.js';
import { fsStorageName } from './fs-storage-options.js';
import { type HeldKeyLock, withKeyLock } from './key-lock.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';
import { etagOf, objectInfoOf } from './object-info.js';
import {
  chooseObjectTarget,
  type FoundObject,
  LayoutChangedError,
  type PreparedFolder,
  prepareParentFolder,
} from './object-paths.js';
import {
  createRecord,
  type ObjectRecord,
  readTrustedRecord,
  removeRecord,
  writeRecord,
} from './object-record.js';
import { abortedWrite, type TemporaryFile, writeTemporaryFile } from './temporary-file.js';

const maxAttempts = 10;

function preconditionFailed(key: string, message: string): CairnError {
  return new CairnError({
    code: 'PRECONDITION_FAILED',
    backend: fsStorageName,
    message,
    details: { key },
  });
}

function checkPreconditions(key: string, existing: FoundObject | undefined, options: PutOptions) {
  if (options.ifNoneMatch === '*' && existing !== undefined) {
    throw preconditionFailed(
      key,
      `Object "${key}" already exists and ifNoneMatch "*" was given; read it or pick another key.`,
    );
  }
  if (options.ifMatch === undefined) return;
  if (existing === undefined) {
    throw preconditionFailed(
      key,
      `Object "${key}" does not exist, so ifMatch ${options.ifMatch} cannot hold; create it with ifNoneMatch "*".`,
    );
  }
  const current = etagOf(existing.stat);
  if (current !== options.ifMatch) {
    throw preconditionFailed(
      key,
      `Object "${key}" changed since it was read (etag ${current}, expected ${options.ifMatch}); read it again and retry.`,
    );
  }
}

/** Moves the finished temporary file to `target`, exclusively when `exclusive`. */
async function place(
  context: FsContext,
  key: string,
  temporary: TemporaryFile,
  target: string,
  exclusive: boolean,
): Promise<void> {
  const { fileSystem } = context;
  try {
    if (!exclusive) {
      await fileSystem.rename(temporary.path, target);
      return;
    }
    try {
      // Fails atomically if anything appeared at `target`, even from a writer without locks.
      await fileSystem.link(temporary.path, target);
      return;
    } catch (error) {
      const code = errorCodeOf(error);
      if (code === 'EEXIST') {
        throw preconditionFailed(
          key,
          `Object "${key}" already exists and ifNoneMatch "*" was given; read it or pick another key.`,
        );
      }
      // File systems without hard links (FAT, some network mounts): the lock held here and the
      // existence check made under it keep cooperating writers out.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS')
        throw error;
    }
    await fileSystem.rename(temporary.path, target);
  } catch (error) {
    const code = errorCodeOf(error);
    if (code === 'ENOENT') {
      const stillThere = await fileSystem.lstat(temporary.path).then(
        () => true,
        () => false,
      );
      if (!stillThere) {
        throw new CairnError({
          code: 'TRANSIENT_IO',
          backend: fsStorageName,
          message: `Could not write "${key}": its temporary file was removed before the commit (it was older than cleanupTemporaryFilesOlderThanMs, or someone cleaned .cairn-tmp). Retry the put.`,
          details: { key, path: temporary.path },
        });
      }
      throw new LayoutChangedError(target);
    }
    if (code === 'EISDIR' || code === 'ENOTDIR') throw new LayoutChangedError(target);
    throw mapFsError(error, { operation: 'write', key, path: target });
  }
}

/**
 * The error for a put whose file is in place but whose folder could not be flushed: the
 * object is committed (readers see it), so a caller must not treat the put as not done.
 */
function committedButNotFlushed(key: string, directory: string, error: unknown): CairnError {
  const mapped = mapFsError(error, { operation: 'flush', key, path: directory });
  const systemCode = errorCodeOf(error) ?? 'an unexpected error';
  return new CairnError({
    code: mapped.code === 'TRANSIENT_IO' ? 'TRANSIENT_IO' : 'PERMANENT_IO',
    backend: fsStorageName,
    message: `"${key}" was stored and can be read (the put is committed), but flushing its folder ${directory} to disk failed with ${systemCode}, so it may be lost if the machine loses power soon. Check the disk; putting it again is safe, but a create-only put (ifNoneMatch "*") would now fail because the object exists.`,
    cause: error,
    details: { ...mapped.details, committed: true },
  });
}

/**
 * Puts the record back as it was before a put that failed before its data was placed. Only
 * while the lock is ours: once another writer holds it, the record is theirs to write. Best
 * effort: the new entry left behind describes a file that never appeared at the key, so it
 * is never trusted, and the replaced file's entry is still in the record.
 */
async function restoreRecord(
  context: FsContext,
  lock: HeldKeyLock,
  target: string,
  replaced: ObjectRecord | undefined,
  key: string,
): Promise<void> {
  try {
    if (!(await lock.isHeld())) return;
    if (replaced === undefined) await removeRecord(context, target, key);
    else await writeRecord(context, target, replaced, undefined, key);
  } catch {
    // See above: what is left is harmless.
  }
}

/**
 * The commit, under the key's lock. The record goes first and the data second, so no reader
 * ever finds the new file without its digest; the record keeps the replaced file's entry so
 * readers of the old file still find theirs until the rename (see `RecordFile`). The
 * lock is checked before each of the two changes: a writer that lost its lock while stalled
 * fails with `CONFLICT` instead of writing over the next writer's work.
 */
async function commit(
  context: FsContext,
  key: string,
  temporary: TemporaryFile,
  folder: PreparedFolder,
  options: PutOptions,
): Promise<ObjectInfo> {
  return withKeyLock(
    context.lock,
    key,
    async (lock) => {
      const target = await chooseObjectTarget(context, folder.directory, key);
      checkPreconditions(key, target.existing, options);
      if (options.signal?.aborted) throw abortedWrite(key, options.signal.reason);
      const replaced =
        target.existing === undefined
          ? undefined
          : await readTrustedRecord(context, target.path, target.existing.stat, key);
      const record = createRecord(
        temporary.stat,
        temporary.sha256,
        options.contentType,
        options.metadata,
      );
      await lock.assertHeld();
      try {
        await writeRecord(context, target.path, record, replaced, key);
        await lock.assertHeld();
        await place(context, key, temporary, target.path, options.ifNoneMatch === '*');
      } catch (error) {
        await restoreRecord(context, lock, target.path, replaced, key);
        throw error;
      }
      if (context.fsync) {
        await syncDirectories(context.fileSystem, [
          folder.directory,
          ...folder.created.map((created) => dirname(created)),
        ]).catch((error: unknown) => {
          throw committedButNotFlushed(key, folder.directory, error);
        });
      }
      return objectInfoOf(key, temporary.stat, record, true);
    },
    options.signal,
  );
}

function layoutKeptChanging(key: string, cause: unknown): CairnError {
  return new CairnError({
    code: 'TRANSIENT_IO',
    backend: fsStorageName,
    message: `Could not write "${key}": its folder kept changing under concurrent writes and deletes. Retry.`,
    cause,
    details: { key },
  });
}

async function prepareFolderWithRetries(
  context: FsContext,
  key: string,
  signal: AbortSignal | undefined,
): Promise<PreparedFolder> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await prepareParentFolder(context, key, signal);
    } catch (error) {
      if (!(error instanceof LayoutChangedError)) throw error;
      if (attempt >= maxAttempts) throw layoutKeptChanging(key, error);
    }
  }
}

/**
 * Writes an object atomically: the body goes to a temporary file, which is checked; then,
 * under the key's lock, the metadata record is written and the file is renamed (or, for
 * create-only puts, hard-linked) into place. A reader sees the old file or the new one,
 * never a mix, and either with its digest.
 */
export async function putObject(
  context: FsContext,
  key: string,
  body: StorageBody,
  options: PutOptions,
): Promise<ObjectInfo> {
  let folder = await prepareFolderWithRetries(context, key, options.signal);
  let temporary: TemporaryFile | undefined;
  try {
    temporary = await writeTemporaryFile(context, key, body, options.signal);
    const expected = options.expectedSha256?.toLowerCase();
    if (expected !== undefined && expected !== temporary.sha256) {
      throw new CairnError({
        code: 'CORRUPT_DATA',
        backend: fsStorageName,
        message: `Body for "${key}" has SHA-256 ${temporary.sha256}, expected ${expected}; nothing was stored. Check the source and send it again.`,
        details: { key, sha256: temporary.sha256, expectedSha256: expected },
      });
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await commit(context, key, temporary, folder, options);
      } catch (error) {
        if (!(error instanceof LayoutChangedError) || attempt >= maxAttempts) throw error;
        folder = await prepareFolderWithRetries(context, key, options.signal);
      }
    }
  } catch (error) {
    await removeEmptyDirectories(context.fileSystem, folder.directory, context.layout.root);
    throw error instanceof LayoutChangedError ? layoutKeptChanging(key, error) : error;
  } finally {
    // After a rename it is gone; after a link or a failure it is a leftover name.
    if (temporary !== undefined) await context.fileSystem.unlink(temporary.path).catch(() => {});
  }
}
