import type { CheckpointRecord } from '../checkpoints/checkpoint-record.js';
import { idOfSidecarKey } from '../checkpoints/discover-checkpoints.js';
import { readSidecarFrom } from '../checkpoints/read-sidecar.js';
import { checkpointKeys, stepCheckpointsPrefix } from '../naming/layout.js';
import type { Storage } from '../storage/storage.js';
import type { IndexedCheckpoint, SkippedPayload } from './index-report.js';
import { indexedCheckpointId, indexedRunId, payloadSuffix, sanitiseName } from './indexed-ids.js';
import {
  buildIndexedRecord,
  checkpointTime,
  comparableRecord,
  type DescribedPayload,
} from './indexed-sidecar.js';
import { pipelineStepMetadataKey } from './legacy-pipeline-source.js';

/** What to do for one described payload. */
export type PlannedAction =
  | { readonly kind: 'create'; readonly checkpoint: IndexedCheckpoint }
  | { readonly kind: 'rewrite'; readonly checkpoint: IndexedCheckpoint; readonly etag: string }
  | {
      readonly kind: 'replace';
      readonly checkpoint: IndexedCheckpoint;
      /** Set when the id stayed: the sidecar is rewritten in place, replacing this etag. */
      readonly etag?: string;
      readonly replacedIds: readonly string[];
    }
  | { readonly kind: 'unchanged'; readonly checkpoint: IndexedCheckpoint };

/** The pipeline name runs of indexed checkpoints fall under when the source knows no run. */
export const defaultIndexedPipeline = 'indexed';

/** The step a described payload is filed under: the legacy layout's own, else `step`. */
function stepOf(described: DescribedPayload, step: string): string {
  const named = described.answer.metadata[pipelineStepMetadataKey];
  return (typeof named === 'string' ? sanitiseName(named) : undefined) ?? step;
}

/** Who a payload's run is, as one string; payloads with the same one share a run id. */
function runIdentity(described: DescribedPayload): { pipeline: string; identity: string } {
  const run = described.answer.run;
  const pipeline = sanitiseName(run?.group) ?? sanitiseName(run?.name) ?? defaultIndexedPipeline;
  if (run === undefined || (run.id === undefined && run.name === undefined)) {
    // Nothing names the run: each payload is its own.
    return { pipeline, identity: `payload\n${described.payload.key}` };
  }
  return { pipeline, identity: JSON.stringify([pipeline, run.id, run.name, run.group]) };
}

/**
 * The sidecar of every described payload, with deterministic ids (see `indexCheckpoints`): a
 * run's time is the start its source reports, else the earliest checkpoint time among the
 * payloads attributed to it in this indexing.
 */
export function recordsFor(
  described: readonly DescribedPayload[],
  step: string,
  at: string,
): { records: CheckpointRecord[]; collisions: SkippedPayload[] } {
  const runStarts = new Map<string, number>();
  for (const item of described) {
    const { identity } = runIdentity(item);
    const reported = item.answer.run?.createdAt;
    const started = reported === undefined ? Number.NaN : Date.parse(reported);
    const time = Number.isFinite(started) ? started : checkpointTime(item);
    const known = runStarts.get(identity);
    // A reported start wins over checkpoint times; otherwise the earliest is the start.
    if (known === undefined || Number.isFinite(started) || time < known) {
      runStarts.set(identity, time);
    }
  }
  const records: CheckpointRecord[] = [];
  const collisions: SkippedPayload[] = [];
  const taken = new Map<string, string>();
  for (const item of described) {
    const itemStep = stepOf(item, step);
    const id = indexedCheckpointId(itemStep, checkpointTime(item), item.payload.key);
    const other = taken.get(id);
    if (other !== undefined) {
      collisions.push({
        payloadKey: item.payload.key,
        reasons: [
          {
            source: item.source,
            reason: `its id "${id}" is the same as that of "${other}" (same time and key hash); rename one of them`,
          },
        ],
      });
      continue;
    }
    taken.set(id, item.payload.key);
    const { pipeline, identity } = runIdentity(item);
    const run = indexedRunId(pipeline, runStarts.get(identity) as number, identity);
    records.push(buildIndexedRecord({ described: item, id, step: itemStep, run, at }));
  }
  return { records, collisions };
}

/** Ids of the sidecars of a step, by the suffix of their time id. */
async function sidecarsBySuffix(
  storage: Storage,
  step: string,
  signal: AbortSignal | undefined,
): Promise<Map<string, string[]>> {
  const bySuffix = new Map<string, string[]>();
  for await (const info of storage.list({
    prefix: stepCheckpointsPrefix(step),
    ...(signal === undefined ? {} : { signal }),
  })) {
    const id = idOfSidecarKey(info.key);
    if (id === undefined) continue;
    const suffix = id.slice(-6);
    bySuffix.set(suffix, [...(bySuffix.get(suffix) ?? []), id]);
  }
  return bySuffix;
}

function externalKeyOf(record: CheckpointRecord): string | undefined {
  return record.external?.key;
}

/**
 * What to do with each record, comparing it with the sidecars already in storage: the one at
 * its id (unchanged, rewritten, or replaced in place when the payload's etag changed) and
 * older ones of the same payload found by the key-derived suffix (replaced, then removed).
 */
export async function planActions(
  storage: Storage,
  records: readonly CheckpointRecord[],
  sources: ReadonlyMap<string, string>,
  signal: AbortSignal | undefined,
): Promise<{ actions: PlannedAction[]; collisions: SkippedPayload[] }> {
  const steps = new Map<string, Map<string, string[]>>();
  const actions: PlannedAction[] = [];
  const collisions: SkippedPayload[] = [];
  for (const record of records) {
    const payloadKey = externalKeyOf(record) as string;
    let bySuffix = steps.get(record.step);
    if (bySuffix === undefined) {
      bySuffix = await sidecarsBySuffix(storage, record.step, signal);
      steps.set(record.step, bySuffix);
    }
    const checkpoint: IndexedCheckpoint = {
      id: record.id,
      payloadKey,
      sidecarKey: checkpointKeys(record.id).sidecar,
      source: sources.get(payloadKey) ?? record.indexed?.source ?? 'unknown',
      record,
    };
    const sameSuffix = bySuffix.get(payloadSuffix(payloadKey)) ?? [];
    // Older sidecars of this payload: same key-derived suffix and, to rule out a collision
    // of suffixes, the same external key.
    const replacedIds: string[] = [];
    for (const id of sameSuffix) {
      if (id === record.id) continue;
      const reading = await readSidecarFrom(storage, id, signal);
      if (reading.status === 'found' && externalKeyOf(reading.record) === payloadKey) {
        replacedIds.push(id);
      }
    }
    if (!sameSuffix.includes(record.id)) {
      actions.push(
        replacedIds.length === 0
          ? { kind: 'create', checkpoint }
          : { kind: 'replace', checkpoint, replacedIds },
      );
      continue;
    }
    const current = await readSidecarFrom(storage, record.id, signal);
    if (current.status === 'missing') {
      actions.push(
        replacedIds.length === 0
          ? { kind: 'create', checkpoint }
          : { kind: 'replace', checkpoint, replacedIds },
      );
      continue;
    }
    if (current.status === 'damaged') {
      const info = await storage.head(checkpoint.sidecarKey);
      if (info === undefined) actions.push({ kind: 'create', checkpoint });
      else if (replacedIds.length > 0) {
        actions.push({ kind: 'replace', checkpoint, etag: info.etag, replacedIds });
      } else actions.push({ kind: 'rewrite', checkpoint, etag: info.etag });
      continue;
    }
    if (externalKeyOf(current.record) !== payloadKey) {
      collisions.push({
        payloadKey,
        reasons: [
          {
            source: checkpoint.source,
            reason: `its id "${record.id}" is taken by a sidecar of ${current.record.external === undefined ? 'a checkpoint Cairn wrote' : `"${current.record.external.key}"`}`,
          },
        ],
      });
      continue;
    }
    const etagChanged = current.record.external?.etag !== record.external?.etag;
    if (!etagChanged && replacedIds.length === 0) {
      if (comparableRecord(current.record) === comparableRecord(record)) {
        // Keep the sidecar as stored, so the report shows what is there.
        actions.push({ kind: 'unchanged', checkpoint: { ...checkpoint, record: current.record } });
      } else actions.push({ kind: 'rewrite', checkpoint, etag: current.etag });
      continue;
    }
    actions.push({ kind: 'replace', checkpoint, etag: current.etag, replacedIds });
  }
  return { actions, collisions };
}
