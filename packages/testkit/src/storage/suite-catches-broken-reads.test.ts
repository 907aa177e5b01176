import { Readable } from 'node:stream';
import { CairnError, createMemoryStorage, isCairnError, readAll, validateKey } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { type Breakage, brokenStorage, checkTitled } from '../testing/broken-storage.js';
import { capabilityChecks, expectedCapabilitiesCheck } from './capability-checks.js';
import { createCheckContext } from './check-context.js';
import { keyChecks } from './key-checks.js';
import { listOrderChecks } from './list-order-checks.js';
import { listPaginationChecks } from './list-pagination-checks.js';
import { missingKeyChecks } from './missing-key-checks.js';
import { rangedReadChecks } from './ranged-read-checks.js';
import { roundTripChecks } from './round-trip-checks.js';

// Each case breaks a memory storage in one way a real backend could be broken, and proves the
// check meant to catch that defect rejects, while the same check passes on the healthy memory
// storage. A suite that cannot fail proves nothing.

const breakages: Breakage[] = [
  {
    defect: 'declares a capability as a string',
    check: checkTitled(capabilityChecks, 'well-formed'),
    storage: () =>
      brokenStorage((inner) => ({
        capabilities: { ...inner.capabilities, rangedReads: 'yes' as unknown as boolean },
      })),
    failure: /capabilities.rangedReads is a boolean/,
  },
  {
    defect: 'loses a capability its author expects',
    check: expectedCapabilitiesCheck({ rangedReads: true }),
    storage: () =>
      brokenStorage((inner) => ({ capabilities: { ...inner.capabilities, rangedReads: false } })),
    failure: /capabilities.rangedReads/,
  },
  {
    defect: 'drops the last byte on read',
    check: checkTitled(roundTripChecks, 'all 256 values'),
    storage: () =>
      brokenStorage((inner) => ({
        async get(key, options) {
          const result = await inner.get(key, options);
          const bytes = await readAll(result.body);
          return {
            info: result.info,
            body: Readable.from([bytes.subarray(0, -1)], { objectMode: false }),
          };
        },
      })),
    failure: /get returns exactly the bytes put/,
  },
  {
    defect: 'returns object-mode bodies',
    check: checkTitled(roundTripChecks, 'empty object'),
    storage: () =>
      brokenStorage((inner) => ({
        async get(key, options) {
          const result = await inner.get(key, options);
          return {
            info: result.info,
            body: Readable.from(await readAll(result.body).then((bytes) => [bytes])),
          };
        },
      })),
    failure: /byte stream/,
  },
  {
    defect: 'rejects invalid keys by throwing synchronously',
    check: checkTitled(keyChecks, 'get, head and delete'),
    storage: () =>
      brokenStorage((inner) => ({
        get(key, options) {
          validateKey(key, { backend: 'memory' });
          return inner.get(key, options);
        },
      })),
    failure: /threw synchronously/,
  },
  {
    defect: 'throws a plain Error for a missing key',
    check: checkTitled(missingKeyChecks, 'get of a missing key'),
    storage: () =>
      brokenStorage((inner) => ({
        async get(key, options) {
          if ((await inner.head(key)) === undefined) throw new Error(`ENOENT: ${key}`);
          return inner.get(key, options);
        },
      })),
    failure: /expected a CairnError NOT_FOUND/,
  },
  {
    defect: 'names another backend in its errors',
    check: checkTitled(missingKeyChecks, 'get of a missing key'),
    storage: () =>
      brokenStorage((inner) => ({
        get: (key, options) =>
          inner.get(key, options).catch((error: unknown) => {
            throw isCairnError(error)
              ? new CairnError({ code: error.code, backend: 'disk', message: 'missing' })
              : error;
          }),
      })),
    failure: /the error names the backend/,
  },
  {
    defect: 'fails to delete a missing key',
    check: checkTitled(missingKeyChecks, 'delete of a missing key'),
    storage: () =>
      brokenStorage((inner) => ({
        async delete(key) {
          await inner.get(key);
          await inner.delete(key);
        },
      })),
    failure: /No object at/,
  },
  {
    defect: 'treats the end of a range as exclusive',
    check: checkTitled(rangedReadChecks, 'inclusive byte ranges'),
    storage: () =>
      brokenStorage((inner) => ({
        get: (key, options) =>
          inner.get(
            key,
            options?.range?.end === undefined
              ? options
              : // One byte short, but never an invalid range (the store would refuse that).
                {
                  range: {
                    start: options.range.start,
                    end: Math.max(options.range.start, options.range.end - 1),
                  },
                },
          ),
      })),
    failure: /range 0-9: length/,
  },
  {
    defect: "reports a ranged read's length as the object size",
    check: checkTitled(rangedReadChecks, 'inclusive byte ranges'),
    storage: () =>
      brokenStorage((inner) => ({
        async get(key, options) {
          const result = await inner.get(key, options);
          const { start = 0, end = result.info.size - 1 } = options?.range ?? {};
          return { ...result, info: { ...result.info, size: end - start + 1 } };
        },
      })),
    failure: /info describes the whole object/,
  },
  {
    defect: 'lists in reverse order',
    check: checkTitled(listOrderChecks, 'UTF-8 byte order'),
    storage: () =>
      brokenStorage((inner) => ({
        listPage: async (options) => {
          const page = await inner.listPage(options);
          return { ...page, objects: [...page.objects].reverse() };
        },
      })),
    failure: /deeply equal/,
  },
  {
    defect: 'sorts keys by UTF-16 code units (JavaScript string order)',
    check: checkTitled(listOrderChecks, 'UTF-8 byte order'),
    storage: () =>
      brokenStorage((inner) => ({
        listPage: async (options) => {
          const page = await inner.listPage(options);
          return {
            ...page,
            objects: [...page.objects].sort((left, right) => (left.key < right.key ? -1 : 1)),
          };
        },
      })),
    failure: /deeply equal/,
  },
  {
    defect: 'treats a prefix as a whole folder name',
    check: checkTitled(listOrderChecks, 'filters by prefix'),
    storage: () =>
      brokenStorage((inner) => ({
        listPage: async (options) => {
          const page = await inner.listPage(options);
          const prefix = options?.prefix ?? '';
          const inFolder = (key: string) =>
            prefix === '' || prefix.endsWith('/') || key === prefix || key[prefix.length] === '/';
          return { ...page, objects: page.objects.filter((info) => inFolder(info.key)) };
        },
      })),
    failure: /prefix "a"/,
  },
  {
    defect: 'repeats the last key of a page on the next page',
    check: checkTitled(listPaginationChecks, '250 keys'),
    storage: () =>
      brokenStorage((inner) => ({
        listPage: async (options) => {
          const page = await inner.listPage(options);
          const beforeLast = page.objects.at(-2);
          return page.cursor === undefined || beforeLast === undefined
            ? page
            : { ...page, cursor: beforeLast.key };
        },
      })),
    failure: /deeply equal/,
  },
  {
    defect: 'ends a listing after the first page',
    check: checkTitled(listPaginationChecks, '250 keys'),
    storage: () =>
      brokenStorage((inner) => ({
        listPage: async (options) => ({ ...(await inner.listPage(options)), cursor: undefined }),
      })),
    failure: /deeply equal/,
  },
  {
    defect: 'ignores startAfter',
    check: checkTitled(listPaginationChecks, 'startAfter'),
    storage: () =>
      brokenStorage((inner) => ({
        listPage: (options) => inner.listPage({ ...options, startAfter: undefined }),
      })),
    failure: /startAfter/,
  },
  {
    defect: 'ignores the delimiter',
    check: checkTitled(listPaginationChecks, 'delimiter'),
    storage: () =>
      brokenStorage((inner) => ({
        listPage: (options) => inner.listPage({ ...options, delimiter: undefined }),
      })),
    failure: /objects/,
  },
];

describe('the storage conformance suite catches broken reads, listings and errors', () => {
  for (const { defect, check, storage, failure } of breakages) {
    it(`a backend that ${defect} fails "${check.title}"`, async () => {
      await expect(
        check.run(createCheckContext(createMemoryStorage())),
        'the healthy backend passes',
      ).resolves.toBeUndefined();
      await expect(check.run(createCheckContext(storage()))).rejects.toThrow(failure);
    });
  }
});
