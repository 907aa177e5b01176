import { recordCatalogChange } from '../catalog/catalog-changes.js';
import { abortedError } from '../errors/aborted-error.js';
import { CairnError } from '../errors/cairn-error.js';
import {
  checkpointKeys,
  checkpointShardsPrefix,
  layout,
  parseRunId,
  shardTombstoneKey,
} from '../naming/layout.js';
import { validateName } from '../naming/names.js';
import { readRunRecord } from '../runs/run-status.js';
import type { CheckpointRecord } from './checkpoint-record.js';
import { checkpointsBackend } from './checkpoints-backend.js';
import { listRecords, runStartKey } from './discover-checkpoints.js';
import {
  decideRetention,
  type PruneReport,
  type PruneRequest,
  protectedReason,
  validateRetentionRules,
} from './retention.js';
import { writeShardTombstone } from './shard-tombstone.js';
import type { StoreContext } from './store-context.js';

function invalid(message: string): CairnError {
  return new CairnError({ code: 'INVALID_OPTIONS', backend: checkpointsBackend, message });
}

function validateRequest(request: PruneRequest) {
  if (typeof request !== 'object' || request === null) {
    throw invalid('prune() takes { run, step, keep: [rules…], protect?, dryRun? }.');
  }
  parseRunId(request.run);
  validateName('step', request.step);
  const rules = validateRetentionRules(request.keep);
  const protect = request.protect ?? [];
  if (!Array.isArray(protect) || protect.some((id) => typeof id !== 'string')) {
    throw invalid('`protect` must be an array of checkpoint ids.');
  }
  if (request.dryRun !== undefined && typeof request.dryRun !== 'boolean') {
    throw invalid('`dryRun` must be true or false.');
  }
  return { rules, protect: protect as readonly string[], dryRun: request.dryRun === true };
}

/**
 * The checkpoints the run's record names: every completed step's output (a resume loads them
 * instead of recomputing) and, per step, the checkpoint it last resumed from. A prune in any
 * process, not only the one running the run, must leave them.
 */
async function checkpointsTheRunDependsOn(
  context: StoreContext,
  run: string,
): Promise<readonly string[]> {
  const stored = await readRunRecord(context.storage, run);
  if (stored === undefined) return [];
  const { record } = stored;
  // Of what steps resumed from, the latest per step: a run resumed thirty times must not keep
  // thirty full checkpoints that no prune can touch.
  const resumedFrom = new Map<string, string>();
  for (const id of record.resumedFrom ?? []) resumedFrom.set(id.slice(0, id.lastIndexOf('/')), id);
  return [
    ...record.steps.flatMap((step) => (step.checkpoint === undefined ? [] : [step.checkpoint])),
    ...resumedFrom.values(),
  ];
}

/**
 * Deletes every shard of a sharded checkpoint whose sidecar is gone: the shard records first,
 * so a prune that stops half-way never leaves a full set of records vouching for deleted
 * bytes (a late rank's retry would commit them again). The name's record stays, so a late rank finds the same id, and so does the tombstone
 * written before the sidecar was deleted: it makes that rank refuse to save or commit the id.
 */
async function deleteShards(context: StoreContext, id: string): Promise<void> {
  const records: string[] = [];
  const payloads: string[] = [];
  const tombstone = shardTombstoneKey(id);
  for await (const info of context.storage.list({ prefix: checkpointShardsPrefix(id) })) {
    if (info.key === tombstone) continue;
    (info.key.endsWith(`/${layout.shardRecordName}`) ? records : payloads).push(info.key);
  }
  for (const key of [...records, ...payloads]) await context.storage.delete(key);
}

/**
 * Deletes the committed checkpoints of one run and step that no rule keeps, never one the run's
 * record depends on (see {@link checkpointsTheRunDependsOn}) or one protected. Only the
 * checkpoints listed at the start are candidates: one committed while pruning is never
 * touched, nor is a payload without a sidecar (it may still be being written). Each deletion
 * removes the sidecar first (uncommitting the checkpoint) and then the payload, so a prune
 * that stops half-way leaves at worst an invisible payload, never a sidecar without its bytes.
 */
export async function pruneCheckpoints(
  context: StoreContext,
  request: PruneRequest,
): Promise<PruneReport> {
  const { rules, protect, dryRun } = validateRequest(request);
  const { signal } = request;
  const records: CheckpointRecord[] = [];
  // Listing from the run's start reads no sidecar of earlier runs; a checkpoint of this run
  // stamped earlier still (a clock far behind) is left alone, which is the safe side.
  const startAfter = runStartKey(request.run, request.step);
  for await (const record of listRecords(context, {
    step: request.step,
    run: request.run,
    ...(startAfter === undefined ? {} : { startAfter }),
    ...(signal === undefined ? {} : { signal }),
  })) {
    records.push(record);
  }
  // Within one run the save sequence is the true order: a resume on a machine whose clock is
  // behind stamps newer checkpoints with earlier time ids, and keepLast must not delete them.
  records.sort(
    (left, right) =>
      (left.sequence ?? 0) - (right.sequence ?? 0) ||
      (left.id < right.id ? -1 : left.id > right.id ? 1 : 0),
  );
  const protectedIds = new Set([
    ...protect,
    ...context.protectedIds,
    ...(await checkpointsTheRunDependsOn(context, request.run)),
  ]);
  const decision = decideRetention(records, rules, protectedIds);
  const kept = decision.kept.map(({ record, reasons }) => ({ id: record.id, reasons }));
  const deleted: { id: string; size: number }[] = [];
  const deleting = decision.deleted.filter((record) => !context.protectedIds.has(record.id));
  // Catalog indexes learn of deletions from this record, written before the first one.
  if (!dryRun && deleting.length > 0) {
    await recordCatalogChange(context.storage, {
      step: request.step,
      removed: deleting.map((record) => record.id),
      ...(signal === undefined ? {} : { signal }),
    });
  }
  for (const record of decision.deleted) {
    // protect() may be called while a prune runs (a resume picking its checkpoint).
    if (context.protectedIds.has(record.id)) {
      kept.push({ id: record.id, reasons: [protectedReason] });
      continue;
    }
    if (!dryRun) {
      if (signal?.aborted) {
        throw abortedError(checkpointsBackend, signal.reason, `Pruning step "${request.step}"`, {
          when: `after deleting ${deleted.length} checkpoint(s)`,
          hint: 'Every checkpoint not yet deleted is intact; prune again to finish.',
          details: { deleted: deleted.map((entry) => entry.id) },
        });
      }
      const keys = checkpointKeys(record.id);
      // The tombstone goes first: a rank committing this id again can only create its sidecar
      // once this one is deleted, and then finds the tombstone when it checks after its put.
      if (record.sharding !== undefined) await writeShardTombstone(context, record.id);
      await context.storage.delete(keys.sidecar);
      if (record.sharding === undefined) await context.storage.delete(keys.payload);
      else await deleteShards(context, record.id);
    }
    deleted.push({ id: record.id, size: record.size });
  }
  kept.sort((left, right) => (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
  context.logger.info(
    { run: request.run, step: request.step, dryRun, kept: kept.length, deleted: deleted.length },
    dryRun ? 'checkpoint prune (dry run)' : 'checkpoints pruned',
  );
  return { dryRun, kept, deleted };
}
