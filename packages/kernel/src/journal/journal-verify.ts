import { abortedError } from '../errors/aborted-error.js';
import { parseRunId, runKeys } from '../naming/layout.js';
import type { Storage } from '../storage/storage.js';
import { parseJournalLine } from './journal-entry-parse.js';
import { genesisHashOf, type JournalHead, journalHashOf } from './journal-hash.js';
import { listSegments, readSegmentLines } from './journal-segments.js';
import { journalBackendName } from './journal-writer-options.js';

/** What kind of damage a {@link JournalProblem} is. */
export type JournalProblemKind =
  /** A line is not JSON (or not UTF-8): it was edited or overwritten. */
  | 'unparseable'
  /** A line is JSON but not a journal entry of a known shape. */
  | 'schema'
  /** An entry's `prev` is not the hash of the line before it, or the last entry is not the head the run recorded. */
  | 'chain-broken'
  /** An entry's `seq` is not one more than the previous one: lines removed, repeated or moved. */
  | 'sequence-gap'
  /** Segment numbers skip: a segment was removed or renamed. */
  | 'segment-gap'
  /** A segment is cut short, or the journal has fewer entries than the head the run recorded. */
  | 'truncated';

/** The first damage a verification found. */
export interface JournalProblem {
  /** Key of the segment where it is (the journal's prefix when no segment exists). */
  readonly segment: string;
  /** The entry's `seq`, or the first missing one for truncation, when known. */
  readonly seq?: number;
  /** Line in the segment, from 1, when the damage is on a line. */
  readonly line?: number;
  /** What kind of damage. */
  readonly kind: JournalProblemKind;
  /** What is wrong, in words. */
  readonly message: string;
}

/** The outcome of {@link verifyJournal}. */
export interface JournalVerification {
  /** True when no problem was found. */
  readonly ok: boolean;
  /** Entries verified good, from the first up to (not including) the first problem. */
  readonly entries: number;
  /** Segments read. */
  readonly segments: number;
  /** Entries and hash of the last good entry (the genesis hash when none). */
  readonly head?: JournalHead;
  /**
   * Empty when `ok`. Otherwise every kind of damage found at the first bad place (a removed
   * segment shows as a segment gap, a sequence gap and a broken chain on the same line);
   * verification stops there, since everything after it follows from it.
   */
  readonly problems: readonly JournalProblem[];
}

/** Options of {@link verifyJournal}. */
export interface VerifyJournalOptions {
  /**
   * The head the run recorded (its run record stores the writer's `head`). Cutting entries off
   * the end leaves a valid shorter chain; only this shows it. A journal that grew past it must
   * still pass through it.
   */
  readonly expectedHead?: JournalHead;
  /** Stops the verification with `ABORTED`. */
  readonly signal?: AbortSignal;
}

/**
 * Checks a run's journal entry by entry, one segment in memory at a time: each line parses and
 * matches the schema, `seq` counts up from 1 without gaps, segments are numbered from 1
 * without gaps, and each `prev` is the hash of the line before (the genesis hash for the
 * first). Finds any edit, reordering, removal or truncation in the middle and reports the first
 * bad entry; truncation at the end needs `expectedHead`.
 *
 * @throws CairnError `INVALID_OPTIONS` for a bad run id; `ABORTED`; storage errors (a
 *   verification that cannot read is not a verdict).
 */
export async function verifyJournal(
  storage: Storage,
  run: string,
  options: VerifyJournalOptions = {},
): Promise<JournalVerification> {
  parseRunId(run);
  const { expectedHead, signal } = options;
  const problems: JournalProblem[] = [];
  let previousHash = genesisHashOf(run);
  let entries = 0;
  let segments = 0;
  let expectedSegment = 1;
  let lastKey: string | undefined;

  function checkAbort(): void {
    if (signal?.aborted) {
      throw abortedError(journalBackendName, signal.reason, `Verifying the journal of run ${run}`);
    }
  }

  checkAbort();
  if (expectedHead?.entries === 0 && expectedHead.hash !== previousHash) {
    problems.push({
      segment: runKeys(run).journalPrefix,
      kind: 'chain-broken',
      message: `The expected head has no entries but hash ${expectedHead.hash}, which is not the genesis hash of run ${run}: it belongs to another run.`,
    });
  }

  segmentLoop: for await (const segment of listSegments(
    storage,
    run,
    signal === undefined ? {} : { signal },
  )) {
    if (problems.length > 0) break;
    segments += 1;
    lastKey = segment.key;
    if (segment.number !== expectedSegment) {
      problems.push({
        segment: segment.key,
        seq: entries + 1,
        kind: 'segment-gap',
        message:
          segment.number > expectedSegment
            ? `Segment ${segment.number} follows segment ${expectedSegment - 1}: segment${segment.number - expectedSegment > 1 ? `s ${expectedSegment} to ${segment.number - 1} are` : ` ${expectedSegment} is`} missing.`
            : `Segment ${segment.number} comes where segment ${expectedSegment} was expected.`,
      });
    }
    expectedSegment = segment.number + 1;
    let lines = 0;
    for await (const line of readSegmentLines(storage, segment.key, signal)) {
      checkAbort();
      lines = line.number;
      const place = { segment: segment.key, line: line.number };
      if (!line.complete) {
        problems.push({
          ...place,
          seq: entries + 1,
          kind: 'truncated',
          message: `Line ${line.number} has no newline at its end: the segment was cut short (segments are written whole).`,
        });
        break segmentLoop;
      }
      const parsed = parseJournalLine(line.bytes);
      if (!parsed.ok) {
        problems.push({
          ...place,
          ...(parsed.seq === undefined ? {} : { seq: parsed.seq }),
          kind: parsed.kind,
          message: `Line ${line.number} is ${parsed.message}.`,
        });
        break segmentLoop;
      }
      const { entry } = parsed;
      const sequencePlace = { ...place, seq: entry.seq };
      if (entry.seq !== entries + 1) {
        problems.push({
          ...sequencePlace,
          kind: 'sequence-gap',
          message: `Entry ${entry.seq} comes after entry ${entries}: ${entry.seq > entries + 1 ? `entries ${entries + 1} to ${entry.seq - 1} are missing` : 'entries are repeated or out of order'}.`,
        });
      }
      if (entry.prev !== previousHash) {
        problems.push({
          ...sequencePlace,
          kind: 'chain-broken',
          message: `Entry ${entry.seq} does not chain to the line before it (prev ${entry.prev}, the previous line hashes to ${previousHash}): ${entries === 0 ? 'the first entry was removed or replaced' : `entry ${entries} was edited, or lines were removed or moved`}.`,
        });
      }
      if (problems.length > 0) break segmentLoop;
      previousHash = journalHashOf(line.bytes);
      entries = entry.seq;
      if (expectedHead?.entries === entry.seq && expectedHead.hash !== previousHash) {
        problems.push({
          ...sequencePlace,
          kind: 'chain-broken',
          message: `Entry ${entry.seq} hashes to ${previousHash}, but the run recorded its journal head as ${expectedHead.hash}: the entry was edited after it was written.`,
        });
        break segmentLoop;
      }
    }
    if (lines === 0) {
      problems.push({
        segment: segment.key,
        seq: entries + 1,
        kind: 'truncated',
        message: 'The segment is empty (segments are written whole, never empty).',
      });
    }
  }

  if (problems.length === 0 && expectedHead !== undefined && entries < expectedHead.entries) {
    const missing = expectedHead.entries - entries;
    problems.push({
      segment: lastKey ?? runKeys(run).journalPrefix,
      seq: entries + 1,
      kind: 'truncated',
      message: `The journal ends at entry ${entries}, but the run recorded ${expectedHead.entries}: the last ${missing === 1 ? 'entry was' : `${missing} entries were`} cut off.`,
    });
  }
  return {
    ok: problems.length === 0,
    entries,
    segments,
    head: { entries, hash: previousHash },
    problems,
  };
}
