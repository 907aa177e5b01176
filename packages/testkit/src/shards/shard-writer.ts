import { createCheckpointStore, type Storage } from '@cairn/kernel';
import { shardBytes, shardMetrics } from './shard-bytes.js';

/** What one rank of a sharded-checkpoint test is asked to do. */
export interface ShardWriterAssignment {
  /** The run every rank saves under, `<pipeline>/<time id>`. */
  readonly run: string;
  /** The step every rank saves under. */
  readonly step: string;
  /** The checkpoint's name, the same on every rank. */
  readonly name: string;
  /** This rank, from 0. */
  readonly rank: number;
  /** How many ranks write the checkpoint. */
  readonly worldSize: number;
  /** Write nothing: a rank that died before saving its shard. */
  readonly skip: boolean;
}

/** What a rank that wrote nothing reports. */
export interface SkippedShardReport {
  /** The rank. */
  readonly rank: number;
  readonly skipped: true;
}

/** What a rank that saved its shard reports, from what `saveShard` returned. */
export interface WrittenShardReport {
  /** The rank `saveShard` answered for. */
  readonly rank: number;
  readonly skipped: false;
  /** The checkpoint id this rank was given; every rank must get the same one. */
  readonly id: string;
  /** Size of this rank's shard in bytes. */
  readonly size: number;
  /** SHA-256 of this rank's shard as the kernel computed it while writing. */
  readonly sha256: string;
  /** How many ranks' shards this rank saw stored. */
  readonly shardsPresent: number;
  /** Whether this rank found the checkpoint committed (it committed it, or another rank did). */
  readonly committed: boolean;
}

/** What one rank reports. */
export type ShardWriterReport = SkippedShardReport | WrittenShardReport;

/**
 * Saves this rank's shard ({@link shardBytes} of the rank, with {@link shardMetrics}) through
 * `store.saveShard`, or nothing when the assignment says skip, and reports what it learned.
 */
export async function writeShard(
  storage: Storage,
  assignment: ShardWriterAssignment,
): Promise<ShardWriterReport> {
  if (assignment.skip) return { rank: assignment.rank, skipped: true };
  const store = createCheckpointStore({ storage });
  const saved = await store.saveShard({
    run: assignment.run,
    step: assignment.step,
    name: assignment.name,
    rank: assignment.rank,
    worldSize: assignment.worldSize,
    body: shardBytes(assignment.rank),
    metrics: shardMetrics(assignment.rank),
  });
  return {
    rank: saved.rank,
    skipped: false,
    id: saved.id,
    size: saved.size,
    sha256: saved.sha256,
    shardsPresent: saved.shardsPresent,
    committed: saved.committed !== undefined,
  };
}
