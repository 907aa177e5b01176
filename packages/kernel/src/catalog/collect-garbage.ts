import { z } from 'zod';
import { idOfSidecarKey } from '../checkpoints/discover-checkpoints.js';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { silentLogger } from '../logging/logger.js';
import { catalogChangesPrefix, layout, stepCheckpointsPrefix } from '../naming/layout.js';
import { namePattern } from '../naming/names.js';
import { timeIdPattern, timeOfId } from '../naming/time-id.js';
import type { Storage } from '../storage/storage.js';
import { isStorage } from '../storage/storage-shape.js';
import { changeRecordRetentionMs } from './catalog-changes.js';
import { stepIndexKeys } from './catalog-index-format.js';
import { catalogBackend, describeIssues } from './catalog-options.js';
import { readHead } from './step-index-store.js';

const day = 24 * 60 * 60 * 1000;

/** Options of {@link collectGarbage}. */
export const collectGarbageOptionsSchema = z.strictObject({
  /** The storage to clean. */
  storage: z.custom<Storage>(isStorage, { message: 'expected a Storage' }),
  /**
   * A checkpoint folder without a sidecar is an abandoned save once its id is older than
   * this (default one day): a save still under way is never that old.
   */
  abandonedAfterMs: z.number().int().positive().default(day),
  /** Report what would be deleted, delete nothing. */
  dryRun: z.boolean().default(false),
  /** Milliseconds since the epoch; default `Date.now`. */
  now: z.custom<() => number>((value) => typeof value === 'function').optional(),
  /** Cancels the collection between deletions. */
  signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal).optional(),
});

/** What {@link collectGarbage} takes. */
export type CollectGarbageOptions = z.input<typeof collectGarbageOptionsSchema>;

/** What {@link collectGarbage} deleted (or, in a dry run, would delete). */
export interface GarbageReport {
  /** Whether nothing was deleted. */
  readonly dryRun: boolean;
  /** Payload keys of saves that never committed (no sidecar, older than the threshold). */
  readonly abandonedPayloads: readonly string[];
  /** Index segments no head lists, older than an hour. */
  readonly orphanSegments: readonly string[];
  /** Catalog change records older than their retention (30 days). */
  readonly expiredChanges: readonly string[];
}

/**
 * Deletes what no reader will ever look at: payloads of saves that died before their sidecar
 * (invisible, but they take space), index segments replaced by a refresh that lost a race, and
 * change records older than 30 days (an index older than that rebuilds itself instead of
 * relying on them). Never touches a committed checkpoint or a sharded checkpoint's shards.
 */
export async function collectGarbage(options: CollectGarbageOptions): Promise<GarbageReport> {
  const parsed = collectGarbageOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error, 'options');
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      backend: catalogBackend,
      message: `Invalid collectGarbage options: ${problems.join('; ')}.`,
      details: { problems },
    });
  }
  const { storage, abandonedAfterMs, dryRun, signal } = parsed.data;
  const now = (parsed.data.now ?? Date.now)();
  const listOptions = (prefix: string) => ({ prefix, ...(signal === undefined ? {} : { signal }) });
  const remove = async (key: string) => {
    signal?.throwIfAborted();
    if (dryRun) return;
    await storage.delete(key).catch((error: unknown) => {
      if (!isCairnError(error, 'NOT_FOUND')) throw error;
    });
  };

  const abandonedPayloads: string[] = [];
  const orphanSegments: string[] = [];
  const expiredChanges: string[] = [];
  for (const step of await stepsOf(storage, signal)) {
    // Keys of a checkpoint folder are contiguous: decide per folder once all its keys are seen.
    let folder: { id: string; keys: string[]; committed: boolean } | undefined;
    const settle = async () => {
      if (folder === undefined || folder.committed) return;
      const stamped = timeOfId(folder.id)?.getTime();
      if (stamped === undefined || now - stamped < abandonedAfterMs) return;
      for (const key of folder.keys) {
        abandonedPayloads.push(key);
        await remove(key);
      }
    };
    const prefix = stepCheckpointsPrefix(step);
    for await (const info of storage.list(listOptions(prefix))) {
      const timeId = info.key.slice(prefix.length).split('/')[0] ?? '';
      if (!timeIdPattern.test(timeId)) continue;
      const id = `${step}/${timeId}`;
      if (folder?.id !== id) {
        await settle();
        folder = { id, keys: [], committed: false };
      }
      if (idOfSidecarKey(info.key) === id) folder.committed = true;
      else folder.keys.push(info.key);
    }
    await settle();

    const head = await readHead(
      { storage, logger: silentLogger, segmentSize: 1, readConcurrency: 1, writeIndex: false },
      step,
    );
    const listed = new Set(head?.head.segments.map((segment) => segment.key) ?? []);
    for await (const info of storage.list(listOptions(stepIndexKeys(step).segmentsPrefix))) {
      // A segment written in the last hour may belong to a refresh about to write its head.
      if (listed.has(info.key) || now - info.lastModified.getTime() < 60 * 60 * 1000) continue;
      orphanSegments.push(info.key);
      await remove(info.key);
    }

    for await (const info of storage.list(listOptions(catalogChangesPrefix(step)))) {
      const stamped = timeOfId(
        info.key.slice(info.key.lastIndexOf('/') + 1).replace(/\.yaml$/, ''),
      );
      if (stamped === undefined || now - stamped.getTime() < changeRecordRetentionMs) continue;
      expiredChanges.push(info.key);
      await remove(info.key);
    }
  }
  return { dryRun, abandonedPayloads, orphanSegments, expiredChanges };
}

/** Steps with checkpoints, an index or change records. */
async function stepsOf(storage: Storage, signal: AbortSignal | undefined): Promise<string[]> {
  const steps = new Set<string>();
  for (const root of [
    layout.checkpointsRoot,
    `${layout.catalogRoot}index/v1/checkpoints/`,
    `${layout.catalogRoot}changes/checkpoints/`,
  ]) {
    let cursor: string | undefined;
    do {
      const page = await storage.listPage({
        prefix: root,
        delimiter: '/',
        allowEmptyFolders: true,
        ...(cursor === undefined ? {} : { cursor }),
        ...(signal === undefined ? {} : { signal }),
      });
      for (const folder of page.prefixes) {
        const name = folder.slice(root.length, -1);
        if (namePattern.test(name)) steps.add(name);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
  return [...steps].sort();
}
