import { randomUUID } from 'node:crypto';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { defaultClassify, type RetryClassifier } from '../retry/classify.js';
import { retry } from '../retry/retry.js';
import type { RetryPolicyOptions } from '../retry/retry-policy.js';
import { sha256Of } from '../storage/body.js';
import type { ObjectInfo, Storage } from '../storage/storage.js';
import { findHighestVersion } from './latest-version.js';
import { maxVersion, validateVersionPrefix, versionKey } from './version-keys.js';
import { readOwnRecord, type VersionClaim, versionWriterMetadataKey } from './version-ownership.js';

/**
 * The retry settings {@link createVersion} uses unless given others: many short, jittered
 * waits, because losing a race to another writer is normal under contention and the next
 * number is usually free a few milliseconds later. Eight writers creating versions as fast as
 * they can stay well inside 64 attempts.
 */
export const versionRetryDefaults = {
  maxAttempts: 64,
  initialDelayMs: 5,
  multiplier: 2,
  maxDelayMs: 500,
  jitter: 'full',
} as const satisfies RetryPolicyOptions;

/** Options for {@link createVersion}. */
export interface CreateVersionOptions {
  /** The folder of the versions, ending with `/` (e.g. `artifacts/dataset-x/`). */
  readonly prefix: string;
  /**
   * The version's record, stored as is. A string or bytes, not a stream: the record may be
   * written more than once while racing other writers. Keep it small (a manifest that points
   * at payloads stored as their own objects).
   */
  readonly body: string | Uint8Array;
  /**
   * A version number known to be taken, e.g. the last one this writer created: the search for
   * the highest starts after it instead of from the beginning (default 0). A number above the
   * real highest (versions deleted since) leaves a gap in the numbers, never a duplicate. (Two
   * versions alive at once never share a number; but once the highest version is deleted, the
   * next call may give its number again: keep versions immutable by not deleting the latest.)
   */
  readonly startAfter?: number;
  /** Media type stored with the record. */
  readonly contentType?: string;
  /**
   * Metadata stored with the record (see `PutOptions.metadata`). Cairn adds
   * `cairn-version-writer` to recognise its own records.
   */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Cancels the allocation: waits end at once and the call fails with `ABORTED`. */
  readonly signal?: AbortSignal;
  /**
   * How hard to try: attempts, waits, jitter, deadline; `random` and `clock` make tests
   * deterministic; `onAttempt` sees every attempt. Defaults: {@link versionRetryDefaults}.
   * The classifier is createVersion's own (a lost race is retried with a new number).
   */
  readonly retry?: Omit<RetryPolicyOptions, 'classify' | 'signal'>;
}

/** A version created by {@link createVersion}. */
export interface CreatedVersion {
  /** The number this call allocated, from 1. */
  readonly version: number;
  /** The key of the record. */
  readonly key: string;
  /** The stored record's info. */
  readonly info: ObjectInfo;
  /** Attempts it took, 1 when nobody else was writing. */
  readonly attempts: number;
}

/**
 * Retries the `PRECONDITION_FAILED` errors an attempt rethrew after losing its number (the
 * next attempt tries a new number), and classifies everything else as usual.
 */
function classifyLostRaces(lostRaces: WeakSet<object>): RetryClassifier {
  return (error, info) =>
    typeof error === 'object' && error !== null && lostRaces.has(error)
      ? { action: 'retry' }
      : defaultClassify(error, info);
}

function validateBody(body: unknown): Uint8Array {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return body;
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend: 'versions',
    message:
      'createVersion needs the record as a string or bytes, not a stream: it may write it more than once while racing other writers. Store large payloads as their own objects and put their keys in the record.',
  });
}

function validateStartAfter(startAfter: unknown): number {
  if (startAfter === undefined) return 0;
  if (
    Number.isSafeInteger(startAfter) &&
    (startAfter as number) >= 0 &&
    (startAfter as number) <= maxVersion
  ) {
    return startAfter as number;
  }
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend: 'versions',
    message: `createVersion option "startAfter" is ${String(startAfter)}; give a version number known to be taken (a whole number from 0 to ${maxVersion}), or leave it out to search from the beginning.`,
    details: { field: 'startAfter' },
  });
}

/**
 * Refuses a storage that cannot create only-if-absent: numbered versions need it.
 * @throws CairnError `UNSUPPORTED` saying why and which backends have it.
 */
export function refuseWithoutConditionalWrites(storage: Storage, prefix: string): void {
  if (storage.capabilities.conditionalWrites) return;
  throw new CairnError({
    code: 'UNSUPPORTED',
    backend: 'versions',
    message: `Cannot create versions under "${prefix}" on the "${storage.name}" storage: version allocation needs conditional writes (create only if absent), so that two writers never get the same number, and this storage does not declare them. Use a backend that has them (storage-fs, memory, AWS S3, or an S3-compatible store that honours If-None-Match); a store without them cannot host versioned names.`,
    details: { prefix, storage: storage.name },
  });
}

/**
 * Allocates the next version number under `prefix` and stores `body` as that version's
 * record, by conditional create: the record is put with `ifNoneMatch: '*'` at
 * `<prefix>v<number>`, so of several writers racing for one number exactly one wins, across
 * processes and machines, without locks. Layout: see {@link versionKeyMarker}.
 *
 * How a number is found: the highest existing version plus one (see
 * {@link findHighestVersion}: one listing, not a listing of everything). A lost race
 * (`PRECONDITION_FAILED`) continues the search from the number just tried, after a short
 * jittered wait. A retryable failure (`TRANSIENT_IO`, `CONFLICT`) tries the same number again:
 * when the failed put had in fact landed, the retry meets our own record, recognised by the
 * writer token in its metadata, and that number is returned instead of creating a duplicate.
 *
 * @returns the number this call created, the record's key and info, and the attempts taken.
 * @throws CairnError `UNSUPPORTED` when the storage lacks conditional writes;
 *   `INVALID_OPTIONS`/`INVALID_KEY` for a bad prefix, body or metadata; `RETRIES_EXHAUSTED`
 *   (backend `versions`, `details.lostRaces`) when every attempt lost or failed; `ABORTED`;
 *   `DEADLINE_EXCEEDED` with a `retry.deadlineMs`; a permanent storage error as it is. An
 *   abort or a permanent error during a put may still leave that put's version created.
 *
 * @example
 * const { version } = await createVersion(storage, {
 *   prefix: 'artifacts/dataset-x/',
 *   body: JSON.stringify({ payload: 'blobs/sha256/ab12…', rows: 5000 }),
 *   contentType: 'application/json',
 * });
 * console.log(`created dataset-x:v${version}`);
 */
export async function createVersion(
  storage: Storage,
  options: CreateVersionOptions,
): Promise<CreatedVersion> {
  const { prefix } = options;
  validateVersionPrefix(prefix, storage.capabilities.maxKeyBytes);
  const bytes = validateBody(options.body);
  const startAfter = validateStartAfter(options.startAfter);
  refuseWithoutConditionalWrites(storage, prefix);
  const claim: VersionClaim = {
    writerToken: randomUUID(),
    sha256: sha256Of(bytes),
    size: bytes.length,
  };
  const putOptions = {
    ifNoneMatch: '*',
    expectedSha256: claim.sha256,
    metadata: { ...options.metadata, [versionWriterMetadataKey]: claim.writerToken },
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
  } as const;

  // The number being tried, kept across attempts: a retryable failure tries it again.
  let candidate: number | undefined;
  // Versions up to here are taken: the search for the highest continues after it.
  let taken = startAfter;
  let lostRaces = 0;
  const lostRaceErrors = new WeakSet<object>();
  let lastTried: number | undefined;

  const attempt = async ({ attempt, signal }: { attempt: number; signal: AbortSignal }) => {
    if (candidate === undefined)
      candidate = (await findHighestVersion(storage, prefix, taken, signal)) + 1;
    if (candidate > maxVersion) {
      throw new CairnError({
        code: 'UNSUPPORTED',
        backend: 'versions',
        message: `No version number is left under "${prefix}": keys hold at most ${maxVersion}. Start a new prefix.`,
        details: { prefix },
      });
    }
    const version = candidate;
    const key = versionKey(prefix, version);
    lastTried = version;
    try {
      const info = await storage.put(key, bytes, { ...putOptions, signal });
      return { version, key, info, attempts: attempt };
    } catch (error) {
      if (!isCairnError(error, 'PRECONDITION_FAILED')) throw error;
      const own = await readOwnRecord(storage, key, claim);
      if (own !== undefined) return { version, key, info: own, attempts: attempt };
      lostRaces += 1;
      taken = version;
      candidate = undefined;
      lostRaceErrors.add(error);
      throw error;
    }
  };

  try {
    return await retry(attempt, {
      ...versionRetryDefaults,
      ...options.retry,
      classify: classifyLostRaces(lostRaceErrors),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    // A server asking for a longer wait than allowed also ends in RETRIES_EXHAUSTED: keep it.
    if (!isCairnError(error, 'RETRIES_EXHAUSTED') || error.details.retryAfterMs !== undefined) {
      throw error;
    }
    const attempts = Number(error.details.attempts);
    const failed = attempts - lostRaces;
    const why =
      lostRaces === attempts
        ? `another writer took the number every time (${lostRaces} lost races)`
        : `${lostRaces} lost races to other writers and ${failed} failed attempts (see the cause)`;
    throw new CairnError({
      code: 'RETRIES_EXHAUSTED',
      backend: 'versions',
      message: `Could not create a version under "${prefix}" in ${attempts} attempts: ${why}; the last number tried was ${lastTried ?? 'none'}. Many writers are creating versions of this name at once: try again later, or raise retry.maxAttempts (now ${options.retry?.maxAttempts ?? versionRetryDefaults.maxAttempts}) or retry.maxDelayMs to spread them out.`,
      cause: error.cause,
      details: { prefix, attempts, lostRaces, lastTried },
    });
  }
}
