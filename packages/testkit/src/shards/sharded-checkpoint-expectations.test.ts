import { createMemoryStorage } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { type ShardWriterAssignment, writeShard } from './shard-writer.js';
import { readShardWritersOutcome, type ShardWritersOutcome } from './shard-writers.js';
import {
  expectShardedCheckpointCommitted,
  expectShardedCheckpointUncommitted,
} from './sharded-checkpoint-expectations.js';

const worldSize = 3;

/** The ranks run one after another in this process, on one memory store. */
async function runInProcess(skipRank?: number): Promise<ShardWritersOutcome> {
  const storage = createMemoryStorage();
  const assignment = {
    run: 'train/20250810T143022.123Z-k3f9a2',
    step: 'train',
    name: 'step-1000',
    worldSize,
  };
  const reports = [];
  for (let rank = 0; rank < worldSize; rank++) {
    const rankAssignment: ShardWriterAssignment = { ...assignment, rank, skip: rank === skipRank };
    reports.push(await writeShard(storage, rankAssignment));
  }
  return readShardWritersOutcome(storage, { step: 'train', worldSize, reports });
}

describe('expectShardedCheckpointCommitted', () => {
  it('passes a checkpoint every rank wrote', async () => {
    expectShardedCheckpointCommitted(await runInProcess(), worldSize);
  });

  it('fails when a shard loads other bytes, the labels are not those of rank 0, or the run is uncommitted', async () => {
    const outcome = await runInProcess();
    const [first, second] = outcome.shards;
    if (first === undefined || second === undefined) throw new Error('no shards read back');
    const swapped = {
      ...outcome,
      shards: [{ ...first, bytes: second.bytes }, ...outcome.shards.slice(1)],
    };
    expect(() => expectShardedCheckpointCommitted(swapped, worldSize)).toThrow(/rank 0/);
    const committed = outcome.committed;
    if (committed === undefined) throw new Error('not committed');
    const relabelled = {
      ...outcome,
      committed: { ...committed, metrics: { loss: 0.25, rank: 1 } },
    };
    expect(() => expectShardedCheckpointCommitted(relabelled, worldSize)).toThrow();
    expect(() => expectShardedCheckpointCommitted(outcome, worldSize + 1)).toThrow();
    const uncommitted = await runInProcess(1);
    expect(() => expectShardedCheckpointCommitted(uncommitted, worldSize)).toThrow();
  });
});

describe('expectShardedCheckpointUncommitted', () => {
  it('passes a checkpoint one rank never wrote', async () => {
    expectShardedCheckpointUncommitted(await runInProcess(1), { worldSize, skipRank: 1 });
  });

  it('fails when the checkpoint was committed, or another rank was the one missing', async () => {
    const uncommitted = await runInProcess(1);
    expect(() =>
      expectShardedCheckpointUncommitted(uncommitted, { worldSize, skipRank: 2 }),
    ).toThrow();
    const committed = await runInProcess();
    expect(() =>
      expectShardedCheckpointUncommitted(committed, { worldSize, skipRank: 1 }),
    ).toThrow();
  });
});
