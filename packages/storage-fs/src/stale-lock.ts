import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import type { KeyLockSettings } from './key-lock.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';
import { isProcessAlive } from './process-alive.js';

const brokenMarker = '.broken-';

/** What a lock file says about its holder. Files written by hand may lack any of it. */
export interface LockOwner {
  /** The holder's process id. */
  readonly pid?: number;
  /** The random token the holder wrote, which tells its lock from any later one. */
  readonly token?: string;
}

/** Reads a lock file's text; anything unexpected in it counts as unknown. */
export function parseLockOwner(text: string): LockOwner {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { pid, token } = parsed as { pid?: unknown; token?: unknown };
  return {
    ...(typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? { pid } : {}),
    ...(typeof token === 'string' && token !== '' ? { token } : {}),
  };
}

/**
 * What tells two states of a lock file apart. The inode alone does not: a file created right
 * after another was deleted often gets its inode number. The modification time is in it
 * because holders refresh it while they hold the lock: a lock refreshed after it was judged
 * stale is alive after all.
 */
function identityOf(stat: BigIntStats, text: string): string {
  return `${stat.ino}:${stat.birthtimeNs}:${stat.mtimeNs}:${text}`;
}

/**
 * Removes the lock at `lockPath` if its owner is dead, or if nobody refreshed it for longer
 * than the stale age (holders refresh their lock every third of that age, so only a crashed
 * writer on another machine, or one stalled for that long, stops doing so).
 *
 * @returns true when the lock is gone (broken here or released meanwhile): try again.
 */
export async function breakLockIfStale(
  settings: KeyLockSettings,
  lockPath: string,
): Promise<boolean> {
  const { fileSystem } = settings;
  let judged: string;
  let ageMs: number;
  let owner: LockOwner;
  try {
    const stat = await fileSystem.lstat(lockPath, { bigint: true });
    const text = await fileSystem.readFile(lockPath, 'utf8');
    judged = identityOf(stat, text);
    ageMs = Date.now() - Number(stat.mtimeMs);
    owner = parseLockOwner(text);
  } catch (error) {
    if (errorCodeOf(error) === 'ENOENT') return true;
    throw mapFsError(error, { operation: 'inspect the lock', path: lockPath });
  }
  // Locks appear complete (see createLockFile); an empty one comes from an older version of
  // Cairn or another tool, and only age makes it stale.
  const stale =
    ageMs > settings.staleAfterMs || (owner.pid !== undefined && !isProcessAlive(owner.pid));
  if (!stale) return false;
  // Unlinking directly could delete a fresh lock another process took after we looked. Move
  // it aside atomically instead, then check that what we moved is the one we judged stale.
  const aside = `${lockPath}${brokenMarker}${randomBytes(6).toString('hex')}`;
  try {
    await fileSystem.rename(lockPath, aside);
  } catch (error) {
    if (errorCodeOf(error) === 'ENOENT') return true;
    throw mapFsError(error, { operation: 'break the stale lock', path: lockPath });
  }
  const moved = identityOf(
    await fileSystem.lstat(aside, { bigint: true }),
    await fileSystem.readFile(aside, 'utf8'),
  );
  if (moved !== judged) {
    // A live lock: put it back unless someone locked again meanwhile.
    await fileSystem.link(aside, lockPath).catch(() => {});
  }
  await fileSystem.unlink(aside).catch(() => {});
  return true;
}

/** A private name to write a new lock under before linking it into place. */
export function pendingLockName(lockPath: string): string {
  return `${lockPath}${brokenMarker}pending-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** The process that wrote a pending lock (see {@link pendingLockName}), if the name says. */
export function processIdOfPendingLock(name: string): number | undefined {
  const match = /\.broken-pending-(\d+)-[0-9a-f]+$/.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Whether a file in the lock folder is a leftover of a lock broken by a crashed breaker, or of
 * a lock a crashed writer never linked into place.
 */
export function isBrokenLockName(name: string): boolean {
  return name.includes(brokenMarker);
}
