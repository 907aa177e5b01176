import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { CairnError, validateKey } from '@cairn/kernel';
import { fsStorageName } from './fs-storage-options.js';

/** Top-level entries starting with this belong to the storage itself, never to keys. */
export const reservedPrefix = '.cairn-';

/** Holds temporary files of writes in progress (same file system as the objects). */
export const temporaryDirectoryName = '.cairn-tmp';

/** Holds the per-object metadata records, in a tree that mirrors the objects' files. */
export const metadataDirectoryName = '.cairn-meta';

/** Inside the temporary directory: one lock file per key being changed. */
export const lockDirectoryName = 'locks';

/**
 * A file system entry is a file or a folder, but keys `a` and `a/b` may both exist (as in S3).
 * When they do, the one that came second takes a suffixed name: the folder becomes
 * `a.cairn-folder/` beside the file `a`, or the object becomes the file `a.cairn-object`
 * beside the folder `a/`. Key segments may not end with these suffixes.
 */
export const folderSuffix = '.cairn-folder';

/** See {@link folderSuffix}. */
export const objectSuffix = '.cairn-object';

/** Most file systems refuse longer names (NAME_MAX); the suffixes must still fit. */
const maxSegmentBytes = 255 - Math.max(folderSuffix.length, objectSuffix.length);

function invalidFsKey(key: string, problem: string, advice: string): CairnError {
  return new CairnError({
    code: 'INVALID_KEY',
    backend: fsStorageName,
    message: `Invalid storage key ${JSON.stringify(key).slice(0, 300)}: ${problem}. ${advice}.`,
    details: { key, problem },
  });
}

/**
 * The key rules of the kernel, plus what a file system needs: the first segment may not
 * start with `.cairn-` and no segment may end with a layout suffix (both reserved for the
 * storage's own files), and no segment may be longer than a file name can be.
 *
 * @throws CairnError `INVALID_KEY` saying why.
 */
export function validateFsKey(key: string): void {
  validateKey(key, { backend: fsStorageName });
  const segments = key.split('/');
  if (segments[0]?.startsWith(reservedPrefix)) {
    throw invalidFsKey(
      key,
      `a first segment starting with "${reservedPrefix}" is reserved for the fs storage's own files`,
      'Rename the key',
    );
  }
  for (const segment of segments) {
    if (segment.endsWith(folderSuffix) || segment.endsWith(objectSuffix)) {
      throw invalidFsKey(
        key,
        `segments ending with "${folderSuffix}" or "${objectSuffix}" are reserved for the fs storage's layout`,
        'Rename the key',
      );
    }
    const bytes = Buffer.byteLength(segment, 'utf8');
    if (bytes > maxSegmentBytes) {
      throw invalidFsKey(
        key,
        `a segment is ${bytes} bytes long in UTF-8, and the fs storage allows ${maxSegmentBytes} (a file name holds at most 255)`,
        'Split it with "/" or shorten it',
      );
    }
  }
}

/** Where everything of one storage lives on disk. All paths are absolute and resolved. */
export class FsLayout {
  /** The resolved root (no symbolic links in it). */
  readonly root: string;
  /** `<root>/.cairn-tmp`. */
  readonly temporaryDirectory: string;
  /** `<root>/.cairn-tmp/locks`. */
  readonly lockDirectory: string;
  /** `<root>/.cairn-meta`. */
  readonly metadataDirectory: string;

  constructor(root: string) {
    this.root = root;
    this.temporaryDirectory = join(root, temporaryDirectoryName);
    this.lockDirectory = join(this.temporaryDirectory, lockDirectoryName);
    this.metadataDirectory = join(root, metadataDirectoryName);
  }

  /**
   * The metadata record of the object stored at `dataPath` (a file below the root): the
   * same relative path below `.cairn-meta`, so records never collide where files do not.
   */
  recordPath(dataPath: string): string {
    return join(this.metadataDirectory, relative(this.root, dataPath));
  }

  /** The folder below `.cairn-meta` that mirrors a data folder. */
  recordDirectory(dataDirectory: string): string {
    return dataDirectory === this.root
      ? this.metadataDirectory
      : join(this.metadataDirectory, relative(this.root, dataDirectory));
  }

  /**
   * A fresh temporary file path named `<pid>-<random>`, so the cleanup on open can tell
   * whether the writer is still alive.
   */
  temporaryPath(): string {
    return join(this.temporaryDirectory, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }
}

/** The process id a temporary file name starts with, or undefined if it is not one of ours. */
export function processIdOfTemporaryName(name: string): number | undefined {
  const match = /^(\d+)-[0-9a-f]+$/.exec(name);
  return match ? Number(match[1]) : undefined;
}
