import { parseCheckpointId } from '../naming/layout.js';
import type { CheckpointStore } from './checkpoint-store.js';
import {
  type CheckpointStoreOptions,
  resolveCheckpointStoreOptions,
} from './checkpoint-store-options.js';
import { latestRecord, listRecords } from './discover-checkpoints.js';
import { pruneCheckpoints } from './prune-checkpoints.js';
import { loadCheckpoint, openCheckpoint } from './read-checkpoint.js';
import { readSidecar } from './read-sidecar.js';
import { restoreToFile } from './restore-to-file.js';
import { saveCheckpoint } from './save-checkpoint.js';
import { saveShard } from './save-shard.js';
import { createStoreContext } from './store-context.js';

/**
 * A checkpoint store over any {@link Storage}; over a mirrored storage, every checkpoint is
 * kept on every copy, and reads report (and the mirror repairs) copies found missing or
 * corrupt.
 *
 * @throws CairnError `INVALID_OPTIONS` when an option is malformed.
 *
 * @example
 * const checkpoints = createCheckpointStore({ storage });
 * const saved = await checkpoints.save({ run, step: 'generate', state: { answers } });
 * const { state } = await checkpoints.load<{ answers: string[] }>({ step: 'generate', run });
 */
export function createCheckpointStore(options: CheckpointStoreOptions): CheckpointStore {
  const context = createStoreContext(resolveCheckpointStoreOptions(options));
  return {
    save: (input) => saveCheckpoint(context, input),
    saveShard: (input) => saveShard(context, input),
    async get(id, readOptions = {}) {
      parseCheckpointId(id);
      return readSidecar(context, id, readOptions.signal);
    },
    latest: (query) => latestRecord(context, query),
    list: (query = {}) => listRecords(context, query),
    load: (selector, readOptions) => loadCheckpoint(context, selector, readOptions),
    open: (selector, readOptions) => openCheckpoint(context, selector, readOptions),
    restoreToFile: (selector, path, readOptions) =>
      restoreToFile(context, selector, path, readOptions),
    protect(id: string): void {
      parseCheckpointId(id);
      context.protectedIds.add(id);
    },
    prune: (request) => pruneCheckpoints(context, request),
  };
}
