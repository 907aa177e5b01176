import { CairnError, createMemoryStorage, readAll, toReadable } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { type Breakage, brokenStorage, checkTitled } from '../testing/broken-storage.js';
import { createCheckContext } from './check-context.js';
import { concurrencyChecks } from './concurrency-checks.js';
import { conditionalWriteChecks } from './conditional-write-checks.js';
import { failedWriteChecks } from './failed-write-checks.js';
import { integrityChecks } from './integrity-checks.js';
import { keyChecks } from './key-checks.js';
import { overwriteChecks } from './overwrite-checks.js';

// Each case breaks a memory storage in one way a real backend could be broken, and proves the
// check meant to catch that defect rejects, while the same check passes on the healthy memory
// storage. A suite that cannot fail proves nothing.

function preconditionFailed(key: string): CairnError {
  return new CairnError({
    code: 'PRECONDITION_FAILED',
    backend: 'memory',
    message: `"${key}" changed.`,
  });
}

const breakages: Breakage[] = [
  {
    defect: 'keeps the etag when an object is replaced',
    check: checkTitled(overwriteChecks, 'changes the etag'),
    storage: () =>
      brokenStorage((inner) => ({
        put: async (key, body, options) => ({
          ...(await inner.put(key, body, options)),
          etag: `"${key}"`,
        }),
      })),
    failure: /the etag changes/,
  },
  {
    defect: 'replaces an object by deleting it, then writing the new one',
    check: checkTitled(overwriteChecks, 'readers during an overwrite'),
    storage: () =>
      brokenStorage((inner) => ({
        async put(key, body, options) {
          await inner.delete(key);
          return inner.put(key, body, options);
        },
      })),
    failure: /No object at/,
  },
  {
    defect: "ignores ifNoneMatch '*'",
    check: checkTitled(conditionalWriteChecks, 'on an existing object'),
    storage: () =>
      brokenStorage((inner) => ({
        put: (key, body, options) => inner.put(key, body, { ...options, ifNoneMatch: undefined }),
      })),
    failure: /expected PRECONDITION_FAILED, but it succeeded/,
  },
  {
    defect: 'ignores ifMatch',
    check: checkTitled(conditionalWriteChecks, 'stale etag'),
    storage: () =>
      brokenStorage((inner) => ({
        put: (key, body, options) => inner.put(key, body, { ...options, ifMatch: undefined }),
      })),
    failure: /expected PRECONDITION_FAILED, but it succeeded/,
  },
  ...(['ten racing creates', 'ten racing updates'] as const).map(
    (title): Breakage => ({
      defect: `checks preconditions only before reading the body (${title})`,
      check: checkTitled(conditionalWriteChecks, title),
      storage: () =>
        brokenStorage((inner) => ({
          async put(key, body, options = {}) {
            const current = await inner.head(key);
            if (options.ifNoneMatch === '*' && current) throw preconditionFailed(key);
            if (options.ifMatch !== undefined && current?.etag !== options.ifMatch)
              throw preconditionFailed(key);
            return inner.put(key, body, { ...options, ifNoneMatch: undefined, ifMatch: undefined });
          },
        })),
      failure: /exactly one of 10 racing writers wins/,
    }),
  ),
  {
    defect: 'ignores expectedSha256',
    check: checkTitled(integrityChecks, 'on a new key'),
    storage: () =>
      brokenStorage((inner) => ({
        put: (key, body, options) =>
          inner.put(key, body, { ...options, expectedSha256: undefined }),
      })),
    failure: /expected CORRUPT_DATA, but it succeeded/,
  },
  {
    defect: 'reads the body before validating the key',
    check: checkTitled(keyChecks, 'without reading the body'),
    storage: () =>
      brokenStorage((inner) => ({
        async put(key, body, options) {
          const bytes = await readAll(toReadable(body));
          return inner.put(key, bytes, options);
        },
      })),
    failure: /the body was not read/,
  },
  {
    defect: 'resolves ".." in keys instead of refusing them',
    check: checkTitled(keyChecks, 'get, head and delete'),
    storage: () =>
      brokenStorage((inner) => ({
        get: (key, options) => inner.get(key.replaceAll('..', 'parent'), options),
      })),
    failure: /expected INVALID_KEY, got CairnError NOT_FOUND/,
  },
  {
    defect: 'mixes up the bodies of concurrent puts (one shared staging buffer)',
    check: checkTitled(concurrencyChecks, 'parallel puts'),
    storage: () => {
      const staging: Buffer[] = [];
      return brokenStorage((inner) => ({
        async put(key, body, options) {
          for await (const chunk of toReadable(body))
            staging.push(Buffer.from(chunk as Uint8Array));
          const bytes = Buffer.concat(staging.splice(0));
          return inner.put(key, bytes, options);
        },
      }));
    },
    failure: /content/,
  },
  {
    defect: 'ignores the abort signal',
    check: checkTitled(failedWriteChecks, 'aborted mid-stream fails'),
    storage: () =>
      brokenStorage((inner) => ({
        put: (key, body, options) => inner.put(key, body, { ...options, signal: undefined }),
      })),
    failure: /expected ABORTED, but it succeeded/,
  },
  {
    defect: 'keeps what arrived before the body failed',
    check: checkTitled(failedWriteChecks, 'body fails mid-way rejects'),
    storage: () =>
      brokenStorage((inner) => ({
        async put(key, body, options) {
          const received: Buffer[] = [];
          try {
            for await (const chunk of toReadable(body))
              received.push(Buffer.from(chunk as Uint8Array));
          } catch (error) {
            await inner.put(key, Buffer.concat(received));
            throw new CairnError({
              code: 'TRANSIENT_IO',
              backend: 'memory',
              message: 'body failed',
              cause: error,
            });
          }
          return inner.put(key, Buffer.concat(received), options);
        },
      })),
    failure: /head finds nothing/,
  },
];

describe('the storage conformance suite catches broken writes', () => {
  for (const { defect, check, storage, failure } of breakages) {
    it(`a backend that ${defect} fails "${check.title}"`, async () => {
      await expect(
        check.run(createCheckContext(createMemoryStorage())),
        'the healthy backend passes',
      ).resolves.toBeUndefined();
      await expect(check.run(createCheckContext(storage()))).rejects.toThrow(failure);
    });
  }

  it('a backend that checks preconditions only before reading the body still passes single-writer checks, so only the race catches it', async () => {
    const racy = breakages.find((breakage) =>
      breakage.defect.startsWith('checks preconditions only'),
    );
    if (racy === undefined) throw new Error('the racy breakage is missing from the table');
    for (const title of ['on an existing object', 'stale etag', 'ifMatch on a missing object']) {
      const single = checkTitled(conditionalWriteChecks, title);
      await expect(single.run(createCheckContext(racy.storage())), title).resolves.toBeUndefined();
    }
  });
});
