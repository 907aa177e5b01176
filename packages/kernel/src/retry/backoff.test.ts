import { describe, expect, it } from 'vitest';
import { computeBackoffDelay } from './backoff.js';
import { createSequenceRandom } from './deterministic-random.js';
import type { JitterMode } from './retry-policy.js';

function delays(
  jitter: JitterMode,
  randomValues: readonly number[],
  count: number,
  shape = { initialDelayMs: 100, multiplier: 2, maxDelayMs: 1_000 },
): number[] {
  const policy = { ...shape, jitter, random: createSequenceRandom(randomValues) };
  const chosen: number[] = [];
  let previous = shape.initialDelayMs;
  for (let failures = 1; failures <= count; failures += 1) {
    previous = computeBackoffDelay(policy, failures, previous);
    chosen.push(previous);
  }
  return chosen;
}

describe('computeBackoffDelay', () => {
  it('none: the exponential, capped by maxDelayMs', () => {
    expect(delays('none', [0.5], 6)).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('none: follows the multiplier', () => {
    expect(
      delays('none', [0.5], 4, { initialDelayMs: 10, multiplier: 3, maxDelayMs: 1_000 }),
    ).toEqual([10, 30, 90, 270]);
  });

  it('full: random times the capped exponential', () => {
    // caps 100, 200, 400, 800, 1000, 1000
    expect(delays('full', [0.5, 0.25, 0.1, 0.75, 0.99, 0], 6)).toEqual([50, 50, 40, 600, 990, 0]);
  });

  it('decorrelated: between the initial delay and three times the previous, capped', () => {
    // 100 + 0.5 * (300 - 100) = 200; 100 + 0 * (600 - 100) = 100; 100 + 0.9 * (300 - 100) = 280;
    // 100 + 0.75 * (840 - 100) = 655; 100 + 0.5 * (1965 - 100) = 1032.5, capped to 1000.
    expect(delays('decorrelated', [0.5, 0, 0.9, 0.75], 5)).toEqual([200, 100, 280, 655, 1_000]);
  });

  it('rounds to whole milliseconds', () => {
    expect(delays('full', [1 / 3], 1)).toEqual([33]);
  });

  it('stays at the cap after many failures instead of overflowing', () => {
    const policy = {
      initialDelayMs: 100,
      multiplier: 10,
      maxDelayMs: 5_000,
      jitter: 'none' as const,
      random: () => 0.5,
    };
    expect(computeBackoffDelay(policy, 2_000, 5_000)).toBe(5_000);
    expect(computeBackoffDelay({ ...policy, initialDelayMs: 0 }, 2_000, 0)).toBe(0);
  });
});
