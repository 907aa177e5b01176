import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError } from '@cairn/kernel';
import type { FileSystem } from './file-system.js';
import { fsStorageName } from './fs-storage-options.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';
import { isProcessAlive } from './process-alive.js';

/** How a per-key lock is taken. */
export interface KeyLockSettings {
  /** The file system to lock on. */
  readonly fileSystem: FileSystem;
  /** `<root>/.cairn-tmp/locks`. */
  readonly lockDirectory: string;
  /** Give up with `TRANSIENT_IO` after waiting this long. */
  readonly timeoutMs: number;
  /** A lock file older than this is broken whatever its process id says. */
  readonly staleAfterMs: number;
}

const brokenMarker = '.broken-';
const registryKey = Symbol.for('@cairn/storage-fs/key-mutexes');

/**
 * Queues per lock path, shared through the global symbol registry so that two copies of this
 * package in one process still serialize on the same key instead of racing for the file.
 */
function mutexRegistry(): Map<string, Promise<void>> {
  const holder = globalThis as { [registryKey]?: Map<string, Promise<void>> };
  holder[registryKey] ??= new Map();
  return holder[registryKey];
}

/** The lock file of a key: named by a hash, since keys hold "/" and may be long. */
export function lockPathOf(lockDirectory: string, key: string): string {
  return join(lockDirectory, `${createHash('sha256').update(key).digest('hex')}.lock`);
}

/**
 * Runs `action` while holding the key's lock: first an in-process queue (cheap, fair), then
 * a lock file created exclusively, which serializes writers in other processes. Locks left by
 * crashed processes are broken when their process is gone or they are older than
 * `staleAfterMs`.
 *
 * The lock is advisory and local: it orders writers that use this storage on one machine.
 * On network file systems shared by several machines, process ids mean nothing across hosts
 * and only the age rule breaks a crashed writer's lock.
 */
export async function withKeyLock<T>(
  settings: KeyLockSettings,
  key: string,
  action: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const lockPath = lockPathOf(settings.lockDirectory, key);
  const queues = mutexRegistry();
  const previous = queues.get(lockPath) ?? Promise.resolve();
  let releaseQueue: () => void = () => {};
  const turn = new Promise<void>((resolve) => {
    releaseQueue = resolve;
  });
  const tail = previous.then(() => turn);
  queues.set(lockPath, tail);
  try {
    await previous;
    await acquireLockFile(settings, lockPath, key, signal);
    try {
      return await action();
    } finally {
      await settings.fileSystem.unlink(lockPath).catch(() => {
        // Already broken as stale by someone else: nothing left to release.
      });
    }
  } finally {
    releaseQueue();
    if (queues.get(lockPath) === tail) queues.delete(lockPath);
  }
}

async function acquireLockFile(
  settings: KeyLockSettings,
  lockPath: string,
  key: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = Date.now() + settings.timeoutMs;
  let delayMs = 1;
  for (;;) {
    if (signal?.aborted) {
      throw new CairnError({
        code: 'ABORTED',
        backend: fsStorageName,
        message: `Writing "${key}" was aborted while waiting for its lock; nothing was changed.`,
        cause: signal.reason,
        details: { key },
      });
    }
    try {
      const handle = await settings.fileSystem.open(lockPath, 'wx');
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, key }));
      } finally {
        await handle.close();
      }
      return;
    } catch (error) {
      const code = errorCodeOf(error);
      if (code === 'ENOENT') {
        await settings.fileSystem.mkdir(settings.lockDirectory, { recursive: true });
        continue;
      }
      if (code !== 'EEXIST') throw mapFsError(error, { operation: 'lock', key, path: lockPath });
    }
    if (await breakLockIfStale(settings, lockPath)) continue;
    if (Date.now() >= deadline) {
      throw new CairnError({
        code: 'TRANSIENT_IO',
        backend: fsStorageName,
        message: `Could not write "${key}": another writer held its lock (${lockPath}) for more than ${settings.timeoutMs} ms. Retry; if no writer is running, delete that file.`,
        details: { key, path: lockPath },
      });
    }
    // Jitter keeps competing processes from retrying in lockstep.
    await sleep(delayMs * (0.5 + Math.random()), undefined, { signal }).catch(() => {});
    delayMs = Math.min(delayMs * 2, 50);
  }
}

/**
 * Removes the lock at `lockPath` if its owner is dead or it is older than the stale age.
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
  let owner: number | undefined;
  try {
    const stat = await fileSystem.lstat(lockPath, { bigint: true });
    const text = await fileSystem.readFile(lockPath, 'utf8');
    judged = identityOf(stat, text);
    ageMs = Date.now() - Number(stat.mtimeMs);
    owner = parseOwner(text);
  } catch (error) {
    if (errorCodeOf(error) === 'ENOENT') return true;
    throw mapFsError(error, { operation: 'inspect the lock', path: lockPath });
  }
  // An empty lock is being written by its owner right now: only age makes it stale.
  const stale = ageMs > settings.staleAfterMs || (owner !== undefined && !isProcessAlive(owner));
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

/**
 * What tells two lock files apart. The inode alone does not: a file created right after
 * another was deleted often gets its inode number.
 */
function identityOf(stat: import('node:fs').BigIntStats, text: string): string {
  return `${stat.ino}:${stat.birthtimeNs}:${text}`;
}

function parseOwner(text: string): number | undefined {
  try {
    const pid = (JSON.parse(text) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a file in the lock folder is a leftover of a lock broken by a crashed breaker. */
export function isBrokenLockName(name: string): boolean {
  return name.includes(brokenMarker);
}
