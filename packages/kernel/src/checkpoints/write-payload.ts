import { open } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { abortedError } from '../errors/aborted-error.js';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { type Digest, DigestTransform, digestOf, toReadable } from '../storage/body.js';
import { noteTakenBackSidecar } from './catalog-notes.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import { encodeState, rawCodec } from './codec.js';
import type { SavePayload } from './save-input.js';
import type { StoreContext } from './store-context.js';

// The verified write every payload goes through, whole checkpoint or one rank's shard: written
// while hashed, read back and compared, deleted again when anything fails.

/** What is written as the payload, and how the sidecar describes it. */
export interface PreparedPayload {
  readonly stream: Readable;
  readonly codec: string;
  readonly contentType: string;
}

export async function preparePayload(
  context: StoreContext,
  payload: SavePayload,
): Promise<PreparedPayload> {
  switch (payload.kind) {
    case 'state': {
      const codec = context.codecs.resolve(payload.codec);
      const bytes = encodeState(codec, payload.state);
      return { stream: toReadable(bytes), codec: codec.name, contentType: codec.contentType };
    }
    case 'body':
      return {
        stream: toReadable(payload.body),
        codec: rawCodec.name,
        contentType: payload.contentType ?? rawCodec.contentType,
      };
    case 'file': {
      // Opened here so a missing or unreadable file is a clear error before anything is written.
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(payload.file, 'r');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new CairnError({
          code: code === 'ENOENT' ? 'NOT_FOUND' : 'PERMANENT_IO',
          backend: checkpointsBackend,
          message: `Cannot read the file to checkpoint, "${payload.file}" (${code ?? String(error)}); nothing was saved. Check the path and its permissions.`,
          cause: error,
          details: { file: payload.file },
        });
      }
      return {
        stream: handle.createReadStream(),
        codec: rawCodec.name,
        contentType: payload.contentType ?? rawCodec.contentType,
      };
    }
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string, id?: string): void {
  if (!signal?.aborted) return;
  throw abortedError(checkpointsBackend, signal.reason, what, {
    hint: 'Nothing was committed.',
    ...(id === undefined ? {} : { details: { checkpoint: id } }),
  });
}

/** Deletes what a failed save wrote, sidecar first; failures are logged, never thrown. */
export async function discard(
  context: StoreContext,
  id: string,
  keys: readonly string[],
): Promise<void> {
  for (const key of keys) {
    try {
      await context.storage.delete(key);
    } catch (error) {
      context.logger.warn(
        { checkpoint: id, key, error: error instanceof Error ? error.message : String(error) },
        'could not delete what a failed checkpoint save wrote; it is invisible without a sidecar',
      );
    }
  }
}

/**
 * Takes back a commit whose outcome is unknown: deletes the sidecar, and the payload only once
 * the sidecar is known to be gone. A sidecar that might still be there keeps its payload, so a
 * failed save never leaves a committed checkpoint without its bytes.
 */
export async function uncommit(
  context: StoreContext,
  id: string,
  keys: { readonly sidecar: string; readonly payload: string },
): Promise<void> {
  await noteTakenBackSidecar(context, id);
  try {
    await context.storage.delete(keys.sidecar);
  } catch (error) {
    let gone = false;
    try {
      gone = (await context.storage.head(keys.sidecar)) === undefined;
    } catch {
      // Unknown: keep the payload.
    }
    if (!gone) {
      context.logger.warn(
        {
          checkpoint: id,
          key: keys.sidecar,
          error: error instanceof Error ? error.message : String(error),
        },
        'a failed checkpoint save could not take back its sidecar; its payload is kept so the checkpoint stays whole if the sidecar landed',
      );
      return;
    }
  }
  await discard(context, id, [keys.payload]);
}

export function corrupt(id: string, key: string, what: string, expected: Digest, actual: Digest) {
  return new CairnError({
    code: 'CORRUPT_DATA',
    backend: checkpointsBackend,
    message: `Checkpoint "${id}" was not committed: ${what} ${actual.size} bytes with SHA-256 ${actual.sha256}, but ${expected.size} bytes with SHA-256 ${expected.sha256} were written to "${key}". The storage did not keep the bytes faithfully; the payload was deleted. Check the backend, then save again.`,
    details: { checkpoint: id, key, expected, actual },
  });
}

/** Streams the payload to storage, hashing it on the way: the digest is the store's own. */
export async function writePayload(
  context: StoreContext,
  id: string,
  key: string,
  prepared: PreparedPayload,
  signal: AbortSignal | undefined,
): Promise<Digest> {
  const digest = new DigestTransform();
  let sourceError: unknown;
  // The source's own failure (a file read error, a caller's stream) arrives while the digest
  // stream is whole; a storage failure destroys the digest first, then the source.
  prepared.stream.on('error', (error) => {
    if (!digest.destroyed) sourceError ??= error;
  });
  pipeline(prepared.stream, digest, () => {
    // Failures reach the storage's put through the digest stream.
  });
  let info: Awaited<ReturnType<StoreContext['storage']['put']>>;
  try {
    info = await context.storage.put(key, digest, {
      contentType: prepared.contentType,
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    digest.destroy();
    throwIfAborted(signal, `Saving checkpoint "${id}"`, id);
    if (sourceError !== undefined && !isCairnError(error, 'ABORTED')) {
      throw new CairnError({
        code: isCairnError(sourceError) ? sourceError.code : 'TRANSIENT_IO',
        backend: checkpointsBackend,
        message: `Reading the payload of checkpoint "${id}" failed (${sourceError instanceof Error ? sourceError.message : String(sourceError)}); nothing was committed. Save again with a fresh body.`,
        cause: sourceError,
        details: { checkpoint: id },
      });
    }
    throw error;
  }
  let written: Digest;
  try {
    written = digest.digest();
  } catch (error) {
    throw new CairnError({
      code: 'CORRUPT_DATA',
      backend: checkpointsBackend,
      message: `The storage returned from writing "${key}" before reading the whole payload; checkpoint "${id}" was not committed. The backend breaks the Storage contract.`,
      cause: error,
      details: { checkpoint: id, key },
    });
  }
  // What the backend says it stored, when it says: a cheap first check before the read-back.
  const stored = { size: info.size, sha256: info.sha256 ?? written.sha256 };
  if (stored.size !== written.size || stored.sha256 !== written.sha256) {
    throw corrupt(id, key, 'the storage reports storing', written, stored);
  }
  return written;
}

/** Reads the payload back and checks it is exactly what was written. */
export async function checkReadBack(
  context: StoreContext,
  id: string,
  key: string,
  written: Digest,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { body } = await context.storage.get(key, signal === undefined ? {} : { signal });
  const read = await digestOf(body);
  if (read.size !== written.size || read.sha256 !== written.sha256) {
    throw corrupt(id, key, 'reading it back gave', written, read);
  }
}
