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

/**
 * Calls `action`, which must throw a CairnError with `code`, and returns that error.
 * Fails the test if it returns or throws anything else.
 */
export function expectCairnError(action: () => unknown, code: CairnError['code']): CairnError {
  try {
    action();
  } catch (error) {
    if (!isCairnError(error)) throw new Error(`expected a CairnError, got ${String(error)}`);
    if (error.code !== code) {
      throw new Error(`expected code ${code}, got ${error.code}: ${error.message}`);
    }
    return error;
  }
  throw new Error(`expected a CairnError ${code}, but nothing was thrown`);
}
