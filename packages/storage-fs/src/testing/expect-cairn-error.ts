import { type CairnError, type CairnErrorCode, isCairnError } from '@cairn/kernel';
import { expect } from 'vitest';

/**
 * Awaits `action`, which must reject with a CairnError of `code` from the fs backend, and
 * returns the error for further checks.
 */
export async function expectCairnError(
  action: Promise<unknown> | (() => Promise<unknown>),
  code: CairnErrorCode,
): Promise<CairnError> {
  let failure: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    failure = error;
  }
  expect(failure, `expected a CairnError ${code}`).toBeDefined();
  if (!isCairnError(failure)) throw failure;
  expect(failure.code, failure.message).toBe(code);
  expect(failure.backend).toBe('fs');
  expect(failure.message.startsWith('[cairn] [fs] ')).toBe(true);
  return failure;
}
