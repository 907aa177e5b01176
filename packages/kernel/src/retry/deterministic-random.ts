import { CairnError } from '../errors/cairn-error.js';

/**
 * A random source that returns `values` in order and starts over when it runs out: the jitter
 * of each wait is then known in advance. A test aid, like {@link createManualClock}.
 *
 * @throws CairnError `INVALID_OPTIONS` when `values` is empty or holds a number outside [0, 1).
 *
 * @example
 * retry(operation, { jitter: 'full', random: createSequenceRandom([0.5, 0.25]) });
 */
export function createSequenceRandom(values: readonly number[]): () => number {
  if (values.length === 0) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'retry',
      message: 'createSequenceRandom() needs at least one value. Pass numbers in [0, 1).',
      details: { field: 'values' },
    });
  }
  const invalidIndex = values.findIndex((value) => !(value >= 0 && value < 1));
  if (invalidIndex !== -1) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'retry',
      message: `createSequenceRandom() value ${invalidIndex} is ${String(values[invalidIndex])}, outside [0, 1). Math.random() never returns such a number, so neither may a replacement.`,
      details: { field: `values[${invalidIndex}]` },
    });
  }
  const copy = [...values];
  let position = 0;
  return () => {
    const value = copy[position % copy.length] ?? 0;
    position += 1;
    return value;
  };
}

/**
 * A seeded random source in [0, 1) (the mulberry32 generator): the same seed gives the same
 * sequence on every machine, so a test can use many random numbers and still be repeatable.
 * Not for anything security-related.
 */
export function createSeededRandom(seed: number): () => number {
  if (!Number.isInteger(seed)) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: 'retry',
      message: `createSeededRandom() needs an integer seed, got ${String(seed)}.`,
      details: { field: 'seed' },
    });
  }
  let state = seed >>> 0;
  return () => {
    // mulberry32: a 32-bit counter stepped by a Weyl constant, then scrambled by
    // multiply-xorshift rounds; its output divided by 2^32 lands in [0, 1).
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
