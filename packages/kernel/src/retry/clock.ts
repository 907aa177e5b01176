import { sleepWithTimers, type TimerFunctions } from './timer-sleep.js';

/**
 * The time source of a retry policy. Injected so tests drive time by hand (see
 * {@link createManualClock}) instead of sleeping for real.
 */
export interface Clock {
  /** The current time in milliseconds; only differences between two readings matter. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds, however long. When `signal` aborts first (or is already aborted), the
   * returned promise rejects with `signal.reason` and the wait is cancelled.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const globalTimers: TimerFunctions = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The real clock: `Date.now()` and `setTimeout`. The default of every retry policy. */
export const systemClock: Clock = {
  now: () => Date.now(),
  // Waits longer than setTimeout's limit (about 24.8 days) are taken in several timers.
  sleep: (ms, signal) => sleepWithTimers(globalTimers, ms, signal),
};
