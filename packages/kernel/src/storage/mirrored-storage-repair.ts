import type { MirrorContext } from './mirrored-storage-context.js';
import { withDigestMetadata } from './mirrored-storage-digest.js';
import { copyReference } from './mirrored-storage-events.js';
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
  const metadata = withDigestMetadata(source.info.metadata, source.sha256);
  return Promise.allSettled(
    targets.map((target, position) => {
      const copy = context.copies[target.index] as Storage;
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
 * Reports how each repair went and returns the new info of every repaired copy by index.
 * Never throws: a failed repair leaves a bad copy that the next read or scrub finds again.
 */
export function reportRepairs(
  context: MirrorContext,
  key: string,
  targets: readonly RepairTarget[],
  results: readonly PromiseSettledResult<ObjectInfo>[],
  source: RepairSource,
): Map<number, ObjectInfo> {
  const repaired = new Map<number, ObjectInfo>();
  targets.forEach((target, position) => {
    const result = results[position];
    const reference = copyReference(context.copies, target.index);
    if (result?.status === 'fulfilled') {
      repaired.set(target.index, result.value);
      context.report({
        type: 'copy-repaired',
        key,
        ...reference,
        sha256: source.sha256,
        source: source.index,
      });
    } else {
      context.report({ type: 'repair-failed', key, ...reference, error: result?.reason });
    }
  });
  return repaired;
}
