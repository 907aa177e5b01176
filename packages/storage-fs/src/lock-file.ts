import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError } from '@cairn/kernel';
import { fsStorageName } from './fs-storage-options.js';
import type { HeldKeyLock, KeyLockSettings } from './key-lock.js';
import { errorCodeOf, mapFsError } from './map-fs-error.js';
import { breakLockIfStale, parseLockOwner, pendingLockName } from './stale-lock.js';

function lockLost(key: string, path: string): CairnError {
  return new CairnError({
    code: 'CONFLICT',
    backend: fsStorageName,
    message: `The lock on "${key}" (${path}) was taken over by another writer: this process did not refresh it for longer than staleLockAfterMs (it was stalled or suspended), so the lock was broken as stale. Nothing was changed by this call; retry it.`,
    details: { key, path },
  });
}

/**
 * A lock file this process created. Its random token tells it apart from any lock taken
 * after it was broken, so the holder never acts on, or deletes, someone else's lock. While
 * held, its modification time is refreshed every third of the stale age, so other processes
 * see a live holder however long the work under the lock takes.
 */
class LockFile implements HeldKeyLock {
  readonly path: string;
  readonly #settings: KeyLockSettings;
  readonly #key: string;
  readonly #token: string;
  readonly #handle: FileHandle;
  readonly #heartbeat: NodeJS.Timeout;
  #refreshing: Promise<void> | undefined;

  constructor(
    settings: KeyLockSettings,
    path: string,
    key: string,
    token: string,
    handle: FileHandle,
  ) {
    this.path = path;
    this.#settings = settings;
    this.#key = key;
    this.#token = token;
    this.#handle = handle;
    this.#heartbeat = setInterval(
      () => this.#refresh(),
      Math.max(1, Math.floor(settings.staleAfterMs / 3)),
    );
    // A held lock must not keep the process alive on its own.
    this.#heartbeat.unref();
  }

  #refresh(): void {
    // A slow disk must not pile refreshes up: one at a time is enough.
    if (this.#refreshing !== undefined) return;
    const seconds = Date.now() / 1000;
    // Through our own open handle: if the lock was broken and replaced, this touches our old
    // file, never the new holder's. A failed refresh only brings the stale age closer, and the
    // token check before every change catches a lock lost that way.
    this.#refreshing = this.#handle
      .utimes(seconds, seconds)
      .catch(() => {})
      .finally(() => {
        this.#refreshing = undefined;
      });
  }

  async isHeld(): Promise<boolean> {
    let text: string;
    try {
      text = await this.#settings.fileSystem.readFile(this.path, 'utf8');
    } catch (error) {
      if (errorCodeOf(error) === 'ENOENT') return false;
      throw mapFsError(error, { operation: 'check the lock of', key: this.#key, path: this.path });
    }
    return parseLockOwner(text).token === this.#token;
  }

  async assertHeld(): Promise<void> {
    if (!(await this.isHeld())) throw lockLost(this.#key, this.path);
  }

  /** Stops the heartbeat and removes the lock file, but only while it is still ours. */
  async release(): Promise<void> {
    clearInterval(this.#heartbeat);
    await this.#refreshing;
    await this.#handle.close().catch(() => {});
    // A lock broken as stale and taken by the next writer is theirs now: leave it alone.
    if (await this.isHeld().catch(() => false)) {
      await this.#settings.fileSystem.unlink(this.path).catch(() => {});
    }
  }
}

/**
 * Creates the lock file exclusively with our process id and a fresh token, complete from the
 * moment it appears: the content is written to a private file first and then linked into
 * place (`link` fails with EEXIST when a lock exists, like an exclusive create). A writer
 * killed half-way leaves at most a private file, never an empty lock that others could only
 * judge stale by its age.
 */
async function createLockFile(
  settings: KeyLockSettings,
  lockPath: string,
  key: string,
): Promise<LockFile> {
  const { fileSystem } = settings;
  const token = randomBytes(16).toString('hex');
  // Named like a broken lock so the cleanup on open removes it if we die before the unlink.
  const pending = pendingLockName(lockPath);
  const handle = await fileSystem.open(pending, 'wx');
  try {
    await handle.writeFile(JSON.stringify({ pid: process.pid, key, token }));
    await fileSystem.link(pending, lockPath);
  } catch (error) {
    await handle.close().catch(() => {});
    await fileSystem.unlink(pending).catch(() => {});
    throw error;
  }
  // The handle stays open on the lock's inode: the heartbeat refreshes it through the handle.
  await fileSystem.unlink(pending).catch(() => {});
  return new LockFile(settings, lockPath, key, token, handle);
}

/**
 * Takes the lock file at `lockPath`, waiting (with growing, jittered pauses) while a live
 * holder has it and breaking it when it is stale.
 *
 * @throws CairnError `ABORTED` when `signal` fires; `TRANSIENT_IO` after `timeoutMs`.
 */
export async function acquireLockFile(
  settings: KeyLockSettings,
  lockPath: string,
  key: string,
  signal: AbortSignal | undefined,
): Promise<LockFile> {
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
      return await createLockFile(settings, lockPath, key);
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
