import { readFile } from 'node:fs/promises';
import type { ArchiveEntry } from './archive-entry.js';
import { type IndexProblem, readIndex, responseDigest } from './archive-index.js';
import { archivePaths } from './archive-layout.js';

/** What {@link verifyArchive} found. */
export interface ArchiveVerification {
  /** True when every entry chains and every response object is the bytes its entry names. */
  readonly ok: boolean;
  /** The run. */
  readonly run: string;
  /** Entries that verified, from the first. */
  readonly verifiedEntries: number;
  /** The first bad entry, when there is one. */
  readonly firstBad?: IndexProblem & {
    /** `index`: the line itself or its place in the chain; `response`: its response object. */
    readonly part: 'index' | 'response';
  };
}

/**
 * Checks a run's archive end to end: walks the hash chain (each line's `prev` is the hash of
 * the line before, seqs count up from 1) and hashes every response object. Reports the first
 * bad entry: an edited, removed or moved line breaks the chain there; an edited or missing
 * response is named by its entry. A cut-off last line is reported too (opening the archive
 * repairs that one). Reads only; never changes the archive.
 */
export async function verifyArchive(directory: string, run: string): Promise<ArchiveVerification> {
  const paths = archivePaths(directory, run);
  let text = '';
  try {
    text = await readFile(paths.index, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const contents = readIndex(text, run);
  for (const [position, entry] of contents.entries.entries()) {
    const digest = await responseDigest(paths.folder, entry.response);
    if (digest !== entry.responseSha256) {
      return {
        ok: false,
        run,
        verifiedEntries: position,
        firstBad: {
          part: 'response',
          seq: (entry as ArchiveEntry).seq,
          line: position + 1,
          atEnd: position === contents.entries.length - 1 && contents.problem === undefined,
          reason:
            digest === undefined
              ? `its response object ${entry.response} is missing`
              : `its response object ${entry.response} has SHA-256 ${digest}, not the ${entry.responseSha256} the entry names (edited)`,
        },
      };
    }
  }
  if (contents.problem !== undefined) {
    return {
      ok: false,
      run,
      verifiedEntries: contents.entries.length,
      firstBad: { part: 'index', ...contents.problem },
    };
  }
  return { ok: true, run, verifiedEntries: contents.entries.length };
}
