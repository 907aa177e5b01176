import { readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { nodeFileSystem } from './file-system.js';
import type { KeyLockSettings } from './key-lock.js';
import { breakLockIfStale, parseLockOwner } from './stale-lock.js';
import { deadProcessId } from './testing/dead-process.js';
import { makeLockSettings, writeLock } from './testing/lock-settings.js';

/** Settings whose rename runs `before` first when it moves the lock at `path` aside. */
function beforeMovingAside(
  base: KeyLockSettings,
  path: string,
  before: () => Promise<void>,
): KeyLockSettings {
  return {
    ...base,
    fileSystem: {
      ...nodeFileSystem,
      rename: (async (from: string, to: string) => {
        if (from === path) await before();
        return rename(from, to);
      }) as typeof nodeFileSystem.rename,
    },
  };
}

describe('breakLockIfStale', () => {
  it('puts back a fresh lock that replaced the stale one while it was being broken', async () => {
    const base = await makeLockSettings();
    const path = await writeLock(base, 'k', JSON.stringify({ pid: await deadProcessId() }));
    const fresh = JSON.stringify({ pid: process.pid, key: 'k' });
    // Another process breaks the stale lock and takes its own just before our move.
    const racing = beforeMovingAside(base, path, async () => {
      await unlink(path);
      await writeFile(path, fresh);
    });
    expect(await breakLockIfStale(racing, path)).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(fresh);
    expect((await readdir(base.lockDirectory)).length).toBe(1);
  });

  it('puts back a lock its holder refreshed after it was judged stale', async () => {
    const base = await makeLockSettings({ staleAfterMs: 1_000 });
    const content = JSON.stringify({ pid: process.pid, key: 'k', token: 'holder' });
    const path = await writeLock(base, 'k', content);
    const old = new Date(Date.now() - 10_000);
    await utimes(path, old, old);
    // The holder's heartbeat lands between our look and our move.
    const racing = beforeMovingAside(base, path, async () => {
      const now = new Date();
      await utimes(path, now, now);
    });
    expect(await breakLockIfStale(racing, path)).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(content);
    expect((await readdir(base.lockDirectory)).length).toBe(1);
  });

  it('leaves a live young lock alone', async () => {
    const lockSettings = await makeLockSettings();
    const path = await writeLock(lockSettings, 'k', JSON.stringify({ pid: process.pid }));
    expect(await breakLockIfStale(lockSettings, path)).toBe(false);
    expect((await stat(path)).isFile()).toBe(true);
  });
});

describe('parseLockOwner', () => {
  it('reads pid and token, and ignores anything malformed', () => {
    expect(parseLockOwner('{"pid":12,"key":"k","token":"abc"}')).toEqual({ pid: 12, token: 'abc' });
    expect(parseLockOwner('')).toEqual({});
    expect(parseLockOwner('null')).toEqual({});
    expect(parseLockOwner('{"pid":-1,"token":""}')).toEqual({});
    expect(parseLockOwner('{"pid":"12","token":5}')).toEqual({});
  });
});
