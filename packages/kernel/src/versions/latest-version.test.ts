import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { ListPageOptions, Storage } from '../storage/storage.js';
import { rejection } from '../testing/rejection.js';
import { findHighestVersion, latestVersion, listVersions } from './latest-version.js';
import { versionKey } from './version-keys.js';

const prefix = 'artifacts/dataset-x/';

/** A memory storage holding the given versions, and the listing requests made of it. */
async function storageWithVersions(versions: Iterable<number>) {
  const inner = createMemoryStorage();
  for (const version of versions) await inner.put(versionKey(prefix, version), `v${version}`);
  const requests: ListPageOptions[] = [];
  const storage: Storage = {
    ...inner,
    listPage: (options = {}) => {
      requests.push(options);
      return inner.listPage(options);
    },
  };
  return { storage, inner, requests };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

describe('latestVersion', () => {
  it('is undefined when there is no version', async () => {
    const { storage } = await storageWithVersions([]);
    expect(await latestVersion(storage, prefix)).toBeUndefined();
  });

  it('is the highest number, with its key, in one listing for a few versions', async () => {
    const { storage, requests } = await storageWithVersions(range(1, 12));
    expect(await latestVersion(storage, prefix)).toEqual({
      version: 12,
      key: versionKey(prefix, 12),
    });
    expect(requests).toHaveLength(1);
  });

  it('ignores other keys under the prefix, before and after the versions', async () => {
    const { storage, inner } = await storageWithVersions([1, 2, 3]);
    await inner.put(`${prefix}aliases/latest`, '3');
    await inner.put(`${prefix}versions.json`, '{}');
    await inner.put(`${prefix}v000000000002.payload`, 'x');
    await inner.put('artifacts/dataset-x2/v000000000009', 'a neighbour, not ours');
    expect((await latestVersion(storage, prefix))?.version).toBe(3);
  });

  it('finds the highest of thousands without listing them all', async () => {
    const { storage, requests } = await storageWithVersions(range(1, 5321));
    expect(await latestVersion(storage, prefix)).toEqual({
      version: 5321,
      key: versionKey(prefix, 5321),
    });
    // One page of 32, then one-key probes: gallop and bisect, about 2·log2(n).
    expect(requests.length).toBeLessThanOrEqual(30);
    const keysRead = requests.reduce((sum, request) => sum + (request.pageSize ?? 1000), 0);
    expect(keysRead).toBeLessThan(64);
  });

  it('finds the highest past gaps and past foreign keys among the versions', async () => {
    const versions = [...range(1, 150), 170, 204, 409];
    const { storage, inner } = await storageWithVersions(versions);
    for (const version of [160, 204, 300]) {
      await inner.put(`${versionKey(prefix, version)}.note`, 'not a version');
    }
    expect((await latestVersion(storage, prefix))?.version).toBe(409);
  });

  it('continues from a number known to be taken', async () => {
    const { storage, requests } = await storageWithVersions(range(1, 40));
    expect(await findHighestVersion(storage, prefix, 37)).toBe(40);
    expect(requests).toEqual([expect.objectContaining({ startAfter: versionKey(prefix, 37) })]);
    expect(await findHighestVersion(storage, prefix, 40)).toBe(40);
  });

  it('refuses a bad prefix', async () => {
    const { storage } = await storageWithVersions([]);
    expect((await rejection(latestVersion(storage, 'artifacts/dataset-x'))).code).toBe(
      'INVALID_OPTIONS',
    );
  });
});

describe('listVersions', () => {
  it('yields every version lowest first and skips other keys', async () => {
    const { storage, inner } = await storageWithVersions([3, 1, 2, 10]);
    await inner.put(`${prefix}aliases/best`, '2');
    await inner.put(`${prefix}v000000000002.payload`, 'x');
    const listed = [];
    for await (const entry of listVersions(storage, prefix)) listed.push(entry);
    expect(listed.map((entry) => entry.version)).toEqual([1, 2, 3, 10]);
    expect(listed[3]).toMatchObject({ key: versionKey(prefix, 10), info: { size: 3 } });
  });
});
