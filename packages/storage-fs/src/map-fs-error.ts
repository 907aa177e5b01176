import { CairnError, type CairnErrorCode, isCairnError } from '@cairn/kernel';
import { fsStorageName } from './fs-storage-options.js';

/** Where a file-system error happened, for the message. */
export interface FsErrorContext {
  /** What was being done, as a verb phrase: `write`, `read`, `delete`, `list`. */
  readonly operation: string;
  /** The key involved, when there is one. */
  readonly key?: string;
  /** The path the failing call touched. */
  readonly path: string;
}

/** The `code` of a Node system error (`ENOENT`, `ENOSPC`…), or undefined for other values. */
export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

interface Translation {
  readonly code: CairnErrorCode;
  readonly problem: string;
  readonly advice: string;
}

function translate(systemCode: string | undefined, path: string): Translation {
  switch (systemCode) {
    case 'ENOENT':
      return {
        code: 'NOT_FOUND',
        problem: `nothing exists at ${path}`,
        advice: 'List the prefix to see which keys exist',
      };
    case 'EACCES':
    case 'EPERM':
      return {
        code: 'PERMANENT_IO',
        problem: `permission denied at ${path}`,
        advice: `Check the permissions of ${path} and of its folders for the user running Cairn`,
      };
    case 'ENOSPC':
      return {
        code: 'PERMANENT_IO',
        problem: `the disk holding ${path} is full`,
        advice: 'Free disk space or point "root" at a larger disk, then retry',
      };
    case 'EDQUOT':
      return {
        code: 'PERMANENT_IO',
        problem: `the disk quota for ${path} is used up`,
        advice: 'Free disk space within the quota or ask for a larger one, then retry',
      };
    case 'EROFS':
      return {
        code: 'PERMANENT_IO',
        problem: `the file system holding ${path} is read-only`,
        advice: 'Remount it read-write or point "root" at a writable directory',
      };
    case 'EMFILE':
    case 'ENFILE':
      return {
        code: 'TRANSIENT_IO',
        problem: 'too many files are open',
        advice:
          'Retry later, lower the number of parallel operations or raise the open-file limit (ulimit -n)',
      };
    case 'EAGAIN':
    case 'EBUSY':
      return {
        code: 'TRANSIENT_IO',
        problem: `${path} is busy`,
        advice: 'Retry in a moment',
      };
    case 'EIO':
      return {
        code: 'TRANSIENT_IO',
        problem: `the disk reported an I/O error at ${path}`,
        advice: "Retry; if it persists, check the disk's health (e.g. dmesg, smartctl)",
      };
    case 'ENOTDIR':
    case 'EISDIR':
      return {
        code: 'INVALID_KEY',
        problem: `${path} is a file where a folder is needed, or a folder where a file is needed`,
        advice:
          'On the filesystem a key cannot be both an object and a folder ("a" and "a/b"): pick keys that do not nest inside each other',
      };
    case 'ENAMETOOLONG':
      return {
        code: 'INVALID_KEY',
        problem: 'a name in the path is too long for the file system',
        advice: 'Use shorter key segments (at most 255 bytes each) or a shorter root path',
      };
    case 'EXDEV':
      return {
        code: 'PERMANENT_IO',
        problem: `${path} is on another file system than the storage's .cairn-tmp folder, so it cannot be replaced atomically`,
        advice:
          'Do not mount other file systems inside the storage root; point "root" at a folder on one file system',
      };
    case 'ELOOP':
      return {
        code: 'PERMANENT_IO',
        problem: `${path} is a symbolic link`,
        advice:
          'The fs storage never follows symbolic links, so keys cannot escape the root; replace the link with a regular file or folder',
      };
    default:
      return {
        code: 'PERMANENT_IO',
        problem: `the file system failed with ${systemCode ?? 'an unexpected error'} at ${path}`,
        advice: 'See the cause for details',
      };
  }
}

/**
 * Turns a Node file-system error into a {@link CairnError} whose message says what happened
 * to which key and what to do. Cairn errors pass through unchanged.
 */
export function mapFsError(error: unknown, context: FsErrorContext): CairnError {
  if (isCairnError(error)) return error;
  const systemCode = errorCodeOf(error);
  const { code, problem, advice } = translate(systemCode, context.path);
  const subject =
    context.key === undefined ? context.operation : `${context.operation} "${context.key}"`;
  return new CairnError({
    code,
    backend: fsStorageName,
    message: `Could not ${subject}: ${problem}. ${advice}.`,
    cause: error,
    details: {
      ...(context.key === undefined ? {} : { key: context.key }),
      path: context.path,
      operation: context.operation,
      ...(systemCode === undefined ? {} : { systemCode }),
    },
  });
}
