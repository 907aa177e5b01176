import { stringify } from 'yaml';
import { z } from 'zod';
import { CairnError } from '../errors/cairn-error.js';
import { catalogChangesPrefix, parseCheckpointId } from '../naming/layout.js';
import { defaultTimeIds, type TimeIdGenerator } from '../naming/time-id.js';
import type { Storage } from '../storage/storage.js';

/** The `format` of a catalog change record. */
export const catalogChangeFormat = 'cairn.catalog-change/v1';

/**
 * How long change records are kept (`collectGarbage` deletes older ones). An index whose last
 * look at them is older than this, less a day, rebuilds itself instead of trusting them.
 */
export const changeRecordRetentionMs = 30 * 24 * 60 * 60 * 1000;

/** What a change record says: sidecars of one step that were deleted or rewritten in place. */
export const catalogChangeSchema = z.object({
  /** Always `cairn.catalog-change/v1`. */
  format: z.literal(catalogChangeFormat),
  /** The step the checkpoints belong to. */
  step: z.string(),
  /** Checkpoints whose sidecar is being deleted (prune, a take-back, `index` replacing one). */
  removed: z.array(z.string()).default([]),
  /** Checkpoints whose sidecar is being rewritten in place (`index` run again). */
  rewritten: z.array(z.string()).default([]),
  /**
   * Checkpoints whose sidecar was just created with a time id from the past (`index` stamps a
   * sidecar with its payload's time), which a listing of what is newer than the index misses.
   */
  added: z.array(z.string()).default([]),
  /** When the change was recorded (ISO 8601). */
  at: z.iso.datetime(),
});
/** See {@link catalogChangeSchema}. */
export type CatalogChange = z.infer<typeof catalogChangeSchema>;

/** What changes, for {@link recordCatalogChange}. */
export interface CatalogChangeRequest {
  /** The step whose checkpoints change. */
  readonly step: string;
  /** Ids whose sidecar is about to be deleted. */
  readonly removed?: readonly string[];
  /** Ids whose sidecar is about to be rewritten. */
  readonly rewritten?: readonly string[];
  /** Ids whose sidecar was just created with a time id older than a few minutes. */
  readonly added?: readonly string[];
  /** Time ids for the record's key; the default generator unless a test pins it. */
  readonly timeIds?: TimeIdGenerator;
  /** Cancels the write. */
  readonly signal?: AbortSignal;
}

/**
 * Records, before it happens, that sidecars of a step are about to be deleted or rewritten
 * (and, after it happened, that sidecars were created with old time ids). New sidecars need no
 * record (a catalog finds them by listing after what it knows), but a
 * deletion or an in-place rewrite leaves nothing a cheap listing sees: the catalog's index reads
 * these records to drop or re-read exactly those entries instead of re-listing every sidecar.
 * Written first, so a writer that dies half-way still leaves the record (re-reading an entry
 * that did not change costs one read and is harmless). Create-only under a fresh time id.
 */
export async function recordCatalogChange(
  storage: Storage,
  request: CatalogChangeRequest,
): Promise<void> {
  const removed = [...(request.removed ?? [])];
  const rewritten = [...(request.rewritten ?? [])];
  const added = [...(request.added ?? [])];
  if (removed.length + rewritten.length + added.length === 0) return;
  for (const id of [...removed, ...rewritten, ...added]) {
    if (parseCheckpointId(id).step !== request.step) {
      throw new CairnError({
        code: 'INVALID_OPTIONS',
        message: `Checkpoint "${id}" is not of step "${request.step}": record each step's changes on their own.`,
        details: { id, step: request.step },
      });
    }
  }
  const timeId = (request.timeIds ?? defaultTimeIds).next();
  const change: CatalogChange = {
    format: catalogChangeFormat,
    step: request.step,
    removed,
    rewritten,
    added,
    at: new Date().toISOString(),
  };
  await storage.put(`${catalogChangesPrefix(request.step)}${timeId}.yaml`, stringify(change), {
    ifNoneMatch: '*',
    contentType: 'application/yaml',
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
}
