import type { RetryDecision } from './classify.js';

/** What an operation receives on each attempt. */
export interface AttemptContext {
  /** The attempt number, from 1 (per candidate in a fallback chain). */
  readonly attempt: number;
  /**
   * The policy's abort signal (a signal that never aborts when the policy has none). Pass it
   * to the I/O the attempt does, so an abort stops the attempt in flight too.
   */
  readonly signal: AbortSignal;
}

/** One attempt, as reported to a policy's `onAttempt` listener. */
export interface AttemptEvent {
  /** The attempt number, from 1 (per candidate in a fallback chain). */
  readonly attempt: number;
  /** The fallback candidate the attempt ran; `undefined` outside a fallback chain. */
  readonly candidate: string | undefined;
  /** Whether the attempt's operation resolved or threw. */
  readonly outcome: 'success' | 'failure';
  /** What the operation threw; `undefined` on success. */
  readonly error: unknown;
  /**
   * The classifier's decision; `undefined` on success, and on a failure after the policy's
   * signal aborted (an aborted run is not classified).
   */
  readonly decision: RetryDecision | undefined;
  /**
   * The wait before the next attempt, in milliseconds, when one follows; `undefined` when this
   * attempt ends the run (success, give-up, last attempt, deadline, abort, or a server wait
   * above `maxRetryAfterMs`).
   */
  readonly delayMs: number | undefined;
  /** Milliseconds from the start of the first attempt to the end of this one. */
  readonly elapsedMs: number;
}

/**
 * Receives every attempt as it ends, synchronously, before any wait. Keep it quick and make
 * it not throw: an exception from the listener ends the run with that exception.
 */
export type AttemptListener = (event: AttemptEvent) => void;
