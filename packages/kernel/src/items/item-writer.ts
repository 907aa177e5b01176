import { isCairnError } from '../errors/cairn-error.js';
import type { Logger } from '../logging/logger.js';
import { runKeys } from '../naming/layout.js';
import type { Clock } from '../retry/clock.js';
import { retry } from '../retry/retry.js';
import type { RetryPolicy } from '../retry/retry-policy.js';
import { scrubErrorText } from '../secrets/scrub-error-text.js';
import type { Storage } from '../storage/storage.js';
import { digestPrefix } from './item-digest.js';
import type { ItemRecord } from './item-record.js';
import { encodeItemSegment, type ItemSegmentEntry } from './item-segment.js';
import type { ItemProgress, ItemProgressEntry } from './load-item-progress.js';
import { storageRetryPolicy } from './storage-retry.js';

/** An error's message as logs may show it: secrets it quotes are hidden. */
function messageOf(error: unknown): string {
  return scrubErrorText(error instanceof Error ? error.message : String(error));
}

/** A record before the writer gives it a sequence. */
export type ItemRecordDraft = Omit<ItemRecord, 'sequence'>;

/** What an {@link ItemWriter} needs. */
export interface ItemWriterOptions {
  readonly storage: Storage;
  readonly run: string;
  readonly step: string;
  /** Where the step stood when the map began: sequences and segments continue from it. */
  readonly progress: ItemProgress;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly flushIntervalMs: number;
  readonly segmentMaxItems: number;
}

/** Writes item records as items finish and summarises them in segments. */
export interface ItemWriter {
  /**
   * Stores a finished item under the next sequence, create-only, retrying transient failures.
   * A sequence already taken (another writer, or a write that landed after a crash) moves on
   * to the next one.
   *
   * @returns the record as stored.
   * @throws the storage's error when the record cannot be stored.
   */
  write(draft: ItemRecordDraft): Promise<ItemRecord>;
  /** Starts writing a segment in the background when one is due; never throws. */
  maybeFlush(): void;
  /** Waits for a segment in flight, then summarises every durable record left. */
  close(): Promise<void>;
  /** Segments written so far. */
  readonly segmentsWritten: number;
}

// More collisions than this on consecutive sequences means someone else is writing the same
// step right now, which a run's lease should have prevented; giving up is safer than racing.
const maxSequenceCollisions = 8;

function segmentEntryOf(entry: ItemProgressEntry): ItemSegmentEntry {
  const status = entry.status === 'done' ? 0 : 1;
  return entry.key === undefined
    ? [entry.index, entry.sequence, status, entry.digestPrefix]
    : [entry.index, entry.sequence, status, entry.digestPrefix, entry.key];
}

/**
 * Creates the writer of one map.
 *
 * A segment covers the sequences of its block, from the block's first sequence up to a point
 * below which every record is durable (or known never to exist), so it never claims a record a
 * crash could still lose. A block holds up to `segmentMaxItems` records: while it fills, each
 * flush writes one new segment for the whole block so far and then deletes the block's earlier
 * segments, so slow items flushed one by one still leave one segment per block, not one per
 * item. A crash between the write and the deletes leaves overlapping segments, which readers
 * accept. Records a crashed call left after the last segment open this call's first block.
 */
export function createItemWriter(options: ItemWriterOptions): ItemWriter {
  const { storage, progress, clock, logger } = options;
  const keys = runKeys(options.run).step(options.step);
  const policy: RetryPolicy = storageRetryPolicy(clock);

  let nextSequence = progress.nextSequence;
  let nextSegment = progress.nextSegment;
  // The first sequence no segment of this call covers yet.
  let segmentFirst = progress.coveredThrough + 1;
  // The block being filled: its first sequence, its entries so far and the segments holding them.
  let blockFirst = segmentFirst;
  let blockEntries: ItemSegmentEntry[] = [];
  let blockSegments: number[] = [];
  // Sequences from segmentFirst on whose fate is known: the entry of a durable record, or null
  // for a sequence that holds no usable record (a failed write, a corrupt leftover).
  const settled = new Map<number, ItemSegmentEntry | null>();
  const uncovered = new Map(progress.uncovered.map((entry) => [entry.sequence, entry]));
  for (let sequence = segmentFirst; sequence < nextSequence; sequence += 1) {
    const entry = uncovered.get(sequence);
    settled.set(sequence, entry === undefined ? null : segmentEntryOf(entry));
  }
  let frontier = segmentFirst - 1;
  // Durable records between segmentFirst and the frontier.
  let waiting = 0;
  let lastFlushAt = clock.now();
  let flushing: Promise<void> | undefined;
  let segmentsWritten = 0;

  // Moves the frontier over every settled sequence, counting the durable records it passes.
  const advance = (): void => {
    while (settled.has(frontier + 1)) {
      frontier += 1;
      if (settled.get(frontier) !== null) waiting += 1;
    }
  };
  const settle = (sequence: number, entry: ItemSegmentEntry | null): void => {
    settled.set(sequence, entry);
    advance();
  };
  advance();

  async function deleteSuperseded(segments: readonly number[]): Promise<void> {
    for (const segment of segments) {
      try {
        await retry(() => storage.delete(keys.segment(segment)), policy);
      } catch (error) {
        // Harmless: readers take the union of overlapping segments.
        logger.warn(
          { key: keys.segment(segment), error: messageOf(error) },
          'Could not delete an item segment a larger one replaced; resumes read both.',
        );
      }
    }
  }

  async function flushOnce(): Promise<boolean> {
    if (frontier < segmentFirst) return false;
    const room = options.segmentMaxItems - blockEntries.length;
    const added: ItemSegmentEntry[] = [];
    let last = segmentFirst - 1;
    while (last < frontier && added.length < room) {
      last += 1;
      const entry = settled.get(last);
      if (entry) added.push(entry);
    }
    const items = [...blockEntries, ...added];
    const segment = nextSegment;
    nextSegment += 1;
    lastFlushAt = clock.now();
    const body = encodeItemSegment({
      v: 1,
      segment,
      firstSequence: blockFirst,
      lastSequence: last,
      items,
    });
    try {
      await retry(
        () =>
          storage.put(keys.segment(segment), body, {
            ifNoneMatch: '*',
            contentType: 'application/json',
          }),
        policy,
      );
    } catch (error) {
      // The records are durable; without this segment a resume lists and reads them instead.
      // The next segment takes the next number and covers this range again.
      logger.warn(
        { key: keys.segment(segment), error: messageOf(error) },
        'Could not write an item segment; a resume will read those item records one by one.',
      );
      return false;
    }
    for (let sequence = segmentFirst; sequence <= last; sequence += 1) settled.delete(sequence);
    segmentFirst = last + 1;
    waiting -= added.length;
    segmentsWritten += 1;
    const superseded = blockSegments;
    if (items.length >= options.segmentMaxItems) {
      blockFirst = segmentFirst;
      blockEntries = [];
      blockSegments = [];
    } else {
      blockEntries = items;
      blockSegments = [segment];
    }
    await deleteSuperseded(superseded);
    return true;
  }

  return {
    async write(draft) {
      for (let collisions = 0; ; collisions += 1) {
        const sequence = nextSequence;
        nextSequence += 1;
        const { v, ...fields } = draft;
        const record: ItemRecord = { v, sequence, ...fields };
        try {
          await retry(
            () =>
              storage.put(keys.item(sequence), JSON.stringify(record), {
                ifNoneMatch: '*',
                contentType: 'application/json',
              }),
            policy,
          );
        } catch (error) {
          settle(sequence, null);
          if (isCairnError(error, 'PRECONDITION_FAILED') && collisions < maxSequenceCollisions) {
            logger.warn(
              { key: keys.item(sequence) },
              'An item record already exists at this sequence; using the next one. Is another process mapping the same run and step?',
            );
            continue;
          }
          throw error;
        }
        settle(
          sequence,
          segmentEntryOf({
            index: record.index,
            ...(record.key === undefined ? {} : { key: record.key }),
            sequence,
            status: record.status,
            digestPrefix: digestPrefix(record.inputDigest),
          }),
        );
        return record;
      }
    },

    maybeFlush() {
      if (flushing !== undefined || frontier < segmentFirst) return;
      const due =
        blockEntries.length + waiting >= options.segmentMaxItems ||
        clock.now() - lastFlushAt >= options.flushIntervalMs;
      if (!due) return;
      flushing = flushOnce().then(
        () => {
          flushing = undefined;
        },
        // flushOnce catches storage failures; this only guards against the unexpected.
        (error: unknown) => {
          flushing = undefined;
          logger.error({ error: messageOf(error) }, 'Item segment flush failed unexpectedly.');
        },
      );
    },

    async close() {
      while (flushing !== undefined) await flushing;
      // Stops at the first failure: retrying at once would most likely fail the same way.
      while (frontier >= segmentFirst && (await flushOnce()));
    },

    get segmentsWritten() {
      return segmentsWritten;
    },
  };
}
