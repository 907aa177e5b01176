import { createMemoryStorage, listFromPages, type Storage } from '@cairn/kernel';
import type { StorageCheck, StorageCheckGroup } from '../storage/check-context.js';

// Shared by the self-tests that prove the storage suite fails broken backends. Test-only:
// excluded from the build and the published files.

/**
 * A memory storage with some methods replaced. `list` is rebuilt from the (possibly broken)
 * `listPage`, as a real backend built on `listFromPages` would be.
 */
export function brokenStorage(
  replace: (inner: ReturnType<typeof createMemoryStorage>) => Partial<Storage>,
): Storage {
  const inner = createMemoryStorage();
  const storage: Storage = {
    name: inner.name,
    capabilities: inner.capabilities,
    put: (key, body, options) => inner.put(key, body, options),
    get: (key, options) => inner.get(key, options),
    head: (key) => inner.head(key),
    listPage: (options) => inner.listPage(options),
    list: (options) => listFromPages((page) => storage.listPage(page), options, inner.name),
    delete: (key, options) => inner.delete(key, options),
    ...replace(inner),
  };
  return storage;
}

export function checkTitled(group: StorageCheckGroup, titlePart: string): StorageCheck {
  const matches = group.checks.filter((check) => check.title.includes(titlePart));
  if (matches.length !== 1)
    throw new Error(
      `expected one check titled "${titlePart}" in ${group.title}, found ${matches.length}`,
    );
  return matches[0] as StorageCheck;
}

/** One way to break a backend, and the check that must catch it. */
export interface Breakage {
  readonly defect: string;
  readonly check: StorageCheck;
  readonly storage: () => Storage;
  /** What the failure says, so the check fails for this defect and not by accident. */
  readonly failure: RegExp;
}
