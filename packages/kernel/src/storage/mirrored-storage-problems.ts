import { CairnError, type CairnErrorCode, isCairnError } from '../errors/cairn-error.js';
import type { MirrorContext } from './mirrored-storage-context.js';
import { copyReference, describeCopy, summariseError } from './mirrored-storage-events.js';
import type { RepairTarget } from './mirrored-storage-repair.js';

/** What was wrong with one copy of one object. */
export type CopyProblem =
  | { readonly kind: 'missing'; readonly index: number }
  | {
      readonly kind: 'corrupt';
      readonly index: number;
      readonly expected: string;
      readonly actual: string;
      readonly etag: string;
    }
  | {
      readonly kind: 'stale';
      readonly index: number;
      readonly expected: string;
      readonly actual: string;
      readonly etag: string;
    }
  | { readonly kind: 'unreadable'; readonly index: number; readonly error: unknown };

/**
 * A copy's error restated as the mirror's own (the contract: errors carry the storage's
 * name), keeping its code, retryability and `Retry-After`, naming the copy, with the
 * original as `cause`.
 */
export function copyError(context: MirrorContext, index: number, error: unknown): CairnError {
  const reason = isCairnError(error)
    ? error.message.replace(/^\[cairn\] \[[^\]]*\] /, '')
    : `${error instanceof Error ? error.message : String(error)} (an unexpected error; the backend should raise a CairnError)`;
  return new CairnError({
    code: isCairnError(error) ? error.code : 'TRANSIENT_IO',
    backend: context.name,
    message: `${describeCopy(context.copies, index)}: ${reason}`,
    cause: error,
    ...(isCairnError(error)
      ? {
          retryable: error.retryable,
          details: { ...error.details, ...copyReference(context.copies, index) },
          ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
        }
      : { details: { ...copyReference(context.copies, index) } }),
  });
}

/** Emits the event matching `problem`. */
export function reportProblem(context: MirrorContext, key: string, problem: CopyProblem): void {
  const reference = copyReference(context.copies, problem.index);
  switch (problem.kind) {
    case 'missing':
      context.report({ type: 'copy-missing', key, ...reference });
      return;
    case 'corrupt':
    case 'stale':
      context.report({
        type: problem.kind === 'corrupt' ? 'copy-corrupt' : 'copy-stale',
        key,
        ...reference,
        expected: problem.expected,
        actual: problem.actual,
      });
      return;
    case 'unreadable':
      context.report({ type: 'copy-unreadable', key, ...reference, error: problem.error });
      return;
  }
}

/**
 * The copies worth rewriting. Unreadable ones are left alone: the failure says nothing about
 * their bytes, and writing to a backend that cannot answer a read rarely goes better.
 */
export function repairTargetsOf(problems: readonly CopyProblem[]): RepairTarget[] {
  return problems.flatMap((problem): RepairTarget[] => {
    if (problem.kind === 'missing') return [{ index: problem.index, seenEtag: undefined }];
    if (problem.kind === 'unreadable') return [];
    return [{ index: problem.index, seenEtag: problem.etag }];
  });
}

function describeProblem(problem: CopyProblem): string {
  switch (problem.kind) {
    case 'missing':
      return 'is missing';
    case 'corrupt':
      return `is corrupt (recorded SHA-256 ${problem.expected}, read ${problem.actual})`;
    case 'stale':
      return `holds other bytes (SHA-256 ${problem.actual}, expected ${problem.expected})`;
    case 'unreadable':
      return `could not be read (${summariseError(problem.error).message})`;
  }
}

/** A one-line account of every copy's problem, for messages. */
export function describeProblems(context: MirrorContext, problems: readonly CopyProblem[]): string {
  return problems
    .map((problem) => `${describeCopy(context.copies, problem.index)} ${describeProblem(problem)}`)
    .join('; ');
}

/**
 * The error for a read that found no good copy. `NOT_FOUND` when every copy simply lacks the
 * object; `TRANSIENT_IO` when a copy that failed to answer may still hold good bytes;
 * `CORRUPT_DATA` when the only copies that answered are damaged or hold other versions.
 */
export function noGoodCopy(
  context: MirrorContext,
  key: string,
  problems: readonly CopyProblem[],
): CairnError {
  const details = {
    key,
    copies: problems.map((problem) => ({
      ...copyReference(context.copies, problem.index),
      problem: problem.kind,
      ...(problem.kind === 'corrupt' || problem.kind === 'stale'
        ? { expected: problem.expected, actual: problem.actual }
        : {}),
      ...(problem.kind === 'unreadable' ? { error: summariseError(problem.error) } : {}),
    })),
  };
  if (problems.every((problem) => problem.kind === 'missing')) {
    return new CairnError({
      code: 'NOT_FOUND',
      backend: context.name,
      message: `No object at "${key}" on any copy (${describeProblems(context, problems)}). List the prefix to see which keys exist.`,
      details,
    });
  }
  const unreadable = problems.flatMap((problem) =>
    problem.kind === 'unreadable' ? [problem.error] : [],
  );
  const mayPass = unreadable.some((error) => !isCairnError(error) || error.retryable);
  const damaged = problems.some((problem) => problem.kind === 'corrupt');
  const otherVersions = problems.some((problem) => problem.kind === 'stale');
  let code: CairnErrorCode;
  let advice: string;
  if (mayPass) {
    code = 'TRANSIENT_IO';
    advice = 'Retry the read: a copy that failed to answer may hold good bytes.';
  } else if (damaged) {
    code = 'CORRUPT_DATA';
    advice = 'No copy holds the recorded bytes: restore the object from its source or delete it.';
  } else if (otherVersions) {
    code = 'CORRUPT_DATA';
    advice =
      'No copy holds the version the mirror looks for: run scrub() to compare every copy, then restore or rewrite the object.';
  } else {
    const first = unreadable[0];
    code = isCairnError(first) ? first.code : 'PERMANENT_IO';
    advice = 'Fix access to the copies that could not be read, then read again.';
  }
  return new CairnError({
    code,
    backend: context.name,
    message: `No good copy of "${key}": ${describeProblems(context, problems)}. ${advice}`,
    cause: unreadable[0],
    details,
  });
}
