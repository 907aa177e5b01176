import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors/cairn-error.js';
import { createSeededRandom, createSequenceRandom } from './deterministic-random.js';

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

describe('createSequenceRandom', () => {
  it('returns the values in order and starts over', () => {
    const random = createSequenceRandom([0.5, 0.25, 0]);
    expect([random(), random(), random(), random(), random()]).toEqual([0.5, 0.25, 0, 0.5, 0.25]);
  });

  it('is not affected by later changes to the given array', () => {
    const values = [0.5];
    const random = createSequenceRandom(values);
    values[0] = 0.75;
    expect(random()).toBe(0.5);
  });

  it('rejects an empty list', () => {
    const error = thrown(() => createSequenceRandom([]));
    expect(isCairnError(error, 'INVALID_OPTIONS')).toBe(true);
  });

  it('rejects values Math.random could not return, naming the position', () => {
    for (const [values, field] of [
      [[0.5, 1], 'values[1]'],
      [[-0.1], 'values[0]'],
      [[0.2, 0.3, Number.NaN], 'values[2]'],
    ] as const) {
      const error = thrown(() => createSequenceRandom(values));
      expect(isCairnError(error, 'INVALID_OPTIONS') && error.details.field).toBe(field);
    }
  });
});

describe('createSeededRandom', () => {
  it('repeats the same sequence for the same seed', () => {
    const first = createSeededRandom(42);
    const second = createSeededRandom(42);
    const a = Array.from({ length: 20 }, () => first());
    const b = Array.from({ length: 20 }, () => second());
    expect(a).toEqual(b);
  });

  it('gives a different sequence for a different seed', () => {
    const first = createSeededRandom(1);
    const second = createSeededRandom(2);
    expect(Array.from({ length: 5 }, () => first())).not.toEqual(
      Array.from({ length: 5 }, () => second()),
    );
  });

  it('stays in [0, 1) and spreads over the range', () => {
    const random = createSeededRandom(7);
    const values = Array.from({ length: 10_000 }, () => random());
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    // Each tenth of the range gets a share; a broken generator clumps or sticks.
    const buckets = new Array<number>(10).fill(0);
    for (const value of values)
      buckets[Math.floor(value * 10)] = (buckets[Math.floor(value * 10)] ?? 0) + 1;
    expect(Math.min(...buckets)).toBeGreaterThan(800);
  });

  it('rejects a seed that is not an integer', () => {
    const error = thrown(() => createSeededRandom(0.5));
    expect(isCairnError(error, 'INVALID_OPTIONS') && error.details.field).toBe('seed');
  });
});
