import { pipeline } from 'node:stream';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { DigestTransform, sha256Of, toReadable } from './body.js';
import { copyCommittedToBackups, copyOptions } from './mirrored-storage-backup-copy.js';
import type { MirrorContext } from './mirrored-storage-context.js';
import { publicInfo } from './mirrored-storage-digest.js';
import { copyReference } from './mirrored-storage-events.js';
import { copyError } from './mirrored-storage-problems.js';
import { teeStream } from './mirrored-storage-tee.js';
import type { ObjectInfo, PutOptions, Storage, StorageBody } from './storage.js';

/**
 * Writes `body` to every copy and returns the primary's info (its etag is the one callers
 * compare), with the SHA-256 computed once on the way through.
 *
 * Two strategies:
 * - Unconditional writes to copies that all record digests stream to all copies at once,
 *   teed with backpressure.
 * - Conditional writes go to the primary first: it is the arbiter, so racing writers are
 *   settled by one backend's atomic check. Only then are the committed bytes read back from
 *   the primary and streamed to the backups with `expectedSha256`, so a backup never commits
 *   bytes that differ from what the caller sent, and conditionally, so racing writers cannot
 *   leave a backup older than the primary (see `copyCommittedToBackups`). Every write
 *   takes this path when some copy keeps no digest: the mirror can put a stream's digest into
 *   that copy's metadata only once it knows it, and the backups' record of the primary etag
 *   they copy is what lets a primary without a digest be verified at all.
 *
 * Concurrent unconditional puts of one key have no order, and may leave the copies holding
 * different ones of the versions written; reads never serve a backup's version in place of
 * the one the primary recorded, and `scrub` makes the backups match the primary.
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
  if (conditional || !everyCopyRecordsDigest) {
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
