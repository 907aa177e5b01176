// The loop shared by retry() and retryWithFallback(); not exported from the package.
import { abortedError } from '../errors/aborted-error.js';
import { CairnError } from '../errors/cairn-error.js';
import type { AttemptContext, AttemptEvent } from './attempt.js';
import { computeBackoffDelay } from './backoff.js';
import type { RetryDecision } from './classify.js';
import type { RetryPolicy } from './retry-policy.js';

/** How one candidate's attempts ended, when not by abort or deadline (those throw). */
export type LoopOutcome<T> =
  | { readonly kind: 'success'; readonly value: T; readonly attempts: number }
  | { readonly kind: 'give-up' | 'exhausted'; readonly error: unknown; readonly attempts: number }
  | {
      readonly kind: 'retry-after-too-long';
      readonly error: unknown;
      readonly attempts: number;
      /** The wait the server asked for, above the policy's `maxRetryAfterMs`. */
      readonly retryAfterMs: number;
    };

/** Where a loop stands within the whole run (a fallback chain runs several loops). */
export interface LoopPosition {
  /** The clock reading when the run's first attempt started; the deadline counts from it. */
  readonly startedAt: number;
  /** The candidate being run, if in a fallback chain. */
  readonly candidate: string | undefined;
  /** Attempts made by earlier candidates, so errors report the run's total. */
  readonly attemptsBefore: number;
  /** The signal attempts receive: the policy's, or one that never aborts. */
  readonly signal: AbortSignal;
}

/** A failure's message for another error's message; never the stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}

/** "1 attempt", "3 attempts": for messages. */
export function countAttempts(count: number): string {
  return count === 1 ? '1 attempt' : `${count} attempts`;
}

/** The `ABORTED` error of a run; `when` completes "The retried operation was aborted …". */
function runAbortedError(signal: AbortSignal, when: string, attempts: number, elapsedMs: number) {
  return abortedError('retry', signal.reason, 'The retried operation', {
    when: `${when}, after ${countAttempts(attempts)} over ${elapsedMs} ms`,
    details: { attempts, elapsedMs },
  });
}

/** The `DEADLINE_EXCEEDED` error of a run, with the last failure as its cause. */
export function deadlineError(
  policy: RetryPolicy,
  lastError: unknown,
  attempts: number,
  elapsedMs: number,
  delayMs: number,
) {
  const deadlineMs = policy.deadlineMs ?? 0;
  const wait = delayMs > 0 ? `waiting ${delayMs} ms more would reach` : 'it has reached';
  return new CairnError({
    code: 'DEADLINE_EXCEEDED',
    backend: 'retry',
    message: `Stopped after ${countAttempts(attempts)} over ${elapsedMs} ms because ${wait} the ${deadlineMs} ms deadline; the last error was: ${describeError(lastError)}. Raise deadlineMs, or find why the operation keeps failing (see the cause).`,
    cause: lastError,
    details: { attempts, elapsedMs, deadlineMs, delayMs },
  });
}

/**
 * The `RETRIES_EXHAUSTED` error of a run whose server asked for a wait above
 * `maxRetryAfterMs`. Not the server's own error: that one says "retry after N" and an outer
 * retry layer would wait it out after all; this one is not retryable.
 */
export function retryAfterTooLongError(
  policy: RetryPolicy,
  lastError: unknown,
  attempts: number,
  elapsedMs: number,
  retryAfterMs: number,
) {
  const { maxRetryAfterMs } = policy;
  return new CairnError({
    code: 'RETRIES_EXHAUSTED',
    backend: 'retry',
    message: `Gave up after ${countAttempts(attempts)} over ${elapsedMs} ms: the server asked to wait ${retryAfterMs} ms before trying again, longer than maxRetryAfterMs (${maxRetryAfterMs} ms); the last error was: ${describeError(lastError)}. Try again later, or raise maxRetryAfterMs if the run may wait that long.`,
    cause: lastError,
    details: { attempts, elapsedMs, retryAfterMs, maxRetryAfterMs },
  });
}

function isUsableWait(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}

/**
 * Runs `operation` under `policy` until it succeeds, gives up or runs out of attempts.
 * Throws `ABORTED` or `DEADLINE_EXCEEDED`, which end a whole run rather than one candidate.
 */
export async function runAttempts<T>(
  operation: (context: AttemptContext) => Promise<T>,
  policy: RetryPolicy,
  position: LoopPosition,
): Promise<LoopOutcome<T>> {
  const { clock } = policy;
  const { startedAt, candidate, attemptsBefore, signal } = position;
  let previousBackoffMs = policy.initialDelayMs;

  const report = (event: Omit<AttemptEvent, 'candidate'>): void => {
    policy.onAttempt?.({ ...event, candidate });
  };

  for (let attempt = 1; ; attempt += 1) {
    if (signal.aborted) {
      const total = attemptsBefore + attempt - 1;
      throw runAbortedError(signal, `before attempt ${attempt}`, total, clock.now() - startedAt);
    }
    let value: T;
    try {
      value = await operation({ attempt, signal });
    } catch (error) {
      const nowMs = clock.now();
      const elapsedMs = nowMs - startedAt;
      const total = attemptsBefore + attempt;
      const failure = { attempt, outcome: 'failure', error, elapsedMs } as const;
      if (signal.aborted) {
        // The abort most likely caused this failure; classifying it would only retry a
        // cancelled run.
        report({ ...failure, decision: undefined, delayMs: undefined });
        throw runAbortedError(signal, `during attempt ${attempt}`, total, elapsedMs);
      }
      const decision: RetryDecision = policy.classify(error, {
        attempt,
        elapsedMs,
        nowMs,
        candidate,
      });
      if (decision.action === 'give-up' || attempt >= policy.maxAttempts) {
        report({ ...failure, decision, delayMs: undefined });
        return {
          kind: decision.action === 'give-up' ? 'give-up' : 'exhausted',
          error,
          attempts: attempt,
        };
      }
      let delayMs: number;
      if (decision.action === 'retry-after' && isUsableWait(decision.delayMs)) {
        if (decision.delayMs > policy.maxRetryAfterMs) {
          // Sleeping through an hour- or day-long Retry-After would park the whole run; the
          // caller (or the next fallback candidate) decides what to do instead.
          report({ ...failure, decision, delayMs: undefined });
          return {
            kind: 'retry-after-too-long',
            error,
            attempts: attempt,
            retryAfterMs: decision.delayMs,
          };
        }
        delayMs = decision.delayMs;
      } else {
        delayMs = computeBackoffDelay(policy, attempt, previousBackoffMs);
        previousBackoffMs = delayMs;
      }
      if (policy.deadlineMs !== undefined && elapsedMs + delayMs >= policy.deadlineMs) {
        report({ ...failure, decision, delayMs: undefined });
        throw deadlineError(policy, error, total, elapsedMs, delayMs);
      }
      report({ ...failure, decision, delayMs });
      try {
        await clock.sleep(delayMs, signal);
      } catch (sleepError) {
        if (!signal.aborted) throw sleepError;
        throw runAbortedError(
          signal,
          `while waiting ${delayMs} ms before attempt ${attempt + 1}`,
          total,
          clock.now() - startedAt,
        );
      }
      continue;
    }
    report({
      attempt,
      outcome: 'success',
      error: undefined,
      decision: undefined,
      delayMs: undefined,
      elapsedMs: clock.now() - startedAt,
    });
    return { kind: 'success', value, attempts: attempt };
  }
}
