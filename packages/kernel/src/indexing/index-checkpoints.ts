import { recordCatalogChange } from '../catalog/catalog-changes.js';
import { formatSidecar } from '../checkpoints/checkpoint-record.js';
import { checkpointKeys } from '../naming/layout.js';
import type { ObjectInfo, Storage } from '../storage/storage.js';
import { askSources, mapLimited } from './ask-sources.js';
import { discoverPayloads } from './discover-payloads.js';
import { type IndexOptions, resolveIndexOptions } from './index-options.js';
import type {
  IndexedCheckpoint,
  IndexReport,
  ReplacedCheckpoint,
  SkippedPayload,
} from './index-report.js';
import type { DescribedPayload } from './indexed-sidecar.js';
import { throwIfAborted } from './indexing-backend.js';
import { inferenceSources } from './inference-sources.js';
import { type PlannedAction, planActions, recordsFor } from './plan-index.js';
import { findStaleSidecars } from './stale-sidecars.js';

/** Payloads looked up at once: sources read a few small files each. */
const lookupConcurrency = 8;

/**
 * Writes sidecars for the checkpoints in a storage that Cairn did not write, without reading
 * their payloads, so the catalog and `open` see them like any other checkpoint.
 *
 * 1. Lists the candidate payloads under `prefix` (`.ckpt`, `.safetensors`, `.pt`, `.pth`,
 *    `.pkl`, `.bin`), leaving out Cairn's own folders and legacy `_backup` twins.
 * 2. Asks `sources` (remote ones such as W&B), then the inference sources (Lightning, legacy
 *    pipeline, Hydra, safetensors); the first `found` answers and the sidecar records which
 *    sources did not and why (`indexed.skipped`). Payloads no source describes are reported
 *    as skipped with every reason.
 * 3. Writes `checkpoints/<step>/<time id>/checkpoint.yaml` create-only, with the payload as
 *    `external` (key, etag, last write; size from the listing; no SHA-256).
 *
 * Ids are deterministic, so a second run finds the sidecars of the first:
 * - the checkpoint's time id is the answer's `createdAt` (else the payload's last-modified
 *   time) as `formatTimeStamp`, and a suffix from the SHA-256 of the payload key;
 * - the step is the legacy layout's step folder, else `options.step` (default `indexed`);
 * - the run id is `<pipeline>/<time id>`: the pipeline is the source's run group, else its
 *   name, else `indexed`, made a valid name; the time is the run's start as the source reports
 *   it, else the earliest checkpoint time of that run among the payloads indexed together; the
 *   suffix is a hash of what the source knows of the run (a payload without a run is its own).
 *
 * Running it again is idempotent: a sidecar that would say the same (ignoring `indexed.at`) is
 * left alone; one whose content would change is rewritten (`ifMatch` its etag) after
 * `recordCatalogChange({ rewritten })`; a payload replaced since (its etag changed) gets its
 * new sidecar, and the old one is removed after `recordCatalogChange({ removed })`; a sidecar
 * whose payload under `prefix` is gone (in the steps this run writes to) is removed the same
 * way. New
 * sidecars are recorded as `added` (their time ids are in the past). With `dryRun` nothing is
 * written and the report is the plan (`formatIndexPlan` prints it).
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options; `ABORTED` when `signal` fires (every
 *   sidecar is written whole or not at all); storage errors as they come.
 */
export async function indexCheckpoints(options: IndexOptions): Promise<IndexReport> {
  const resolved = resolveIndexOptions(options);
  const { storage, prefix, step, dryRun, signal, logger } = resolved;
  const sources = [...resolved.sources, ...inferenceSources()];
  const what = `Indexing checkpoints under "${prefix || '.'}"`;
  throwIfAborted(signal, what);

  const payloads: ObjectInfo[] = [];
  for await (const payload of discoverPayloads(storage, prefix, signal)) payloads.push(payload);
  const outcomes = await mapLimited(payloads, lookupConcurrency, (payload) => {
    throwIfAborted(signal, what);
    return askSources(sources, storage, payload, signal, logger);
  });
  const described: DescribedPayload[] = [];
  const skipped: SkippedPayload[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'found') described.push(outcome.described);
    else skipped.push(outcome.skipped);
  }
  throwIfAborted(signal, what);

  const at = new Date().toISOString();
  const { records, collisions } = recordsFor(described, step, at);
  const sourceOf = new Map(described.map((item) => [item.payload.key, item.source]));
  const plan = await planActions(storage, records, sourceOf, signal);
  skipped.push(...collisions, ...plan.collisions);

  const stepsTouched = new Set([step, ...records.map((record) => record.step)]);
  const present = new Set(payloads.map((payload) => payload.key));
  const removed = await findStaleSidecars(storage, stepsTouched, prefix, present, signal);
  const report = {
    dryRun,
    created: [] as IndexedCheckpoint[],
    rewritten: [] as IndexedCheckpoint[],
    replaced: [] as ReplacedCheckpoint[],
    unchanged: [] as IndexedCheckpoint[],
    removed,
    skipped: skipped.sort((left, right) => (left.payloadKey < right.payloadKey ? -1 : 1)),
  };
  // Sidecars created with time ids from the past are told to the catalog once per step, at the
  // end (even when cancelled), instead of one change record per sidecar.
  const added = new Map<string, string[]>();
  try {
    for (const action of plan.actions) {
      if (!dryRun && action.kind !== 'unchanged') {
        throwIfAborted(signal, what);
        const created = await apply(storage, action, signal);
        if (created) {
          const { step: actionStep, id } = action.checkpoint.record;
          added.set(actionStep, [...(added.get(actionStep) ?? []), id]);
        }
        logger.info(
          { id: action.checkpoint.id, key: action.checkpoint.payloadKey, action: action.kind },
          'indexed checkpoint',
        );
      }
      if (action.kind === 'create') report.created.push(action.checkpoint);
      else if (action.kind === 'rewrite') report.rewritten.push(action.checkpoint);
      else if (action.kind === 'replace') {
        report.replaced.push({ ...action.checkpoint, replacedIds: action.replacedIds });
      } else report.unchanged.push(action.checkpoint);
    }
    if (!dryRun) {
      for (const stale of removed) {
        throwIfAborted(signal, what);
        await recordCatalogChange(storage, { step: stale.record.step, removed: [stale.id] });
        await storage.delete(stale.sidecarKey);
        logger.info(
          { id: stale.id, key: stale.payloadKey, action: 'remove' },
          'indexed checkpoint',
        );
      }
    }
  } finally {
    for (const [addedStep, ids] of added) {
      await recordCatalogChange(storage, { step: addedStep, added: ids });
    }
  }
  for (const item of report.skipped) {
    logger.debug({ key: item.payloadKey, reasons: item.reasons }, 'no source described payload');
  }
  return report;
}

/**
 * Carries out one action; true when it created a sidecar under a new id (to be recorded as
 * added). The sidecar write takes the signal (it lands whole or not at all); the change records
 * before a rewrite or removal do not, so an action once begun leaves the catalog told.
 */
async function apply(
  storage: Storage,
  action: PlannedAction,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const { checkpoint } = action;
  const { step } = checkpoint.record;
  const yaml = formatSidecar(checkpoint.record);
  const write = (condition: { ifNoneMatch: '*' } | { ifMatch: string }) =>
    storage.put(checkpoint.sidecarKey, yaml, {
      ...condition,
      contentType: 'application/yaml',
      ...(signal === undefined ? {} : { signal }),
    });
  if (action.kind === 'unchanged') return false;
  if (action.kind === 'create') {
    await write({ ifNoneMatch: '*' });
    return true;
  }
  const etag = action.etag;
  if (etag !== undefined) {
    await recordCatalogChange(storage, { step, rewritten: [checkpoint.id] });
    await write({ ifMatch: etag });
  } else await write({ ifNoneMatch: '*' });
  if (action.kind === 'replace' && action.replacedIds.length > 0) {
    await recordCatalogChange(storage, { step, removed: action.replacedIds });
    for (const id of action.replacedIds) await storage.delete(checkpointKeys(id).sidecar);
  }
  return etag === undefined;
}
