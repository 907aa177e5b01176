import { pipeline } from 'node:stream';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import {
  checkpointKeys,
  parseCheckpointId,
  shardKeys,
  stepCheckpointsPrefix,
} from '../naming/layout.js';
import { validateName } from '../naming/names.js';
import type { CheckpointRecord } from './checkpoint-record.js';
import type {
  CheckpointSelector,
  LoadedCheckpoint,
  OpenedCheckpoint,
  ReadOptions,
} from './checkpoint-store.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import { decodeState } from './codec.js';
import { latestRecord } from './discover-checkpoints.js';
import { type ExpectedPayload, PayloadVerifier } from './payload-verifier.js';
import { readSidecar } from './read-sidecar.js';
import { type ProblemWatch, watchStorageProblems } from './storage-problems.js';
import type { StoreContext } from './store-context.js';

function invalidSelector(selector: unknown): CairnError {
  return new CairnError({
    code: 'INVALID_OPTIONS',
    backend: checkpointsBackend,
    message: `Cannot tell which checkpoint to read from ${describe(selector)}: pass { id } or { step, run? }.`,
  });
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The id a selector names directly, or the step whose latest checkpoint it asks for. */
function checkSelector(
  selector: CheckpointSelector,
): { readonly id: string } | { readonly step: string; readonly run?: string } {
  if (typeof selector !== 'object' || selector === null) throw invalidSelector(selector);
  if ('id' in selector && selector.id !== undefined) {
    parseCheckpointId(selector.id);
    return { id: selector.id };
  }
  if ('step' in selector && selector.step !== undefined) {
    validateName('step', selector.step);
    return selector;
  }
  throw invalidSelector(selector);
}

/**
 * The sidecar a selector names.
 * @throws `NOT_FOUND` when it names no committed checkpoint.
 */
export async function resolveSelector(
  context: StoreContext,
  selector: CheckpointSelector,
  signal: AbortSignal | undefined,
): Promise<CheckpointRecord> {
  const checked = checkSelector(selector);
  if ('id' in checked) return readSidecar(context, checked.id, signal);
  const record = await latestRecord(context, {
    step: checked.step,
    ...(checked.run === undefined ? {} : { run: checked.run }),
    ...(signal === undefined ? {} : { signal }),
  });
  if (record !== undefined) return record;
  throw new CairnError({
    code: 'NOT_FOUND',
    backend: checkpointsBackend,
    message: `No committed checkpoint of step "${checked.step}"${checked.run === undefined ? '' : ` in run "${checked.run}"`}. Save one first, or list checkpoints to see which exist.`,
    details: { step: checked.step, ...(checked.run === undefined ? {} : { run: checked.run }) },
  });
}

/** Opens a payload, with the problems the storage reported on the way (and going on). */
async function openWatched(
  context: StoreContext,
  selector: CheckpointSelector,
  options: ReadOptions,
): Promise<OpenedCheckpoint & { readonly watch: ProblemWatch }> {
  const { signal } = options;
  const checked = checkSelector(selector);
  const watch = watchStorageProblems(
    context,
    'id' in checked ? checkpointFolder(checked.id) : stepCheckpointsPrefix(checked.step),
  );
  try {
    const record = await resolveSelector(context, checked, signal);
    const target = payloadOf(record, options.rank);
    watch.focus(record.id, [checkpointKeys(record.id).sidecar, target.key]);
    let opened: Awaited<ReturnType<StoreContext['storage']['get']>>;
    try {
      opened = await context.storage.get(target.key, signal === undefined ? {} : { signal });
    } catch (error) {
      throw payloadError(record, target.key, error);
    }
    if (target.etag !== undefined && opened.info.etag !== target.etag) {
      opened.body.destroy();
      throw externalChanged(record, target.key);
    }
    const verifier = new PayloadVerifier(target.expected, target.key);
    pipeline(opened.body, verifier, () => {
      // The consumer sees any failure on the stream it was given.
    });
    return { record, body: verifier, problems: watch.problems, watch };
  } catch (error) {
    watch.stop();
    throw error;
  }
}

/**
 * The key and expected digest of what to read: the payload, or of a sharded checkpoint the
 * shard of `rank`.
 * @throws CairnError `INVALID_OPTIONS` when `rank` is missing for a sharded checkpoint, given
 *   for another, or not one of its ranks.
 */
function payloadOf(
  record: CheckpointRecord,
  rank: number | undefined,
): { readonly key: string; readonly expected: ExpectedPayload; readonly etag?: string } {
  const { sharding } = record;
  if (sharding === undefined) {
    if (rank !== undefined) {
      throw invalidRank(
        record,
        `Checkpoint "${record.id}" is not sharded: read it without \`rank\`.`,
      );
    }
    if (record.external !== undefined) {
      return {
        key: record.external.key,
        expected: { id: record.id, size: record.size, sha256: undefined },
        etag: record.external.etag,
      };
    }
    return {
      key: checkpointKeys(record.id).payload,
      expected: { id: record.id, size: record.size, sha256: record.sha256 },
    };
  }
  const shard = rank === undefined ? undefined : sharding.shards[rank];
  if (rank === undefined || !Number.isSafeInteger(rank) || shard === undefined) {
    throw invalidRank(
      record,
      `Checkpoint "${record.id}" has ${sharding.worldSize} shards (ranks 0 to ${sharding.worldSize - 1}); ${rank === undefined ? 'pass the rank whose shard to read' : `rank ${String(rank)} is not one of them`}, e.g. { rank: 0 }.`,
    );
  }
  return {
    key: shardKeys(record.id, rank).payload(shard.write),
    expected: { id: record.id, size: shard.size, sha256: shard.sha256, rank },
  };
}

/** An indexed payload that was replaced since `index` looked at it: its metadata may be wrong. */
function externalChanged(record: CheckpointRecord, key: string): CairnError {
  return new CairnError({
    code: 'CORRUPT_DATA',
    backend: checkpointsBackend,
    message: `The payload of checkpoint "${record.id}" at "${key}" has changed since it was indexed (its etag differs), so its sidecar may describe other bytes. Run index again to describe the new file.`,
    details: { checkpoint: record.id, key },
  });
}

function invalidRank(record: CheckpointRecord, message: string): CairnError {
  return new CairnError({
    code: 'INVALID_OPTIONS',
    backend: checkpointsBackend,
    message,
    details: { checkpoint: record.id },
  });
}

function checkpointFolder(id: string): string {
  const { sidecar } = checkpointKeys(id);
  return sidecar.slice(0, sidecar.lastIndexOf('/') + 1);
}

function payloadError(record: CheckpointRecord, key: string, error: unknown): CairnError {
  const cairnError = isCairnError(error) ? error : undefined;
  if (cairnError?.code === 'ABORTED') return cairnError;
  const reason = error instanceof Error ? error.message : String(error);
  // A committed checkpoint whose payload is gone is damaged, not absent.
  const missing = cairnError?.code === 'NOT_FOUND';
  return new CairnError({
    code: missing ? 'CORRUPT_DATA' : (cairnError?.code ?? 'TRANSIENT_IO'),
    backend: checkpointsBackend,
    message: `Cannot read the payload of checkpoint "${record.id}" at "${key}": ${reason}${missing ? ' The sidecar says it was committed, so the payload was lost; load an older checkpoint or restore it from a backup.' : ''}`,
    cause: error,
    ...(cairnError !== undefined && !missing ? { retryable: cairnError.retryable } : {}),
    details: { checkpoint: record.id, key },
  });
}

/** See {@link CheckpointStore.open}. */
export async function openCheckpoint(
  context: StoreContext,
  selector: CheckpointSelector,
  options: ReadOptions = {},
): Promise<OpenedCheckpoint> {
  const { watch, ...opened } = await openWatched(context, selector, options);
  // A mirror verifies (and repairs) before it hands over a body: what it had to say is said.
  watch.stop();
  return { ...opened, problems: [...watch.problems] };
}

/** See {@link CheckpointStore.load}. */
export async function loadCheckpoint<State>(
  context: StoreContext,
  selector: CheckpointSelector,
  options: ReadOptions = {},
): Promise<LoadedCheckpoint<State>> {
  const { record, body, watch } = await openWatched(context, selector, options);
  try {
    const codec = context.codecs.resolve(record.codec, record.id);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    const state = decodeState(codec, Buffer.concat(chunks), record.id) as State;
    context.emit({ type: 'checkpoint-loaded', step: record.step, checkpoint: record.id });
    context.logger.debug({ checkpoint: record.id }, 'checkpoint loaded');
    return { record, state, problems: [...watch.problems] };
  } finally {
    body.destroy();
    watch.stop();
  }
}
