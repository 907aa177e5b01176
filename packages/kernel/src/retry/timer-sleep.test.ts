import { describe, expect, it } from 'vitest';
import { longestTimerDelayMs, sleepWithTimers, type TimerFunctions } from './timer-sleep.js';

/** Timers that only record what was scheduled; the test fires them by hand. */
function recordingTimers() {
  const scheduled: Array<{ delayMs: number; fire: () => void; cleared: boolean }> = [];
  const timers: TimerFunctions = {
    setTimeout(callback, delayMs) {
      const timer = { delayMs, fire: callback, cleared: false };
      scheduled.push(timer);
      return timer;
    },
    clearTimeout(handle) {
      (handle as { cleared: boolean }).cleared = true;
    },
  };
  return { timers, scheduled };
}

/** Lets every already-settled promise callback run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function track(promise: Promise<void>) {
  const state = {
    settled: 'pending' as 'pending' | 'resolved' | 'rejected',
    error: undefined as unknown,
  };
  promise.then(
    () => {
      state.settled = 'resolved';
    },
    (error: unknown) => {
      state.settled = 'rejected';
      state.error = error;
    },
  );
  return state;
}

describe('sleepWithTimers', () => {
  it('takes a short wait in one timer', async () => {
    const { timers, scheduled } = recordingTimers();
    const state = track(sleepWithTimers(timers, 1_500));
    expect(scheduled.map((timer) => timer.delayMs)).toEqual([1_500]);
    await flush();
    expect(state.settled).toBe('pending');
    scheduled[0]?.fire();
    await flush();
    expect(state.settled).toBe('resolved');
  });

  it('splits a wait beyond the setTimeout limit into pieces and resolves after the last', async () => {
    const { timers, scheduled } = recordingTimers();
    const state = track(sleepWithTimers(timers, 2 * longestTimerDelayMs + 5));
    expect(scheduled.map((timer) => timer.delayMs)).toEqual([longestTimerDelayMs]);
    scheduled[0]?.fire();
    await flush();
    expect(state.settled).toBe('pending');
    scheduled[1]?.fire();
    await flush();
    expect(state.settled).toBe('pending');
    expect(scheduled.map((timer) => timer.delayMs)).toEqual([
      longestTimerDelayMs,
      longestTimerDelayMs,
      5,
    ]);
    scheduled[2]?.fire();
    await flush();
    expect(state.settled).toBe('resolved');
    expect(scheduled).toHaveLength(3);
  });

  it('never hands setTimeout more than its limit, even for a day-long Retry-After or Infinity', () => {
    const { timers, scheduled } = recordingTimers();
    void sleepWithTimers(timers, 30 * 24 * 60 * 60 * 1000);
    void sleepWithTimers(timers, Number.POSITIVE_INFINITY);
    for (const timer of scheduled) expect(timer.delayMs).toBeLessThanOrEqual(longestTimerDelayMs);
    expect(scheduled.map((timer) => timer.delayMs)).toEqual([
      longestTimerDelayMs,
      longestTimerDelayMs,
    ]);
  });

  it.each([
    ['zero', 0],
    ['negative', -10],
    ['NaN', Number.NaN],
  ])('treats a %s wait as no wait', async (_name, ms) => {
    const { timers, scheduled } = recordingTimers();
    const state = track(sleepWithTimers(timers, ms));
    expect(scheduled.map((timer) => timer.delayMs)).toEqual([0]);
    scheduled[0]?.fire();
    await flush();
    expect(state.settled).toBe('resolved');
  });

  it('cancels the pending piece and rejects with the reason when aborted mid-way', async () => {
    const { timers, scheduled } = recordingTimers();
    const controller = new AbortController();
    const state = track(sleepWithTimers(timers, longestTimerDelayMs + 1_000, controller.signal));
    scheduled[0]?.fire();
    await flush();
    const reason = new Error('stop');
    controller.abort(reason);
    await flush();
    expect(state).toEqual({ settled: 'rejected', error: reason });
    expect(scheduled.map((timer) => timer.cleared)).toEqual([false, true]);
  });

  it('schedules nothing when the signal has already aborted', async () => {
    const { timers, scheduled } = recordingTimers();
    const reason = new Error('too late');
    const state = track(sleepWithTimers(timers, 10, AbortSignal.abort(reason)));
    await flush();
    expect(state).toEqual({ settled: 'rejected', error: reason });
    expect(scheduled).toEqual([]);
  });
});
