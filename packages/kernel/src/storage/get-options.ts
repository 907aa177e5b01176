import { CairnError } from '../errors/cairn-error.js';
import type { GetOptions } from './storage.js';

/**
 * Checks a read's range against the contract, the same way for every backend: whole numbers,
 * `0 <= start <= end`, `end` inclusive and optional. A range that starts at or past the end of
 * the object is valid and reads nothing.
 *
 * @throws CairnError `INVALID_OPTIONS` quoting the range and saying what it should be.
 */
export function validateGetRange(key: string, range: GetOptions['range'], backend: string): void {
  if (range === undefined) return;
  const { start, end } = range;
  const valid =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (valid) return;
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend,
    message: `Invalid range ${JSON.stringify(range)} for "${key}": expected whole numbers with 0 <= start <= end (end inclusive, optional).`,
    details: { key },
  });
}
