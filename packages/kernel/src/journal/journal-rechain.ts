import type { JournalHead } from './journal-hash.js';
import { journalHashOf } from './journal-hash.js';

/** Lines re-numbered and re-chained to follow a new head. */
export interface RechainedLines {
  /** The lines, in the same order, with new `seq` and `prev`. */
  readonly lines: string[];
  /** The head once they are all stored: `after` plus these lines. */
  readonly head: JournalHead;
}

/**
 * Gives entries that are not stored yet new `seq` and `prev` values so they follow `after`,
 * the end of the stored journal. Used when another writer of the same run stored a segment
 * first: its entries are true history and stay, and these go after them. Everything else in
 * each line (format version, time, event) is kept as it was.
 */
export function rechainLines(lines: readonly string[], after: JournalHead): RechainedLines {
  let sequence = after.entries;
  let previousHash = after.hash;
  const rechained = lines.map((line) => {
    // The line was written by JSON.stringify, so parsing and writing it again keeps its bytes
    // apart from the two fields changed, and their places in the object.
    const entry = JSON.parse(line) as { seq: number; prev: string };
    sequence += 1;
    entry.seq = sequence;
    entry.prev = previousHash;
    const text = JSON.stringify(entry);
    previousHash = journalHashOf(text);
    return text;
  });
  return { lines: rechained, head: { entries: sequence, hash: previousHash } };
}
