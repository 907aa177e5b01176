import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { digestOf } from './body.js';
import { compareKeys } from './keys.js';
import type { MirrorContext } from './mirrored-storage-context.js';
import {
  copyReference,
  type MirrorCopyReference,
  summariseError,
} from './mirrored-storage-events.js';
import { type CopyState, judgeCopies } from './mirrored-storage-judge.js';
import { copyError, repairTargetsOf, reportProblem } from './mirrored-storage-problems.js';
import { type RepairSource, settleRepairs, startRepairPuts } from './mirrored-storage-repair.js';
import { teeStream } from './mirrored-storage-tee.js';
import type { ObjectInfo, Storage } from './storage.js';

/** Options of {@link MirroredStorage.scrub}. */
export interface ScrubOptions {
  /** Only keys starting with this prefix; all keys when omitted. */
  readonly prefix?: string;
  /** Rewrite bad copies; defaults to the mirror's `repair` option. False only reports. */
  readonly repair?: boolean;
  /** Stops the scrub between objects. */
  readonly signal?: AbortSignal;
}

/** One bad copy of one object, as a scrub found and left it. */
export interface ScrubFinding extends MirrorCopyReference {
  /** The object's key. */
  readonly key: string;
  /** What was wrong: no object, bytes not matching their digest, other bytes than the trusted copy, or a failed read. */
  readonly problem: 'missing' | 'corrupt' | 'stale' | 'unreadable';
  /**
   * Whether the copy was rewritten with good bytes. Never for an unreadable copy, nor for a
   * stale copy that recorded no digest and comes before the trusted one (it may be newer).
   */
  readonly repaired: boolean;
  /**
   * Why it was not repaired, when a repair was tried and failed or was undone (`CONFLICT`: the
   * object was deleted from the trusted copy meanwhile).
   */
  readonly error?: { readonly code?: string; readonly message: string };
}

/** What a scrub found. */
export interface ScrubReport {
  /** Objects examined: every key any copy lists under the prefix. */
  readonly checked: number;
  /** Objects whose every copy was present, intact and identical. */
  readonly healthy: number;
  /** Every bad copy found, with whether it was repaired. */
  readonly findings: readonly ScrubFinding[];
  /**
   * Keys with no good copy of the version the primary recorded (or, when the primary lacks the
   * object, the first backup that recorded one): nothing to repair them from.
   */
  readonly unrecoverable: readonly string[];
}

/** Walks every object under a prefix on every copy; see {@link MirroredStorage.scrub}. */
export async function scrubMirror(
  context: MirrorContext,
  options: ScrubOptions,
): Promise<ScrubReport> {
  const repair = options.repair ?? context.repair;
  const findings: ScrubFinding[] = [];
  const unrecoverable: string[] = [];
  let checked = 0;
  let healthy = 0;
  for await (const key of mergedKeys(context, options)) {
    if (options.signal?.aborted) {
      throw new CairnError({
        code: 'ABORTED',
        backend: context.name,
        message: `Scrub was aborted after ${checked} objects; run it again to continue.`,
        cause: options.signal.reason,
      });
    }
    checked += 1;
    const outcome = await scrubKey(context, key, repair);
    if (outcome === 'healthy') healthy += 1;
    else if (outcome === 'unrecoverable') unrecoverable.push(key);
    else findings.push(...outcome);
  }
  return { checked, healthy, findings, unrecoverable };
}

async function scrubKey(
  context: MirrorContext,
  key: string,
  repair: boolean,
): Promise<'healthy' | 'unrecoverable' | ScrubFinding[]> {
  const states: CopyState[] = [];
  for (const index of context.copies.keys()) states.push(await readCopy(context, key, index));
  const { problems, trusted, untouchable } = judgeCopies(states);
  for (const problem of problems) reportProblem(context, key, problem);
  if (trusted === undefined) return 'unrecoverable';
  if (problems.length === 0) return 'healthy';
  const targets = repair
    ? repairTargetsOf(problems.filter((problem) => !untouchable.has(problem.index)))
    : [];
  const repaired =
    targets.length === 0 ? new Map() : await repairFrom(context, key, trusted, targets);
  return problems.map((problem) => {
    const outcome = repaired.get(problem.index);
    return {
      key,
      ...copyReference(context.copies, problem.index),
      problem: problem.kind,
      repaired: outcome === true,
      ...(outcome === undefined || outcome === true ? {} : { error: summariseError(outcome) }),
    };
  });
}

/** Rewrites `targets` from the trusted copy; true per repaired copy, else the error. */
async function repairFrom(
  context: MirrorContext,
  key: string,
  source: RepairSource,
  targets: ReturnType<typeof repairTargetsOf>,
): Promise<Map<number, true | unknown>> {
  const outcomes = new Map<number, true | unknown>();
  const copy = context.copies[source.index] as Storage;
  let opened: Awaited<ReturnType<Storage['get']>>;
  try {
    opened = await copy.get(key);
  } catch (error) {
    for (const target of targets) outcomes.set(target.index, error);
    return outcomes;
  }
  if (opened.info.etag !== source.info.etag) {
    // Written since it was examined: a writer is at work on this key, and its own put will
    // bring the copies together. Repairing from the older read could undo its work.
    opened.body.destroy();
    const error = new CairnError({
      code: 'CONFLICT',
      backend: context.name,
      message: `"${key}" changed while being scrubbed; scrub it again later.`,
      details: { key },
    });
    for (const target of targets) outcomes.set(target.index, error);
    return outcomes;
  }
  const tee = teeStream(opened.body, targets.length, { endBranchesOnSourceError: true });
  const results = await startRepairPuts(
    context,
    key,
    targets,
    source,
    (position) => tee.branches[position] as NonNullable<(typeof tee.branches)[number]>,
    (position) => tee.detach(position),
  );
  const settled = await settleRepairs(context, key, targets, results, source);
  targets.forEach((target, position) => {
    const outcome = settled[position];
    outcomes.set(target.index, outcome?.status === 'fulfilled' ? true : outcome?.reason);
  });
  return outcomes;
}

async function readCopy(context: MirrorContext, key: string, index: number): Promise<CopyState> {
  const copy = context.copies[index] as Storage;
  try {
    const { info, body } = await copy.get(key);
    const { sha256 } = await digestOf(body);
    return { kind: 'read', index, info, actual: sha256 };
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND'))
      return { kind: 'problem', problem: { kind: 'missing', index } };
    return { kind: 'problem', problem: { kind: 'unreadable', index, error } };
  }
}

/**
 * The union of every copy's keys under the prefix, in order, merging the sorted listings one
 * object at a time so memory stays flat however many keys there are.
 */
async function* mergedKeys(context: MirrorContext, options: ScrubOptions): AsyncGenerator<string> {
  const listOptions = {
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const iterators = context.copies.map((copy) => copy.list(listOptions)[Symbol.asyncIterator]());
  const advance = async (index: number): Promise<string | undefined> => {
    try {
      const next = await (iterators[index] as AsyncIterator<ObjectInfo>).next();
      return next.done ? undefined : next.value.key;
    } catch (error) {
      // A copy that cannot list could hide objects only it holds: the report would lie.
      throw copyError(context, index, error);
    }
  };
  const heads = await Promise.all(iterators.map((_iterator, index) => advance(index)));
  for (;;) {
    let smallest: string | undefined;
    for (const head of heads) {
      if (head !== undefined && (smallest === undefined || compareKeys(head, smallest) < 0)) {
        smallest = head;
      }
    }
    if (smallest === undefined) return;
    yield smallest;
    for (const [index, head] of heads.entries()) {
      if (head === smallest) heads[index] = await advance(index);
    }
  }
}
