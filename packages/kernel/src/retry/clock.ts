/**
 * The time source of a retry policy. Injected so tests drive time by hand (see
 * {@link createManualClock}) instead of sleeping for real.
 */
export interface Clock {
  /** The current time in milliseconds; only differences between two readings matter. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds. When `signal` aborts first (or is already aborted), the
   * returned promise rejects with `signal.reason` and the wait is cancelled.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `Date.now()` and `setTimeout`. The default of every retry policy. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};
