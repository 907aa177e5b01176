import { createHash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { DigestTransform } from './body.js';
import type { MirrorContext } from './mirrored-storage-context.js';
import { publicInfo, recordedDigest, VerifyingTransform } from './mirrored-storage-digest.js';
import { copyReference, describeCopy } from './mirrored-storage-events.js';
import {
  type CopyProblem,
  noGoodCopy,
  repairTargetsOf,
  reportProblem,
} from './mirrored-storage-problems.js';
import {
  type RepairSource,
  type RepairTarget,
  reportRepairs,
  startRepairPuts,
} from './mirrored-storage-repair.js';
import { teeStream } from './mirrored-storage-tee.js';
import type { GetOptions, GetResult, ObjectInfo, Storage } from './storage.js';

type Examination =
  | { readonly kind: 'good'; readonly result: GetResult }
  | { readonly kind: 'bad'; readonly problem: CopyProblem };

/** Times a large copy may be replaced between its verification pass and its read. */
const maxReopenAttempts = 3;

/**
 * Reads `key` from the first copy whose bytes match their recorded digest, trying copies in
 * order, and rewrites the copies found missing or corrupt on the way. Never returns bytes that
 * failed verification; a repair that fails is reported, not thrown.
 */
export async function getMirrored(
  context: MirrorContext,
  key: string,
  options: GetOptions,
): Promise<GetResult> {
  if (options.range !== undefined) {
    throw new CairnError({
      code: 'UNSUPPORTED',
      backend: context.name,
      message: `Ranged reads of "${key}" are not supported by a mirror: a slice cannot be checked against the object's digest. Read the whole object, or read the range from one copy directly.`,
      details: { key },
    });
  }
  const problems: CopyProblem[] = [];
  // A key missing from every copy is an ordinary miss, not a mirror problem: "missing"
  // events wait until some copy shows the object exists.
  let unreported: CopyProblem[] = [];
  for (let index = 0; index < context.copies.length; index++) {
    throwIfAborted(context, options.signal);
    const reportMissing = () => {
      for (const problem of unreported) reportProblem(context, key, problem);
      unreported = [];
    };
    const examination = await examineCopy(
      context,
      key,
      index,
      problems,
      options.signal,
      1,
      reportMissing,
    );
    if (examination.kind === 'good') return examination.result;
    problems.push(examination.problem);
    if (examination.problem.kind === 'missing') {
      unreported.push(examination.problem);
      continue;
    }
    for (const problem of [...unreported, examination.problem])
      reportProblem(context, key, problem);
    unreported = [];
  }
  if (problems.some((problem) => problem.kind !== 'missing')) {
    for (const problem of unreported) reportProblem(context, key, problem);
  }
  throw noGoodCopy(context, key, problems);
}

async function examineCopy(
  context: MirrorContext,
  key: string,
  index: number,
  problems: readonly CopyProblem[],
  signal: AbortSignal | undefined,
  attempt: number,
  onObjectFound?: () => void,
): Promise<Examination> {
  const opened = await openCopy(context, key, index, signal);
  if (opened.kind === 'bad') return opened;
  onObjectFound?.();
  const { info, body } = opened.result;
  const expected = recordedDigest(info) ?? (await digestFromOtherCopies(context, key, index));
  if (expected === undefined) {
    context.report({ type: 'copy-unverified', key, ...copyReference(context.copies, index) });
    return { kind: 'good', result: { info: publicInfo(info), body } };
  }
  // A copy reopened after a concurrent replace was already repaired from on the first attempt.
  const targets = context.repair && attempt === 1 ? repairTargetsOf(problems) : [];
  const source: RepairSource = { index, info, sha256: expected };
  if (info.size <= context.bufferLimitBytes) {
    return readBuffered(context, key, body, source, targets);
  }
  return readStreamed(context, key, body, source, targets, problems, signal, attempt);
}

async function readBuffered(
  context: MirrorContext,
  key: string,
  body: Readable,
  source: RepairSource,
  targets: readonly RepairTarget[],
): Promise<Examination> {
  let read: BoundedRead;
  try {
    read = await readBounded(body, context.bufferLimitBytes);
  } catch (error) {
    return { kind: 'bad', problem: { kind: 'unreadable', index: source.index, error } };
  }
  if (read.sha256 !== source.sha256) {
    return { kind: 'bad', problem: corrupt(source, read.sha256) };
  }
  const { chunks } = read;
  // Awaited so that when get returns, the copies are whole again (and tests can see it).
  const results = await startRepairPuts(context, key, targets, source, () =>
    Readable.from(chunks, { objectMode: false }),
  );
  const repaired = reportRepairs(context, key, targets, results, source);
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
  targets: readonly RepairTarget[],
  problems: readonly CopyProblem[],
  signal: AbortSignal | undefined,
  attempt: number,
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
  if (actual !== source.sha256) return { kind: 'bad', problem: corrupt(source, actual) };
  const repaired = reportRepairs(context, key, targets, results, source);

  // Second pass, streamed to the caller and verified again at its end.
  const reopened = await openCopy(context, key, source.index, signal);
  if (reopened.kind === 'bad') return reopened;
  if (reopened.result.info.etag !== source.info.etag) {
    reopened.result.body.destroy();
    if (attempt >= maxReopenAttempts) {
      const error = new CairnError({
        code: 'CONFLICT',
        backend: context.name,
        message: `"${key}" was replaced ${attempt} times while being verified; read it again once writers settle.`,
        details: { key },
      });
      return { kind: 'bad', problem: { kind: 'unreadable', index: source.index, error } };
    }
    return examineCopy(context, key, source.index, problems, signal, attempt + 1);
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

function corrupt(source: RepairSource, actual: string): CopyProblem {
  return {
    kind: 'corrupt',
    index: source.index,
    expected: source.sha256,
    actual,
    etag: source.info.etag,
  };
}

async function openCopy(
  context: MirrorContext,
  key: string,
  index: number,
  signal: AbortSignal | undefined,
): Promise<{ readonly kind: 'opened'; readonly result: GetResult } | Examination> {
  const copy = context.copies[index] as Storage;
  try {
    return { kind: 'opened', result: await copy.get(key, signal === undefined ? {} : { signal }) };
  } catch (error) {
    throwIfAborted(context, signal);
    if (isCairnError(error, 'NOT_FOUND'))
      return { kind: 'bad', problem: { kind: 'missing', index } };
    return { kind: 'bad', problem: { kind: 'unreadable', index, error } };
  }
}

/** For a copy that recorded no digest: the first digest another copy recorded. */
export async function digestFromOtherCopies(
  context: MirrorContext,
  key: string,
  except: number,
): Promise<string | undefined> {
  for (const [index, copy] of context.copies.entries()) {
    if (index === except) continue;
    try {
      const info = await copy.head(key);
      const sha256 = info === undefined ? undefined : recordedDigest(info);
      if (sha256 !== undefined) return sha256;
    } catch {
      // A copy that cannot answer simply offers no digest.
    }
  }
  return undefined;
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

function throwIfAborted(context: MirrorContext, signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw new CairnError({
    code: 'ABORTED',
    backend: context.name,
    message: 'The read was aborted.',
    cause: signal.reason,
  });
}
