import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { checkpointKeys, checkpointShardsPrefix, layout, shardKeys } from '../naming/layout.js';
import { noteLateCommit, noteTakenBackSidecar } from './catalog-notes.js';
import {
  type CheckpointRecord,
  type CommittedShard,
  checkpointFormat,
  formatSidecar,
  shardListDigest,
} from './checkpoint-record.js';
import type { SavedShard } from './checkpoint-store.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import { latestSequence } from './discover-checkpoints.js';
import { readSidecar } from './read-sidecar.js';
import {
  readRecordAt,
  type ShardNameRecord,
  type ShardRecord,
  shardRecordSchema,
} from './shard-record.js';
import { isShardTombstoned, prunedCheckpointError } from './shard-tombstone.js';
import type { StoreContext } from './store-context.js';

const recordSuffix = `/${layout.shardRecordName}`;

/** The ranks whose shard records are stored, from the keys alone. */
async function ranksPresent(context: StoreContext, id: string): Promise<number[]> {
  const prefix = checkpointShardsPrefix(id);
  const ranks: number[] = [];
  for await (const info of context.storage.list({ prefix })) {
    if (!info.key.endsWith(recordSuffix)) continue;
    const rank = Number(info.key.slice(prefix.length, -recordSuffix.length));
    if (Number.isSafeInteger(rank)) ranks.push(rank);
  }
  return ranks;
}

/**
 * After a rank stored its shard: commits the checkpoint when every rank's shard record is
 * there. Whichever rank stores the last record sees all of them when it lists (storage lists
 * what was written before), so some rank always commits; several may try at once, and the
 * create-only sidecar lets exactly one succeed.
 */
export async function completeShardedCheckpoint(
  context: StoreContext,
  claim: ShardNameRecord,
  mine: ShardRecord,
): Promise<SavedShard> {
  const id = claim.checkpoint;
  const ranks = new Set((await ranksPresent(context, id)).filter((rank) => rank < claim.worldSize));
  const result = { id, rank: mine.rank, size: mine.size, sha256: mine.sha256 };
  if (ranks.size < claim.worldSize) {
    context.logger.debug(
      { checkpoint: id, rank: mine.rank, present: ranks.size, worldSize: claim.worldSize },
      'shard saved; the checkpoint waits for the other ranks',
    );
    return { ...result, shardsPresent: ranks.size, committed: undefined };
  }
  const shards: ShardRecord[] = [];
  for (let rank = 0; rank < claim.worldSize; rank++) {
    const record =
      rank === mine.rank
        ? mine
        : await readRecordAt(context, shardKeys(id, rank).record, shardRecordSchema, id);
    if (record === undefined) {
      // Listed a moment ago: deleted meanwhile (a prune). Saving again finds out what is left.
      throw new CairnError({
        code: 'CONFLICT',
        backend: checkpointsBackend,
        message: `The shard record of rank ${rank} of checkpoint "${id}" was deleted while this rank committed (pruned meanwhile?); the checkpoint was not committed. Save the shard again: it commits once every rank's shard is stored.`,
        details: { checkpoint: id, rank },
      });
    }
    if (record.rank !== rank || record.worldSize !== claim.worldSize) {
      throw new CairnError({
        code: 'CORRUPT_DATA',
        backend: checkpointsBackend,
        message: `The shard record of rank ${rank} of checkpoint "${id}" is not one of this checkpoint (it says rank ${record.rank} of ${record.worldSize}); the checkpoint was not committed. Delete the uncommitted checkpoint's shards and save it again under a new name.`,
        details: { checkpoint: id, rank },
      });
    }
    shards.push(record);
  }
  const committed = await commit(context, claim, shards, mine.rank);
  return { ...result, shardsPresent: claim.worldSize, committed };
}

async function commit(
  context: StoreContext,
  claim: ShardNameRecord,
  shards: readonly ShardRecord[],
  committingRank: number,
): Promise<CheckpointRecord> {
  const id = claim.checkpoint;
  const listed: CommittedShard[] = shards.map((shard) => ({
    rank: shard.rank,
    size: shard.size,
    sha256: shard.sha256,
    write: shard.write,
  }));
  // Rank 0's labels are the checkpoint's.
  const first = shards[0] as ShardRecord;
  // Not the per-process count of allocateSequence: successive checkpoints are committed by
  // whichever rank finishes last, each in its own process, so only storage knows the last one.
  const sequence = (await latestSequence(context, claim.run, claim.step, undefined)) + 1;
  const record: CheckpointRecord = {
    format: checkpointFormat,
    id,
    run: claim.run,
    step: claim.step,
    createdAt: claim.createdAt,
    size: listed.reduce((total, shard) => total + shard.size, 0),
    sha256: shardListDigest(listed),
    codec: claim.codec,
    contentType: claim.contentType,
    metadata: first.metadata as CheckpointRecord['metadata'],
    metrics: first.metrics,
    tags: first.tags,
    sequence,
    sharding: { name: claim.name, worldSize: claim.worldSize, shards: listed },
  };
  const { sidecar } = checkpointKeys(id);
  try {
    await context.storage.put(sidecar, formatSidecar(record), {
      ifNoneMatch: '*',
      contentType: 'application/yaml',
    });
  } catch (error) {
    // Another rank committed first (expected when ranks finish together). A failed write whose
    // outcome is unknown is left as it is: every shard stays, and saving the shard again
    // commits it or finds it committed.
    if (!isCairnError(error, 'PRECONDITION_FAILED')) throw error;
    const theirs = await readSidecar(context, id, undefined);
    refuseOtherShards(id, theirs, listed);
    return theirs;
  }
  await takeBackIfPruned(context, claim, committingRank, sidecar);
  await noteLateCommit(context, id);
  context.logger.info(
    { checkpoint: id, run: claim.run, worldSize: claim.worldSize, size: record.size },
    'sharded checkpoint committed',
  );
  context.emit({
    type: 'checkpoint-saved',
    step: claim.step,
    checkpoint: id,
    size: record.size,
    sha256: shardListDigest(listed),
    durationMs: Math.max(0, context.now() - Date.parse(claim.createdAt)),
    ...(Object.keys(record.metrics).length === 0 ? {} : { metrics: { ...record.metrics } }),
  });
  return record;
}

/**
 * A commit that read the shard records before a prune deleted them can create its sidecar once
 * the prune deleted the old one: prune writes the tombstone before that, so checking for it
 * right after the put finds every such commit, which then takes its own sidecar back.
 */
async function takeBackIfPruned(
  context: StoreContext,
  claim: ShardNameRecord,
  rank: number,
  sidecar: string,
): Promise<void> {
  const id = claim.checkpoint;
  if (!(await isShardTombstoned(context, id))) return;
  context.logger.warn(
    { checkpoint: id, rank },
    'sharded checkpoint was pruned while this rank committed it; taking the commit back',
  );
  await noteTakenBackSidecar(context, id);
  await context.storage.delete(sidecar);
  throw prunedCheckpointError(id, claim.name, rank);
}

/**
 * A commit found already made must list exactly the shards the records give, write included:
 * the list digest leaves the write out, and a sidecar naming another write of a rank points at
 * other bytes than the ones this rank was told are committed.
 */
function refuseOtherShards(
  id: string,
  theirs: CheckpointRecord,
  listed: readonly CommittedShard[],
): void {
  const committed = theirs.sharding?.shards ?? [];
  const differing = listed.filter((shard, index) => {
    const other = committed[index];
    return (
      other === undefined ||
      other.rank !== shard.rank ||
      other.size !== shard.size ||
      other.sha256 !== shard.sha256 ||
      other.write !== shard.write
    );
  });
  if (committed.length === listed.length && differing.length === 0) return;
  const said = differing
    .map((shard) => {
      const other = committed.find((candidate) => candidate.rank === shard.rank);
      const stored = `write ${shard.write} (${shard.size} bytes, SHA-256 ${shard.sha256})`;
      return other === undefined
        ? `rank ${shard.rank}: not in the sidecar; its record gives ${stored}`
        : `rank ${shard.rank}: the sidecar lists write ${other.write} (${other.size} bytes, SHA-256 ${other.sha256}), its record ${stored}`;
    })
    .join('; ');
  throw new CairnError({
    code: 'CORRUPT_DATA',
    backend: checkpointsBackend,
    message: `Checkpoint "${id}" was committed with other shards than the stored shard records give (${said || `the sidecar lists ${committed.length} shards, the records ${listed.length}`}). A shard record was replaced after the commit. Load the checkpoint with each rank to see which shards verify.`,
    details: { checkpoint: id, ranks: differing.map((shard) => shard.rank) },
  });
}
