import type { Clock } from '../retry/clock.js';
import { createRetryPolicy, type RetryPolicy } from '../retry/retry-policy.js';

/**
 * How item records and segments are written and read: a few quick retries of transient
 * failures (the default classifier retries only errors marked retryable), on the map's clock
 * so tests drive the waits. Writes of finished items get no signal: an abort must not lose
 * work that is already done.
 */
export function storageRetryPolicy(clock: Clock, signal?: AbortSignal): RetryPolicy {
  return createRetryPolicy({
    maxAttempts: 4,
    initialDelayMs: 100,
    maxDelayMs: 2_000,
    clock,
    ...(signal === undefined ? {} : { signal }),
  });
}
