import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { abortedError } from '../errors/aborted-error.js';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import type { CheckpointRecord } from './checkpoint-record.js';
import type { CheckpointSelector, ReadOptions } from './checkpoint-store.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import { openCheckpoint } from './read-checkpoint.js';
import type { StoreContext } from './store-context.js';

/**
 * Writes a checkpoint's payload to `target`: into a temporary file in the same directory (so
 * the rename cannot cross file systems), verified as it is written, flushed to disk, then
 * renamed over `target`. Whatever fails, `target` keeps what it held before and the temporary
 * file is removed.
 */
export async function restoreToFile(
  context: StoreContext,
  selector: CheckpointSelector,
  target: string,
  options: ReadOptions = {},
): Promise<CheckpointRecord> {
  if (typeof target !== 'string' || target.length === 0) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: checkpointsBackend,
      message: 'restoreToFile() needs the path of the file to write.',
    });
  }
  const { record, body } = await openCheckpoint(context, selector, options);
  const temporary = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}.cairn-restore`,
  );
  let handle: FileHandle | undefined;
  try {
    handle = await open(temporary, 'wx');
    for await (const chunk of body) {
      if (options.signal?.aborted) throw abortError(record, options.signal.reason);
      await writeFully(handle, chunk as Buffer);
    }
    // The verifier ended the stream, so size and digest matched; make the bytes durable
    // before they take the target's name.
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, target);
  } catch (error) {
    body.destroy();
    await handle?.close().catch(() => {});
    await unlink(temporary).catch(() => {});
    if (isCairnError(error)) throw error;
    throw new CairnError({
      code: 'PERMANENT_IO',
      backend: checkpointsBackend,
      message: `Writing checkpoint "${record.id}" to "${target}" failed (${(error as NodeJS.ErrnoException).code ?? String(error)}); "${target}" was left as it was. Check the directory exists and is writable, and that the disk has room.`,
      cause: error,
      details: { checkpoint: record.id, path: target },
    });
  }
  await syncDirectory(path.dirname(target));
  context.emit({ type: 'checkpoint-loaded', step: record.step, checkpoint: record.id });
  return record;
}

function abortError(record: CheckpointRecord, reason: unknown): CairnError {
  return abortedError(checkpointsBackend, reason, `Restoring checkpoint "${record.id}" to a file`, {
    hint: 'The target file was left as it was.',
    details: { checkpoint: record.id },
  });
}

/** Writes all of `bytes`: a single write may take fewer. */
async function writeFully(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

/** Makes the rename durable where the platform allows opening a directory (not Windows). */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the file's bytes are already on disk.
  }
}
