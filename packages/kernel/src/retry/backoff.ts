import type { RetryPolicy } from './retry-policy.js';

/**
 * The wait before the next attempt after `failures` failures in a row (1 after the first),
 * in whole milliseconds.
 *
 * `previousDelayMs` is the last backoff wait this function chose (`initialDelayMs` before
 * the first); only decorrelated jitter uses it. Waits a server asked for through
 * `Retry-After` do not feed it, so one long server wait does not inflate later backoff.
 */
export function computeBackoffDelay(
  policy: Pick<RetryPolicy, 'initialDelayMs' | 'multiplier' | 'maxDelayMs' | 'jitter' | 'random'>,
  failures: number,
  previousDelayMs: number,
): number {
  const { initialDelayMs, multiplier, maxDelayMs } = policy;
  if (policy.jitter === 'decorrelated') {
    const upper = Math.max(initialDelayMs, previousDelayMs * 3);
    return Math.round(
      Math.min(maxDelayMs, initialDelayMs + policy.random() * (upper - initialDelayMs)),
    );
  }
  // multiplier ** n reaches Infinity after a thousand-odd failures; min() caps it, and a zero
  // initial delay is checked first because 0 * Infinity is NaN.
  const exponential =
    initialDelayMs === 0 ? 0 : Math.min(maxDelayMs, initialDelayMs * multiplier ** (failures - 1));
  return Math.round(policy.jitter === 'none' ? exponential : policy.random() * exponential);
}
