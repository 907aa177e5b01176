import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import { sha256Of } from '../storage/body.js';
import { describeIssues } from './journal-entry-parse.js';
import {
  type JournalEntry,
  type JournalEvent,
  journalEventSchema,
  journalFormatVersion,
} from './journal-events.js';
import { genesisHashOf, type JournalHead, journalHashOf } from './journal-hash.js';
import { rechainLines } from './journal-rechain.js';
import {
  type FrozenSegment,
  failedSegmentWrite,
  journalSegmentContentType,
  storeSegment,
} from './journal-segment-store.js';
import { listSegments } from './journal-segments.js';
import { findJournalTail, type JournalTail } from './journal-tail.js';
import {
  type JournalWriterOptions,
  journalBackendName,
  type ResolvedJournalWriterOptions,
  resolveJournalWriterOptions,
} from './journal-writer-options.js';

/** Largest line one entry may take (1 MiB): big data belongs in its own object. */
export const maxJournalEntryBytes = 1024 * 1024;

export { journalSegmentContentType };

/**
 * How many times in a row a writer continues its journal after a segment another writer of
 * the same run stored first, before it gives up with `CONFLICT`.
 */
export const maxSegmentTakenInARow = 5;

/**
 * Appends events to a run's journal. Appends are buffered in memory and written as one
 * create-only segment per flush, so appending costs no I/O; `head` says what is durable.
 */
export interface JournalWriter {
  /** The run whose journal this is. */
  readonly run: string;
  /**
   * Validates `event`, chains it to the previous entry and buffers it; a flush is scheduled
   * (at once when `maxBufferedEntries` are waiting). Returns the entry exactly as readers will
   * see it, unless another writer of the run stores entries first: the entry then follows
   * theirs, with a larger `seq` and a new `prev`.
   *
   * @throws CairnError `INVALID_OPTIONS` for an event that does not match its schema, cannot be
   *   written as JSON or is larger than {@link maxJournalEntryBytes}; `UNSUPPORTED` after
   *   `close`; `CONFLICT` once the writer stopped (its lease was lost, or it gave up on
   *   another writer of the same journal).
   */
  append(event: JournalEvent): JournalEntry;
  /**
   * Writes every entry appended before the call, as one segment (more when over
   * `maxBufferedEntries`), and resolves once they are durable. Concurrent calls share the
   * writes. On a storage failure it rejects and keeps the entries, which the next flush writes
   * again, unchanged and in order.
   *
   * When a segment it was about to create already exists with other content, another writer of
   * the run stored it first (an old owner that has not yet noticed a takeover). Those entries
   * stay: the writer reads the journal's new end, re-numbers and re-chains its unwritten entries
   * after it and writes them in the next segment.
   *
   * @throws CairnError the storage's error (entries kept); `CONFLICT` when the writer stopped:
   *   its lease was lost (`leaseLost`, `checkOwnership`), or another writer took
   *   {@link maxSegmentTakenInARow} segments in a row and one more, or the journal it would
   *   continue ends in a damaged line.
   */
  flush(): Promise<void>;
  /**
   * Stops accepting entries, stops the timer and flushes. If the flush fails it rejects with
   * the entries still buffered; calling `close` (or `flush`) again tries again.
   */
  close(): Promise<void>;
  /** What has been made durable: entries and the hash of the last one. */
  readonly head: JournalHead;
  /** Entries appended but not yet durable. */
  readonly buffered: number;
}

/**
 * Opens a run's journal for appending. A new journal starts at entry 1 (whose `prev` is
 * {@link genesisHashOf} the run); with `resume`, the chain continues from the last stored entry.
 *
 * Opening writes nothing: a writer that is never appended to leaves the journal as it was.
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options; `CONFLICT` when the run already has a
 *   journal and `resume` was not given; `CORRUPT_DATA` when resuming a journal whose last
 *   segment is damaged, or that ends before `expectedHead`; storage errors from reading it.
 */
export async function openJournalWriter(options: JournalWriterOptions): Promise<JournalWriter> {
  const resolved = resolveJournalWriterOptions(options);
  const { storage, run } = resolved;
  let durable: JournalHead = { entries: 0, hash: genesisHashOf(run) };
  let nextSegment = 1;
  if (resolved.resume) {
    const tail = await findJournalTail(storage, run);
    if (tail !== undefined) {
      durable = tail.head;
      nextSegment = tail.segment + 1;
    }
    if (resolved.expectedHead !== undefined) {
      checkRecordedHead(run, tail, resolved.expectedHead);
    }
  } else {
    for await (const segment of listSegments(storage, run)) {
      throw new CairnError({
        code: 'CONFLICT',
        backend: journalBackendName,
        message: `Run ${run} already has a journal (found "${segment.key}"). Pass resume: true to continue it, or start a new run.`,
        details: { run, key: segment.key },
      });
    }
  }
  return createJournalWriter(resolved, durable, nextSegment);
}

/**
 * Refuses to continue a journal that ends before the head its run recorded: its last segments
 * were removed or replaced, and appending would hide that for good.
 */
function checkRecordedHead(
  run: string,
  tail: JournalTail | undefined,
  recorded: JournalHead,
): void {
  const entries = tail?.head.entries ?? 0;
  if (entries > recorded.entries) return;
  if (entries === recorded.entries && (tail?.head.hash ?? genesisHashOf(run)) === recorded.hash) {
    return;
  }
  const keys = runKeys(run);
  const where =
    tail === undefined
      ? 'has no segments'
      : `ends at entry ${entries} in segment "${keys.journalSegment(tail.segment)}"`;
  const missing = recorded.entries - entries;
  const what =
    missing > 0
      ? `the last ${missing === 1 ? 'entry is' : `${missing} entries are`} missing (segments deleted or cut short)`
      : `entry ${entries} is not the one the run recorded (it was edited or replaced)`;
  throw new CairnError({
    code: 'CORRUPT_DATA',
    backend: journalBackendName,
    message: `The journal of run ${run} ${where}, but the run recorded ${recorded.entries} ${recorded.entries === 1 ? 'entry' : 'entries'}: ${what}. Continuing it would hide the loss, so nothing was written. Restore the missing segments from a backup and resume again, or start a new run (resume: false); verifyJournal with the recorded head shows what is damaged.`,
    details: { run, entries, recordedEntries: recorded.entries },
  });
}

function createJournalWriter(
  options: ResolvedJournalWriterOptions,
  start: JournalHead,
  firstSegment: number,
): JournalWriter {
  const { storage, run, logger, clock, leaseLost, checkOwnership } = options;
  const keys = runKeys(run);
  // The stored journal's end as far as this writer knows: its own segments, and after a
  // re-chain also another writer's.
  let durable = start;
  let appendedSequence = start.entries;
  let appendedHash = start.hash;
  let nextSegment = firstSegment;
  // Counted apart from `seq`, which a re-chain changes: what this writer accepted and stored.
  let appendedCount = 0;
  let writtenCount = 0;
  // Lines not yet in a segment, oldest first.
  let lines: string[] = [];
  let frozen: FrozenSegment | undefined;
  let writing: Promise<void> | undefined;
  let closed = false;
  // Set once this writer stops writing for good: it lost the run, or gave up on a rival.
  let stopped: { readonly reason: string; readonly cause?: unknown } | undefined;
  let takenInARow = 0;
  let timer: AbortController | undefined;
  // After a failed write, early flushes wait for the timer instead of hammering a storage that
  // is down on every append.
  let lastWriteFailed = false;

  function stop(reason: string, cause?: unknown): void {
    if (stopped !== undefined) return;
    stopped = cause === undefined ? { reason } : { reason, cause };
    stopTimer();
  }

  function checkLease(): void {
    if (leaseLost?.aborted === true) {
      stop(
        `run ${run} was taken over by another process (its lease is lost); the new owner's journal is left alone`,
        leaseLost.reason,
      );
    }
  }

  leaseLost?.addEventListener('abort', checkLease, { once: true });

  /** Why nothing more can be written, as an error, or undefined while writing goes on. */
  function stoppedError(): CairnError | undefined {
    checkLease();
    if (stopped === undefined) return undefined;
    const unwritten = appendedCount - writtenCount;
    return new CairnError({
      code: 'CONFLICT',
      retryable: false,
      backend: journalBackendName,
      message: `The journal of run ${run} is no longer written by this writer: ${stopped.reason.replace(/\.$/, '')}.${unwritten > 0 ? ` ${unwritten} ${unwritten === 1 ? 'entry was' : 'entries were'} not written.` : ''}`,
      details: { run, unwritten },
      ...(stopped.cause === undefined ? {} : { cause: stopped.cause }),
    });
  }

  function refuse(): CairnError | undefined {
    const stoppedRefusal = stoppedError();
    if (stoppedRefusal !== undefined) return stoppedRefusal;
    if (closed) {
      return new CairnError({
        code: 'UNSUPPORTED',
        backend: journalBackendName,
        message: `The journal writer of run ${run} is closed; open a new one with resume: true to append more.`,
        details: { run },
      });
    }
    return undefined;
  }

  function invalidEvent(reason: string, cause?: unknown): CairnError {
    return new CairnError({
      code: 'INVALID_OPTIONS',
      backend: journalBackendName,
      message: `Cannot append to the journal of run ${run}: ${reason}. Nothing was appended.`,
      details: { run },
      ...(cause === undefined ? {} : { cause }),
    });
  }

  function freeze(): FrozenSegment {
    const taken = lines.slice(0, options.maxBufferedEntries);
    lines = lines.slice(taken.length);
    const body = `${taken.join('\n')}\n`;
    const number = nextSegment;
    return {
      number,
      key: keys.journalSegment(number),
      lines: taken,
      body,
      sha256: sha256Of(body),
      head: {
        entries: durable.entries + taken.length,
        hash: journalHashOf(taken[taken.length - 1] as string),
      },
    };
  }

  /**
   * Another writer stored `segment`'s key first. Its entries are history and stay; ours move
   * after the journal's new end, unless this process no longer owns the run.
   */
  async function continueAfterRival(segment: FrozenSegment): Promise<void> {
    const taken = `another writer stored journal segment "${segment.key}" first`;
    if (takenInARow >= maxSegmentTakenInARow) {
      stop(
        `${taken}, ${takenInARow + 1} times in a row: two processes are writing run ${run}; stop one of them`,
      );
      throw stoppedError();
    }
    let owner = true;
    try {
      if (checkOwnership !== undefined) owner = await checkOwnership();
    } catch (error) {
      throw failedSegmentWrite(run, segment, error);
    }
    if (!owner) stop(`${taken}, and this process no longer owns run ${run} (it was taken over)`);
    let tail: JournalTail | undefined;
    if (stoppedError() === undefined) {
      try {
        tail = await findJournalTail(storage, run);
      } catch (error) {
        if (!isCairnError(error, 'CORRUPT_DATA')) throw failedSegmentWrite(run, segment, error);
        stop(
          `${taken}, and the journal cannot be continued after it: ${error.message.replace(/^\[cairn\] \[journal\] /, '')}`,
          error,
        );
      }
    }
    const refusal = stoppedError();
    if (refusal !== undefined) throw refusal;
    takenInARow += 1;
    // A listing that does not show the segment in the way yet, or a journal that shrank: the
    // next attempt looks again, within the same bound.
    if (
      tail === undefined ||
      tail.segment < segment.number ||
      tail.head.entries < durable.entries
    ) {
      return;
    }
    // Taken now, with no await before the assignments: appends made while the tail was read
    // are in `lines` and move too.
    const pending = [...segment.lines, ...lines];
    const moved = rechainLines(pending, tail.head);
    logger.warn(
      { run, key: segment.key, after: tail.head.entries, entries: pending.length },
      'another writer stored a journal segment first; its entries stay and this writer continues after them',
    );
    frozen = undefined;
    lines = moved.lines;
    durable = tail.head;
    nextSegment = tail.segment + 1;
    appendedSequence = moved.head.entries;
    appendedHash = moved.head.hash;
  }

  async function writeNext(): Promise<void> {
    const refusal = stoppedError();
    if (refusal !== undefined) throw refusal;
    frozen ??= freeze();
    const segment = frozen;
    let outcome: Awaited<ReturnType<typeof storeSegment>>;
    try {
      outcome = await storeSegment(storage, run, segment, logger);
      if (outcome === 'taken') await continueAfterRival(segment);
    } catch (error) {
      lastWriteFailed = true;
      throw error;
    }
    if (outcome === 'taken') return;
    lastWriteFailed = false;
    takenInARow = 0;
    durable = segment.head;
    nextSegment = segment.number + 1;
    writtenCount += segment.lines.length;
    frozen = undefined;
  }

  async function flush(): Promise<void> {
    const target = appendedCount;
    while (writtenCount < target) {
      writing ??= writeNext().finally(() => {
        writing = undefined;
      });
      await writing;
    }
  }

  function flushInBackground(): void {
    flush().then(
      () => flushSoon(),
      (error: unknown) => {
        logger.warn(
          { run, error: error instanceof Error ? error.message : String(error) },
          stopped === undefined
            ? 'journal flush failed; entries stay buffered and are written on the next flush'
            : 'journal writer stopped; buffered entries are not written',
        );
        if (stopped === undefined) schedule();
      },
    );
  }

  /** Flushes at once when a segment's worth is waiting, else within the interval. */
  function flushSoon(): void {
    if (closed || stopped !== undefined) return;
    if (lines.length >= options.maxBufferedEntries && writing === undefined && !lastWriteFailed) {
      stopTimer();
      flushInBackground();
    } else if (appendedCount > writtenCount) {
      schedule();
    }
  }

  function schedule(): void {
    if (timer !== undefined || closed || stopped !== undefined) return;
    const controller = new AbortController();
    timer = controller;
    clock.sleep(options.flushIntervalMs, controller.signal).then(
      () => {
        if (timer === controller) timer = undefined;
        flushInBackground();
      },
      () => {
        if (timer === controller) timer = undefined;
      },
    );
  }

  function stopTimer(): void {
    timer?.abort();
    timer = undefined;
  }

  return {
    run,

    append(event: JournalEvent): JournalEntry {
      const refusal = refuse();
      if (refusal !== undefined) throw refusal;
      const parsed = journalEventSchema.safeParse(event);
      if (!parsed.success) {
        throw invalidEvent(
          `the event is not valid: ${describeIssues(parsed.error.issues, 'event')}`,
        );
      }
      const milliseconds = options.now();
      if (!Number.isFinite(milliseconds)) {
        throw invalidEvent(
          `the now option returned ${String(milliseconds)}, not a time in milliseconds`,
        );
      }
      let line: string;
      try {
        line = JSON.stringify({
          v: journalFormatVersion,
          seq: appendedSequence + 1,
          time: new Date(milliseconds).toISOString(),
          prev: appendedHash,
          event: parsed.data,
        });
      } catch (error) {
        throw invalidEvent('the event cannot be written as JSON (a BigInt or a cycle?)', error);
      }
      if (Buffer.byteLength(line) > maxJournalEntryBytes) {
        throw invalidEvent(
          `the entry would take ${Buffer.byteLength(line)} bytes, more than ${maxJournalEntryBytes}; store large data as its own object and journal its key`,
        );
      }
      appendedSequence += 1;
      appendedHash = journalHashOf(line);
      appendedCount += 1;
      lines.push(line);
      flushSoon();
      // Parsed back from the line so the caller holds what readers will read (JSON drops
      // undefined, turns dates into strings).
      return JSON.parse(line) as JournalEntry;
    },

    flush,

    async close(): Promise<void> {
      closed = true;
      stopTimer();
      await flush();
    },

    get head() {
      return durable;
    },

    get buffered() {
      return appendedCount - writtenCount;
    },
  };
}
