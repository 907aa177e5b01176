import { createHash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { DigestTransform } from './body.js';
import type { MirrorContext } from './mirrored-storage-context.js';
import { publicInfo, VerifyingTransform } from './mirrored-storage-digest.js';
import { describeCopy } from './mirrored-storage-events.js';
import { type CopyProblem, repairTargetsOf } from './mirrored-storage-problems.js';
import {
  type RepairSource,
  type RepairTarget,
  repairedCopies,
  settleRepairs,
  startRepairPuts,
} from './mirrored-storage-repair.js';
import { teeStream } from './mirrored-storage-tee.js';
import type { GetResult, ObjectInfo } from './storage.js';

/** What one copy's bytes are checked against, and what a mismatch means. */
export interface Check {
  /** Hex SHA-256 the bytes should have. */
  readonly sha256: string;
  /**
   * `corrupt` when the digest is the copy's own (or provably its version's): a mismatch is
   * damage, to be repaired. `stale` when it is another copy's digest for what may be another
   * version: a mismatch is reported, never repaired.
   */
  readonly mismatch: 'corrupt' | 'stale';
  /** The digest the copy recorded for itself (or provably for its version), if any. */
  readonly recorded?: string;
  /** On a mismatch, the copy may still be served unverified when no copy verifies. */
  readonly lastResort?: boolean;
}

/** The outcome of examining one copy. */
export type Examination =
  | { readonly kind: 'good'; readonly result: GetResult }
  | {
      readonly kind: 'bad';
      readonly problem: CopyProblem;
      /** The digest this copy recorded: it names the version the read looks for. */
      readonly recorded?: string;
      /** See {@link Check.lastResort}. */
      readonly lastResort?: boolean;
    }
  /** A large copy was replaced between its verification pass and its read: examine it anew. */
  | { readonly kind: 'replaced' };

/** An {@link Examination} once replaced copies have been looked at again. */
export type CopyOutcome = Exclude<Examination, { readonly kind: 'replaced' }>;

/** What {@link verifyCopy} needs besides the copy itself. */
export interface VerifyOptions {
  /** Problems of the copies before this one that may be rewritten from it. */
  readonly problems: readonly CopyProblem[];
  /** Whether to rewrite them. */
  readonly repair: boolean;
  /** The caller's signal. */
  readonly signal: AbortSignal | undefined;
  /** Opens the copy again, for the second pass over a large object. */
  readonly reopen: (
    signal: AbortSignal | undefined,
  ) => Promise<{ readonly kind: 'opened'; readonly result: GetResult } | CopyOutcome>;
}

/**
 * Checks one opened copy against `check`: small objects in memory, large ones in a
 * verification pass and then a second read verified again as the caller consumes it. When the
 * bytes pass, rewrites the earlier copies found missing or corrupt from them.
 */
export async function verifyCopy(
  context: MirrorContext,
  key: string,
  copy: { readonly index: number; readonly info: ObjectInfo; readonly body: Readable },
  check: Check,
  options: VerifyOptions,
): Promise<Examination> {
  const targets = options.repair ? repairTargetsOf(options.problems) : [];
  const source: RepairSource = { index: copy.index, info: copy.info, sha256: check.sha256 };
  if (copy.info.size <= context.bufferLimitBytes) {
    return readBuffered(context, key, copy.body, source, check, targets);
  }
  return readStreamed(context, key, copy.body, source, check, targets, options);
}

async function readBuffered(
  context: MirrorContext,
  key: string,
  body: Readable,
  source: RepairSource,
  check: Check,
  targets: readonly RepairTarget[],
): Promise<Examination> {
  let read: BoundedRead;
  try {
    read = await readBounded(body, context.bufferLimitBytes);
  } catch (error) {
    return { kind: 'bad', problem: { kind: 'unreadable', index: source.index, error } };
  }
  if (read.sha256 !== source.sha256) return mismatch(source, check, read.sha256);
  const { chunks } = read;
  // Awaited so that when get returns, the copies are whole again (and tests can see it).
  const results = await startRepairPuts(context, key, targets, source, () =>
    Readable.from(chunks, { objectMode: false }),
  );
  const repaired = repairedCopies(
    targets,
    await settleRepairs(context, key, targets, results, source),
  );
  return {
    kind: 'good',
    result: {
      info: servedInfo(source, repaired),
      body: Readable.from(chunks, { objectMode: false }),
    },
  };
}

async function readStreamed(
  context: MirrorContext,
  key: string,
  body: Readable,
  source: RepairSource,
  check: Check,
  targets: readonly RepairTarget[],
  options: VerifyOptions,
): Promise<Examination> {
  // Verification pass: hash without keeping the bytes, feeding the repairs as it goes. Each
  // repair put carries the expected digest, so if this copy turns out bad they refuse it.
  const digest = new DigestTransform();
  pipeline(body, digest, () => {
    // Surfaces through the drain below.
  });
  const tee = teeStream(digest, 1 + targets.length, { endBranchesOnSourceError: true });
  const repairs = startRepairPuts(
    context,
    key,
    targets,
    source,
    (position) => tee.branches[position + 1] as Readable,
    (position) => tee.detach(position + 1),
  );
  let readError: unknown;
  try {
    for await (const _chunk of tee.branches[0] as Readable) {
      // Only the digest matters here.
    }
  } catch (error) {
    readError = error;
  }
  const results = await repairs;
  readError ??= digest.errored ?? undefined;
  if (readError !== undefined || !digest.readableEnded) {
    const error = readError ?? new Error('the stream closed before its end');
    return { kind: 'bad', problem: { kind: 'unreadable', index: source.index, error } };
  }
  const actual = digest.digest().sha256;
  if (actual !== source.sha256) return mismatch(source, check, actual);
  const repaired = repairedCopies(
    targets,
    await settleRepairs(context, key, targets, results, source),
  );

  // Second pass, streamed to the caller and verified again at its end.
  const reopened = await options.reopen(options.signal);
  if (reopened.kind !== 'opened') return reopened;
  if (reopened.result.info.etag !== source.info.etag) {
    reopened.result.body.destroy();
    return { kind: 'replaced' };
  }
  const verifier = new VerifyingTransform({
    key,
    sha256: source.sha256,
    size: source.info.size,
    backend: context.name,
    copy: describeCopy(context.copies, source.index),
  });
  pipeline(reopened.result.body, verifier, () => {
    // The caller sees the error on the stream it was given.
  });
  return { kind: 'good', result: { info: servedInfo(source, repaired), body: verifier } };
}

/** The primary's etag when the primary was just repaired: that is the etag callers compare. */
function servedInfo(source: RepairSource, repaired: ReadonlyMap<number, ObjectInfo>): ObjectInfo {
  return publicInfo(repaired.get(0) ?? source.info, source.sha256);
}

function mismatch(source: RepairSource, check: Check, actual: string): Examination {
  return {
    kind: 'bad',
    problem: {
      kind: check.mismatch,
      index: source.index,
      expected: source.sha256,
      actual,
      etag: source.info.etag,
    },
    ...(check.recorded === undefined ? {} : { recorded: check.recorded }),
    ...(check.lastResort === true ? { lastResort: true } : {}),
  };
}

interface BoundedRead {
  readonly chunks: Buffer[];
  readonly sha256: string;
}

/**
 * Reads a stream the info said is small, hashing it. A stream longer than `limit` is corrupt
 * (its info promised less), so reading stops there instead of filling memory.
 */
async function readBounded(body: Readable, limit: number): Promise<BoundedRead> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = asBuffer(chunk as Uint8Array | string);
    size += bytes.length;
    if (size > limit) return { chunks: [], sha256: `more than ${limit} bytes` };
    hash.update(bytes);
    chunks.push(bytes);
  }
  return { chunks, sha256: hash.digest('hex') };
}

function asBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  // A view over the same memory: a copy would double what a buffered read holds.
  return Buffer.isBuffer(chunk)
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
