import { expect } from 'vitest';
import { collectKeys, expectAbsent, expectCairnError } from './assertions.js';
import type { StorageCheckGroup } from './check-context.js';

/** Missing objects are reported the same way by every backend. */
export const missingKeyChecks: StorageCheckGroup = {
  title: 'missing objects and deletes',
  checks: [
    {
      title: 'get of a missing key rejects with NOT_FOUND',
      async run({ storage, prefix }) {
        const key = `${prefix}never-written.txt`;
        const error = await expectCairnError(
          storage,
          'get of a missing key',
          () => storage.get(key),
          ['NOT_FOUND'],
        );
        expect(error.retryable, 'NOT_FOUND is not worth retrying').toBe(false);
      },
    },
    {
      title: 'head of a missing key returns undefined',
      async run({ storage, prefix }) {
        expect(await storage.head(`${prefix}never-written.txt`)).toBeUndefined();
      },
    },
    {
      title: 'delete of a missing key succeeds',
      async run({ storage, prefix }) {
        const key = `${prefix}never-written.txt`;
        await expect(storage.delete(key)).resolves.toBeUndefined();
        await expectAbsent(storage, key, 'after deleting a missing key');
      },
    },
    {
      title: 'a deleted object is gone from get, head and list; its neighbours stay',
      async run({ storage, prefix }) {
        const key = `${prefix}doomed.txt`;
        const neighbour = `${prefix}doomed.txt.keep`;
        await storage.put(key, 'soon gone');
        await storage.put(neighbour, 'stays');
        await storage.delete(key);
        await expectAbsent(storage, key, 'after delete');
        expect(await collectKeys(storage.list({ prefix }))).toEqual([neighbour]);
        await storage.delete(key);
        await expectAbsent(storage, key, 'after deleting twice');
      },
    },
    {
      title: 'a deleted key can be written again',
      async run({ storage, prefix }) {
        const key = `${prefix}reborn.txt`;
        await storage.put(key, 'first life');
        await storage.delete(key);
        const info = await storage.put(key, 'second life', {
          ifNoneMatch: storage.capabilities.conditionalWrites ? '*' : undefined,
        });
        expect(info.size).toBe('second life'.length);
        expect((await storage.head(key))?.etag).toBe(info.etag);
      },
    },
  ],
};
