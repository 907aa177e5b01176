import { type CairnError, isCairnError } from '../errors/cairn-error.js';

/**
 * Awaits a promise that must reject with a CairnError and returns that error, so a test can
 * assert on its code, message and details. Fails the test if it resolves or rejects otherwise.
 */
export async function rejection(promise: Promise<unknown>): Promise<CairnError> {
  const outcome = await promise.then(
    (value: unknown) => ({ resolved: true as const, value }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved)
    throw new Error(`expected a CairnError, but it resolved with ${String(outcome.value)}`);
  if (!isCairnError(outcome.error))
    throw new Error(`expected a CairnError, got ${String(outcome.error)}`);
  return outcome.error;
}
