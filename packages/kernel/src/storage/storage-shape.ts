import type { Storage } from './storage.js';

const storageMethods = ['put', 'get', 'head', 'list', 'listPage', 'delete'] as const;

/**
 * The members of the {@link Storage} contract that `value` lacks (empty when it has them all).
 * For checking what a plugin or a caller hands over, so the error can name what is missing.
 */
export function missingStorageMembers(value: unknown): string[] {
  const candidate = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  const missing: string[] = storageMethods.filter(
    (method) => typeof candidate[method] !== 'function',
  );
  if (typeof candidate.name !== 'string') missing.unshift('name');
  if (typeof candidate.capabilities !== 'object' || candidate.capabilities === null) {
    missing.push('capabilities');
  }
  return missing;
}

/** Whether `value` has the shape of a {@link Storage}. */
export function isStorage(value: unknown): value is Storage {
  return missingStorageMembers(value).length === 0;
}
