// Why a hand-written loop and not cockatiel or p-retry: we need, together, a clock and a
// random source passed in as policy fields (so tests are deterministic without patching global
// timers), a classifier that can answer "retry after exactly N ms" from a server's
// Retry-After and have it honoured against the deadline, full, none and decorrelated jitter,
// one fallback chain shared by the kernel and the LLM archive, and every failure as one
// CairnError type that keeps the original error as its cause. Adapting a library to all of
// that would cost more than the couple of hundred lines here, which we own and can test.
import { CairnError } from '../errors/cairn-error.js';
import type { AttemptContext } from './attempt.js';
import {
  countAttempts,
  describeError,
  retryAfterTooLongError,
  runAttempts,
} from './attempt-loop.js';
import { type RetryPolicy, type RetryPolicyOptions, resolveRetryPolicy } from './retry-policy.js';

/**
 * Runs `operation` until it succeeds, retrying failures the policy's classifier deems
 * transient, with backoff between attempts.
 *
 * How it ends:
 * - success: the operation's value;
 * - the classifier gives up: the operation's ORIGINAL error is rethrown, so callers keep
 *   their typed errors;
 * - every attempt failed: `RETRIES_EXHAUSTED` (`details.attempts`, `details.elapsedMs`;
 *   `cause` is the last error);
 * - the server asked for a wait above `maxRetryAfterMs`: `RETRIES_EXHAUSTED` at once, without
 *   sleeping (`details.retryAfterMs` is the wait asked for; `cause` is the server's error);
 * - the next wait would reach `deadlineMs`: `DEADLINE_EXCEEDED` (`cause` is the last error);
 * - the policy's signal aborted: `ABORTED` (`cause` is the signal's reason). A value that an
 *   attempt still returns after the abort is kept: the work is done.
 *
 * @param operation - one attempt; pass `context.signal` on to its I/O.
 * @param policy - a policy from {@link createRetryPolicy}, or options to build one (validated).
 * @throws CairnError `INVALID_OPTIONS` when the options do not validate.
 *
 * @example
 * const text = await retry(({ signal }) => readRemote(key, { signal }), {
 *   maxAttempts: 4,
 *   deadlineMs: 30_000,
 * });
 */
export async function retry<T>(
  operation: (context: AttemptContext) => Promise<T>,
  policy?: RetryPolicy | RetryPolicyOptions,
): Promise<T> {
  const resolved = resolveRetryPolicy(policy);
  const startedAt = resolved.clock.now();
  const outcome = await runAttempts(operation, resolved, {
    startedAt,
    candidate: undefined,
    attemptsBefore: 0,
    signal: resolved.signal ?? new AbortController().signal,
  });
  if (outcome.kind === 'success') return outcome.value;
  if (outcome.kind === 'give-up') throw outcome.error;
  const elapsedMs = resolved.clock.now() - startedAt;
  if (outcome.kind === 'retry-after-too-long') {
    throw retryAfterTooLongError(
      resolved,
      outcome.error,
      outcome.attempts,
      elapsedMs,
      outcome.retryAfterMs,
    );
  }
  throw new CairnError({
    code: 'RETRIES_EXHAUSTED',
    backend: 'retry',
    message: `Gave up after ${countAttempts(outcome.attempts)} over ${elapsedMs} ms; the last error was: ${describeError(outcome.error)}. Every failure looked transient but none passed: see the cause, or raise maxAttempts (now ${resolved.maxAttempts}).`,
    cause: outcome.error,
    details: { attempts: outcome.attempts, elapsedMs },
  });
}
