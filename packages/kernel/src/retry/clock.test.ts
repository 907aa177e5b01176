import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';

// The system clock is the one place that touches real timers; the waits here are zero-length
// or cancelled at once, so nothing depends on how fast the machine is.
describe('systemClock', () => {
  it('reads the wall clock', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('resolves a zero-length sleep', async () => {
    await expect(systemClock.sleep(0)).resolves.toBeUndefined();
  });

  it('rejects a sleep with the abort reason when aborted while waiting', async () => {
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const reason = new Error('too late');
    await expect(systemClock.sleep(60_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});
