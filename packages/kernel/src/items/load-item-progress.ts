import { isCairnError } from '../errors/cairn-error.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { runKeys, sequenceOfKey } from '../naming/layout.js';
import { type Clock, systemClock } from '../retry/clock.js';
import { retry } from '../retry/retry.js';
import { scrubErrorText } from '../secrets/scrub-error-text.js';
import type { Storage } from '../storage/storage.js';
import { runBounded } from './bounded-concurrency.js';
import { digestPrefix } from './item-digest.js';
import { type ItemRecord, isUnusableRecord, readItemRecord } from './item-record.js';
import { type ItemSegment, readItemSegment } from './item-segment.js';
import { storageRetryPolicy } from './storage-retry.js';

/** The latest known state of one item of a (run, step). */
export interface ItemProgressEntry {
  /** Position of the item in the input list of the call that finished it. */
  readonly index: number;
  /** The item's key, when the map was given a `key` function. */
  readonly key?: string;
  /** The sequence of its latest record. */
  readonly sequence: number;
  /** How its latest attempt ended. */
  readonly status: 'done' | 'failed';
  /** The first characters of its input digest (see {@link digestPrefixLength}). */
  readonly digestPrefix: string;
}

/** Where the items of a (run, step) stand, as {@link loadItemProgress} finds them. */
export interface ItemProgress {
  /** The latest entry per item, by {@link itemIdentity}. */
  readonly items: ReadonlyMap<ItemIdentity, ItemProgressEntry>;
  /** Items whose latest record is done. */
  readonly done: number;
  /** Items whose latest record failed. */
  readonly failed: number;
  /** The sequence the next record takes. */
  readonly nextSequence: number;
  /** The number the next segment takes. */
  readonly nextSegment: number;
  /** The last sequence a segment covers (0 when there is none). */
  readonly coveredThrough: number;
  /**
   * Usable records after `coveredThrough`, by sequence: written before a crash and not yet
   * summarised. The next segment written covers them too, so later loads skip reading them.
   */
  readonly uncovered: readonly ItemProgressEntry[];
  /** Segments read. */
  readonly segmentsRead: number;
  /** Item records read (those no segment covered). */
  readonly recordsRead: number;
  /** Segments and records that were corrupt or vanished, and so were ignored. */
  readonly unusable: number;
}

/** Options of {@link loadItemProgress}. */
export interface LoadItemProgressOptions {
  /** Cancels the load (`ABORTED`). */
  readonly signal?: AbortSignal;
  /** Where corrupt segments and records are reported (warn). Default silent. */
  readonly logger?: Logger;
  /** Time source for the waits between retried reads. Default the system clock. */
  readonly clock?: Clock;
  /** Reads in flight at once (default 16). */
  readonly readConcurrency?: number;
}

/** What a resume matches an item by: its index, or `key:<key>` when the map has keys. */
export type ItemIdentity = number | string;

/**
 * The identity a resume matches items by: the item's key when the map has a `key` function,
 * else its index. The two forms never collide (a number and a prefixed string); numbers keep
 * the map of 100,000 entries cheap to build.
 */
export function itemIdentity(index: number, key: string | undefined): ItemIdentity {
  return key === undefined ? index : `key:${key}`;
}

function createEntry(
  index: number,
  key: string | undefined,
  sequence: number,
  status: 'done' | 'failed',
  prefix: string,
): ItemProgressEntry {
  const entry: { -readonly [Field in keyof ItemProgressEntry]: ItemProgressEntry[Field] } = {
    index,
    sequence,
    status,
    digestPrefix: prefix,
  };
  if (key !== undefined) entry.key = key;
  return entry;
}

/** Converts a record to its progress entry. */
export function entryOfRecord(record: ItemRecord): ItemProgressEntry {
  return createEntry(
    record.index,
    record.key,
    record.sequence,
    record.status,
    digestPrefix(record.inputDigest),
  );
}

/**
 * Finds where the items of a step stand, without reading the records the segments cover:
 * reads every segment in order, lists and reads the records no segment covers (after the last
 * one: a crash between a record and its segment; between two: a corrupt or missing segment),
 * and keeps the latest record per item (the highest sequence wins).
 *
 * Corrupt segments and records are logged and ignored: their items count as not done, so a
 * resume runs them again rather than trusting bad bytes.
 *
 * @throws CairnError `INVALID_OPTIONS` for a bad run id or step name; `ABORTED`; the storage's
 *   errors when a read keeps failing.
 */
export async function loadItemProgress(
  storage: Storage,
  run: string,
  step: string,
  options: LoadItemProgressOptions = {},
): Promise<ItemProgress> {
  const keys = runKeys(run).step(step);
  const logger = options.logger ?? silentLogger;
  const signal = options.signal;
  const policy = storageRetryPolicy(options.clock ?? systemClock, signal);
  const readConcurrency = options.readConcurrency ?? 16;
  const listOptions = signal === undefined ? {} : { signal };

  const items = new Map<ItemIdentity, ItemProgressEntry>();
  let highestSequence = 0;
  let unusable = 0;
  let recordsRead = 0;
  const apply = (entry: ItemProgressEntry): void => {
    const identity = itemIdentity(entry.index, entry.key);
    const current = items.get(identity);
    if (current === undefined || entry.sequence > current.sequence) items.set(identity, entry);
  };
  const ignore = (key: string, error: unknown): void => {
    unusable += 1;
    logger.warn(
      { key, error: scrubErrorText(error instanceof Error ? error.message : String(error)) },
      'Ignoring an unusable item segment or record; its items will be run again.',
    );
  };

  const segmentKeys: { key: string; segment: number }[] = [];
  let highestSegment = 0;
  for await (const object of storage.list({ prefix: keys.segmentsPrefix, ...listOptions })) {
    const segment = sequenceOfKey(object.key);
    if (segment === undefined || segment < 1) continue;
    segmentKeys.push({ key: object.key, segment });
    highestSegment = Math.max(highestSegment, segment);
  }

  const segments: (ItemSegment | undefined)[] = new Array(segmentKeys.length);
  await runBounded(segmentKeys.length, readConcurrency, async (position) => {
    const { key, segment } = segmentKeys[position] as { key: string; segment: number };
    try {
      segments[position] = await retry(
        ({ signal: attemptSignal }) => readItemSegment(storage, key, segment, attemptSignal),
        policy,
      );
    } catch (error) {
      // Gone since the listing: a writer replaced it with a larger segment (read it, or the
      // records it covers, below).
      if (isCairnError(error, 'NOT_FOUND')) return;
      if (!isCairnError(error, 'CORRUPT_DATA')) throw error;
      ignore(key, error);
    }
  });

  // Sequence ranges no usable segment covers, below the last covered one.
  const gaps: { first: number; last: number }[] = [];
  let coveredThrough = 0;
  for (const segment of segments) {
    if (segment === undefined) continue;
    if (segment.firstSequence > coveredThrough + 1) {
      gaps.push({ first: coveredThrough + 1, last: segment.firstSequence - 1 });
    }
    // The hot loop of a resume (100,000 entries): no spreads, one lookup per entry.
    for (const item of segment.items) {
      const sequence = item[1];
      const key = item[4];
      const identity = itemIdentity(item[0], key);
      const current = items.get(identity);
      if (current !== undefined && current.sequence >= sequence) continue;
      items.set(
        identity,
        createEntry(item[0], key, sequence, item[2] === 0 ? 'done' : 'failed', item[3]),
      );
    }
    coveredThrough = Math.max(coveredThrough, segment.lastSequence);
  }
  highestSequence = coveredThrough;

  const readRange = async (first: number, last: number): Promise<ItemProgressEntry[]> => {
    const sequences: number[] = [];
    const startAfter = first > 1 ? { startAfter: keys.item(first - 1) } : {};
    for await (const object of storage.list({
      prefix: keys.itemsPrefix,
      ...startAfter,
      ...listOptions,
    })) {
      const sequence = sequenceOfKey(object.key);
      if (sequence === undefined || sequence < first) continue;
      if (sequence > last) break;
      sequences.push(sequence);
      highestSequence = Math.max(highestSequence, sequence);
    }
    const found: (ItemProgressEntry | undefined)[] = new Array(sequences.length);
    await runBounded(sequences.length, readConcurrency, async (position) => {
      const sequence = sequences[position] as number;
      try {
        const record = await retry(
          ({ signal: attemptSignal }) =>
            readItemRecord(storage, run, step, sequence, { signal: attemptSignal }),
          policy,
        );
        recordsRead += 1;
        found[position] = entryOfRecord(record);
      } catch (error) {
        if (!isUnusableRecord(error)) throw error;
        ignore(keys.item(sequence), error);
      }
    });
    return found.filter((entry): entry is ItemProgressEntry => entry !== undefined);
  };

  for (const gap of gaps) for (const entry of await readRange(gap.first, gap.last)) apply(entry);
  const uncovered = await readRange(coveredThrough + 1, Number.POSITIVE_INFINITY);
  for (const entry of uncovered) apply(entry);

  let done = 0;
  for (const entry of items.values()) if (entry.status === 'done') done += 1;
  return {
    items,
    done,
    failed: items.size - done,
    nextSequence: highestSequence + 1,
    nextSegment: highestSegment + 1,
    coveredThrough,
    uncovered,
    segmentsRead: segments.filter((segment) => segment !== undefined).length,
    recordsRead,
    unusable,
  };
}
