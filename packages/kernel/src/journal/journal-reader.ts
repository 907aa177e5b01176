import { abortedError } from '../errors/aborted-error.js';
import { parseRunId } from '../naming/layout.js';
import type { Storage } from '../storage/storage.js';
import { JournalCursor } from './journal-cursor.js';
import type { JournalEntry } from './journal-events.js';
import { journalBackendName } from './journal-writer-options.js';

/** Options of {@link readJournal}. */
export interface ReadJournalOptions {
  /** Yield only entries with a larger `seq` (those up to it are read but not yielded). */
  readonly afterSequence?: number;
  /** Stops the reading: the iteration throws `ABORTED`. */
  readonly signal?: AbortSignal;
}

/**
 * Every entry of a run's journal stored now, in order, read segment by segment (one segment
 * in memory at a time). A run without a journal yields nothing. Entries are parsed and checked
 * to follow each other, but the hash chain is left to {@link verifyJournal}.
 *
 * @throws CairnError `INVALID_OPTIONS` for a bad run id; `CORRUPT_DATA` for a damaged line;
 *   `ABORTED`; storage errors.
 */
export async function* readJournal(
  storage: Storage,
  run: string,
  options: ReadJournalOptions = {},
): AsyncGenerator<JournalEntry> {
  parseRunId(run);
  const afterSequence = options.afterSequence ?? 0;
  const { signal } = options;
  if (signal?.aborted) {
    throw abortedError(journalBackendName, signal.reason, `Reading the journal of run ${run}`);
  }
  for await (const entry of new JournalCursor(storage, run).readNew(signal)) {
    if (entry.seq > afterSequence) yield entry;
  }
}
