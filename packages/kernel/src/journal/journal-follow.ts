import { CairnError } from '../errors/cairn-error.js';
import { parseRunId } from '../naming/layout.js';
import { type Clock, systemClock } from '../retry/clock.js';
import type { Storage } from '../storage/storage.js';
import { JournalCursor } from './journal-cursor.js';
import type { JournalEntry } from './journal-events.js';
import { journalBackendName } from './journal-writer-options.js';

/** First wait between polls of a followed journal, by default. */
export const defaultPollIntervalMs = 500;

/** Longest wait between polls of a followed journal that stays idle, by default. */
export const defaultMaxPollIntervalMs = 5000;

/** Options of {@link followJournal}. */
export interface FollowJournalOptions {
  /** Yield only entries with a larger `seq`: where a reader that reconnects left off. */
  readonly afterSequence?: number;
  /**
   * Wait between polls once the stored entries are read (ms, default 500). Each poll that finds
   * nothing doubles the wait up to `maxPollIntervalMs`; new entries reset it.
   */
  readonly pollIntervalMs?: number;
  /** Longest wait between polls while nothing arrives (ms, default 5000). */
  readonly maxPollIntervalMs?: number;
  /** Ends the iteration quietly (no error) at the next entry or during a wait. */
  readonly signal?: AbortSignal;
  /**
   * Ends the iteration right after yielding an entry for which this returns true. By default the
   * iteration ends when the latest stored entry is a `run-finished` event, so a run that was
   * finished and then resumed is followed into its next attempt.
   */
  readonly until?: (entry: JournalEntry) => boolean;
  /** Drives the waits between polls; tests pass a manual clock. */
  readonly clock?: Clock;
}

/**
 * Follows a run's journal live: yields what is stored, then polls for new segments and yields
 * their entries as they appear. Memory stays flat however long the journal grows (one segment
 * at a time, one short listing per poll). A run that has no journal yet is waited for.
 *
 * @throws CairnError `INVALID_OPTIONS` for a bad run id; `CORRUPT_DATA` for a damaged line;
 *   storage errors. An abort ends the iteration without an error.
 */
export async function* followJournal(
  storage: Storage,
  run: string,
  options: FollowJournalOptions = {},
): AsyncGenerator<JournalEntry> {
  parseRunId(run);
  for (const field of ['afterSequence', 'pollIntervalMs', 'maxPollIntervalMs'] as const) {
    const value = options[field];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new CairnError({
        code: 'INVALID_OPTIONS',
        backend: journalBackendName,
        message: `followJournal option ${field} must be a finite number >= 0, got ${String(value)}.`,
        details: { field },
      });
    }
  }
  const afterSequence = options.afterSequence ?? 0;
  const firstWait = options.pollIntervalMs ?? defaultPollIntervalMs;
  const longestWait = Math.max(firstWait, options.maxPollIntervalMs ?? defaultMaxPollIntervalMs);
  const clock = options.clock ?? systemClock;
  const { signal, until } = options;
  const cursor = new JournalCursor(storage, run);
  let wait = firstWait;
  let latest: JournalEntry | undefined;
  while (!signal?.aborted) {
    let arrived = false;
    try {
      for await (const entry of cursor.readNew(signal)) {
        latest = entry;
        arrived = true;
        if (entry.seq <= afterSequence) continue;
        yield entry;
        if (until?.(entry) === true) return;
      }
    } catch (error) {
      // A storage call cut short by the abort ends the iteration like an abort between polls.
      if (signal?.aborted) return;
      throw error;
    }
    if (until === undefined && latest?.event.type === 'run-finished') return;
    if (arrived) wait = firstWait;
    try {
      await clock.sleep(wait, signal);
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
    if (!arrived) wait = Math.min(longestWait, wait * 2);
  }
}
