import { CairnError, isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';
import { digestOf } from '../storage/body.js';
import type { Storage } from '../storage/storage.js';
import type { JournalHead } from './journal-hash.js';
import { journalBackendName } from './journal-writer-options.js';

/** Media type of journal segments. */
export const journalSegmentContentType = 'application/jsonl';

/** A segment whose content is fixed: retried as is until it is stored. */
export interface FrozenSegment {
  readonly number: number;
  readonly key: string;
  /** The entries' lines, oldest first, without newlines. */
  readonly lines: readonly string[];
  readonly body: string;
  readonly sha256: string;
  /** The journal's head once this segment is stored. */
  readonly head: JournalHead;
}

/**
 * What became of a segment write: `stored` (now, or by an earlier attempt whose answer was
 * lost), or `taken` when another writer stored other content under its key first.
 */
export type SegmentWriteOutcome = 'stored' | 'taken';

async function storedDigest(storage: Storage, key: string): Promise<string> {
  const info = await storage.head(key);
  if (info?.sha256 !== undefined) return info.sha256;
  const result = await storage.get(key);
  return (await digestOf(result.body)).sha256;
}

/**
 * Creates `segment` in `storage`, create-only: segments are never replaced.
 *
 * @throws CairnError from {@link failedSegmentWrite} when the storage fails.
 */
export async function storeSegment(
  storage: Storage,
  run: string,
  segment: FrozenSegment,
  logger: Logger,
): Promise<SegmentWriteOutcome> {
  try {
    // A backend that cannot create-only still must not overwrite another writer's segment:
    // looking first narrows the race to the moment between head and put.
    if (!storage.capabilities.conditionalWrites && (await storage.head(segment.key))) {
      throw new CairnError({
        code: 'PRECONDITION_FAILED',
        backend: journalBackendName,
        message: `Journal segment "${segment.key}" already exists.`,
      });
    }
    await storage.put(segment.key, segment.body, {
      ifNoneMatch: '*',
      expectedSha256: segment.sha256,
      contentType: journalSegmentContentType,
    });
    return 'stored';
  } catch (error) {
    if (!isCairnError(error, 'PRECONDITION_FAILED')) {
      throw failedSegmentWrite(run, segment, error);
    }
  }
  // An earlier attempt may have stored it and lost only the answer (a timeout after the
  // commit): the same bytes mean it is ours, anything else is another writer's.
  let existing: string;
  try {
    existing = await storedDigest(storage, segment.key);
  } catch (lookupError) {
    throw failedSegmentWrite(run, segment, lookupError);
  }
  if (existing !== segment.sha256) return 'taken';
  logger.debug(
    { run, key: segment.key },
    'journal segment was already stored by an earlier attempt',
  );
  return 'stored';
}

/** The error of a segment write that failed but may be tried again: nothing was lost. */
export function failedSegmentWrite(
  run: string,
  segment: FrozenSegment,
  error: unknown,
): CairnError {
  const code = isCairnError(error) ? error.code : 'TRANSIENT_IO';
  return new CairnError({
    code,
    backend: journalBackendName,
    message: `Writing journal segment "${segment.key}" of run ${run} failed; its ${segment.lines.length} entries and every later one stay buffered and the next flush writes them again.`,
    details: { run, key: segment.key },
    ...(isCairnError(error) ? { retryable: error.retryable } : {}),
    cause: error,
  });
}
