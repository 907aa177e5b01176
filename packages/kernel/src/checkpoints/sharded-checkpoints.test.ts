import { describe, expect, it } from 'vitest';
import { checkpointKeys, shardKeys, shardTombstoneKey } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { keysOf, testRun } from '../testing/checkpoints-fixtures.js';
import { rejection } from '../testing/rejection.js';
import { rankStores, shardOf } from '../testing/shard-fixtures.js';
import type { CheckpointStore, SavedShard } from './checkpoint-store.js';
import { createCheckpointStore } from './create-checkpoint-store.js';
import { keepLast } from './retention.js';

function permutations(values: readonly number[]): number[][] {
  if (values.length <= 1) return [[...values]];
  return values.flatMap((value, index) =>
    permutations([...values.slice(0, index), ...values.slice(index + 1)]).map((rest) => [
      value,
      ...rest,
    ]),
  );
}

async function listIds(store: CheckpointStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const record of store.list({ step: 'train' })) ids.push(record.id);
  return ids;
}

describe('sharded checkpoints', () => {
  it.each(permutations([0, 1, 2]).map((order) => ({ order })))(
    'commits once every rank saved, in the order $order',
    async ({ order }) => {
      const storage = createMemoryStorage();
      const stores = rankStores(storage, 3);
      const reader = createCheckpointStore({ storage });
      const results: SavedShard[] = [];
      for (const [index, rank] of order.entries()) {
        const saved = await (stores[rank] as CheckpointStore).saveShard(shardOf(rank));
        results.push(saved);
        if (index < order.length - 1) {
          expect(saved.committed).toBeUndefined();
          expect(saved.shardsPresent).toBe(index + 1);
          expect(await reader.latest({ step: 'train' })).toBeUndefined();
          expect((await rejection(reader.get(saved.id))).code).toBe('NOT_FOUND');
        }
      }
      // Every rank wrote to the same checkpoint: the first rank's id.
      expect(new Set(results.map((saved) => saved.id)).size).toBe(1);
      const committed = results.at(-1)?.committed;
      expect(committed?.sharding?.worldSize).toBe(3);
      expect(committed?.sharding?.shards.map((shard) => shard.rank)).toEqual([0, 1, 2]);
      expect(committed?.size).toBe(results.reduce((total, saved) => total + saved.size, 0));
      expect(await listIds(reader)).toEqual([committed?.id]);
      for (const rank of [0, 1, 2]) {
        const loaded = await reader.load<{ rank: number }>({ id: committed?.id ?? '' }, { rank });
        expect(loaded.state.rank).toBe(rank);
        expect(committed?.sharding?.shards[rank]?.sha256).toBe(
          results[order.indexOf(rank)]?.sha256,
        );
      }
      const latest = await reader.load<{ rank: number }>(
        { step: 'train', run: testRun },
        { rank: 2 },
      );
      expect(latest.state.rank).toBe(2);
    },
  );

  it('leaves a checkpoint with a missing shard uncommitted and invisible', async () => {
    const storage = createMemoryStorage();
    const stores = rankStores(storage, 3);
    const first = await stores[0]?.saveShard(shardOf(0));
    await stores[2]?.saveShard(shardOf(2));
    const reader = createCheckpointStore({ storage });
    expect(await listIds(reader)).toEqual([]);
    expect(await reader.latest({ step: 'train' })).toBeUndefined();
    expect((await rejection(reader.load({ id: first?.id ?? '' }, { rank: 0 }))).code).toBe(
      'NOT_FOUND',
    );
    expect(await keysOf(storage, 'checkpoints/')).toEqual([]);
  });

  it('takes a rank’s retry with the same bytes as it is, and refuses other bytes', async () => {
    const storage = createMemoryStorage();
    const stores = rankStores(storage, 2);
    const first = await stores[1]?.saveShard(shardOf(1, '7', 2));
    const keysAfterFirst = await keysOf(storage);
    const again = await stores[1]?.saveShard(shardOf(1, '7', 2));
    expect(again).toEqual(first);
    // The retry stored nothing new.
    expect(await keysOf(storage)).toEqual(keysAfterFirst);

    const refused = await rejection(
      (stores[1] as CheckpointStore).saveShard({ ...shardOf(1, '7', 2), state: { other: true } }),
    );
    expect(refused.code).toBe('CONFLICT');
    expect(refused.retryable).toBe(false);
    expect(refused.message).toContain('already stored with other bytes');
    expect(await keysOf(storage)).toEqual(keysAfterFirst);

    const done = await stores[0]?.saveShard(shardOf(0, '7', 2));
    expect(done?.committed?.sharding?.shards[1]?.sha256).toBe(first?.sha256);
    // A retry after the commit finds the commit.
    const late = await stores[1]?.saveShard(shardOf(1, '7', 2));
    expect(late?.committed).toEqual(done?.committed);
  });

  it('keeps one payload when two attempts of one rank race', async () => {
    const storage = createMemoryStorage();
    const stores = rankStores(storage, 2);
    const [left, right] = await Promise.all([
      stores[0]?.saveShard(shardOf(0, '8', 2)),
      createCheckpointStore({ storage }).saveShard(shardOf(0, '8', 2)),
    ]);
    expect(left?.sha256).toBe(right?.sha256);
    const payloads = (await keysOf(storage, 'checkpoint-shards/')).filter((key) =>
      key.includes('/payload-'),
    );
    expect(payloads).toHaveLength(1);
  });

  it('refuses a rank whose worldSize differs from the first rank’s, writing nothing', async () => {
    const storage = createMemoryStorage();
    const stores = rankStores(storage, 3);
    const first = await stores[0]?.saveShard(shardOf(0));
    const before = await keysOf(storage);
    const error = await rejection(
      (stores[1] as CheckpointStore).saveShard({ ...shardOf(1), worldSize: 4 }),
    );
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain('worldSize 4, not 3');
    expect(error.message).toContain(first?.id);
    expect(await keysOf(storage)).toEqual(before);
  });

  it('refuses a storage without conditional writes, writing nothing', async () => {
    const memory = createMemoryStorage();
    // A view of the same objects that declares no conditional writes, as an S3-compatible
    // store opened with conditionalWrites: false does.
    const storage: Storage = {
      ...memory,
      capabilities: { ...memory.capabilities, conditionalWrites: false },
    };
    const [store] = rankStores(storage, 1);
    const error = await rejection((store as CheckpointStore).saveShard(shardOf(0)));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toContain('conditional writes');
    expect(await keysOf(memory)).toEqual([]);
  });

  it('checks name, rank and worldSize before writing', async () => {
    const storage = createMemoryStorage();
    const [store] = rankStores(storage, 1);
    const cases = [
      { ...shardOf(0), name: 'step 1000' },
      { ...shardOf(0), rank: 3 },
      { ...shardOf(0), rank: -1 },
      { ...shardOf(0), worldSize: 0 },
      { ...shardOf(0), worldSize: 5000 },
    ];
    for (const input of cases) {
      expect((await rejection((store as CheckpointStore).saveShard(input))).code).toBe(
        'INVALID_OPTIONS',
      );
    }
    expect(await keysOf(storage)).toEqual([]);
  });

  it('commits exactly once when every rank finishes at the same moment', async () => {
    const memory = createMemoryStorage();
    const worldSize = 4;
    let recordsWritten = 0;
    let release: () => void = () => {};
    const allRecorded = new Promise<void>((resolve) => {
      release = resolve;
    });
    let sidecarsCommitted = 0;
    // Every rank's listing waits until all records are written: all ranks see every shard and
    // all of them try to commit.
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        const info = await memory.put(key, body, options);
        if (key.endsWith('/shard.yaml') && ++recordsWritten === worldSize) release();
        if (key.endsWith('/checkpoint.yaml')) sidecarsCommitted += 1;
        return info;
      },
      list: (options) => ({
        async *[Symbol.asyncIterator]() {
          if (options?.prefix?.startsWith('checkpoint-shards/')) await allRecorded;
          yield* memory.list(options);
        },
      }),
    };
    const events: string[] = [];
    const stores = Array.from({ length: worldSize }, () =>
      createCheckpointStore({ storage, onEvent: (event) => events.push(event.type) }),
    );
    const results = await Promise.all(
      stores.map((store, rank) => store.saveShard(shardOf(rank, '9', worldSize))),
    );
    expect(sidecarsCommitted).toBe(1);
    expect(events.filter((type) => type === 'checkpoint-saved')).toHaveLength(1);
    for (const saved of results) expect(saved.committed).toEqual(results[0]?.committed);
    expect(results[0]?.committed?.sharding?.worldSize).toBe(worldSize);
  });

  it('verifies each shard against the sidecar and asks for a rank', async () => {
    const storage = createMemoryStorage();
    const stores = rankStores(storage, 2);
    await stores[0]?.saveShard(shardOf(0, '5', 2));
    const saved = await stores[1]?.saveShard(shardOf(1, '5', 2));
    const id = saved?.id ?? '';
    const reader = createCheckpointStore({ storage });
    expect((await rejection(reader.load({ id }))).message).toContain('pass the rank');
    expect((await rejection(reader.load({ id }, { rank: 2 }))).code).toBe('INVALID_OPTIONS');
    const plain = await reader.save({ run: testRun, step: 'other', state: 1 });
    expect((await rejection(reader.load({ id: plain.id }, { rank: 0 }))).code).toBe(
      'INVALID_OPTIONS',
    );

    const write = saved?.committed?.sharding?.shards[1]?.write ?? '';
    storage.corrupt(shardKeys(id, 1).payload(write), '{"rank":1,"weights":[6,6,6,6]}');
    const damaged = await rejection(reader.load({ id }, { rank: 1 }));
    expect(damaged.code).toBe('CORRUPT_DATA');
    expect(damaged.message).toContain(`Shard 1 of checkpoint "${id}"`);
    expect((await reader.load<{ rank: number }>({ id }, { rank: 0 })).state.rank).toBe(0);
  });

  it('prunes a sharded checkpoint as one: sidecar, then shard records, then payloads', async () => {
    const memory = createMemoryStorage();
    const deletes: string[] = [];
    const storage: Storage = {
      ...memory,
      delete: (key, options) => {
        deletes.push(key);
        return memory.delete(key, options);
      },
    };
    const stores = rankStores(storage, 2);
    const ids: string[] = [];
    for (const name of ['1', '2']) {
      await stores[0]?.saveShard(shardOf(0, name, 2));
      ids.push((await stores[1]?.saveShard(shardOf(1, name, 2)))?.id ?? '');
    }
    const report = await (stores[0] as CheckpointStore).prune({
      run: testRun,
      step: 'train',
      keep: [keepLast(1)],
    });
    expect(report.deleted.map((entry) => entry.id)).toEqual([ids[0]]);
    const kinds = deletes.map((key) => key.split('/').at(-1)?.replace(/-.*/, ''));
    expect(kinds).toEqual(['checkpoint.yaml', 'shard.yaml', 'shard.yaml', 'payload', 'payload']);
    expect(deletes[0]).toBe(checkpointKeys(ids[0] ?? '').sidecar);
    // Only the tombstone stays, so a late rank cannot save or commit the pruned id again.
    expect(await keysOf(memory, `checkpoint-shards/${ids[0]}/`)).toEqual([
      shardTombstoneKey(ids[0] ?? ''),
    ]);
    expect((await keysOf(memory, `checkpoint-shards/${ids[1]}/`)).length).toBe(4);
    expect((await rejection((stores[0] as CheckpointStore).get(ids[0] ?? ''))).code).toBe(
      'NOT_FOUND',
    );
  });

  it('counts sequences up when different ranks commit successive checkpoints', async () => {
    const storage = createMemoryStorage();
    const stores = rankStores(storage, 2);
    const sequences: (number | undefined)[] = [];
    // The rank that saves last commits: rank 1, then rank 0, then rank 1 again.
    for (const [name, last] of [
      ['1', 1],
      ['2', 0],
      ['3', 1],
    ] as const) {
      await stores[1 - last]?.saveShard(shardOf(1 - last, name, 2));
      sequences.push((await stores[last]?.saveShard(shardOf(last, name, 2)))?.committed?.sequence);
    }
    expect(sequences).toEqual([1, 2, 3]);
    // An unsharded save of the same run and step goes on counting.
    const plain = await (stores[0] as CheckpointStore).save({
      run: testRun,
      step: 'train',
      state: 1,
    });
    expect(plain.sequence).toBe(4);
  });
});
