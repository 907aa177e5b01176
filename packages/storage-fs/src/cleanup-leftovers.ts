import { join } from 'node:path';
import type { FsContext } from './fs-context.js';
import { processIdOfTemporaryName } from './fs-layout.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';
import { isProcessAlive } from './process-alive.js';
import { breakLockIfStale, isBrokenLockName, processIdOfPendingLock } from './stale-lock.js';

/** What the cleanup on open removed. */
export interface CleanupReport {
  /** Temporary files of writes that will never finish. */
  readonly temporaryFiles: number;
  /** Lock files of writers that are gone. */
  readonly locks: number;
}

async function ageOf(context: FsContext, path: string): Promise<number | undefined> {
  try {
    const stat = await context.fileSystem.lstat(path);
    return stat.isFile() ? Date.now() - stat.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}

async function removed(context: FsContext, path: string): Promise<boolean> {
  try {
    await context.fileSystem.unlink(path);
    return true;
  } catch (error) {
    if (errorCodeOf(error) === 'ENOENT') return false;
    throw mapFsError(error, { operation: 'remove the leftover', path });
  }
}

/**
 * Removes what crashed writers left in `.cairn-tmp`: temporary files whose process is gone
 * (or that are older than `olderThanMs`, in case the process id was reused) and stale locks.
 * Files of live writers, this process's included, are left alone while they are young.
 */
export async function cleanupLeftovers(
  context: FsContext,
  olderThanMs: number,
): Promise<CleanupReport> {
  const { fileSystem, layout } = context;
  let temporaryFiles = 0;
  for (const name of await fileSystem.readdir(layout.temporaryDirectory)) {
    const processId = processIdOfTemporaryName(name);
    if (processId === undefined) continue;
    const path = join(layout.temporaryDirectory, name);
    const age = await ageOf(context, path);
    if (age === undefined) continue;
    const abandoned =
      age > olderThanMs || (processId !== process.pid && !isProcessAlive(processId));
    if (abandoned && (await removed(context, path))) temporaryFiles += 1;
  }
  let locks = 0;
  for (const name of await fileSystem.readdir(layout.lockDirectory)) {
    const path = join(layout.lockDirectory, name);
    if (isBrokenLockName(name)) {
      // Left by a process that crashed while breaking a stale lock, or while taking a lock (a
      // pending lock names its writer: once that process is gone, nobody will link it).
      const writer = processIdOfPendingLock(name);
      const age = await ageOf(context, path);
      const abandoned =
        (writer !== undefined && !isProcessAlive(writer)) ||
        (age !== undefined && age > context.lock.staleAfterMs);
      if (age !== undefined && abandoned && (await removed(context, path))) locks += 1;
    } else if (name.endsWith('.lock')) {
      const existed = (await ageOf(context, path)) !== undefined;
      if (existed && (await breakLockIfStale(context.lock, path))) locks += 1;
    }
  }
  return { temporaryFiles, locks };
}
