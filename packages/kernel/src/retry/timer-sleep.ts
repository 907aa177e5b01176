// The sleep behind systemClock, with the timer functions passed in so the splitting of long
// waits is tested without waiting; not exported from the package.

/**
 * The longest delay `setTimeout` honours: 2^31 - 1 ms, about 24.8 days. Node fires a longer
 * one after 1 ms instead (with a warning), which would turn a long wait into a busy retry loop.
 */
export const longestTimerDelayMs = 2 ** 31 - 1;

/** The timer functions a sleep runs on: the globals for the system clock, fakes in tests. */
export interface TimerFunctions {
  /** Calls `callback` once after `delayMs` (never more than {@link longestTimerDelayMs}). */
  setTimeout(callback: () => void, delayMs: number): unknown;
  /** Cancels a timer `setTimeout` returned. */
  clearTimeout(handle: unknown): void;
}

/**
 * Resolves after `ms` milliseconds, waiting in pieces of at most {@link longestTimerDelayMs},
 * so any delay works. A negative or NaN `ms` is no wait; `Infinity` waits until `signal`
 * aborts. When `signal` aborts first (or already has), rejects with its reason and cancels the
 * pending timer.
 */
export function sleepWithTimers(
  timers: TimerFunctions,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let remaining = Number.isNaN(ms) ? 0 : Math.max(0, ms);
    let handle: unknown;
    const onAbort = (): void => {
      timers.clearTimeout(handle);
      reject(signal?.reason);
    };
    const schedule = (): void => {
      const piece = Math.min(remaining, longestTimerDelayMs);
      remaining -= piece;
      handle = timers.setTimeout(() => {
        if (remaining > 0) {
          schedule();
          return;
        }
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, piece);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    schedule();
  });
}
