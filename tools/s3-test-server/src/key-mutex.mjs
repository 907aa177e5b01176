/**
 * A mutual-exclusion lock per string key: `acquire(key)` resolves with a `release` function
 * once every earlier holder of the same key has released it. Keys that are not held cost
 * nothing, so the map never grows past the keys in use.
 *
 * @returns {{ acquire(key: string): Promise<() => void> }}
 */
export function createKeyMutex() {
  /** @type {Map<string, Promise<void>>} the promise that settles when the last holder releases */
  const tails = new Map();

  return {
    async acquire(key) {
      const previous = tails.get(key) ?? Promise.resolve();
      let releaseThis = () => {};
      const current = new Promise((resolve) => {
        releaseThis = resolve;
      });
      const tail = previous.then(() => current);
      tails.set(key, tail);
      await previous;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        releaseThis();
        // Only the newest waiter's tail may be removed: a later acquire chained onto it.
        if (tails.get(key) === tail) tails.delete(key);
      };
    },
  };
}
