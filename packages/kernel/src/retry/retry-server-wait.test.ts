import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import { scripted, settle, transient } from '../testing/retry-script.js';
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
});
