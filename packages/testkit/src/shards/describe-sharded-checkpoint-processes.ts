import type { Storage } from '@cairn/kernel';
import { describe, it } from 'vitest';
import type { ChildCommand } from '../processes/released-children.js';
import type { ShardWriterAssignment } from './shard-writer.js';
import { runShardWriters } from './shard-writers.js';
import {
  expectShardedCheckpointCommitted,
  expectShardedCheckpointUncommitted,
} from './sharded-checkpoint-expectations.js';

/** A store for one sharded-checkpoint test, and how to start a rank process on the same store. */
export interface ShardedCheckpointBackend {
  /** The store, opened in the test's own process to read the outcome; closed after the test. */
  readonly storage: Storage;
  /**
   * The command that starts a rank: a script that opens the same store and calls
   * {@link runShardWriterChild} with this assignment.
   */
  readonly startWriter: (assignment: ShardWriterAssignment) => ChildCommand;
}

/** Options for {@link describeShardedCheckpointProcesses}. */
export interface ShardedCheckpointProcessesOptions {
  /** Names the `describe` block. */
  readonly name: string;
  /**
   * Opens a fresh store for each test (a new root, a new prefix of a bucket…), so the two tests
   * never see each other's checkpoint. Called inside the test.
   */
  readonly open: () => Promise<ShardedCheckpointBackend>;
  /** How many rank processes; default 4, at least 3. */
  readonly worldSize?: number;
  /** Time limit of each test in milliseconds; default 300 000. */
  readonly timeoutMs?: number;
}

/** The run every rank saves under. */
const run = 'train/20250810T143022.123Z-k3f9a2';

/**
 * Registers the sharded-checkpoint tests with vitest, each running one process per rank
 * through {@link runShardWriters}: a checkpoint every rank writes is committed once and every
 * shard loads verified ({@link expectShardedCheckpointCommitted}); one a rank never writes stays
 * uncommitted and invisible to `list` and `latest` ({@link expectShardedCheckpointUncommitted}).
 * Call it at the top level of a backend's spec file.
 */
export function describeShardedCheckpointProcesses(
  options: ShardedCheckpointProcessesOptions,
): void {
  const worldSize = options.worldSize ?? 4;
  // Booting a Node process with tsx per rank on a small, busy machine takes a while: a generous
  // limit, not a timing assertion.
  const timeoutMs = options.timeoutMs ?? 300_000;
  // A middle rank: neither the first (whose labels the checkpoint keeps) nor the last.
  const skipRank = worldSize - 2;

  async function runRanks(name: string, skip?: number) {
    const { storage, startWriter } = await options.open();
    try {
      return await runShardWriters({
        storage,
        run,
        name,
        worldSize,
        ...(skip === undefined ? {} : { skipRank: skip }),
        startWriter,
      });
    } finally {
      await storage.close?.();
    }
  }

  describe(options.name, () => {
    it(
      `commits once all ${worldSize} shards are stored, and every shard loads verified`,
      async () => {
        expectShardedCheckpointCommitted(await runRanks('step-1000'), worldSize);
      },
      timeoutMs,
    );

    it(
      'stays uncommitted, and invisible to list and latest, when one rank never writes its shard',
      async () => {
        expectShardedCheckpointUncommitted(await runRanks('step-2000', skipRank), {
          worldSize,
          skipRank,
        });
      },
      timeoutMs,
    );
  });
}
