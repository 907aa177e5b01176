import { createReadStream } from 'node:fs';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { digestOf, sha256Of } from '../storage/body.js';
import type { Storage } from '../storage/storage.js';
import { blobKey } from './artifact-layout.js';

/** A stored blob: its SHA-256 (hex) and size. */
export interface StoredBlob {
  readonly sha256: string;
  readonly size: number;
}

/**
 * Stores bytes under their SHA-256, once: a blob that exists with the same size is reused.
 * Verified like a checkpoint payload: the backend checks the digest while writing
 * (`expectedSha256`), and the blob is read back and hashed before it is trusted.
 */
export async function storeBytesBlob(
  storage: Storage,
  bytes: Uint8Array,
  contentType: string,
  signal?: AbortSignal,
): Promise<StoredBlob> {
  const blob = { sha256: sha256Of(bytes), size: bytes.length };
  await putBlob(storage, blob, () => bytes, contentType, signal, 'the value');
  return blob;
}

/**
 * Stores a file under its SHA-256, streaming with flat memory: one pass hashes it (so the key is
 * known and a blob already stored is not uploaded again), a second uploads it with the digest
 * expected, so a file that changes while being logged is refused instead of stored torn.
 */
export async function storeFileBlob(
  storage: Storage,
  file: string,
  signal?: AbortSignal,
): Promise<StoredBlob> {
  let digest: { sha256: string; size: number };
  try {
    digest = await digestOf(createReadStream(file, signal === undefined ? {} : { signal }));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CairnError({
      code: code === 'ENOENT' ? 'NOT_FOUND' : code === 'ABORT_ERR' ? 'ABORTED' : 'PERMANENT_IO',
      backend: 'artifacts',
      message: `Cannot read "${file}" to log it (${code ?? String(error)}); nothing was logged. Check the path and its permissions.`,
      cause: error,
      details: { file },
    });
  }
  await putBlob(
    storage,
    digest,
    () => createReadStream(file),
    'application/octet-stream',
    signal,
    `"${file}"`,
  );
  return digest;
}

async function putBlob(
  storage: Storage,
  blob: StoredBlob,
  body: () => Uint8Array | ReturnType<typeof createReadStream>,
  contentType: string,
  signal: AbortSignal | undefined,
  what: string,
): Promise<void> {
  const key = blobKey(blob.sha256);
  const existing = await storage.head(key);
  if (existing !== undefined && existing.size === blob.size) {
    // Trusted only once its bytes are known to be right: the backend's digest, else read back.
    const stored =
      existing.sha256 ??
      (await digestOf((await storage.get(key, signal === undefined ? {} : { signal })).body))
        .sha256;
    if (stored === blob.sha256) return;
  }
  try {
    await storage.put(key, body(), {
      // A blob of the wrong size is damaged: replace it; otherwise never overwrite.
      ...(existing === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: existing.etag }),
      expectedSha256: blob.sha256,
      contentType,
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    // Another logger stored the same bytes first: content addressing makes that ours too.
    if (isCairnError(error, 'PRECONDITION_FAILED')) return;
    if (isCairnError(error, 'CORRUPT_DATA')) {
      throw new CairnError({
        code: 'CORRUPT_DATA',
        backend: 'artifacts',
        message: `${what} changed while it was being logged (its bytes no longer have the SHA-256 ${blob.sha256} read a moment before); nothing was logged. Log it again once nothing writes to it.`,
        cause: error,
        details: { key },
      });
    }
    throw error;
  }
  const readBack = await digestOf(
    (await storage.get(key, signal === undefined ? {} : { signal })).body,
  );
  if (readBack.sha256 === blob.sha256 && readBack.size === blob.size) return;
  // Not deleted: another logger may have stored (and verified) the same bytes meanwhile; the
  // next log of this content finds the blob damaged and replaces it by compare-and-swap.
  throw new CairnError({
    code: 'CORRUPT_DATA',
    backend: 'artifacts',
    message: `The storage did not keep ${what} faithfully: ${blob.size} bytes with SHA-256 ${blob.sha256} were written to "${key}", ${readBack.size} bytes with SHA-256 ${readBack.sha256} came back. Nothing was logged; check the backend, then log again.`,
    details: { key, expected: blob, actual: readBack },
  });
}
