import type { BigIntStats } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { z } from 'zod';
import { removeEmptyDirectories, syncDirectories } from './directories.js';
import type { FsContext } from './fs-context.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';
import { LayoutChangedError } from './object-paths.js';
import { openTemporaryFile } from './temporary-file.js';

/** What one put knows about the one file it wrote. */
const entryShape = {
  inode: z.string(),
  birthtimeNs: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  contentType: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
};

/** Records whose shape or version we do not know are ignored, never trusted. */
const recordFileSchema = z.object({
  version: z.literal(1),
  ...entryShape,
  previous: z.object(entryShape).optional(),
});

/**
 * What a put knows that the file system does not keep: the digest, the media type and the
 * caller's metadata, for one file (named by inode and birth time).
 */
export type ObjectRecord = Omit<z.infer<typeof recordFileSchema>, 'version' | 'previous'>;

/**
 * The record file `<root>/.cairn-meta/<path of the object's file>`: the record of the file a
 * put is placing there and, in `previous`, the record of the file it replaces.
 *
 * Why two: a put writes this file before it renames its data into place, so the new file's
 * digest is on disk no later than the file itself. Until the rename, readers still find the
 * replaced file at the key, and its record must still be there for them: that is `previous`.
 * After the rename, `previous` lets a reader that looked at the replaced file just before
 * still find its digest. Entries are matched to files by inode and birth time, so an entry
 * never describes any other file: at worst a digest is missing, never wrong.
 */
export type RecordFile = z.infer<typeof recordFileSchema>;

/**
 * A record for the file described by `stat`. It names the file by inode and birth time: a
 * rename keeps both, and a later file that reuses the inode number has a new birth time, so
 * a record left stale by a crash is never mistaken for the current file's.
 */
export function createRecord(
  stat: BigIntStats,
  sha256: string,
  contentType: string | undefined,
  metadata: Readonly<Record<string, string>> | undefined,
): ObjectRecord {
  return {
    inode: stat.ino.toString(),
    birthtimeNs: stat.birthtimeNs.toString(),
    size: Number(stat.size),
    sha256,
    ...(contentType === undefined ? {} : { contentType }),
    ...(metadata === undefined ? {} : { metadata: { ...metadata } }),
  };
}

/**
 * Whether `record` describes the file `stat` describes. The modification time and the size
 * are left out on purpose: Cairn never changes a file in place, so a file edited, truncated or
 * extended in place keeps its record and its recorded digest exposes the damage. Only where
 * the file system keeps no birth time (it reads as 0) does the size help tell a file apart
 * from a later one that reused its inode number.
 */
export function recordDescribes(record: ObjectRecord, stat: BigIntStats): boolean {
  return (
    record.inode === stat.ino.toString() &&
    record.birthtimeNs === stat.birthtimeNs.toString() &&
    (record.birthtimeNs !== '0' || record.size === Number(stat.size))
  );
}

function entryOf(file: RecordFile): ObjectRecord {
  const { version: _version, previous: _previous, ...entry } = file;
  return entry;
}

/** The entry of a record file that describes the file `stat` describes, if any. */
export function recordFor(
  file: RecordFile | undefined,
  stat: BigIntStats,
): ObjectRecord | undefined {
  if (file === undefined) return undefined;
  const current = entryOf(file);
  if (recordDescribes(current, stat)) return current;
  if (file.previous !== undefined && recordDescribes(file.previous, stat)) return file.previous;
  return undefined;
}

/** The record file of the object file at `dataPath`, if there is one that parses. */
export async function readRecordFile(
  context: FsContext,
  dataPath: string,
  key: string,
): Promise<RecordFile | undefined> {
  const path = context.layout.recordPath(dataPath);
  let text: string;
  try {
    text = await context.fileSystem.readFile(path, 'utf8');
  } catch (error) {
    const code = errorCodeOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw mapFsError(error, { operation: 'read the metadata record of', key, path });
  }
  try {
    const parsed = recordFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Torn by a power loss without fsync, or edited by hand: treated as absent.
    return undefined;
  }
}

/** The record of the object file at `dataPath`, if there is one and it describes `stat`. */
export async function readTrustedRecord(
  context: FsContext,
  dataPath: string,
  stat: BigIntStats,
  key: string,
): Promise<ObjectRecord | undefined> {
  return recordFor(await readRecordFile(context, dataPath, key), stat);
}

/**
 * Makes the folders of the record tree down to `directory`. What is in the way is a stale
 * record or folder left by a crash (the data tree decides the shape), so it is removed.
 */
async function prepareRecordDirectory(context: FsContext, directory: string): Promise<string[]> {
  const { fileSystem, layout } = context;
  const created: string[] = [];
  const relativePath = relative(layout.metadataDirectory, directory);
  let current = layout.metadataDirectory;
  for (const segment of relativePath === '' ? [] : relativePath.split(sep)) {
    current = join(current, segment);
    const stat = await fileSystem.lstat(current).catch(() => undefined);
    if (stat?.isDirectory()) continue;
    if (stat !== undefined) await fileSystem.unlink(current);
    try {
      await fileSystem.mkdir(current);
      created.push(current);
    } catch (error) {
      const code = errorCodeOf(error);
      if (code === 'EEXIST' || code === 'ENOENT') throw new LayoutChangedError(current);
      throw error;
    }
  }
  return created;
}

const maxAttempts = 10;

/**
 * Writes the record file of the object file at `dataPath` atomically (temporary file +
 * rename), flushed when fsync is on: `record` and, when given, the record of the file it
 * replaces (see {@link RecordFile}).
 */
export async function writeRecord(
  context: FsContext,
  dataPath: string,
  record: ObjectRecord,
  previous: ObjectRecord | undefined,
  key: string,
): Promise<void> {
  const file: RecordFile = {
    version: 1,
    ...record,
    ...(previous === undefined ? {} : { previous }),
  };
  const { fileSystem, layout } = context;
  const path = layout.recordPath(dataPath);
  const temporaryPath = layout.temporaryPath();
  try {
    const handle = await openTemporaryFile(context, temporaryPath);
    try {
      await handle.writeFile(JSON.stringify(file));
      if (context.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await prepareRecordDirectory(context, dirname(path));
        await fileSystem.rename(temporaryPath, path);
        if (context.fsync)
          await syncDirectories(fileSystem, [
            dirname(path),
            ...created.map((each) => dirname(each)),
          ]);
        return;
      } catch (error) {
        if (attempt >= maxAttempts) throw error;
        const code = errorCodeOf(error);
        if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
          // A stale folder of records where this record goes: the data tree has a file here.
          await fileSystem.rm(path, { recursive: true, force: true });
        } else if (error instanceof LayoutChangedError || code === 'ENOENT') {
          // A folder vanished under us; if it was the whole record tree (removed by hand),
          // recreate its top before the retry.
          await fileSystem.mkdir(layout.metadataDirectory, { recursive: true });
        } else {
          throw error;
        }
      }
    }
  } catch (error) {
    await fileSystem.unlink(temporaryPath).catch(() => {});
    throw mapFsError(error, { operation: 'write the metadata record of', key, path });
  }
}

/** Removes the record of the object file at `dataPath`, and record folders left empty. */
export async function removeRecord(context: FsContext, dataPath: string, key: string) {
  const path = context.layout.recordPath(dataPath);
  try {
    await context.fileSystem.unlink(path);
  } catch (error) {
    const code = errorCodeOf(error);
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') {
      throw mapFsError(error, { operation: 'delete the metadata record of', key, path });
    }
  }
  await removeEmptyDirectories(context.fileSystem, dirname(path), context.layout.metadataDirectory);
}
