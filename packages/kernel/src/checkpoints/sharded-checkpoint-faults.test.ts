import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import { checkpointKeys, shardKeys, shardNameKey } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { keysOf, testRun } from '../testing/checkpoints-fixtures.js';
import { rejection } from '../testing/rejection.js';
import { rankStores, shardOf } from '../testing/shard-fixtures.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { createCheckpointStore } from './create-checkpoint-store.js';

// What a rank does when storage fails around its shard record or the sidecar: a lost answer,
// an unknown outcome, a record deleted under it, a rank that died before committing.

const rankOneRecord = (key: string) => key.endsWith('/00001/shard.yaml');

/** The keys in rank `rank`'s folder of checkpoint `id`, without the folder. */
async function folderOf(storage: Storage, id: string, rank: number): Promise<string[]> {
  const folder = shardKeys(id, rank).record.replace(/shard\.yaml$/, '');
  return (await keysOf(storage, folder)).map((key) => key.slice(folder.length));
}

/** Loads every rank's shard of `id` from a fresh store: the checkpoint is whole. */
async function expectLoadable(storage: Storage, id: string, worldSize: number): Promise<void> {
  const reader = createCheckpointStore({ storage });
  for (let rank = 0; rank < worldSize; rank++) {
    const loaded = await reader.load<{ rank: number }>({ id }, { rank });
    expect(loaded.state.rank).toBe(rank);
  }
}

function timedOut(): CairnError {
  return new CairnError({ code: 'TRANSIENT_IO', message: 'timed out after committing' });
}

describe('sharded checkpoints when storage fails', () => {
  it('keeps its payload when its record put was retried by the storage and met itself', async () => {
    const memory = createMemoryStorage();
    let retried = false;
    // A backend that retries by itself: the first attempt lands but its answer is lost, and the
    // retry finds the record the first attempt created.
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        if (!rankOneRecord(key) || retried) return memory.put(key, body, options);
        retried = true;
        await memory.put(key, body, options);
        return memory.put(key, body, options);
      },
    };
    const stores = rankStores(storage, 2);
    await stores[0]?.saveShard(shardOf(0, '1', 2));
    const saved = await (stores[1] as CheckpointStore).saveShard(shardOf(1, '1', 2));
    expect(retried).toBe(true);
    expect(saved.committed).toBeDefined();
    const write = saved.committed?.sharding?.shards[1]?.write;
    expect(await folderOf(memory, saved.id, 1)).toEqual([`payload-${write}`, 'shard.yaml']);
    await expectLoadable(memory, saved.id, 2);
  });

  it('keeps a record whose answer was lost, which another rank committed on meanwhile', async () => {
    const memory = createMemoryStorage();
    let rankZero: CheckpointStore | undefined;
    let lost = false;
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        const info = await memory.put(key, body, options);
        if (!rankOneRecord(key) || lost) return info;
        lost = true;
        // Before rank 1 hears back, rank 0 saves again, sees both records and commits.
        const again = await rankZero?.saveShard(shardOf(0, '2', 2));
        expect(again?.committed).toBeDefined();
        throw timedOut();
      },
    };
    const stores = rankStores(storage, 2);
    rankZero = stores[0];
    await stores[0]?.saveShard(shardOf(0, '2', 2));
    const saved = await (stores[1] as CheckpointStore).saveShard(shardOf(1, '2', 2));
    expect(lost).toBe(true);
    // The record is rank 1's own: the save succeeded, and found the commit.
    expect(saved.committed).toEqual(await createCheckpointStore({ storage }).get(saved.id));
    await expectLoadable(memory, saved.id, 2);
  });

  it('deletes only its payload when its record is known not to have landed', async () => {
    const memory = createMemoryStorage();
    let failed = false;
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        if (!rankOneRecord(key) || failed) return memory.put(key, body, options);
        failed = true;
        throw new CairnError({ code: 'TRANSIENT_IO', message: 'connection reset before sending' });
      },
    };
    const stores = rankStores(storage, 2);
    const first = await stores[0]?.saveShard(shardOf(0, '3', 2));
    const error = await rejection((stores[1] as CheckpointStore).saveShard(shardOf(1, '3', 2)));
    expect(error.code).toBe('TRANSIENT_IO');
    expect(await folderOf(memory, first?.id ?? '', 1)).toEqual([]);
    expect(await folderOf(memory, first?.id ?? '', 0)).toHaveLength(2);
    const retried = await (stores[1] as CheckpointStore).saveShard(shardOf(1, '3', 2));
    expect(retried.committed).toBeDefined();
    await expectLoadable(memory, retried.id, 2);
  });

  it('keeps record and payload when it cannot tell whether its record landed', async () => {
    const memory = createMemoryStorage();
    let putFailed = false;
    let readFailed = false;
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        const info = await memory.put(key, body, options);
        if (!rankOneRecord(key) || putFailed) return info;
        putFailed = true;
        throw timedOut();
      },
      get: async (key, options) => {
        if (!putFailed || readFailed || !rankOneRecord(key)) return memory.get(key, options);
        readFailed = true;
        throw new CairnError({ code: 'TRANSIENT_IO', message: 'read timed out' });
      },
    };
    const stores = rankStores(storage, 2);
    const first = await stores[0]?.saveShard(shardOf(0, '4', 2));
    const id = first?.id ?? '';
    const error = await rejection((stores[1] as CheckpointStore).saveShard(shardOf(1, '4', 2)));
    expect(error.code).toBe('TRANSIENT_IO');
    expect(error.message).toContain('timed out after committing');
    expect(readFailed).toBe(true);
    const kept = await folderOf(memory, id, 1);
    expect(kept).toHaveLength(2);
    expect(kept).toContain('shard.yaml');
    // Saving again finds the record and commits on it.
    const retried = await (stores[1] as CheckpointStore).saveShard(shardOf(1, '4', 2));
    expect(retried.committed).toBeDefined();
    expect(await folderOf(memory, id, 1)).toEqual(kept);
    await expectLoadable(memory, id, 2);
  });

  it('refuses to report a commit whose sidecar lists another write than the records', async () => {
    const storage = createMemoryStorage();
    const stores = rankStores(storage, 2);
    await stores[0]?.saveShard(shardOf(0, '5', 2));
    const done = await (stores[1] as CheckpointStore).saveShard(shardOf(1, '5', 2));
    const id = done.id;
    // Rank 1's record is deleted behind the sidecar's back (by hand, or by an older Cairn's
    // clean-up), and rank 1 saves the same bytes again under a new write.
    await storage.delete(shardKeys(id, 1).record);
    const error = await rejection((stores[1] as CheckpointStore).saveShard(shardOf(1, '5', 2)));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain('rank 1');
    expect(error.message).toContain(done.committed?.sharding?.shards[1]?.write);
  });

  it('gives a retryable CONFLICT when a shard record vanishes while it commits', async () => {
    const memory = createMemoryStorage();
    let armed = false;
    // A prune deletes rank 0's record between the last rank's listing and its reading it.
    const storage: Storage = {
      ...memory,
      list: (options) => ({
        async *[Symbol.asyncIterator]() {
          yield* memory.list(options);
          if (armed && options?.prefix?.startsWith('checkpoint-shards/')) {
            armed = false;
            for await (const info of memory.list(options)) {
              if (info.key.endsWith('/00000/shard.yaml')) await memory.delete(info.key);
            }
          }
        },
      }),
    };
    const stores = rankStores(storage, 2);
    const first = await stores[0]?.saveShard(shardOf(0, '6', 2));
    armed = true;
    const error = await rejection((stores[1] as CheckpointStore).saveShard(shardOf(1, '6', 2)));
    expect(error.code).toBe('CONFLICT');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('rank 0');
    expect(await keysOf(memory, checkpointKeys(first?.id ?? '').sidecar)).toEqual([]);
  });

  it('commits when a rank saves again after the last rank died before committing', async () => {
    const memory = createMemoryStorage();
    let died = false;
    // The last rank stores its record, then dies before its sidecar is written.
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        if (died || !key.endsWith('/checkpoint.yaml')) return memory.put(key, body, options);
        died = true;
        throw new CairnError({ code: 'ABORTED', message: 'the process was killed' });
      },
    };
    const stores = rankStores(storage, 3);
    const first = await (stores[0] as CheckpointStore).saveShard(shardOf(0, '7'));
    await stores[1]?.saveShard(shardOf(1, '7'));
    const last = await rejection((stores[2] as CheckpointStore).saveShard(shardOf(2, '7')));
    expect(last.code).toBe('ABORTED');
    const reader = createCheckpointStore({ storage: memory });
    expect(await reader.latest({ step: 'train' })).toBeUndefined();
    for (const rank of [0, 1, 2]) {
      expect(await folderOf(memory, first.id, rank)).toContain('shard.yaml');
    }

    const again = await (stores[0] as CheckpointStore).saveShard(shardOf(0, '7'));
    expect(again.id).toBe(first.id);
    expect(again.committed?.id).toBe(first.id);
    expect((await reader.latest({ step: 'train' }))?.id).toBe(again.id);
    await expectLoadable(memory, again.id, 3);
  });

  it('gives advice that fits the kind of record found damaged', async () => {
    const storage = createMemoryStorage();
    const stores = rankStores(storage, 2);
    await stores[0]?.saveShard(shardOf(0, '8', 2));
    const done = await (stores[1] as CheckpointStore).saveShard(shardOf(1, '8', 2));
    storage.corrupt(shardKeys(done.id, 1).record, 'not: [a record');
    const shard = await rejection((stores[1] as CheckpointStore).saveShard(shardOf(1, '8', 2)));
    expect(shard.code).toBe('CORRUPT_DATA');
    expect(shard.message).toContain('If its checkpoint is committed (has a sidecar)');

    // The name record of a committed checkpoint: its shards must not be deleted.
    storage.corrupt(shardNameKey('train', testRun, '8'), 'format: nonsense');
    const name = await rejection((stores[0] as CheckpointStore).saveShard(shardOf(0, '8', 2)));
    expect(name.code).toBe('CORRUPT_DATA');
    expect(name.message).toContain('save the shards under a new name');
    expect(name.message).not.toContain('shard folder');
    await expectLoadable(storage, done.id, 2);
  });
});
