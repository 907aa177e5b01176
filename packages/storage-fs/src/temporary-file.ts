import type { BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import {
  CairnError,
  DigestTransform,
  isCairnError,
  type StorageBody,
  toReadable,
} from '@cairn/kernel';
import type { FsContext } from './fs-context.js';
import { fsStorageName } from './fs-storage-options.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';

/** A body written in full to a temporary file, not yet visible under any key. */
export interface TemporaryFile {
  /** Where it is. */
  readonly path: string;
  /** Lowercase hex SHA-256 of what was written. */
  readonly sha256: string;
  /** Its `fstat` once written; a rename or link keeps inode, size and times. */
  readonly stat: BigIntStats;
}

/** The error for an aborted write, shared by every step of a put. */
export function abortedWrite(key: string, reason: unknown): CairnError {
  return new CairnError({
    code: 'ABORTED',
    backend: fsStorageName,
    message: `Writing "${key}" was aborted; nothing was stored.`,
    cause: reason,
    details: { key },
  });
}

let lastStampMicroseconds = 0;

/**
 * A modification time in whole microseconds, later than every one this process gave before.
 * Etags include the modification time, and file systems with coarse clocks could otherwise
 * give two quick writes that reuse an inode number the same etag.
 */
function uniqueModificationSeconds(): number {
  const now = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  lastStampMicroseconds = Math.max(now, lastStampMicroseconds + 1);
  return lastStampMicroseconds / 1_000_000;
}

/** Opens a new temporary file, recreating `.cairn-tmp` if someone removed it. */
export async function openTemporaryFile(context: FsContext, path: string): Promise<FileHandle> {
  try {
    return await context.fileSystem.open(path, 'wx');
  } catch (error) {
    if (errorCodeOf(error) !== 'ENOENT') throw error;
    await context.fileSystem.mkdir(context.layout.lockDirectory, { recursive: true });
    return await context.fileSystem.open(path, 'wx');
  }
}

async function writeFully(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Streams `body` into a new temporary file beside the objects, hashing it on the way, then
 * flushes it (when fsync is on). On any failure the temporary file is removed.
 *
 * @throws CairnError `ABORTED` when `signal` fires; a mapped I/O error when the disk fails;
 *   the body's own CairnError, or `TRANSIENT_IO`, when the body fails.
 */
export async function writeTemporaryFile(
  context: FsContext,
  key: string,
  body: StorageBody,
  signal: AbortSignal | undefined,
): Promise<TemporaryFile> {
  const path = context.layout.temporaryPath();
  let handle: FileHandle;
  try {
    handle = await openTemporaryFile(context, path);
  } catch (error) {
    throw mapFsError(error, { operation: 'write', key, path });
  }
  const digest = new DigestTransform();
  try {
    await streamInto(handle, path, digest, key, body, signal);
    if (signal?.aborted) throw abortedWrite(key, signal.reason);
    let stat: BigIntStats;
    try {
      const seconds = uniqueModificationSeconds();
      await handle.utimes(seconds, seconds);
      if (context.fsync) await handle.sync();
      stat = await handle.stat({ bigint: true });
    } catch (error) {
      throw mapFsError(error, { operation: 'write', key, path });
    }
    return { path, sha256: digest.digest().sha256, stat };
  } catch (error) {
    await context.fileSystem.unlink(path).catch(() => {});
    throw isCairnError(error) ? error : mapFsError(error, { operation: 'write', key, path });
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Pipes the body through the digest into the file, telling whose failure stopped it. */
async function streamInto(
  handle: FileHandle,
  path: string,
  digest: DigestTransform,
  key: string,
  body: StorageBody,
  signal: AbortSignal | undefined,
): Promise<void> {
  // Failures of our own writes are told apart from failures of the caller's body.
  let writeFailure: unknown;
  try {
    await pipeline(
      toReadable(body),
      digest,
      async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) {
          try {
            await writeFully(handle, chunk);
          } catch (error) {
            writeFailure = error;
            throw error;
          }
        }
      },
      { signal },
    );
  } catch (error) {
    if (signal?.aborted) throw abortedWrite(key, signal.reason);
    if (writeFailure !== undefined)
      throw mapFsError(writeFailure, { operation: 'write', key, path });
    if (isCairnError(error)) throw error;
    throw new CairnError({
      code: 'TRANSIENT_IO',
      backend: fsStorageName,
      message: `Reading the body for "${key}" failed, so nothing was stored. Retry with a fresh body.`,
      cause: error,
      details: { key },
    });
  }
}
