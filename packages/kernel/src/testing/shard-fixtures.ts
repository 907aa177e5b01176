import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { createCheckpointStore } from '../checkpoints/create-checkpoint-store.js';
import { createTimeIdGenerator } from '../naming/time-id.js';
import type { Storage } from '../storage/storage.js';
import { testRun, testStart } from './checkpoints-fixtures.js';

/** One store per rank, each with its own clock: ranks are separate processes. */
export function rankStores(storage: Storage, worldSize: number): CheckpointStore[] {
  return Array.from({ length: worldSize }, (_, rank) =>
    createCheckpointStore({
      storage,
      timeIds: createTimeIdGenerator({ now: () => testStart + rank * 7 }),
      now: () => testStart + rank * 7,
    }),
  );
}

/** Rank `rank`'s shard of checkpoint `name` of {@link testRun}'s step `train`. */
export function shardOf(rank: number, name = '1000', worldSize = 3) {
  return {
    run: testRun,
    step: 'train',
    name,
    rank,
    worldSize,
    state: { rank, weights: Array.from({ length: 4 }, (_, index) => rank * 10 + index) },
  };
}
