import { pipeline } from 'node:stream';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { DigestTransform } from './body.js';
import type { MirrorContext } from './mirrored-storage-context.js';
import { withDigestMetadata } from './mirrored-storage-digest.js';
import { copyReference, describeCopy } from './mirrored-storage-events.js';
import { teeStream } from './mirrored-storage-tee.js';
import type { ObjectInfo, PutOptions, Storage, StorageBody } from './storage.js';

/** Rounds of backup copies before a backup that keeps changing under the copy is given up. */
const maxCopyRounds = 5;

/**
 * Streams the primary's committed object to every backup, verified against `sha256`, recording
 * on each the primary etag it copies (`cairn-primary-etag`).
 *
 * Two writers whose conditional puts follow each other on the primary could otherwise finish
 * their backup copies in the other order and leave a backup holding the older version, which a
 * read falling back from the primary would serve. So each backup is written only if it still
 * holds what was there before the primary was read back (`ifMatch` its etag, `ifNoneMatch: '*'`
 * when absent). A backup that changed meanwhile is looked at again in a new round, which first
 * reads the primary back: if the primary no longer holds this writer's version, the writer
 * that replaced it copies its own, and this one stops. The backup is looked at before the
 * primary is read, so a newer writer cannot slip its copy in between unseen.
 * Backups without conditional writes are written unconditionally: racing writers can still
 * leave one of them behind the primary, which `scrub` repairs and which a read falling back
 * from a damaged primary refuses to serve (it holds another version than the one recorded).
 */
export async function copyCommittedToBackups(
  context: MirrorContext,
  key: string,
  committed: ObjectInfo,
  sha256: string,
  options: PutOptions,
): Promise<void> {
  let pending = context.copies.map((_copy, index) => index).slice(1);
  for (let round = 1; pending.length > 0; round++) {
    const outcome = await copyRound(context, key, committed, sha256, options, pending);
    if (outcome === 'superseded') return;
    const lost = outcome.filter((result) => isCairnError(result.error, 'PRECONDITION_FAILED'));
    const failed = outcome.filter((result) => !lost.includes(result));
    if (failed.length > 0) {
      const [first] = failed as [CopyFailure];
      throw committedButNotCopied(context, key, committed, first.index, first.error);
    }
    pending = lost.map((result) => result.index);
    if (pending.length > 0 && round >= maxCopyRounds) {
      const error = new CairnError({
        code: 'CONFLICT',
        backend: context.name,
        message: `The backup changed under the copy ${round} times (other writers or repairs kept rewriting it).`,
        details: { key },
      });
      throw committedButNotCopied(context, key, committed, pending[0] as number, error);
    }
  }
}

interface CopyFailure {
  readonly index: number;
  readonly error: unknown;
}

/** One attempt at copying to `targets`: the failures, or `superseded` if a newer put won. */
async function copyRound(
  context: MirrorContext,
  key: string,
  committed: ObjectInfo,
  sha256: string,
  options: PutOptions,
  targets: readonly number[],
): Promise<CopyFailure[] | 'superseded'> {
  const { copies, logger } = context;
  const primary = copies[0] as Storage;
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  const seen = await Promise.allSettled(
    targets.map((index) => (copies[index] as Storage).head(key)),
  );
  const failures: CopyFailure[] = [];
  const writable = targets.flatMap((index, position) => {
    const result = seen[position] as PromiseSettledResult<ObjectInfo | undefined>;
    if (result.status === 'fulfilled') return [{ index, seen: result.value }];
    failures.push({ index, error: result.reason });
    context.report({
      type: 'copy-write-failed',
      key,
      ...copyReference(copies, index),
      error: result.reason,
    });
    return [];
  });
  if (writable.length === 0) return failures;
  let readBack: Awaited<ReturnType<Storage['get']>>;
  try {
    readBack = await primary.get(key, signalOption);
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) {
      logger.debug({ key }, 'mirror: object deleted before its backups were written');
      return 'superseded';
    }
    throw committedButNotCopied(context, key, committed, 0, error);
  }
  if (readBack.info.etag !== committed.etag) {
    // Another writer replaced it after us; that writer copies its own bytes to the backups.
    readBack.body.destroy();
    logger.debug({ key }, 'mirror: object replaced before its backups were written');
    return 'superseded';
  }
  const verify = new DigestTransform();
  pipeline(readBack.body, verify, () => {
    // A failed read-back shows as verify.errored below.
  });
  // Every backup put carries expectedSha256, so ending them on a failed read-back is safe.
  const tee = teeStream(verify, writable.length, { endBranchesOnSourceError: true });
  const results = await Promise.allSettled(
    writable.map(({ index, seen: found }, position) => {
      const backup = copies[index] as Storage;
      const putOptions: PutOptions = {
        ...copyOptions(options, sha256, committed.etag),
        expectedSha256: sha256,
        ...signalOption,
        ...(!backup.capabilities.conditionalWrites
          ? {}
          : found === undefined
            ? { ifNoneMatch: '*' as const }
            : { ifMatch: found.etag }),
      };
      return backup
        .put(key, tee.branches[position] as StorageBody, putOptions)
        .catch((error: unknown) => {
          tee.detach(position);
          throw error;
        });
    }),
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
  results.forEach((result, position) => {
    if (result.status === 'fulfilled') return;
    const { index } = writable[position] as (typeof writable)[number];
    failures.push({ index, error: result.reason });
    // A lost condition is retried, not a failure worth an event.
    if (isCairnError(result.reason, 'PRECONDITION_FAILED')) return;
    context.report({
      type: 'copy-write-failed',
      key,
      ...copyReference(copies, index),
      error: result.reason,
    });
  });
  return failures.sort((left, right) => left.index - right.index);
}

/** The content type and metadata every copy of a put is given. */
export function copyOptions(
  options: PutOptions,
  sha256: string | undefined,
  primaryEtag?: string,
): PutOptions {
  const metadata = withDigestMetadata(options.metadata, sha256, primaryEtag);
  return {
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
    ...(metadata === undefined ? {} : { metadata }),
  };
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
