import { CairnError } from '../errors/cairn-error.js';
import type { MirrorContext } from './mirrored-storage-context.js';
import { withDigestMetadata } from './mirrored-storage-digest.js';
import { copyReference, describeCopy, summariseError } from './mirrored-storage-events.js';
import type { ObjectInfo, PutOptions, Storage, StorageBody } from './storage.js';

/** A copy to rewrite, and what was seen there (so a concurrent writer is not overwritten). */
export interface RepairTarget {
  /** Position of the copy in the mirror. */
  readonly index: number;
  /** The etag of the bad object seen there; undefined when the copy had no object. */
  readonly seenEtag: string | undefined;
}

/** The verified object the repair copies from. */
export interface RepairSource {
  /** Position of the good copy. */
  readonly index: number;
  /** Its info (content type and metadata are carried over). */
  readonly info: ObjectInfo;
  /** Hex SHA-256 the written bytes must have; backends refuse anything else. */
  readonly sha256: string;
}

/**
 * Starts one put per target. Each put is conditional on what was seen at that copy when the
 * backend supports it (`ifNoneMatch: '*'` where nothing was, `ifMatch` the bad etag), so a
 * writer that stored new bytes meanwhile is never overwritten by an older repair. Every put
 * carries `expectedSha256`, so bytes that turn out bad are refused, not committed.
 */
export function startRepairPuts(
  context: MirrorContext,
  key: string,
  targets: readonly RepairTarget[],
  source: RepairSource,
  bodyFor: (position: number) => StorageBody,
  onFailure: (position: number) => void = () => {},
): Promise<PromiseSettledResult<ObjectInfo>[]> {
  return Promise.allSettled(
    targets.map((target, position) => {
      const copy = context.copies[target.index] as Storage;
      // A backup rewritten from the primary records which primary version it copies, as
      // backups written by puts do.
      const primaryEtag = source.index === 0 && target.index > 0 ? source.info.etag : undefined;
      const metadata = withDigestMetadata(source.info.metadata, source.sha256, primaryEtag);
      const options: PutOptions = {
        expectedSha256: source.sha256,
        ...(source.info.contentType === undefined ? {} : { contentType: source.info.contentType }),
        ...(metadata === undefined ? {} : { metadata }),
        ...conditionFor(copy, target),
      };
      return copy.put(key, bodyFor(position), options).catch((error: unknown) => {
        onFailure(position);
        throw error;
      });
    }),
  );
}

function conditionFor(copy: Storage, target: RepairTarget): PutOptions {
  if (!copy.capabilities.conditionalWrites) return {};
  return target.seenEtag === undefined ? { ifNoneMatch: '*' } : { ifMatch: target.seenEtag };
}

/**
 * Checks that the repairs still stand, then reports each outcome and returns the new info of
 * every repaired copy by index. Never throws: a failed repair leaves a bad copy that the next
 * read or scrub finds again.
 *
 * A repair copies an object read a moment earlier. If a delete removed that object meanwhile
 * (a delete sweeping the copies while a read or scrub was repairing one), the repaired copy
 * would bring the deleted object back. So once the repairs have landed, the source is looked
 * at again, and when it is gone each repaired copy that still holds the repair's bytes is
 * deleted. A source replaced by a writer needs no undo: the writer writes every copy, and the
 * repair's condition kept it from overwriting what the writer had already stored.
 *
 * @returns the outcome of each target, in the order of `targets`.
 */
export async function settleRepairs(
  context: MirrorContext,
  key: string,
  targets: readonly RepairTarget[],
  results: readonly PromiseSettledResult<ObjectInfo>[],
  source: RepairSource,
): Promise<PromiseSettledResult<ObjectInfo>[]> {
  let outcomes = [...results];
  if (
    results.some((result) => result.status === 'fulfilled') &&
    (await sourceIsGone(context, key, source))
  ) {
    outcomes = await Promise.all(
      results.map(async (result, position): Promise<PromiseSettledResult<ObjectInfo>> => {
        if (result.status === 'rejected') return result;
        const target = targets[position] as RepairTarget;
        return {
          status: 'rejected',
          reason: await undoRepair(context, key, target.index, result.value, source),
        };
      }),
    );
  }
  reportRepairs(context, key, targets, outcomes, source);
  return outcomes;
}

/** The new info of every repaired copy, by copy index. */
export function repairedCopies(
  targets: readonly RepairTarget[],
  outcomes: readonly PromiseSettledResult<ObjectInfo>[],
): Map<number, ObjectInfo> {
  const repaired = new Map<number, ObjectInfo>();
  targets.forEach((target, position) => {
    const outcome = outcomes[position];
    if (outcome?.status === 'fulfilled') repaired.set(target.index, outcome.value);
  });
  return repaired;
}

async function sourceIsGone(
  context: MirrorContext,
  key: string,
  source: RepairSource,
): Promise<boolean> {
  try {
    return (await (context.copies[source.index] as Storage).head(key)) === undefined;
  } catch (error) {
    // Undoing on a mere doubt would itself race a writer's put; the next scrub settles it.
    context.logger.debug(
      { key, copy: source.index, error: summariseError(error) },
      'mirror: could not look at a repair source again; keeping the repair',
    );
    return false;
  }
}

async function undoRepair(
  context: MirrorContext,
  key: string,
  index: number,
  written: ObjectInfo,
  source: RepairSource,
): Promise<CairnError> {
  const copy = context.copies[index] as Storage;
  const what = `"${key}" was deleted from ${describeCopy(context.copies, source.index)} while ${describeCopy(context.copies, index)} was being repaired from it`;
  try {
    // Only the repair's own bytes are removed: a different etag means a writer stored new ones.
    const current = await copy.head(key);
    if (current?.etag === written.etag) await copy.delete(key);
  } catch (error) {
    return new CairnError({
      code: 'CONFLICT',
      backend: context.name,
      message: `${what}, and undoing the repair failed (${summariseError(error).message}), so the deleted object may be back on that copy. Delete "${key}" again.`,
      cause: error,
      details: { key, ...copyReference(context.copies, index), source: source.index },
    });
  }
  return new CairnError({
    code: 'CONFLICT',
    backend: context.name,
    message: `${what}, so the repair was undone rather than bring a deleted object back.`,
    details: { key, ...copyReference(context.copies, index), source: source.index },
  });
}

/** Reports how each repair went. */
function reportRepairs(
  context: MirrorContext,
  key: string,
  targets: readonly RepairTarget[],
  outcomes: readonly PromiseSettledResult<ObjectInfo>[],
  source: RepairSource,
): void {
  targets.forEach((target, position) => {
    const outcome = outcomes[position];
    const reference = copyReference(context.copies, target.index);
    if (outcome?.status === 'fulfilled') {
      context.report({
        type: 'copy-repaired',
        key,
        ...reference,
        sha256: source.sha256,
        source: source.index,
      });
    } else {
      context.report({ type: 'repair-failed', key, ...reference, error: outcome?.reason });
    }
  });
}
