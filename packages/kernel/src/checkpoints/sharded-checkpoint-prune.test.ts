import { describe, expect, it } from 'vitest';
import { checkpointKeys, checkpointShardsPrefix, shardTombstoneKey } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { keysOf, testRun } from '../testing/checkpoints-fixtures.js';
import { rejection } from '../testing/rejection.js';
import { rankStores, shardOf } from '../testing/shard-fixtures.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { createCheckpointStore } from './create-checkpoint-store.js';
import { keepLast } from './retention.js';

// A rank that arrives late at a sharded checkpoint prune deleted: the name's record outlives the
// prune and still gives the pruned id, so only the tombstone prune leaves stops the rank.

const pruneKeepingLast = (store: CheckpointStore) =>
  store.prune({ run: testRun, step: 'train', keep: [keepLast(1)] });

/** Saves checkpoints "1" and "2" with two ranks; rank 1 commits each. Returns their ids. */
async function saveTwo(stores: readonly CheckpointStore[]): Promise<[string, string]> {
  const ids: string[] = [];
  for (const name of ['1', '2']) {
    await stores[0]?.saveShard(shardOf(0, name, 2));
    const saved = await (stores[1] as CheckpointStore).saveShard(shardOf(1, name, 2));
    expect(saved.committed).toBeDefined();
    ids.push(saved.id);
  }
  return ids as [string, string];
}

async function listedIds(storage: Storage): Promise<string[]> {
  const ids: string[] = [];
  for await (const record of createCheckpointStore({ storage }).list({ step: 'train' })) {
    ids.push(record.id);
  }
  return ids;
}

describe('pruning sharded checkpoints while ranks are late', () => {
  it('takes back a commit whose sidecar put came after prune deleted the checkpoint', async () => {
    const memory = createMemoryStorage();
    let pruneBeforeSidecar: string | undefined;
    let pruned: string[] = [];
    // Prune runs after the committing rank has read every shard record and before its sidecar
    // put: the put then finds no sidecar and succeeds.
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        if (key === pruneBeforeSidecar) {
          pruneBeforeSidecar = undefined;
          const report = await pruneKeepingLast(createCheckpointStore({ storage: memory }));
          pruned = report.deleted.map((entry) => entry.id);
        }
        return memory.put(key, body, options);
      },
    };
    const stores = rankStores(storage, 2);
    const [first, second] = await saveTwo(stores);
    // Rank 0 saves checkpoint "1" again (its first answer was lost): every record is there, so
    // it commits, and prune deletes the checkpoint in the middle of that commit.
    pruneBeforeSidecar = checkpointKeys(first).sidecar;
    const error = await rejection((stores[0] as CheckpointStore).saveShard(shardOf(0, '1', 2)));
    expect(pruned).toEqual([first]);
    expect(error.code).toBe('CONFLICT');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(
      `The checkpoint "${first}" (name "1") was pruned; save under a new name.`,
    );
    expect(await listedIds(memory)).toEqual([second]);
    expect((await rejection((stores[1] as CheckpointStore).get(first))).code).toBe('NOT_FOUND');
    expect(await keysOf(memory, checkpointShardsPrefix(first))).toEqual([shardTombstoneKey(first)]);
  });

  it('refuses a late save of a pruned name before writing anything', async () => {
    const storage = createMemoryStorage();
    const stores = rankStores(storage, 2);
    const [first, second] = await saveTwo(stores);
    const report = await pruneKeepingLast(stores[0] as CheckpointStore);
    expect(report.deleted.map((entry) => entry.id)).toEqual([first]);
    const before = await keysOf(storage);
    // Every rank retries with the same bytes: without the tombstone the name's record would
    // hand them the pruned id and the second retry would commit it again.
    for (const rank of [1, 0]) {
      const error = await rejection(
        (stores[rank] as CheckpointStore).saveShard(shardOf(rank, '1', 2)),
      );
      expect(error.code).toBe('CONFLICT');
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(
        `The checkpoint "${first}" (name "1") was pruned; save under a new name.`,
      );
      expect(error.details).toMatchObject({ checkpoint: first, name: '1', rank });
    }
    expect(await keysOf(storage)).toEqual(before);
    expect(await listedIds(storage)).toEqual([second]);
    // A later prune leaves the tombstone: it must outlive the shards.
    await pruneKeepingLast(stores[0] as CheckpointStore);
    expect(await keysOf(storage, checkpointShardsPrefix(first))).toEqual([
      shardTombstoneKey(first),
    ]);
  });

  it('writes no tombstone on a dry run, and a new name saves as usual after a prune', async () => {
    const storage = createMemoryStorage();
    const stores = rankStores(storage, 2);
    const [first] = await saveTwo(stores);
    await (stores[0] as CheckpointStore).prune({
      run: testRun,
      step: 'train',
      keep: [keepLast(1)],
      dryRun: true,
    });
    expect(await storage.head(shardTombstoneKey(first))).toBeUndefined();
    await pruneKeepingLast(stores[0] as CheckpointStore);
    await stores[0]?.saveShard(shardOf(0, '3', 2));
    const saved = await (stores[1] as CheckpointStore).saveShard(shardOf(1, '3', 2));
    expect(saved.committed).toBeDefined();
    expect(saved.id).not.toBe(first);
  });
});
