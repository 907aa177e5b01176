import { describe, expect, it } from 'vitest';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { rejectionAfterRunning, scripted, settle, transient } from '../testing/retry-script.js';
import type { AttemptEvent } from './attempt.js';
import type { RetryDecision } from './classify.js';
import { createManualClock } from './manual-clock.js';
import { retry } from './retry.js';

describe('retry: waits a server asks for (Retry-After)', () => {
  it('honours delta-seconds exactly, without jitter, even above maxDelayMs', async () => {
    const clock = createManualClock();
    const throttled = Object.assign(new Error('rate limited'), {
      status: 429,
      headers: { 'retry-after': '7' },
    });
    const { operation, starts } = scripted(clock, [throttled], 'ok');
    const result = settle(
      retry(operation, { clock, jitter: 'full', random: () => 0, maxDelayMs: 1_000 }),
    );
    await clock.runAll();
    expect(await result).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(starts).toEqual([0, 7_000]);
  });

  it('honours an HTTP-date measured on the policy clock', async () => {
    const clock = createManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
    const unavailable = Object.assign(new Error('maintenance'), {
      status: 503,
      headers: { 'retry-after': 'Sun, 22 Nov 2026 12:00:30 GMT' },
    });
    const { operation, starts } = scripted(clock, [unavailable], 'ok');
    const result = settle(retry(operation, { clock }));
    await clock.runAll();
    expect((await result).status).toBe('fulfilled');
    expect(starts.map((start) => start - Date.UTC(2026, 10, 22, 12, 0, 0))).toEqual([0, 30_000]);
  });

  it('honours a Cairn error’s retryAfterMs', async () => {
    const clock = createManualClock();
    const slowDown = new CairnError({
      code: 'TRANSIENT_IO',
      message: 'SlowDown',
      retryAfterMs: 1_234,
    });
    const { operation, starts } = scripted(clock, [slowDown], 'ok');
    const result = settle(retry(operation, { clock }));
    await clock.runAll();
    expect((await result).status).toBe('fulfilled');
    expect(starts).toEqual([0, 1_234]);
  });

  it('does not let a server wait inflate later decorrelated backoff', async () => {
    const clock = createManualClock();
    const throttled = Object.assign(new Error('rate limited'), { status: 429, retryAfter: 5 });
    const { operation, starts } = scripted(clock, [throttled, transient('2')], 'ok');
    const result = settle(
      retry(operation, {
        clock,
        jitter: 'decorrelated',
        initialDelayMs: 100,
        random: () => 0.5,
      }),
    );
    await clock.runAll();
    expect((await result).status).toBe('fulfilled');
    // After the 5 s server wait, backoff goes on from the initial delay: 100 + 0.5 * 200.
    expect(starts).toEqual([0, 5_000, 5_200]);
  });

  it('uses the backoff wait when a classifier asks for an unusable one', async () => {
    const clock = createManualClock();
    const decisions: RetryDecision[] = [
      { action: 'retry-after', delayMs: -5 },
      { action: 'retry-after', delayMs: Number.NaN },
    ];
    const { operation, starts } = scripted(clock, [transient('1'), transient('2')], 'ok');
    const result = settle(
      retry(operation, {
        clock,
        jitter: 'none',
        initialDelayMs: 100,
        classify: (_error, info) => decisions[info.attempt - 1] ?? { action: 'give-up' },
      }),
    );
    await clock.runAll();
    expect((await result).status).toBe('fulfilled');
    expect(starts).toEqual([0, 100, 300]);
  });

  describe('a wait above maxRetryAfterMs', () => {
    const aDay = Object.assign(new Error('daily quota used up'), {
      status: 429,
      headers: { 'retry-after': '86400' },
    });

    it('is not slept through: RETRIES_EXHAUSTED at once, with the server error as cause', async () => {
      const clock = createManualClock();
      const events: AttemptEvent[] = [];
      const { operation, starts } = scripted(clock, [aDay], 'never');
      const settled = settle(retry(operation, { clock, onAttempt: (event) => events.push(event) }));
      // Nothing drives the clock: the run must end without any sleep.
      const result = await settled;
      expect(result.status).toBe('rejected');
      const error = result.status === 'rejected' ? result.error : undefined;
      expect(isCairnError(error, 'RETRIES_EXHAUSTED')).toBe(true);
      const exhausted = error as CairnError;
      expect(exhausted.cause).toBe(aDay);
      expect(exhausted.retryable).toBe(false);
      expect(exhausted.details).toEqual({
        attempts: 1,
        elapsedMs: 0,
        retryAfterMs: 86_400_000,
        maxRetryAfterMs: 300_000,
      });
      expect(exhausted.message).toContain(
        'the server asked to wait 86400000 ms before trying again, longer than maxRetryAfterMs (300000 ms)',
      );
      expect(exhausted.message).toContain('daily quota used up');
      expect(starts).toEqual([0]);
      expect(clock.now()).toBe(0);
      expect(clock.pendingSleeps).toBe(0);
      expect(events).toEqual([
        expect.objectContaining({
          attempt: 1,
          decision: { action: 'retry-after', delayMs: 86_400_000 },
          delayMs: undefined,
        }),
      ]);
    });

    it('applies to a classifier’s own retry-after decision too', async () => {
      const clock = createManualClock();
      const { operation, starts } = scripted(clock, [transient('1')], 'never');
      const error = await rejectionAfterRunning(
        retry(operation, {
          clock,
          maxRetryAfterMs: 1_000,
          classify: () => ({ action: 'retry-after', delayMs: 1_001 }),
        }),
        clock,
      );
      expect(isCairnError(error, 'RETRIES_EXHAUSTED') && error.details.retryAfterMs).toBe(1_001);
      expect(starts).toEqual([0]);
    });

    it('is checked before the deadline, whose message would hide why', async () => {
      const clock = createManualClock();
      const { operation } = scripted(clock, [aDay], 'never');
      const error = await rejectionAfterRunning(
        retry(operation, { clock, deadlineMs: 60_000 }),
        clock,
      );
      expect(isCairnError(error, 'RETRIES_EXHAUSTED')).toBe(true);
    });

    it('stops a nested retry too, instead of the outer one waiting it out', async () => {
      const clock = createManualClock();
      let innerAttempts = 0;
      const inner = () =>
        retry(
          async () => {
            innerAttempts += 1;
            throw aDay;
          },
          { clock },
        );
      const error = await rejectionAfterRunning(retry(inner, { clock }), clock);
      expect(isCairnError(error, 'RETRIES_EXHAUSTED') && error.cause).toBe(aDay);
      expect(innerAttempts).toBe(1);
      expect(clock.now()).toBe(0);
    });
  });

  it('waits exactly maxRetryAfterMs when that is what the server asks', async () => {
    const clock = createManualClock();
    const throttled = Object.assign(new Error('rate limited'), { status: 429, retryAfter: 10 });
    const { operation, starts } = scripted(clock, [throttled], 'ok');
    const result = settle(retry(operation, { clock, maxRetryAfterMs: 10_000 }));
    await clock.runAll();
    expect(await result).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(starts).toEqual([0, 10_000]);
  });

  it('waits out a day-long Retry-After when maxRetryAfterMs allows it', async () => {
    const clock = createManualClock();
    const aDay = Object.assign(new Error('daily quota used up'), {
      status: 429,
      retryAfter: 86_400,
    });
    const { operation, starts } = scripted(clock, [aDay], 'ok');
    const result = settle(retry(operation, { clock, maxRetryAfterMs: 2 * 86_400_000 }));
    await clock.runAll();
    expect(await result).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(starts).toEqual([0, 86_400_000]);
  });
});
