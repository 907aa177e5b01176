import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { checkpointId, checkpointKeys } from '../naming/layout.js';
import type { Digest } from '../storage/body.js';
import { noteLateCommit } from './catalog-notes.js';
import { type CheckpointRecord, checkpointFormat, formatSidecar } from './checkpoint-record.js';
import type { SaveInput } from './checkpoint-store.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import { latestSequence } from './discover-checkpoints.js';
import { confirmAfterCommit, confirmBeforeCommit } from './lease-fence.js';
import { validateSaveInput } from './save-input.js';
import type { StoreContext } from './store-context.js';
import {
  checkReadBack,
  discard,
  preparePayload,
  throwIfAborted,
  uncommit,
  writePayload,
} from './write-payload.js';

/**
 * The next `sequence` for a run and step: one more than the last this store handed out, or,
 * the first time, than the latest committed checkpoint of that run and step (a resumed run
 * goes on counting). Two processes saving the same run and step at once may hand out the same
 * number; `keepEvery` then keeps both or neither.
 */
export function allocateSequence(
  context: StoreContext,
  run: string,
  step: string,
  signal: AbortSignal | undefined,
): Promise<number> {
  const key = `${run}\n${step}`;
  const previous = context.sequences.get(key) ?? latestSequence(context, run, step, signal);
  const next = previous.then((sequence) => sequence + 1);
  context.sequences.set(key, next);
  // A failed lookup must not poison later saves: they look again.
  next.catch(() => {
    if (context.sequences.get(key) === next) context.sequences.delete(key);
  });
  return next;
}

/**
 * Saves a checkpoint with the commit protocol: payload (hashed on the way), read-back check,
 * then the sidecar, create-only. See {@link CheckpointStore.save}.
 */
export async function saveCheckpoint(
  context: StoreContext,
  input: SaveInput,
): Promise<CheckpointRecord> {
  const save = validateSaveInput(input);
  const { signal } = save;
  throwIfAborted(signal, `Saving a checkpoint of step "${save.step}"`);
  const sequence = await allocateSequence(context, save.run, save.step, signal);
  const prepared = await preparePayload(context, save.payload);
  const started = context.now();
  const id = checkpointId(save.step, context.timeIds.next());
  const keys = checkpointKeys(id);
  let written: Digest;
  try {
    written = await writePayload(context, id, keys.payload, prepared, signal);
    throwIfAborted(signal, `Saving checkpoint "${id}"`, id);
    await checkReadBack(context, id, keys.payload, written, signal);
    throwIfAborted(signal, `Saving checkpoint "${id}"`, id);
    // A process whose run was taken over must not add checkpoints to it.
    if (save.lease !== undefined) await confirmBeforeCommit(save.lease, id);
  } catch (error) {
    prepared.stream.destroy();
    await discard(context, id, [keys.payload]);
    throw error;
  }

  const record: CheckpointRecord = {
    format: checkpointFormat,
    id,
    run: save.run,
    step: save.step,
    createdAt: new Date(started).toISOString(),
    size: written.size,
    sha256: written.sha256,
    codec: prepared.codec,
    contentType: prepared.contentType,
    metadata: save.metadata,
    metrics: save.metrics,
    tags: save.tags,
    sequence,
    ...(save.lease === undefined ? {} : { leaseGeneration: save.lease.generation }),
  };
  try {
    // Not given the signal: the commit is one small write, and a commit whose outcome an abort
    // left unknown could not be cleaned up safely.
    await context.storage.put(keys.sidecar, formatSidecar(record), {
      ifNoneMatch: '*',
      contentType: 'application/yaml',
    });
  } catch (error) {
    if (isCairnError(error, 'PRECONDITION_FAILED')) {
      // Someone else's sidecar at a fresh id: leave everything as found.
      throw new CairnError({
        code: 'CONFLICT',
        backend: checkpointsBackend,
        message: `A sidecar already exists for the new checkpoint id "${id}"; two writers made the same id. Save again (a new id is made).`,
        cause: error,
        details: { checkpoint: id },
      });
    }
    // A failed write may still have landed (a timeout after the commit): uncommit, then delete.
    await uncommit(context, id, keys);
    throw error;
  }
  if (save.lease !== undefined) await confirmAfterCommit(context, save.lease, id, keys);
  await noteLateCommit(context, id);

  const durationMs = Math.max(0, context.now() - started);
  context.logger.info(
    { checkpoint: id, run: save.run, size: record.size, sha256: written.sha256, durationMs },
    'checkpoint saved',
  );
  context.emit({
    type: 'checkpoint-saved',
    step: save.step,
    checkpoint: id,
    size: record.size,
    sha256: written.sha256,
    durationMs,
    ...(Object.keys(record.metrics).length === 0 ? {} : { metrics: { ...record.metrics } }),
  });
  return record;
}
