import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { checkpointId, shardKeys, shardNameKey } from '../naming/layout.js';
import { type Digest, digestOf } from '../storage/body.js';
import type { SavedShard, SaveShardInput } from './checkpoint-store.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import { completeShardedCheckpoint } from './commit-shards.js';
import { type ValidShardSave, validateShardInput } from './shard-input.js';
import {
  formatRecord,
  readRecordAt,
  type ShardNameRecord,
  type ShardRecord,
  shardNameRecordSchema,
  shardRecordSchema,
} from './shard-record.js';
import { isShardTombstoned, prunedCheckpointError } from './shard-tombstone.js';
import type { StoreContext } from './store-context.js';
import {
  checkReadBack,
  discard,
  type PreparedPayload,
  preparePayload,
  throwIfAborted,
  writePayload,
} from './write-payload.js';

/** See {@link CheckpointStore.saveShard}. */
export async function saveShard(context: StoreContext, input: SaveShardInput): Promise<SavedShard> {
  const save = validateShardInput(input);
  refuseWithoutConditionalWrites(context, save);
  throwIfAborted(save.signal, `Saving shard ${save.rank} of checkpoint "${save.name}"`);
  const prepared = await preparePayload(context, save.payload);
  let claim: ShardNameRecord;
  let shard: ShardRecord;
  try {
    claim = await claimName(context, save, prepared);
    shard = await storeShard(context, save, claim, prepared);
  } finally {
    prepared.stream.destroy();
  }
  return completeShardedCheckpoint(context, claim, shard);
}

/**
 * Ranks agree on the checkpoint's id and on who commits it only through create-only writes; a
 * storage that cannot refuse a second create would let two ranks each start their own
 * checkpoint, or both commit one.
 */
function refuseWithoutConditionalWrites(context: StoreContext, save: ValidShardSave): void {
  const { storage } = context;
  if (storage.capabilities.conditionalWrites) return;
  throw new CairnError({
    code: 'UNSUPPORTED',
    backend: checkpointsBackend,
    message: `Cannot save shard ${save.rank} of checkpoint "${save.name}" on the "${storage.name}" storage: sharded checkpoints need conditional writes (create only if absent) so that the ranks agree on one checkpoint and exactly one commits it, and this storage does not declare them. Use a backend that has them (storage-fs, AWS S3, or an S3-compatible store that honours If-None-Match), or save one unsharded checkpoint from a single process.`,
    details: { storage: storage.name, rank: save.rank, name: save.name },
  });
}

/**
 * The id every rank of `save` uses: the first rank creates the name's record with a fresh id
 * (create-only), the others read it. Ids must sort by time as plain strings, and the ranks'
 * clocks differ; this way the id is the first rank's, with no message between ranks.
 */
async function claimName(
  context: StoreContext,
  save: ValidShardSave,
  prepared: PreparedPayload,
): Promise<ShardNameRecord> {
  const key = shardNameKey(save.step, save.run, save.name);
  let claim = await readRecordAt(context, key, shardNameRecordSchema);
  if (claim === undefined) {
    const fresh: ShardNameRecord = {
      format: 'cairn.checkpoint-name/v1',
      checkpoint: checkpointId(save.step, context.timeIds.next()),
      run: save.run,
      step: save.step,
      name: save.name,
      worldSize: save.worldSize,
      codec: prepared.codec,
      contentType: prepared.contentType,
      createdAt: new Date(context.now()).toISOString(),
    };
    try {
      await context.storage.put(key, formatRecord(fresh), {
        ifNoneMatch: '*',
        contentType: 'application/yaml',
      });
      claim = fresh;
    } catch (error) {
      if (!isCairnError(error, 'PRECONDITION_FAILED')) throw error;
      // Another rank was first: its id is everyone's.
      claim = await readRecordAt(context, key, shardNameRecordSchema);
      if (claim === undefined) throw error;
    }
  }
  const mismatches = (
    [
      ['worldSize', save.worldSize, claim.worldSize],
      ['codec', prepared.codec, claim.codec],
      ['contentType', prepared.contentType, claim.contentType],
    ] as const
  ).filter(([, mine, settled]) => mine !== settled);
  if (mismatches.length > 0) {
    const said = mismatches
      .map(
        ([field, mine, settled]) =>
          `${field} ${JSON.stringify(mine)}, not ${JSON.stringify(settled)}`,
      )
      .join('; ');
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: checkpointsBackend,
      message: `Rank ${save.rank} saves shard checkpoint "${save.name}" of step "${save.step}" (${claim.checkpoint}) with ${said} as the first rank did. Every rank must pass the same worldSize and save the same kind of payload; nothing of this rank was written.`,
      details: { checkpoint: claim.checkpoint, name: save.name, rank: save.rank },
    });
  }
  return claim;
}

/**
 * Stores this rank's shard, or finds it stored by an earlier attempt. Each attempt writes its
 * payload under its own key, so two attempts of one rank never overwrite each other's bytes;
 * the create-only shard record decides which one counts. A checkpoint prune already deleted
 * is refused before anything is written: the name's record outlives the prune and still gives
 * its id.
 */
async function storeShard(
  context: StoreContext,
  save: ValidShardSave,
  claim: ShardNameRecord,
  prepared: PreparedPayload,
): Promise<ShardRecord> {
  const id = claim.checkpoint;
  const keys = shardKeys(id, save.rank);
  if (await isShardTombstoned(context, id)) throw prunedCheckpointError(id, save.name, save.rank);
  const earlier = await readRecordAt(context, keys.record, shardRecordSchema, id);
  if (earlier !== undefined) {
    // A retry: only the digest matters, so the bytes are hashed, not stored again.
    return sameShardOrRefuse(earlier, await digestOf(prepared.stream), save);
  }
  const write = context.timeIds.next();
  const payloadKey = keys.payload(write);
  let written: Digest;
  try {
    written = await writePayload(context, id, payloadKey, prepared, save.signal);
    throwIfAborted(save.signal, `Saving shard ${save.rank} of checkpoint "${id}"`, id);
    await checkReadBack(context, id, payloadKey, written, save.signal);
    throwIfAborted(save.signal, `Saving shard ${save.rank} of checkpoint "${id}"`, id);
  } catch (error) {
    await discard(context, id, [payloadKey]);
    throw error;
  }
  const record: ShardRecord = {
    format: 'cairn.checkpoint-shard/v1',
    checkpoint: id,
    rank: save.rank,
    worldSize: save.worldSize,
    size: written.size,
    sha256: written.sha256,
    write,
    createdAt: new Date(context.now()).toISOString(),
    metadata: save.metadata as ShardRecord['metadata'],
    metrics: save.metrics,
    tags: save.tags,
  };
  try {
    await context.storage.put(keys.record, formatRecord(record), {
      ifNoneMatch: '*',
      contentType: 'application/yaml',
    });
    return record;
  } catch (error) {
    return settleRecord(context, save, record, payloadKey, written, error);
  }
}

/**
 * After the create-only put of this attempt's shard record failed: what is stored decides.
 * A shard record is not the commit marker (the sidecar is), and another rank may already have
 * listed it and committed on it, so a record that may have landed is never deleted. Only a
 * payload no record vouches for is.
 */
async function settleRecord(
  context: StoreContext,
  save: ValidShardSave,
  mine: ShardRecord,
  payloadKey: string,
  written: Digest,
  failure: unknown,
): Promise<ShardRecord> {
  const id = mine.checkpoint;
  const recordKey = shardKeys(id, save.rank).record;
  // PRECONDITION_FAILED: a record was there (another attempt's, or ours when the storage
  // retried a put whose answer was lost). Otherwise the outcome is unknown.
  const taken = isCairnError(failure, 'PRECONDITION_FAILED');
  let stored: ShardRecord | undefined;
  try {
    stored = await readRecordAt(context, recordKey, shardRecordSchema, id);
  } catch (error) {
    context.logger.warn(
      {
        checkpoint: id,
        rank: save.rank,
        key: payloadKey,
        error: error instanceof Error ? error.message : String(error),
      },
      'could not read back a shard record after its put failed; its payload is kept in case the record vouches for it',
    );
    throw taken ? error : failure;
  }
  if (stored?.write === mine.write) return stored;
  // No record, or another attempt's: this attempt's bytes are not needed.
  await discard(context, id, [payloadKey]);
  if (stored !== undefined) return sameShardOrRefuse(stored, written, save);
  if (!taken) throw failure;
  throw new CairnError({
    code: 'TRANSIENT_IO',
    backend: checkpointsBackend,
    message: `The shard record of rank ${save.rank} of checkpoint "${id}" existed a moment ago and is gone now (pruned?). Save the shard again.`,
    details: { checkpoint: id, rank: save.rank },
  });
}

function sameShardOrRefuse(stored: ShardRecord, mine: Digest, save: ValidShardSave): ShardRecord {
  if (stored.size === mine.size && stored.sha256 === mine.sha256) return stored;
  throw new CairnError({
    code: 'CONFLICT',
    retryable: false,
    backend: checkpointsBackend,
    message: `Rank ${save.rank} of checkpoint "${stored.checkpoint}" (name "${save.name}") is already stored with other bytes (${stored.size} bytes, SHA-256 ${stored.sha256}; this save has ${mine.size} bytes, SHA-256 ${mine.sha256}). Two processes saved the same rank, or a retry saved different state; the stored shard is kept. Save under a new name to write the checkpoint again.`,
    details: {
      checkpoint: stored.checkpoint,
      rank: save.rank,
      stored: { size: stored.size, sha256: stored.sha256 },
      attempted: mine,
    },
  });
}
