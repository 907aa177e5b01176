import { dirname } from 'node:path';
import { CairnError, type ObjectInfo, type PutOptions, type StorageBody } from '@cairn/kernel';
import { removeEmptyDirectories, syncDirectories } from './directories.js';
import type { FsContext } from './fs-context.js';
import { fsStorageName } from './fs-storage-options.js';
import { withKeyLock } from './key-lock.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';
import { etagOf, objectInfoOf } from './object-info.js';
import {
  chooseObjectTarget,
  type FoundObject,
  LayoutChangedError,
  type PreparedFolder,
  prepareParentFolder,
} from './object-paths.js';
import { createRecord, writeRecord } from './object-record.js';
import { abortedWrite, type TemporaryFile, writeTemporaryFile } from './temporary-file.js';

const maxAttempts = 10;
const metadataName = /^[a-z0-9-]+$/;
const maxMetadataBytes = 8 * 1024;

function invalidPutOption(key: string, problem: string): CairnError {
  return new CairnError({
    code: 'INVALID_OPTIONS',
    backend: fsStorageName,
    message: `Invalid put options for "${key}": ${problem}.`,
    details: { key, problem },
  });
}

/** Checks what the contract asks of put options before any byte is read. */
export function checkPutOptions(key: string, options: PutOptions): void {
  if (options.ifNoneMatch !== undefined && options.ifNoneMatch !== '*')
    throw invalidPutOption(
      key,
      `ifNoneMatch must be "*", not ${JSON.stringify(options.ifNoneMatch)}`,
    );
  if (options.ifMatch !== undefined && typeof options.ifMatch !== 'string')
    throw invalidPutOption(key, 'ifMatch must be an etag string returned by head, get or put');
  if (options.expectedSha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(options.expectedSha256))
    throw invalidPutOption(key, 'expectedSha256 must be 64 hexadecimal digits');
  if (options.contentType !== undefined && typeof options.contentType !== 'string')
    throw invalidPutOption(key, 'contentType must be a string such as "application/json"');
  if (options.metadata !== undefined) {
    let bytes = 0;
    for (const [name, value] of Object.entries(options.metadata)) {
      if (!metadataName.test(name))
        throw invalidPutOption(
          key,
          `metadata name ${JSON.stringify(name)} must be lowercase [a-z0-9-]`,
        );
      if (typeof value !== 'string')
        throw invalidPutOption(key, `metadata "${name}" must be a string`);
      bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
    }
    if (bytes > maxMetadataBytes)
      throw invalidPutOption(
        key,
        `metadata holds ${bytes} bytes; keep it under ${maxMetadataBytes} (store larger data as its own object)`,
      );
  }
}

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
      await lock.assertHeld();
      await place(context, key, temporary, target.path, options.ifNoneMatch === '*');
      if (context.fsync) {
        await syncDirectories(context.fileSystem, [
          folder.directory,
          ...folder.created.map((created) => dirname(created)),
        ]).catch((error: unknown) => {
          throw mapFsError(error, { operation: 'flush', key, path: folder.directory });
        });
      }
      const record = createRecord(
        temporary.stat,
        temporary.sha256,
        options.contentType,
        options.metadata,
      );
      await writeRecord(context, target.path, record, key);
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
 * Writes an object atomically: the body goes to a temporary file, which is checked and then
 * renamed (or, for create-only puts, hard-linked) into place under the key's lock; the
 * metadata record follows. A reader sees the old file or the new one, never a mix.
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
