import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { FileSystem } from './file-system.js';
import { acquireLockFile } from './lock-file.js';

/** How a per-key lock is taken. */
export interface KeyLockSettings {
  /** The file system to lock on. */
  readonly fileSystem: FileSystem;
  /** `<root>/.cairn-tmp/locks`. */
  readonly lockDirectory: string;
  /** Give up with `TRANSIENT_IO` after waiting this long. */
  readonly timeoutMs: number;
  /**
   * A lock file not refreshed for this long is broken whatever its process id says. Holders
   * refresh theirs every third of it.
   */
  readonly staleAfterMs: number;
}

/** The lock an action runs under, to check before each change that it is still ours. */
export interface HeldKeyLock {
  /** The lock file. */
  readonly path: string;
  /**
   * Whether the lock file is still the one this holder created. It stops being so only when
   * this process stalled for longer than the stale age and another writer broke the lock.
   */
  isHeld(): Promise<boolean>;
  /**
   * Call right before each change made under the lock.
   *
   * @throws CairnError `CONFLICT` (retryable) when the lock was broken and taken over.
   */
  assertHeld(): Promise<void>;
}

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
 * crashed processes are broken when their process is gone or nobody refreshed them for
 * `staleAfterMs`; a live holder refreshes its lock for as long as the action runs.
 *
 * The lock is advisory and local: it orders writers that use this storage on one machine.
 * On network file systems shared by several machines, process ids mean nothing across hosts
 * and only the age rule breaks a crashed writer's lock. A holder that stalls for longer than
 * `staleAfterMs` can lose its lock; `action` checks with {@link HeldKeyLock.assertHeld}
 * before each change, and the lock file is only removed while it is still ours.
 */
export async function withKeyLock<T>(
  settings: KeyLockSettings,
  key: string,
  action: (lock: HeldKeyLock) => Promise<T>,
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
    const lock = await acquireLockFile(settings, lockPath, key, signal);
    try {
      return await action(lock);
    } finally {
      await lock.release();
    }
  } finally {
    releaseQueue();
    if (queues.get(lockPath) === tail) queues.delete(lockPath);
  }
}
