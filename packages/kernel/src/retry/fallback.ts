import { CairnError } from '../errors/cairn-error.js';
import type { AttemptContext } from './attempt.js';
import { countAttempts, deadlineError, describeError, runAttempts } from './attempt-loop.js';
import { type RetryPolicy, type RetryPolicyOptions, resolveRetryPolicy } from './retry-policy.js';

/** One way to get the result, tried in order by {@link retryWithFallback}. */
export interface FallbackCandidate<T> {
  /** A unique name, reported in attempt events, the result and errors (e.g. a model name). */
  readonly name: string;
  /** One attempt with this candidate; pass `context.signal` on to its I/O. */
  run(context: AttemptContext): Promise<T>;
}

/** What {@link retryWithFallback} returns. */
export interface FallbackResult<T> {
  /** The serving candidate's value. */
  readonly value: T;
  /** The name of the candidate that served. */
  readonly candidate: string;
  /** Attempts made across the whole chain, the successful one included. */
  readonly attempts: number;
}

/** How one candidate failed, as listed in `details.candidates` of the chain's error. */
export interface FallbackFailure {
  /** The candidate's name. */
  readonly name: string;
  /** Attempts made with it. */
  readonly attempts: number;
  /**
   * `give-up`: its classifier said the error will not pass; `exhausted`: it used every
   * attempt; `retry-after-too-long`: its server asked for a wait above `maxRetryAfterMs`.
   */
  readonly outcome: 'give-up' | 'exhausted' | 'retry-after-too-long';
  /** For `retry-after-too-long`: the wait the server asked for, in milliseconds. */
  readonly retryAfterMs?: number;
  /** Its last error, as thrown. */
  readonly error: unknown;
  /** That error's message. */
  readonly message: string;
}

function describeFailure(failure: FallbackFailure): string {
  const wait =
    failure.retryAfterMs === undefined
      ? ''
      : ` (asked to wait ${failure.retryAfterMs} ms, more than maxRetryAfterMs)`;
  return `${failure.name}: ${failure.message}${wait}`;
}

function invalidCandidates(field: string, problem: string): CairnError {
  return new CairnError({
    code: 'INVALID_OPTIONS',
    backend: 'retry',
    message: `Fallback candidate list is invalid: "${field}" ${problem}. Pass at least one candidate, each with a unique name and a run function.`,
    details: { field },
  });
}

function validateCandidates<T>(candidates: readonly FallbackCandidate<T>[]): void {
  if (!Array.isArray(candidates) || candidates.length === 0) {
    throw invalidCandidates('candidates', 'is empty');
  }
  const seen = new Set<string>();
  for (const [index, candidate] of candidates.entries()) {
    if (typeof candidate?.name !== 'string' || candidate.name === '') {
      throw invalidCandidates(`candidates[${index}].name`, 'must be a non-empty string');
    }
    if (seen.has(candidate.name)) {
      throw invalidCandidates(`candidates[${index}].name`, `repeats "${candidate.name}"`);
    }
    seen.add(candidate.name);
    if (typeof candidate.run !== 'function') {
      throw invalidCandidates(`candidates[${index}].run`, 'must be a function');
    }
  }
}

/**
 * Tries `candidates` in order, each under the full retry `policy`: when one gives up or runs
 * out of attempts, the next one starts at attempt 1, without a wait. The first success is
 * returned with the candidate that served it.
 *
 * The deadline and the abort signal cover the whole chain: either stops it, whatever
 * candidate is running (`DEADLINE_EXCEEDED` / `ABORTED`, as in {@link retry}). A server wait
 * above `maxRetryAfterMs` ends only the candidate that got it. Attempt events carry the
 * candidate's name.
 *
 * @throws CairnError `RETRIES_EXHAUSTED` when every candidate failed: `details.candidates`
 *   lists each one's {@link FallbackFailure}, `details.attempts` the total, and `cause` is the
 *   last candidate's last error.
 * @throws CairnError `INVALID_OPTIONS` for an empty list, a missing or repeated name, or
 *   invalid policy options.
 *
 * @example
 * const { value, candidate } = await retryWithFallback(
 *   [
 *     { name: 'gpt-large', run: ({ signal }) => complete('gpt-large', prompt, signal) },
 *     { name: 'gpt-small', run: ({ signal }) => complete('gpt-small', prompt, signal) },
 *   ],
 *   policy,
 * );
 */
export async function retryWithFallback<T>(
  candidates: readonly FallbackCandidate<T>[],
  policy?: RetryPolicy | RetryPolicyOptions,
): Promise<FallbackResult<T>> {
  validateCandidates(candidates);
  const resolved = resolveRetryPolicy(policy);
  const { clock } = resolved;
  const signal = resolved.signal ?? new AbortController().signal;
  const startedAt = clock.now();
  const failures: FallbackFailure[] = [];
  let attemptsBefore = 0;

  for (const candidate of candidates) {
    const previous = failures.at(-1);
    const elapsedMs = clock.now() - startedAt;
    // Moving on takes no wait, but a candidate started past the deadline would overrun it.
    if (
      previous !== undefined &&
      resolved.deadlineMs !== undefined &&
      elapsedMs >= resolved.deadlineMs
    ) {
      throw deadlineError(resolved, previous.error, attemptsBefore, elapsedMs, 0);
    }
    const outcome = await runAttempts((context) => candidate.run(context), resolved, {
      startedAt,
      candidate: candidate.name,
      attemptsBefore,
      signal,
    });
    attemptsBefore += outcome.attempts;
    if (outcome.kind === 'success') {
      return { value: outcome.value, candidate: candidate.name, attempts: attemptsBefore };
    }
    failures.push({
      name: candidate.name,
      attempts: outcome.attempts,
      outcome: outcome.kind,
      error: outcome.error,
      message: describeError(outcome.error),
      ...(outcome.kind === 'retry-after-too-long' ? { retryAfterMs: outcome.retryAfterMs } : {}),
    });
  }

  const elapsedMs = clock.now() - startedAt;
  const summary = failures.map(describeFailure).join('; ');
  throw new CairnError({
    code: 'RETRIES_EXHAUSTED',
    backend: 'retry',
    message: `${failures.length === 1 ? 'The only fallback candidate' : `All ${failures.length} fallback candidates`} failed after ${countAttempts(attemptsBefore)} over ${elapsedMs} ms (${summary}). See details.candidates for each error; fix the first candidate or add another.`,
    cause: failures.at(-1)?.error,
    details: { attempts: attemptsBefore, elapsedMs, candidates: failures },
  });
}
