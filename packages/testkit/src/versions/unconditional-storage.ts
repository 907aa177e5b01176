import type { Storage } from '@cairn/kernel';

/**
 * A deliberately broken view of `storage` that drops `ifNoneMatch` from every put while still
 * claiming conditional writes: what a store that ignores `If-None-Match` looks like (s3rver
 * does). A many-writers test run on it must report lost and duplicated versions; if it does not,
 * the check proves nothing.
 */
export function ignoringConditionalCreates(storage: Storage): Storage {
  return {
    name: storage.name,
    capabilities: storage.capabilities,
    put: (key, body, options = {}) => {
      const { ifNoneMatch: _ignored, ...rest } = options;
      return storage.put(key, body, rest);
    },
    get: (key, options) => storage.get(key, options),
    head: (key) => storage.head(key),
    list: (options) => storage.list(options),
    listPage: (options) => storage.listPage(options),
    delete: (key, options) => storage.delete(key, options),
    ...(storage.close === undefined ? {} : { close: () => storage.close?.() ?? Promise.resolve() }),
  };
}
