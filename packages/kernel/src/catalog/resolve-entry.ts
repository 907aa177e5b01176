import type { CheckpointRecord } from '../checkpoints/checkpoint-record.js';
import { abortedError } from '../errors/aborted-error.js';
import { isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';
import { checkpointKeys, parseCheckpointId } from '../naming/layout.js';
import { timeOfId } from '../naming/time-id.js';
import { scrubErrorText } from '../secrets/scrub-error-text.js';
import type { Storage } from '../storage/storage.js';
import type { CatalogEntry, SkippedSource } from './catalog-entry.js';
import type { IndexedSidecar } from './catalog-index-format.js';
import { catalogBackend } from './catalog-options.js';
import type { MetadataAnswer, MetadataSource, MetadataSubject } from './metadata-source.js';
import { answerOfRecord, sidecarSourceName } from './sidecar-source.js';

/** What resolving entries needs. */
export interface ResolveContext {
  /** The storage the checkpoints live in (sources read neighbouring files through it). */
  readonly storage: Storage;
  /** Sources after the sidecar, in order. */
  readonly sources: readonly MetadataSource[];
  /** Where failing sources are reported. */
  readonly logger: Logger;
  /** Cancels lookups. */
  readonly signal?: AbortSignal;
}

/** Whether a record carries anything of its own to list and rank by. */
function hasOwnMetadata(record: CheckpointRecord): boolean {
  return (
    Object.keys(record.metadata).length > 0 ||
    Object.keys(record.metrics).length > 0 ||
    record.tags.length > 0
  );
}

/** Whether a sidecar answers for itself, without asking any other source. */
export function answersItself(
  indexed: IndexedSidecar,
  sources: readonly MetadataSource[],
): boolean {
  return 'record' in indexed && (sources.length === 0 || hasOwnMetadata(indexed.record));
}

function finiteMetrics(metrics: Readonly<Record<string, number>>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, value] of Object.entries(metrics))
    if (typeof value === 'number' && Number.isFinite(value)) result[name] = value;
  return result;
}

/** Builds the entry for `id` from the answer of `source`. */
export function entryOf(
  id: string,
  record: CheckpointRecord | undefined,
  answer: MetadataAnswer | undefined,
  source: string,
  skipped: readonly SkippedSource[],
): CatalogEntry {
  const createdAt =
    record?.createdAt ??
    answer?.createdAt ??
    timeOfId(id)?.toISOString() ??
    new Date(0).toISOString();
  return {
    kind: 'checkpoint',
    id,
    step: parseCheckpointId(id).step,
    ...(record === undefined ? {} : { run: record.run, size: record.size }),
    createdAt,
    payloadKey: record?.external?.key ?? checkpointKeys(id).payload,
    metadata: answer?.metadata ?? {},
    metrics: answer === undefined ? {} : finiteMetrics(answer.metrics),
    tags: answer?.tags ?? [],
    ...(answer?.epoch === undefined ? {} : { epoch: answer.epoch }),
    ...(answer?.trainingStep === undefined ? {} : { trainingStep: answer.trainingStep }),
    ...(answer?.run === undefined ? {} : { sourceRun: answer.run }),
    source,
    ...(answer?.origin === undefined ? {} : { origin: answer.origin }),
    ...(answer?.cached === undefined ? {} : { cached: answer.cached }),
    skipped,
    ...(record === undefined ? {} : { record }),
    ...(record?.indexed === undefined ? {} : { indexed: record.indexed }),
  };
}

/** The entry of a sidecar that answers for itself (see {@link answersItself}). */
export function sidecarEntry(record: CheckpointRecord): CatalogEntry {
  return entryOf(record.id, record, answerOfRecord(record), sidecarSourceName, []);
}

/**
 * The entry of an indexed sidecar, asking the chain when the sidecar is damaged or holds no
 * metadata: each source in turn until one answers; those that do not are listed with why. A
 * source that throws is treated as not answering (its message scrubbed of secrets), except
 * when the listing was cancelled.
 */
export async function resolveEntry(
  context: ResolveContext,
  indexed: IndexedSidecar,
): Promise<CatalogEntry> {
  const record = 'record' in indexed ? indexed.record : undefined;
  if (record !== undefined && answersItself(indexed, context.sources)) return sidecarEntry(record);
  const skipped: SkippedSource[] = [
    {
      source: sidecarSourceName,
      reason:
        record === undefined
          ? `its sidecar cannot be trusted: ${'damaged' in indexed ? indexed.damaged : 'unknown'}`
          : 'its sidecar holds no metadata, metrics or tags',
    },
  ];
  const subject: MetadataSubject = {
    id: indexed.id,
    payloadKey: record?.external?.key ?? checkpointKeys(indexed.id).payload,
    storage: context.storage,
    ...(record === undefined ? {} : { record }),
    ...(context.signal === undefined ? {} : { signal: context.signal }),
  };
  for (const source of context.sources) {
    try {
      const lookup = await source.lookup(subject);
      if (lookup.status === 'found') {
        return entryOf(indexed.id, record, lookup.answer, source.name, skipped);
      }
      skipped.push({ source: source.name, reason: lookup.reason });
    } catch (error) {
      if (isCairnError(error, 'ABORTED')) throw error;
      if (context.signal?.aborted) {
        throw abortedError(catalogBackend, context.signal.reason, 'Listing the catalog', {
          when: `while source "${source.name}" looked up checkpoint "${indexed.id}"`,
        });
      }
      const reason = scrubErrorText(error instanceof Error ? error.message : String(error));
      context.logger.warn(
        { checkpoint: indexed.id, source: source.name, reason },
        'metadata source failed; asking the next one',
      );
      skipped.push({ source: source.name, reason: `it failed: ${reason}` });
    }
  }
  if (record !== undefined) {
    // Nobody knew more: the sidecar's own (empty) answer stands, with who else was asked.
    return entryOf(indexed.id, record, answerOfRecord(record), sidecarSourceName, skipped.slice(1));
  }
  return entryOf(indexed.id, undefined, undefined, 'none', skipped);
}
