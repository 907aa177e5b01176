import { type FileSystem, nodeFileSystem } from '../file-system.js';
import { errorCodeOf } from '../map-fs-error.js';

/** A file system that tells when a writer found the lock at `lockPath` taken. */
export interface LockWatch {
  /** Use it for the waiting writer. */
  readonly fileSystem: FileSystem;
  /** Resolves the first time taking the lock (linking it into place) failed because it exists. */
  readonly contended: Promise<void>;
}

/**
 * Wraps the real file system so a test can wait, without sleeping, until a writer is really
 * waiting for a lock held by someone else.
 */
export function watchLockContention(lockPath: string): LockWatch {
  let reportContention: () => void = () => {};
  const contended = new Promise<void>((resolve) => {
    reportContention = resolve;
  });
  const open = (async (...parameters: Parameters<FileSystem['open']>) => {
    try {
      return await nodeFileSystem.open(...parameters);
    } catch (error) {
      if (parameters[0] === lockPath && errorCodeOf(error) === 'EEXIST') reportContention();
      throw error;
    }
  }) as FileSystem['open'];
  const link = (async (...parameters: Parameters<FileSystem['link']>) => {
    try {
      return await nodeFileSystem.link(...parameters);
    } catch (error) {
      if (parameters[1] === lockPath && errorCodeOf(error) === 'EEXIST') reportContention();
      throw error;
    }
  }) as FileSystem['link'];
  return { fileSystem: { ...nodeFileSystem, open, link }, contended };
}
