import type { AttemptContext } from '../retry/attempt.js';
import type { ManualClock } from '../retry/manual-clock.js';

/** How a promise ended, read without ever leaving a rejection unhandled. */
export type Settled<T> = { status: 'fulfilled'; value: T } | { status: 'rejected'; error: unknown };

/** Attaches handlers at once, so a rejection while the clock is driven is not "unhandled". */
export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (error: unknown) => ({ status: 'rejected', error }),
  );
}

/**
 * Drives `clock` until no sleep is pending and returns what `promise` rejected with (any
 * value, not only Cairn errors: a retry rethrows the original error when it gives up). Fails
 * the test if it resolves.
 */
export async function rejectionAfterRunning(
  promise: Promise<unknown>,
  clock: ManualClock,
): Promise<unknown> {
  const settled = settle(promise);
  await clock.runAll();
  const result = await settled;
  if (result.status === 'fulfilled') throw new Error('expected the retry to fail');
  return result.error;
}

/** A connection reset, which the default classifier retries; `label` tells attempts apart. */
export function transient(label: string): Error {
  return Object.assign(new Error(`connection reset (${label})`), { code: 'ECONNRESET' });
}

/**
 * An operation that throws the given errors in turn, then returns `value`, recording the
 * clock time and context of every attempt.
 */
export function scripted<T>(clock: ManualClock, failures: readonly unknown[], value: T) {
  const starts: number[] = [];
  const contexts: AttemptContext[] = [];
  const operation = async (context: AttemptContext): Promise<T> => {
    starts.push(clock.now());
    contexts.push(context);
    const failure = failures[contexts.length - 1];
    if (contexts.length <= failures.length) throw failure;
    return value;
  };
  return { operation, starts, contexts };
}
