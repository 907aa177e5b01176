import { createHash } from 'node:crypto';

/** What the first entry's `prev` is the hash of, followed by the run id. */
export const journalGenesisPrefix = 'cairn.journal/v1:';

/**
 * How far a journal has been made durable: the number of entries and the hash of the last
 * one's line (the genesis hash when there are none). The run record stores it, so a verifier
 * can tell a journal whose tail was cut off from one that simply ended there.
 */
export interface JournalHead {
  /** Entries in the journal, which is also the `seq` of the last one. */
  readonly entries: number;
  /** {@link journalHashOf} the last entry's line, or {@link genesisHashOf} the run. */
  readonly hash: string;
}

/** Hex SHA-256 of one journal line's exact UTF-8 bytes, without its newline. */
export function journalHashOf(line: string | Uint8Array): string {
  return createHash('sha256').update(line).digest('hex');
}

/** The `prev` of a run's first journal entry: the hash of `cairn.journal/v1:<run id>`. */
export function genesisHashOf(run: string): string {
  return journalHashOf(`${journalGenesisPrefix}${run}`);
}
