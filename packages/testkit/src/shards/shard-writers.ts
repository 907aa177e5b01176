import { createHash } from 'node:crypto';
import {
  type CheckpointRecord,
  createCheckpointStore,
  isCairnError,
  readAll,
  type Storage,
} from '@cairn/kernel';
import { type ChildCommand, runReleasedChildren } from '../processes/released-children.js';
import type { ShardWriterAssignment, ShardWriterReport } from './shard-writer.js';

/** Options for {@link runShardWriters}. */
export interface ShardWritersOptions {
  /** The store every rank uses, opened in this process too, to read the outcome after. */
  readonly storage: Storage;
  /** The run every rank saves under, `<pipeline>/<time id>`. */
  readonly run: string;
  /** The step every rank saves under; default `train`. */
  readonly step?: string;
  /** The checkpoint's name; use a fresh one (or a fresh store) per run. */
  readonly name: string;
  /** How many rank processes. */
  readonly worldSize: number;
  /** A rank that writes nothing (it died before saving): the checkpoint must stay uncommitted. */
  readonly skipRank?: number;
  /**
   * The command that starts a rank: a script that opens the same store and calls
   * {@link runShardWriterChild} with this assignment.
   */
  readonly startWriter: (assignment: ShardWriterAssignment) => ChildCommand;
}

/** A rank's shard as the parent read it back from the committed checkpoint. */
export interface LoadedShard {
  /** The rank. */
  readonly rank: number;
  /**
   * The bytes, read to the end of a stream that fails instead of ending when they differ from
   * the size and SHA-256 the sidecar lists.
   */
  readonly bytes: Buffer;
  /** SHA-256 of `bytes`, computed here. */
  readonly sha256: string;
}

/** What a sharded-checkpoint run produced and what the store holds afterwards. */
export interface ShardWritersOutcome {
  /** One report per rank, in rank order, as the children printed them. */
  readonly reports: readonly ShardWriterReport[];
  /** The distinct checkpoint ids the writing ranks reported: exactly one when all is well. */
  readonly ids: readonly string[];
  /** The sidecar of that checkpoint, or undefined when it is not committed (`NOT_FOUND`). */
  readonly committed: CheckpointRecord | undefined;
  /** The step's committed checkpoints, as `list` gives them. */
  readonly listed: readonly CheckpointRecord[];
  /** The step's latest committed checkpoint, as `latest` gives it. */
  readonly latest: CheckpointRecord | undefined;
  /** Every rank's shard read back, when the checkpoint is committed; empty otherwise. */
  readonly shards: readonly LoadedShard[];
}

/**
 * Starts `worldSize` processes, one per rank, that each save their shard of ONE checkpoint
 * (`store.saveShard` in the kernel) at the same moment, then reads what the store holds: the
 * sidecar if any, what `list` and `latest` show for the step, and every shard loaded and
 * verified against the sidecar. With `skipRank`, that rank's process writes nothing, and the
 * checkpoint must stay uncommitted. Backend-neutral: the caller's command opens its own store
 * (fs root, S3 bucket…). The shards are {@link shardBytes} of their rank, so a test can compare.
 *
 * @throws when a rank fails or the store refuses to read a committed shard (`CORRUPT_DATA`).
 */
export async function runShardWriters(options: ShardWritersOptions): Promise<ShardWritersOutcome> {
  const { storage, run, name, worldSize, skipRank } = options;
  const step = options.step ?? 'train';
  const reports = await runReleasedChildren<ShardWriterReport>(
    Array.from({ length: worldSize }, (_, rank) =>
      options.startWriter({ run, step, name, rank, worldSize, skip: rank === skipRank }),
    ),
    (rank) => `rank ${rank}`,
  );
  return readShardWritersOutcome(storage, { step, worldSize, reports });
}

/**
 * The second half of {@link runShardWriters}: given the ranks' reports, reads what the store
 * holds for the checkpoint they wrote (the sidecar if any, `list` and `latest` for the step,
 * and every shard loaded and verified). Exported so the outcome of ranks run in one process
 * can be checked the same way.
 *
 * @throws when the store refuses to read a committed shard (`CORRUPT_DATA`).
 */
export async function readShardWritersOutcome(
  storage: Storage,
  written: {
    readonly step: string;
    readonly worldSize: number;
    readonly reports: readonly ShardWriterReport[];
  },
): Promise<ShardWritersOutcome> {
  const { step, worldSize, reports } = written;
  const ids = [...new Set(reports.flatMap((report) => (report.skipped ? [] : [report.id])))].sort();
  const store = createCheckpointStore({ storage });
  const [id] = ids;
  const committed =
    id === undefined || ids.length > 1
      ? undefined
      : await store.get(id).catch((error: unknown) => {
          if (isCairnError(error, 'NOT_FOUND')) return undefined;
          throw error;
        });
  const listed: CheckpointRecord[] = [];
  for await (const record of store.list({ step })) listed.push(record);
  const latest = await store.latest({ step });
  const shards: LoadedShard[] = [];
  if (committed !== undefined) {
    for (let rank = 0; rank < worldSize; rank++) {
      const opened = await store.open({ id: committed.id }, { rank });
      const bytes = await readAll(opened.body);
      shards.push({ rank, bytes, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
  }
  return { reports, ids, committed, listed, latest, shards };
}
