import { mkdir, readFile, truncate } from 'node:fs/promises';
import { CairnError, type Logger, silentLogger } from '@cairn/kernel';
import { type ArchiveEntry, archiveEntrySchema } from './archive-entry.js';
import { type IndexContents, IndexFile, readIndex, responseDigest } from './archive-index.js';
import { archivePaths } from './archive-layout.js';
import type { Durability } from './durability.js';
import { GroupCommit } from './group-commit.js';
import {
  flushFolder,
  removeTemporaryResponses,
  type WrittenResponse,
  writeResponse,
} from './response-objects.js';

/** The fields a recorder gives; the writer adds the rest. */
const recordFieldsSchema = archiveEntrySchema.omit({
  seq: true,
  prev: true,
  response: true,
  responseSha256: true,
});

/** What opening an archive repaired: the torn tail it cut off. */
export interface ArchiveRepair {
  /** Entries removed from the end (torn, or pointing at a response that never landed). */
  readonly removedEntries: number;
  /** Bytes cut from the end of the index. */
  readonly removedBytes: number;
  /** Why, in words. */
  readonly reason: string;
}

/**
 * Drops entries from the end while their response object is missing or not the bytes the
 * entry names: with `batched` or `none` durability, a machine crash can keep an index line
 * whose response was never flushed. Such a call never returned to its caller.
 */
async function dropEntriesWithoutResponses(
  folder: string,
  run: string,
  contents: IndexContents,
  text: string,
): Promise<IndexContents> {
  let kept = contents.entries.length;
  while (kept > 0) {
    const entry = contents.entries[kept - 1] as ArchiveEntry;
    if ((await responseDigest(folder, entry.response)) === entry.responseSha256) break;
    kept -= 1;
  }
  if (kept === contents.entries.length) return contents;
  const lines = text.split('\n').slice(0, kept);
  const goodText = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  return readIndex(goodText, run);
}

/**
 * One run's archive, open for appending: the index (repaired if its tail was torn), the
 * responses folder, and the durability chosen. Appends are serialised in chain order; flushes
 * follow the durability level.
 */
export class ArchiveWriter {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly group: GroupCommit;
  private closed = false;

  private constructor(
    readonly run: string,
    readonly folder: string,
    private readonly paths: ReturnType<typeof archivePaths>,
    private readonly index: IndexFile,
    readonly durability: Durability,
    /** The entries found on open (after repair), in order. */
    readonly existing: readonly ArchiveEntry[],
    /** What opening repaired, if anything. */
    readonly repair: ArchiveRepair | undefined,
  ) {
    this.group = new GroupCommit(async () => {
      await flushFolder(this.paths.responses);
      await this.index.flush();
    });
  }

  /**
   * Opens (creating when absent) the archive of `run` below `directory`. A torn last line, or
   * entries at the end whose responses never landed, are cut off and reported in `repair`.
   *
   * @throws CairnError `CORRUPT_DATA` when an entry before the end is bad (an edit, a removed
   *   or moved entry): the archive is left as it is; `verifyArchive` names the first bad entry.
   */
  static async open(
    directory: string,
    run: string,
    durability: Durability,
    logger: Logger = silentLogger,
  ): Promise<ArchiveWriter> {
    const paths = archivePaths(directory, run);
    await mkdir(paths.responses, { recursive: true });
    await removeTemporaryResponses(paths.responses);
    let text = '';
    try {
      text = await readFile(paths.index, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    let contents = readIndex(text, run);
    if (contents.problem !== undefined && !contents.problem.atEnd) {
      throw new CairnError({
        code: 'CORRUPT_DATA',
        backend: 'llm-archive',
        message: `The LLM archive of run "${run}" is damaged at entry ${contents.problem.seq} (line ${contents.problem.line} of ${paths.index}): ${contents.problem.reason}. Nothing was changed; run \`cairn verify\` to see the whole report, and restore the index from a backup.`,
        details: { run, index: paths.index, ...contents.problem },
      });
    }
    const tornReason = contents.problem?.reason;
    contents = await dropEntriesWithoutResponses(
      paths.folder,
      run,
      contents,
      text.slice(0, contents.goodBytes),
    );
    const removedBytes = Buffer.byteLength(text) - contents.goodBytes;
    let repair: ArchiveRepair | undefined;
    if (removedBytes > 0) {
      await truncate(paths.index, contents.goodBytes);
      const removedEntries = text
        .slice(contents.goodBytes)
        .split('\n')
        .filter((line) => line !== '').length;
      repair = {
        removedEntries,
        removedBytes,
        reason: tornReason ?? 'the last entries point at responses that were never written',
      };
      logger.warn(
        { run, index: paths.index, ...repair },
        'repaired the torn end of an LLM archive',
      );
    }
    const index = await IndexFile.open(paths.index, contents);
    if (text === '') await flushFolder(paths.folder);
    return new ArchiveWriter(run, paths.folder, paths, index, durability, contents.entries, repair);
  }

  /**
   * Stores `response` as an object and appends the entry pointing at it; resolves once both are
   * as durable as the archive's level says. Calls may overlap: objects are written in parallel,
   * lines in order.
   */
  async record(
    fields: Omit<ArchiveEntry, 'seq' | 'prev' | 'response' | 'responseSha256'>,
    response: Uint8Array,
  ): Promise<ArchiveEntry> {
    if (this.closed) {
      throw new CairnError({
        code: 'UNSUPPORTED',
        backend: 'llm-archive',
        message: `The LLM archive of run "${this.run}" is closed; open it again to record more calls.`,
      });
    }
    const checked = recordFieldsSchema.safeParse(fields);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new CairnError({
        code: 'INVALID_OPTIONS',
        backend: 'llm-archive',
        message: `An LLM archive entry is not valid at "${issue?.path.join('.') || '(entry)'}": ${issue?.message ?? 'invalid'}; nothing was recorded.`,
        cause: checked.error,
      });
    }
    const written = await writeResponse(this.folder, this.paths.responseName, response);
    if (this.durability === 'fsync') {
      await written.flush();
      await flushFolder(this.paths.responses);
    }
    let entry: ArchiveEntry;
    try {
      entry = await this.serialised(() =>
        this.index.append({ ...fields, response: written.name, responseSha256: written.sha256 }),
      );
    } catch (error) {
      await written.close();
      throw error;
    }
    await this.settle(written);
    return entry;
  }

  private async settle(written: WrittenResponse): Promise<void> {
    switch (this.durability) {
      case 'fsync':
        await this.index.flush();
        return;
      case 'batched':
        await this.group.commit(() => written.flush());
        return;
      case 'none':
        await written.close();
        return;
    }
  }

  /** Runs `work` after every earlier queued one: the chain needs lines in order. */
  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Waits for queued writes, then closes the index. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.index.close();
  }
}
