import { CairnError } from '../errors/cairn-error.js';
import type { Storage } from '../storage/storage.js';
import { parseJournalLine } from './journal-entry-parse.js';
import { type JournalHead, journalHashOf } from './journal-hash.js';
import { listSegments, readSegmentLines } from './journal-segments.js';
import { journalBackendName } from './journal-writer-options.js';

/** Where an existing journal ends: the chain to continue and the last segment's number. */
export interface JournalTail {
  /** Entries and hash of the last stored entry. */
  readonly head: JournalHead;
  /** Number of the last segment. */
  readonly segment: number;
}

/**
 * Finds the end of a run's journal by reading only its last segment, or undefined when the run
 * has no journal yet.
 *
 * @throws CairnError `CORRUPT_DATA` when the last segment does not end with a whole entry.
 */
export async function findJournalTail(
  storage: Storage,
  run: string,
  signal?: AbortSignal,
): Promise<JournalTail | undefined> {
  let last: { key: string; number: number } | undefined;
  for await (const segment of listSegments(storage, run, signal === undefined ? {} : { signal })) {
    last = segment;
  }
  if (last === undefined) return undefined;
  let lastLine: { bytes: Buffer; number: number; complete: boolean } | undefined;
  for await (const line of readSegmentLines(storage, last.key, signal)) lastLine = line;
  const parsed = lastLine === undefined ? undefined : parseJournalLine(lastLine.bytes);
  if (lastLine === undefined || !lastLine.complete || parsed === undefined || !parsed.ok) {
    const what =
      lastLine === undefined
        ? 'is empty'
        : !lastLine.complete
          ? `ends in the middle of line ${lastLine.number}`
          : `ends with a line that is ${parsed?.ok === false ? parsed.message : 'bad'}`;
    throw new CairnError({
      code: 'CORRUPT_DATA',
      backend: journalBackendName,
      message: `The last journal segment "${last.key}" of run ${run} ${what}, so the journal cannot be continued. Run verifyJournal on it to see what is damaged.`,
      details: { run, key: last.key },
    });
  }
  return {
    head: { entries: parsed.entry.seq, hash: journalHashOf(lastLine.bytes) },
    segment: last.number,
  };
}
