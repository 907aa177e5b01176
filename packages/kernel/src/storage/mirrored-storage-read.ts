import { CairnError, isCairnError } from '../errors/cairn-error.js';
import type { MirrorContext } from './mirrored-storage-context.js';
import { publicInfo, recordedDigest } from './mirrored-storage-digest.js';
import { copyReference } from './mirrored-storage-events.js';
import { lendDigest } from './mirrored-storage-lent-digest.js';
import { type CopyProblem, noGoodCopy, reportProblem } from './mirrored-storage-problems.js';
import { type Check, type CopyOutcome, verifyCopy } from './mirrored-storage-verify.js';
import type { GetOptions, GetResult, Storage } from './storage.js';

/**
 * What a read has learnt so far: the problems of the copies it passed, and the digest of the
 * version it is looking for, set by the first copy that recorded one (normally the primary).
 */
interface ReadWalk {
  readonly problems: CopyProblem[];
  expected: string | undefined;
}

/**
 * Reads `key` from the first copy whose bytes match their recorded digest, trying copies in
 * order, and rewrites the copies found missing or corrupt on the way. A repair that fails is
 * reported, not thrown.
 *
 * Which bytes it serves, precisely:
 * - Never bytes that fail their own recorded digest (`copy-corrupt`; repaired from a good copy).
 * - The first recorded digest met (the primary's, unless it lacks the object) names the
 *   version wanted. A later copy recording another digest holds another version, older or from
 *   a put still on its way (`copy-stale`): it is neither served in its place nor used to repair.
 * - A copy that recorded no digest (an fs copy between committing its bytes and writing its
 *   record, a backend that keeps none) is held to a digest another copy recorded. A match
 *   proves the bytes. A mismatch proves damage only when the lender provably holds the same
 *   version (see {@link lendDigest}); otherwise either copy may be the newer one, so the copy
 *   is reported `copy-stale`, never rewritten, and the read moves on to a copy that verifies.
 * - When no copy verifies, a copy whose bytes merely differed from a lent digest is served as a
 *   last resort, reported `copy-unverified`: its bytes failed no digest of their own. Bytes no
 *   copy recorded any digest for are served the same way.
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
  const walk: ReadWalk = { problems: [], expected: undefined };
  // A key missing from every copy is an ordinary miss, not a mirror problem: "missing"
  // events wait until some copy shows the object exists.
  let unreported: CopyProblem[] = [];
  let lastResort: number | undefined;
  for (let index = 0; index < context.copies.length; index++) {
    throwIfAborted(context, options.signal);
    const reportMissing = () => {
      for (const problem of unreported) reportProblem(context, key, problem);
      unreported = [];
    };
    const examination = await examineCopy(context, key, index, walk, {
      signal: options.signal,
      mode: 'walk',
      attempt: 1,
      onObjectFound: reportMissing,
    });
    if (examination.kind === 'good') return examination.result;
    walk.problems.push(examination.problem);
    walk.expected ??= examination.recorded;
    if (examination.lastResort === true) lastResort ??= index;
    if (examination.problem.kind === 'missing') {
      unreported.push(examination.problem);
      continue;
    }
    for (const problem of [...unreported, examination.problem])
      reportProblem(context, key, problem);
    unreported = [];
  }
  if (lastResort !== undefined) {
    throwIfAborted(context, options.signal);
    const examination = await examineCopy(context, key, lastResort, walk, {
      signal: options.signal,
      mode: 'last-resort',
      attempt: 1,
    });
    if (examination.kind === 'good') return examination.result;
  }
  if (walk.problems.some((problem) => problem.kind !== 'missing')) {
    for (const problem of unreported) reportProblem(context, key, problem);
  }
  throw noGoodCopy(context, key, walk.problems);
}

/** Times a large copy may be replaced between its verification pass and its read. */
const maxReopenAttempts = 3;

/** How {@link examineCopy} treats a copy. */
interface ExamineOptions {
  readonly signal: AbortSignal | undefined;
  /**
   * `walk`: the first look, in copy order (a copy without a digest borrows one). `last-resort`:
   * a copy that differed from a lent digest, served now that no copy verified.
   */
  readonly mode: 'walk' | 'last-resort';
  /** Which look at this copy this is; a copy replaced while being read is looked at again. */
  readonly attempt: number;
  /** Called once the copy is found to hold the object. */
  readonly onObjectFound?: () => void;
}

/** Opens copy `index` and decides what to check its bytes against; see {@link getMirrored}. */
async function examineCopy(
  context: MirrorContext,
  key: string,
  index: number,
  walk: ReadWalk,
  options: ExamineOptions,
): Promise<CopyOutcome> {
  const opened = await openCopy(context, key, index, options.signal);
  if (opened.kind !== 'opened') return opened;
  options.onObjectFound?.();
  const { info, body } = opened.result;
  const own = recordedDigest(info);
  let check: Check;
  if (own !== undefined) {
    // On the last resort, a digest recorded since the walk is the copy's own version.
    if (options.mode === 'walk' && walk.expected !== undefined && own !== walk.expected) {
      body.destroy();
      const problem: CopyProblem = {
        kind: 'stale',
        index,
        expected: walk.expected,
        actual: own,
        etag: info.etag,
      };
      return { kind: 'bad', problem };
    }
    check = { sha256: own, mismatch: 'corrupt', recorded: own };
  } else if (options.mode === 'walk' && walk.expected !== undefined) {
    check = { sha256: walk.expected, mismatch: 'stale' };
  } else {
    const lent = options.mode === 'walk' ? await lendDigest(context, key, index, info) : undefined;
    if (lent === undefined) {
      context.report({ type: 'copy-unverified', key, ...copyReference(context.copies, index) });
      return { kind: 'good', result: { info: publicInfo(info), body } };
    }
    check = lent.proven
      ? { sha256: lent.sha256, mismatch: 'corrupt', recorded: lent.sha256 }
      : { sha256: lent.sha256, mismatch: 'stale', lastResort: true };
  }
  // Stale copies hold another version, not damage: reads rewrite only missing and corrupt
  // ones. A copy looked at again was already repaired from on the first attempt.
  const repair = context.repair && options.mode === 'walk' && options.attempt === 1;
  const examination = await verifyCopy(context, key, { index, info, body }, check, {
    problems: walk.problems.filter((problem) => problem.kind !== 'stale'),
    repair,
    signal: options.signal,
    reopen: (signal) => openCopy(context, key, index, signal),
  });
  if (examination.kind !== 'replaced') return examination;
  if (options.attempt >= maxReopenAttempts) {
    const error = new CairnError({
      code: 'CONFLICT',
      backend: context.name,
      message: `"${key}" was replaced ${options.attempt} times while being verified; read it again once writers settle.`,
      details: { key },
    });
    return { kind: 'bad', problem: { kind: 'unreadable', index, error } };
  }
  return examineCopy(context, key, index, walk, {
    signal: options.signal,
    mode: options.mode,
    attempt: options.attempt + 1,
  });
}

/** Opens one copy, turning a missing object or a failure into a problem. */
export async function openCopy(
  context: MirrorContext,
  key: string,
  index: number,
  signal: AbortSignal | undefined,
): Promise<{ readonly kind: 'opened'; readonly result: GetResult } | CopyOutcome> {
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

function throwIfAborted(context: MirrorContext, signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw new CairnError({
    code: 'ABORTED',
    backend: context.name,
    message: 'The read was aborted.',
    cause: signal.reason,
  });
}
