import { CairnError } from '../errors/cairn-error.js';
import { validatePrefix } from './keys.js';
import type { ListOptions } from './storage.js';

/** The page size a listing uses when the caller gives none. */
export const defaultListPageSize = 1000;

/**
 * Validates a listing's prefix and page size, the same way for every backend.
 *
 * @returns the prefix (empty when absent) and the page size (default 1000).
 * @throws CairnError `INVALID_KEY` for a bad prefix, `INVALID_OPTIONS` for a page size that is
 *   not a whole number of at least 1 (a zero page would end a listing silently).
 */
export function validateListOptions(
  options: ListOptions,
  backend: string,
): { prefix: string; pageSize: number } {
  const prefix = options.prefix ?? '';
  validatePrefix(prefix, { backend });
  const pageSize = options.pageSize ?? defaultListPageSize;
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend,
      message: `Invalid list option "pageSize": ${String(pageSize)}; expected a whole number of at least 1.`,
      details: { pageSize },
    });
  }
  return { prefix, pageSize };
}
