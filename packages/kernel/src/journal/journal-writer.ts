import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import { digestOf, sha256Of } from '../storage/body.js';
import { describeIssues } from './journal-entry-parse.js';
import {
  type JournalEntry,
  type JournalEvent,
  journalEventSchema,
  journalFormatVersion,
} from './journal-events.js';
import { genesisHashOf, type JournalHead, journalHashOf } from './journal-hash.js';
import { listSegments } from './journal-segments.js';
import { findJournalTail } from './journal-tail.js';
import {
  type JournalWriterOptions,
  journalBackendName,
  type ResolvedJournalWriterOptions,
  resolveJournalWriterOptions,
} from './journal-writer-options.js';

/** Largest line one entry may take (1 MiB): big data belongs in its own object. */
export const maxJournalEntryBytes = 1024 * 1024;

/** Media type of journal segments. */
export const journalSegmentContentType = 'application/jsonl';

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
   * see it.
   *
   * @throws CairnError `INVALID_OPTIONS` for an event that does not match its schema, cannot be
   *   written as JSON or is larger than {@link maxJournalEntryBytes}; `UNSUPPORTED` after
   *   `close`; `CONFLICT` once another writer was found writing the same journal.
   */
  append(event: JournalEvent): JournalEntry;
  /**
   * Writes every entry appended before the call, as one segment (more when over
   * `maxBufferedEntries`), and resolves once they are durable. Concurrent calls share the
   * writes. On a storage failure it rejects and keeps the entries, which the next flush writes
   * again, unchanged and in order.
   *
   * @throws CairnError the storage's error (entries kept); `CONFLICT` when a segment it was about
   *   to create already exists with other content: another writer has the journal.
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

/** A segment whose content is fixed: retried as is until it is stored. */
interface FrozenSegment {
  readonly number: number;
  readonly key: string;
  readonly body: string;
  readonly sha256: string;
  readonly entries: number;
  readonly head: JournalHead;
}

/**
 * Opens a run's journal for appending. A new journal starts at entry 1 (whose `prev` is
 * {@link genesisHashOf} the run); with `resume`, the chain continues from the last stored entry.
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options; `CONFLICT` when the run already has a
 *   journal and `resume` was not given; `CORRUPT_DATA` when resuming a journal whose last
 *   segment is damaged; storage errors from reading it.
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

function createJournalWriter(
  options: ResolvedJournalWriterOptions,
  start: JournalHead,
  firstSegment: number,
): JournalWriter {
  const { storage, run, logger, clock } = options;
  const keys = runKeys(run);
  let durable = start;
  let appendedSeq = start.entries;
  let appendedHash = start.hash;
  let nextSegment = firstSegment;
  // Lines not yet in a segment, oldest first.
  let lines: string[] = [];
  let frozen: FrozenSegment | undefined;
  let writing: Promise<void> | undefined;
  let closed = false;
  let conflict: CairnError | undefined;
  let timer: AbortController | undefined;
  // After a failed write, early flushes wait for the timer instead of hammering a storage that
  // is down on every append.
  let lastWriteFailed = false;

  function refuse(): CairnError | undefined {
    if (conflict !== undefined) {
      return new CairnError({
        code: 'CONFLICT',
        backend: journalBackendName,
        message: `The journal of run ${run} is no longer written by this writer: ${conflict.message.replace(/^\[cairn\] \[journal\] /, '')}`,
        details: { run },
        cause: conflict,
      });
    }
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
    const entries = durable.entries + taken.length;
    const number = nextSegment;
    return {
      number,
      key: keys.journalSegment(number),
      body,
      sha256: sha256Of(body),
      entries: taken.length,
      head: { entries, hash: journalHashOf(taken[taken.length - 1] as string) },
    };
  }

  async function storedDigest(key: string): Promise<string> {
    const info = await storage.head(key);
    if (info?.sha256 !== undefined) return info.sha256;
    const result = await storage.get(key);
    return (await digestOf(result.body)).sha256;
  }

  async function write(segment: FrozenSegment): Promise<void> {
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
    } catch (error) {
      if (!isCairnError(error, 'PRECONDITION_FAILED')) throw failedWrite(segment, error);
      // An earlier attempt may have stored it and lost only the answer (a timeout after the
      // commit): the same bytes mean it is ours, anything else is another writer's.
      let existing: string;
      try {
        existing = await storedDigest(segment.key);
      } catch (lookupError) {
        throw failedWrite(segment, lookupError);
      }
      if (existing !== segment.sha256) {
        conflict = new CairnError({
          code: 'CONFLICT',
          backend: journalBackendName,
          message: `Journal segment "${segment.key}" was created by another writer while this one held ${segment.entries} entries for it. Two processes are writing run ${run}; stop one of them. The entries were not written.`,
          details: { run, key: segment.key },
          cause: error,
        });
        throw conflict;
      }
      logger.debug(
        { run, key: segment.key },
        'journal segment was already stored by an earlier attempt',
      );
    }
  }

  function failedWrite(segment: FrozenSegment, error: unknown): CairnError {
    const code = isCairnError(error) ? error.code : 'TRANSIENT_IO';
    return new CairnError({
      code,
      backend: journalBackendName,
      message: `Writing journal segment "${segment.key}" of run ${run} failed; its ${segment.entries} entries and every later one stay buffered and the next flush writes them again.`,
      details: { run, key: segment.key },
      ...(isCairnError(error) ? { retryable: error.retryable } : {}),
      cause: error,
    });
  }

  async function writeNext(): Promise<void> {
    if (conflict !== undefined) throw refuse();
    frozen ??= freeze();
    try {
      await write(frozen);
    } catch (error) {
      lastWriteFailed = true;
      throw error;
    }
    lastWriteFailed = false;
    durable = frozen.head;
    nextSegment = frozen.number + 1;
    frozen = undefined;
  }

  async function flush(): Promise<void> {
    const target = appendedSeq;
    while (durable.entries < target) {
      writing ??= writeNext().finally(() => {
        writing = undefined;
      });
      await writing;
    }
    if (conflict !== undefined) throw refuse();
  }

  function flushInBackground(): void {
    flush().then(
      () => flushSoon(),
      (error: unknown) => {
        logger.warn(
          { run, error: error instanceof Error ? error.message : String(error) },
          'journal flush failed; entries stay buffered and are written on the next flush',
        );
        if (conflict === undefined) schedule();
      },
    );
  }

  /** Flushes at once when a segment's worth is waiting, else within the interval. */
  function flushSoon(): void {
    if (closed) return;
    if (lines.length >= options.maxBufferedEntries && writing === undefined && !lastWriteFailed) {
      stopTimer();
      flushInBackground();
    } else if (appendedSeq > durable.entries) {
      schedule();
    }
  }

  function schedule(): void {
    if (timer !== undefined || closed) return;
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
          seq: appendedSeq + 1,
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
      appendedSeq += 1;
      appendedHash = journalHashOf(line);
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
      return appendedSeq - durable.entries;
    },
  };
}
