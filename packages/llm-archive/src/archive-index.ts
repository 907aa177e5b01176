import { createHash } from 'node:crypto';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ArchiveEntry,
  archiveEntrySchema,
  entryLine,
  genesisHash,
  lineHash,
} from './archive-entry.js';

/** What reading an index found. */
export interface IndexContents {
  /** The entries that chain and parse, in order. */
  readonly entries: readonly ArchiveEntry[];
  /** Byte length of the good part (everything up to the last good line's newline). */
  readonly goodBytes: number;
  /** Hash of the last good line (the genesis hash when there is none). */
  readonly lastHash: string;
  /**
   * The first problem after the good part: a torn or damaged line, a broken chain. Undefined
   * when the whole file is good.
   */
  readonly problem?: IndexProblem;
}

/** The first bad entry of an index. */
export interface IndexProblem {
  /** The seq the bad line should have had. */
  readonly seq: number;
  /** 1-based line number in the file. */
  readonly line: number;
  /** What is wrong, in words. */
  readonly reason: string;
  /** True when nothing follows the bad line: a torn tail rather than an edit in the middle. */
  readonly atEnd: boolean;
}

/**
 * Reads an index and walks its chain: every line must parse, have the next `seq`, belong to
 * `run`, and name the previous line's hash as `prev`. Stops at the first line that does not.
 */
export function readIndex(text: string, run: string): IndexContents {
  const entries: ArchiveEntry[] = [];
  let lastHash = genesisHash(run);
  let offset = 0;
  let lineNumber = 0;
  while (offset < text.length) {
    const newline = text.indexOf('\n', offset);
    const line = newline === -1 ? text.slice(offset) : text.slice(offset, newline);
    lineNumber += 1;
    const seq = entries.length + 1;
    const atEnd = newline === -1 || newline === text.length - 1;
    const fail = (reason: string): IndexContents => ({
      entries,
      goodBytes: Buffer.byteLength(text.slice(0, offset)),
      lastHash,
      problem: { seq, line: lineNumber, reason, atEnd },
    });
    if (newline === -1) return fail('the line is incomplete (no newline): a write was cut off');
    let entry: ArchiveEntry;
    try {
      entry = archiveEntrySchema.parse(JSON.parse(line));
    } catch (error) {
      return fail(`the line is not a valid entry (${(error as Error).message.split('\n')[0]})`);
    }
    if (entry.seq !== seq)
      return fail(`its seq is ${entry.seq}, expected ${seq} (an entry was removed or moved)`);
    if (entry.run !== run) return fail(`it belongs to run "${entry.run}", not "${run}"`);
    if (entry.prev !== lastHash) {
      return fail(
        'its prev is not the hash of the line before it (that line, or this one, was edited, removed or moved)',
      );
    }
    if (entryLine(entry) !== line)
      return fail('the line is not written the way Cairn writes it (edited by hand)');
    entries.push(entry);
    lastHash = lineHash(line);
    offset = newline + 1;
  }
  return { entries, goodBytes: Buffer.byteLength(text), lastHash };
}

/** Hex SHA-256 of a response object's bytes, or undefined when it cannot be read. */
export async function responseDigest(folder: string, name: string): Promise<string | undefined> {
  try {
    return createHash('sha256')
      .update(await readFile(join(folder, name)))
      .digest('hex');
  } catch {
    return undefined;
  }
}

/** The index file, open for appending lines in chain order. */
export class IndexFile {
  private constructor(
    private readonly handle: FileHandle,
    private lastHash: string,
    private nextSeq: number,
  ) {}

  /** Opens `path` for appending after a good part of `contents`. */
  static async open(path: string, contents: IndexContents): Promise<IndexFile> {
    const handle = await open(path, 'a');
    return new IndexFile(handle, contents.lastHash, contents.entries.length + 1);
  }

  /**
   * Appends the entry built from `fields` with the next seq and the chain's prev, in one write,
   * and returns it. Callers serialise calls (the chain needs each line before the next).
   */
  async append(fields: Omit<ArchiveEntry, 'seq' | 'prev'>): Promise<ArchiveEntry> {
    const entry = { seq: this.nextSeq, prev: this.lastHash, ...fields } as ArchiveEntry;
    const line = entryLine(entry);
    await this.handle.write(`${line}\n`);
    this.lastHash = lineHash(line);
    this.nextSeq += 1;
    return entry;
  }

  /** Flushes written lines to the disk. */
  flush(): Promise<void> {
    return this.handle.datasync();
  }

  /** Closes the file. */
  close(): Promise<void> {
    return this.handle.close();
  }
}
