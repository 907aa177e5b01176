import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { PutOptions, Storage, StorageBody } from '../storage/storage.js';
import { bytesAt, keysOf, storeOver, testRun } from '../testing/checkpoints-fixtures.js';

const changesPrefix = 'catalog/changes/checkpoints/train/';

/** A storage whose payload puts take `minutes` on the store's manual clock. */
function slowPayloads(storage: Storage, advance: () => Promise<void>): Storage {
  return {
    ...storage,
    put: async (key: string, body: StorageBody, options?: PutOptions) => {
      if (key.endsWith('/payload')) await advance();
      return storage.put(key, body, options);
    },
  };
}

describe('catalog notes from saves', () => {
  it('a save committed long after its id was stamped records itself as added', async () => {
    const memory = createMemoryStorage();
    let clock: { advance(ms: number): Promise<void> } | undefined;
    const fixture = storeOver(slowPayloads(memory, async () => clock?.advance(6 * 60_000)));
    clock = fixture.clock;
    const record = await fixture.store.save({ run: testRun, step: 'train', state: { big: true } });
    const changes = await keysOf(memory, changesPrefix);
    expect(changes).toHaveLength(1);
    const change = parse((await bytesAt(memory, changes[0] as string)).toString());
    expect(change).toMatchObject({ step: 'train', added: [record.id], removed: [], rewritten: [] });
  });

  it('a quick save records nothing', async () => {
    const fixture = storeOver();
    await fixture.store.save({ run: testRun, step: 'train', state: 1 });
    expect(await keysOf(fixture.storage, 'catalog/')).toEqual([]);
  });
});
