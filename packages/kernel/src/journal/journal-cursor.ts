import { abortedError } from '../errors/aborted-error.js';
import { CairnError } from '../errors/cairn-error.js';
import type { Storage } from '../storage/storage.js';
import { parseJournalLine } from './journal-entry-parse.js';
import type { JournalEntry } from './journal-events.js';
import { listSegments, readSegmentLines } from './journal-segments.js';
import { journalBackendName } from './journal-writer-options.js';

/**
 * A reading position in a run's journal: the last segment read whole and the next `seq`
 * expected. Reading on from it lists only the segments after that one, so following a live
 * journal costs one short listing per poll and memory stays flat however long it grows.
 */
export class JournalCursor {
  private lastKey: string | undefined;
  private nextSequence = 1;

  constructor(
    private readonly storage: Storage,
    private readonly run: string,
  ) {}

  /**
   * Every entry stored after the position, in order, segment by segment; the position moves as
   * each segment is finished.
   *
   * @throws CairnError `CORRUPT_DATA` for a line that is cut, unparseable, not an entry or out
   *   of order (verifyJournal says more); `ABORTED` when `signal` fires; storage errors.
   */
  async *readNew(signal?: AbortSignal): AsyncGenerator<JournalEntry> {
    const listing = listSegments(this.storage, this.run, {
      ...(this.lastKey === undefined ? {} : { startAfter: this.lastKey }),
      ...(signal === undefined ? {} : { signal }),
    });
    for await (const segment of listing) {
      let sequence = this.nextSequence;
      for await (const line of readSegmentLines(this.storage, segment.key, signal)) {
        if (signal?.aborted) {
          throw abortedError(
            journalBackendName,
            signal.reason,
            `Reading the journal of run ${this.run}`,
          );
        }
        const parsed = parseJournalLine(line.bytes);
        const fault = !line.complete
          ? 'is cut off (no newline at its end)'
          : !parsed.ok
            ? parsed.message
            : parsed.entry.seq !== sequence
              ? `has seq ${parsed.entry.seq} where ${sequence} was expected`
              : undefined;
        if (fault !== undefined || !parsed.ok) {
          throw new CairnError({
            code: 'CORRUPT_DATA',
            backend: journalBackendName,
            message: `Line ${line.number} of journal segment "${segment.key}" of run ${this.run} ${fault}. Run verifyJournal for the first damaged entry.`,
            details: { run: this.run, key: segment.key, line: line.number },
          });
        }
        sequence += 1;
        yield parsed.entry;
      }
      this.nextSequence = sequence;
      this.lastKey = segment.key;
    }
  }
}
