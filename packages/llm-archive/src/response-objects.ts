import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A response object written but maybe not yet flushed. */
export interface WrittenResponse {
  /** Its name relative to the archive folder. */
  readonly name: string;
  /** Hex SHA-256 of its bytes. */
  readonly sha256: string;
  /** Flushes its bytes to the disk and closes it; safe to call once. */
  flush(): Promise<void>;
  /** Closes it without flushing. */
  close(): Promise<void>;
}

/**
 * Writes a response object under its content's SHA-256: to a temporary name, then renamed, so
 * the final name only ever holds whole bytes (a crash leaves at most a temporary file, which
 * {@link removeTemporaryResponses} clears). The handle stays open so the caller decides when
 * to flush: at once (`fsync`), with others (`batched`) or never (`none`).
 */
export async function writeResponse(
  folder: string,
  responseName: (sha256: string) => string,
  bytes: Uint8Array,
): Promise<WrittenResponse> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const name = responseName(sha256);
  const temporary = join(folder, `${name}.${randomBytes(6).toString('hex')}.partial`);
  let handle: FileHandle | undefined = await open(temporary, 'w');
  try {
    await handle.write(bytes);
    await rename(temporary, join(folder, name));
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  const opened = handle;
  return {
    name,
    sha256,
    async flush() {
      if (handle === undefined) return;
      handle = undefined;
      try {
        await opened.datasync();
      } finally {
        await opened.close();
      }
    },
    async close() {
      if (handle === undefined) return;
      handle = undefined;
      await opened.close();
    },
  };
}

/** Flushes a folder's entries (new and renamed names) to the disk. */
export async function flushFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes temporary response files a crash left behind. */
export async function removeTemporaryResponses(responses: string): Promise<void> {
  for (const name of await readdir(responses)) {
    if (name.endsWith('.partial')) await rm(join(responses, name), { force: true });
  }
}
