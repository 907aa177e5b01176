import { recordCatalogChange } from '../catalog/catalog-changes.js';
import { summariseError } from '../journal/journal-events.js';
import { parseCheckpointId } from '../naming/layout.js';
import { timeOfId } from '../naming/time-id.js';
import { runClockSkewMs } from './discover-checkpoints.js';
import type { StoreContext } from './store-context.js';

/**
 * Tells catalog indexes that the sidecar of `id` is about to be deleted while taking back a
 * commit. Best effort: a take-back often runs because storage is failing, and it must still
 * try to delete the sidecar; an index that saw the sidecar in its short life and misses this
 * record keeps the entry until `refresh({ full: true })` (logged here so the gap is visible).
 */
export async function noteTakenBackSidecar(context: StoreContext, id: string): Promise<void> {
  try {
    await recordCatalogChange(context.storage, { step: parseCheckpointId(id).step, removed: [id] });
  } catch (error) {
    context.logger.warn(
      { checkpoint: id, error: summariseError(error) },
      'could not record the take-back of a commit for catalog indexes; a full catalog refresh drops it',
    );
  }
}

/**
 * How long after its id's time a sidecar may appear before catalog indexes could miss it:
 * they list from a little before the newest key they have seen (the run clock-skew window),
 * so a commit later than half that window records itself.
 */
const lateCommitMs = runClockSkewMs / 2;

/**
 * Tells catalog indexes about a sidecar just created for an id stamped well before now (a
 * long save, or a sharded checkpoint whose last rank arrived late): a listing of what is newer
 * than the index would not see it. Best effort, like {@link noteTakenBackSidecar}.
 */
export async function noteLateCommit(context: StoreContext, id: string): Promise<void> {
  const stamped = timeOfId(id)?.getTime();
  if (stamped !== undefined && context.now() - stamped < lateCommitMs) return;
  try {
    await recordCatalogChange(context.storage, { step: parseCheckpointId(id).step, added: [id] });
  } catch (error) {
    context.logger.warn(
      { checkpoint: id, error: summariseError(error) },
      'could not record a late commit for catalog indexes; a full catalog refresh finds it',
    );
  }
}
