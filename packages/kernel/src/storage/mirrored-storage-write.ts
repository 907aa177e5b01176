import { pipeline } from 'node:stream';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { DigestTransform, sha256Of, toReadable } from './body.js';
import type { MirrorContext } from './mirrored-storage-context.js';
import { publicInfo, withDigestMetadata } from './mirrored-storage-digest.js';
import { copyReference, describeCopy } from './mirrored-storage-events.js';
import { copyError } from './mirrored-storage-problems.js';
import { teeStream } from './mirrored-storage-tee.js';
import type { ObjectInfo, PutOptions, Storage, StorageBody } from './storage.js';

/**
 * Writes `body` to every copy and returns the primary's info (its etag is the one callers
 * compare), with the SHA-256 computed once on the way through.
 *
 * Two strategies:
 * - Unconditional writes whose digest every copy can record stream to all copies at once,
 *   teed with backpressure.
 * - Conditional writes go to the primary first: it is the arbiter, so racing writers are
 *   settled by one backend's atomic check. Only then are the committed bytes read back from
 *   the primary and streamed to the backups, unconditionally (the primary already serialised
 *   the writers) and with `expectedSha256`, so a backup never commits bytes that differ from
 *   what the caller sent. Unconditional stream writes take this path too when some copy keeps
 *   no digest: the mirror can only put the digest into that copy's metadata once it knows it.
 *
 * A put that fails on some copies leaves the copies that accepted it as they are: deleting
 * them would also destroy the previous version on an overwrite, and the outcome of a failed
 * write is unknown to the caller anyway (as with any remote store). Reads fall back and
 * repair, `scrub` reconciles the backups with the primary, and retrying the put settles it.
 */
export async function putMirrored(
  context: MirrorContext,
  key: string,
  body: StorageBody,
  options: PutOptions,
): Promise<ObjectInfo> {
  const knownDigest =
    options.expectedSha256 ??
    (typeof body === 'string' || body instanceof Uint8Array ? sha256Of(body) : undefined);
  const conditional = options.ifNoneMatch !== undefined || options.ifMatch !== undefined;
  const everyCopyRecordsDigest = context.copies.every((copy) => copy.capabilities.sha256);
  if (conditional || (knownDigest === undefined && !everyCopyRecordsDigest)) {
    return putPrimaryFirst(context, key, body, options, knownDigest);
  }
  return putEverywhere(context, key, body, options, knownDigest);
}

async function putEverywhere(
  context: MirrorContext,
  key: string,
  body: StorageBody,
  options: PutOptions,
  knownDigest: string | undefined,
): Promise<ObjectInfo> {
  const { copies } = context;
  // Stops every copy when the caller's body fails, for backends that watch the signal.
  const controller = new AbortController();
  const signal = combineSignals(controller.signal, options.signal);
  const digest = new DigestTransform();
  pipeline(toReadable(body), digest, (error) => {
    if (error) controller.abort(error);
  });
  const tee = teeStream(digest, copies.length);
  const putOptions: PutOptions = {
    ...copyOptions(options, knownDigest),
    ...(knownDigest === undefined ? {} : { expectedSha256: knownDigest }),
    signal,
  };
  const results = await Promise.allSettled(
    copies.map((copy, index) =>
      copy.put(key, tee.branches[index] as StorageBody, putOptions).catch((error: unknown) => {
        tee.detach(index);
        throw error;
      }),
    ),
  );
  // Set only when the body itself failed: a tee torn down because every copy gave up destroys
  // the digest stream without an error.
  if (digest.errored) throw bodyFailed(context, key, digest.errored);
  const firstFailure = reportWriteFailures(context, key, results, 0);
  if (firstFailure !== undefined) {
    const index = results.findIndex((result) => result.status === 'rejected');
    throw copyError(context, index, firstFailure);
  }
  const primary = results[0] as PromiseFulfilledResult<ObjectInfo>;
  return publicInfo(primary.value, digest.digest().sha256);
}

async function putPrimaryFirst(
  context: MirrorContext,
  key: string,
  body: StorageBody,
  options: PutOptions,
  knownDigest: string | undefined,
): Promise<ObjectInfo> {
  const primary = context.copies[0] as Storage;
  const digest = new DigestTransform();
  pipeline(toReadable(body), digest, () => {
    // The primary's put reports a failing body itself.
  });
  let committed: ObjectInfo;
  try {
    committed = await primary.put(key, digest, {
      ...copyOptions(options, knownDigest),
      ...(options.ifNoneMatch === undefined ? {} : { ifNoneMatch: options.ifNoneMatch }),
      ...(options.ifMatch === undefined ? {} : { ifMatch: options.ifMatch }),
      ...(options.expectedSha256 === undefined ? {} : { expectedSha256: options.expectedSha256 }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    digest.destroy();
    throw copyError(context, 0, error);
  }
  const sha256 = digest.digest().sha256;
  await copyCommittedToBackups(context, key, committed, sha256, options);
  return publicInfo(committed, sha256);
}

/** Streams the primary's committed object to every backup, verified against `sha256`. */
async function copyCommittedToBackups(
  context: MirrorContext,
  key: string,
  committed: ObjectInfo,
  sha256: string,
  options: PutOptions,
): Promise<void> {
  const { copies, logger } = context;
  const primary = copies[0] as Storage;
  let readBack: Awaited<ReturnType<Storage['get']>>;
  try {
    readBack = await primary.get(
      key,
      options.signal === undefined ? {} : { signal: options.signal },
    );
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) {
      logger.debug({ key }, 'mirror: object deleted before its backups were written');
      return;
    }
    throw committedButNotCopied(context, key, committed, 0, error);
  }
  if (readBack.info.etag !== committed.etag) {
    // Another writer replaced it after us; that writer copies its own bytes to the backups.
    readBack.body.destroy();
    logger.debug({ key }, 'mirror: object replaced before its backups were written');
    return;
  }
  const verify = new DigestTransform();
  const backups = copies.slice(1);
  pipeline(readBack.body, verify, () => {
    // A failed read-back shows as verify.errored below.
  });
  // Every backup put carries expectedSha256, so ending them on a failed read-back is safe.
  const tee = teeStream(verify, backups.length, { endBranchesOnSourceError: true });
  const putOptions: PutOptions = {
    ...copyOptions(options, sha256),
    expectedSha256: sha256,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const results = await Promise.allSettled(
    backups.map((backup, index) =>
      backup.put(key, tee.branches[index] as StorageBody, putOptions).catch((error: unknown) => {
        tee.detach(index);
        throw error;
      }),
    ),
  );
  if (verify.errored) throw committedButNotCopied(context, key, committed, 0, verify.errored);
  if (verify.readableEnded && verify.digest().sha256 !== sha256) {
    throw new CairnError({
      code: 'CORRUPT_DATA',
      backend: context.name,
      message: `The primary accepted "${key}" (etag ${committed.etag}) but reading it back gave SHA-256 ${verify.digest().sha256} instead of ${sha256}; the backups were not written. Check the primary backend's health, then write the object again.`,
      details: {
        key,
        expected: sha256,
        actual: verify.digest().sha256,
        primaryEtag: committed.etag,
      },
    });
  }
  const firstFailure = reportWriteFailures(context, key, results, 1);
  if (firstFailure !== undefined) {
    const index = results.findIndex((result) => result.status === 'rejected') + 1;
    throw committedButNotCopied(context, key, committed, index, firstFailure);
  }
}

/** Reports every failed copy and returns the error of the first one (in copy order). */
function reportWriteFailures(
  context: MirrorContext,
  key: string,
  results: readonly PromiseSettledResult<ObjectInfo>[],
  firstIndex: number,
): unknown {
  let first: unknown;
  results.forEach((result, offset) => {
    if (result.status === 'fulfilled') return;
    const reference = copyReference(context.copies, firstIndex + offset);
    context.report({ type: 'copy-write-failed', key, ...reference, error: result.reason });
    first ??= result.reason;
  });
  return first;
}

function copyOptions(options: PutOptions, sha256: string | undefined): PutOptions {
  const metadata = withDigestMetadata(options.metadata, sha256);
  return {
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
    ...(metadata === undefined ? {} : { metadata }),
  };
}

function combineSignals(internal: AbortSignal, caller: AbortSignal | undefined): AbortSignal {
  return caller === undefined ? internal : AbortSignal.any([internal, caller]);
}

function bodyFailed(context: MirrorContext, key: string, error: unknown): CairnError {
  return new CairnError({
    code: isCairnError(error) ? error.code : 'TRANSIENT_IO',
    backend: context.name,
    message: `Reading the body for "${key}" failed, so no copy stored it. Retry with a fresh body.`,
    cause: error,
    details: { key },
  });
}

function committedButNotCopied(
  context: MirrorContext,
  key: string,
  committed: ObjectInfo,
  index: number,
  error: unknown,
): CairnError {
  const reason = error instanceof Error ? error.message : String(error);
  return new CairnError({
    code: isCairnError(error) ? error.code : 'TRANSIENT_IO',
    ...(isCairnError(error) ? { retryable: error.retryable } : {}),
    backend: context.name,
    message: `The primary accepted "${key}" (etag ${committed.etag}) but ${describeCopy(context.copies, index)} could not be written: ${reason} The object exists and reads serve it; this was not a lost conditional write. Run scrub() to restore the missing copy, or write the object again.`,
    cause: error,
    details: {
      key,
      ...copyReference(context.copies, index),
      primaryCommitted: true,
      primaryEtag: committed.etag,
    },
  });
}
