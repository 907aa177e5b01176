import { recordCatalogChange } from '../catalog/catalog-changes.js';
import { summariseError } from '../journal/journal-events.js';
import { parseCheckpointId } from '../naming/layout.js';
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
