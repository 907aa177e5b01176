import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { shardTombstoneKey } from '../naming/layout.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import { formatRecord } from './shard-record.js';
import type { StoreContext } from './store-context.js';

/**
 * Marks sharded checkpoint `id` as pruned, before prune deletes its sidecar. The name's record
 * stays (a late rank finds the same id), so without this mark a late rank would store shards
 * no later prune removes, or commit the pruned id again. An existing tombstone (a prune that
 * stopped half-way) is fine.
 */
export async function writeShardTombstone(context: StoreContext, id: string): Promise<void> {
  const tombstone = {
    format: 'cairn.checkpoint-tombstone/v1',
    checkpoint: id,
    prunedAt: new Date(context.now()).toISOString(),
  };
  try {
    await context.storage.put(shardTombstoneKey(id), formatRecord(tombstone), {
      // A storage without conditional writes holds no committed sharded checkpoint of its own
      // making, but one copied there is pruned all the same.
      ...(context.storage.capabilities.conditionalWrites ? { ifNoneMatch: '*' } : {}),
      contentType: 'application/yaml',
    });
  } catch (error) {
    if (!isCairnError(error, 'PRECONDITION_FAILED')) throw error;
  }
}

/** Whether prune has marked sharded checkpoint `id` (see {@link writeShardTombstone}). */
export async function isShardTombstoned(context: StoreContext, id: string): Promise<boolean> {
  return (await context.storage.head(shardTombstoneKey(id))) !== undefined;
}

/** The refusal of a save or commit of a pruned sharded checkpoint. */
export function prunedCheckpointError(id: string, name: string, rank: number): CairnError {
  return new CairnError({
    code: 'CONFLICT',
    retryable: false,
    backend: checkpointsBackend,
    message: `The checkpoint "${id}" (name "${name}") was pruned; save under a new name.`,
    details: { checkpoint: id, name, rank },
  });
}
