import { CairnError } from '../errors/cairn-error.js';
import type { Clock } from './clock.js';

/**
 * A {@link Clock} whose time moves only when a test says so. A test aid, exported from the
 * kernel because `@cairn/testkit` depends on the kernel and so cannot provide it to it.
 *
 * The `advance*` helpers resolve due sleeps one at a time in due-time order and let pending
 * promise callbacks run after each, so code that sleeps, runs an attempt and sleeps again is
 * driven step by step without real waiting. Code that awaits real I/O between sleeps must be
 * awaited by the test itself: the helpers only let already-settled promises run on.
 *
 * @example
 * const clock = createManualClock();
 * const result = retry(operation, { clock, jitter: 'none' });
 * await clock.runAll();
 * await result;
 */
export interface ManualClock extends Clock {
  /**
   * Moves time forward by `ms`, resolving every sleep due on the way (at or before the new
   * time), earliest first; sleeps that those wake-ups schedule within the window resolve too.
   */
  advance(ms: number): Promise<void>;
  /**
   * Moves time to the earliest pending sleep's due time (never backwards) and resolves that
   * one sleep (the first scheduled, when several are due together). Resolves `false`, leaving
   * time unchanged, when nothing is pending.
   */
  advanceToNextSleep(): Promise<boolean>;
  /**
   * Resolves sleeps in due-time order until none is pending, including those scheduled along
   * the way. Throws `DEADLINE_EXCEEDED` after `maxSleeps` (default 10,000) wake-ups, which
   * means the code under test keeps sleeping forever.
   */
  runAll(maxSleeps?: number): Promise<void>;
  /** How many sleeps are waiting for time to move. */
  readonly pendingSleeps: number;
}

interface PendingSleep {
  readonly dueAt: number;
  // Breaks ties between sleeps due at the same time: first scheduled wakes first.
  readonly sequence: number;
  readonly wake: () => void;
}

/** Lets every callback of already-settled promises run (one macrotask turn drains them all). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Creates a {@link ManualClock} reading `start` milliseconds (default 0).
 *
 * A sleep of zero or negative length is due at once but, like any other, waits for one of the
 * `advance*` helpers (`advance(0)` is enough): time never moves behind a test's back.
 */
export function createManualClock(start = 0): ManualClock {
  if (!Number.isFinite(start)) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'manual-clock',
      message: `The start time must be a finite number of milliseconds, got ${String(start)}. Pass a number such as 0 or Date.UTC(2026, 0, 1).`,
      details: { field: 'start' },
    });
  }
  let current = start;
  let sequence = 0;
  const pending: PendingSleep[] = [];

  function earliest(): PendingSleep | undefined {
    let found: PendingSleep | undefined;
    for (const sleep of pending) {
      if (
        found === undefined ||
        sleep.dueAt < found.dueAt ||
        (sleep.dueAt === found.dueAt && sleep.sequence < found.sequence)
      ) {
        found = sleep;
      }
    }
    return found;
  }

  function wakeEarliestUpTo(limit: number): boolean {
    const next = earliest();
    if (next === undefined || next.dueAt > limit) return false;
    current = Math.max(current, next.dueAt);
    next.wake();
    return true;
  }

  const clock: ManualClock = {
    now: () => current,

    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const remove = (): void => {
          const index = pending.indexOf(entry);
          if (index !== -1) pending.splice(index, 1);
        };
        const onAbort = (): void => {
          remove();
          reject(signal?.reason);
        };
        const entry: PendingSleep = {
          dueAt: current + Math.max(0, ms),
          sequence: sequence++,
          wake: () => {
            remove();
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        pending.push(entry);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },

    async advance(ms) {
      if (!(ms >= 0) || !Number.isFinite(ms)) {
        throw new CairnError({
          code: 'INVALID_OPTIONS',
          backend: 'manual-clock',
          message: `advance() takes a finite number of milliseconds >= 0, got ${String(ms)}. Time only moves forward.`,
          details: { field: 'ms' },
        });
      }
      const target = current + ms;
      await settle();
      while (wakeEarliestUpTo(target)) await settle();
      current = target;
      await settle();
    },

    async advanceToNextSleep() {
      await settle();
      if (!wakeEarliestUpTo(Number.POSITIVE_INFINITY)) return false;
      await settle();
      return true;
    },

    async runAll(maxSleeps = 10_000) {
      let woken = 0;
      await settle();
      while (pending.length > 0) {
        if (woken >= maxSleeps) {
          throw new CairnError({
            code: 'DEADLINE_EXCEEDED',
            backend: 'manual-clock',
            message: `runAll() woke ${woken} sleeps and more keep coming, so the code under test seems to sleep forever. Fix the loop, or pass a higher maxSleeps if this many is intended.`,
            details: { maxSleeps, pendingSleeps: pending.length },
          });
        }
        wakeEarliestUpTo(Number.POSITIVE_INFINITY);
        woken += 1;
        await settle();
      }
    },

    get pendingSleeps() {
      return pending.length;
    },
  };
  return clock;
}
