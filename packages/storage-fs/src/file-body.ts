import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { CairnError } from '@cairn/kernel';
import { fsStorageName } from './fs-storage-options.js';
import { mapFsError } from './map-fs-error.js';

const chunkBytes = 64 * 1024;

/** What {@link createFileBody} reads. */
export interface FileBodySource {
  /** An open handle; the stream owns it and closes it when it ends or is destroyed. */
  readonly handle: FileHandle;
  /** The key, for error messages. */
  readonly key: string;
  /** The file's path, for error messages. */
  readonly path: string;
  /** First byte to read. */
  readonly start: number;
  /** Last byte to read (inclusive); below `start` for an empty body. */
  readonly end: number;
  /** Destroys the stream with `ABORTED` when it fires. */
  readonly signal?: AbortSignal;
}

/**
 * Streams bytes `start..end` of an open file. Reading through the handle (not the path) keeps
 * the bytes those of the file that was opened, even if a put replaces the key meanwhile. Read
 * errors arrive as CairnErrors, an abort as `ABORTED`.
 */
export function createFileBody(source: FileBodySource): Readable {
  const { handle, key, path, end, signal } = source;
  let position = source.start;
  const body = new Readable({
    highWaterMark: chunkBytes,
    read() {
      const length = Math.min(chunkBytes, end - position + 1);
      if (length <= 0) {
        this.push(null);
        return;
      }
      const buffer = Buffer.allocUnsafe(length);
      handle.read(buffer, 0, length, position).then(
        ({ bytesRead }) => {
          if (bytesRead === 0) {
            // Puts never change a file in place, so only a hand edit can shrink it.
            this.destroy(
              new CairnError({
                code: 'CORRUPT_DATA',
                backend: fsStorageName,
                message: `The file of "${key}" (${path}) got shorter while it was read: something edits it in place. Read it again.`,
                details: { key, path },
              }),
            );
            return;
          }
          position += bytesRead;
          this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
        },
        (error: unknown) => this.destroy(mapFsError(error, { operation: 'read', key, path })),
      );
    },
    destroy(error, callback) {
      signal?.removeEventListener('abort', onAbort);
      handle.close().then(
        () => callback(error),
        (closeError: unknown) => callback(error ?? (closeError as Error)),
      );
    },
  });
  function onAbort() {
    body.destroy(
      new CairnError({
        code: 'ABORTED',
        backend: fsStorageName,
        message: `Reading "${key}" was aborted.`,
        cause: signal?.reason,
        details: { key },
      }),
    );
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  return body;
}
