import { lstat, readdir, readFile, rename, unlink, utimes, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { lockPathOf, withKeyLock } from './key-lock.js';
import { breakLockIfStale } from './stale-lock.js';
import { deadProcessId } from './testing/dead-process.js';
import { expectCairnError } from './testing/expect-cairn-error.js';
import { makeLockSettings, writeLock } from './testing/lock-settings.js';
import { watchLockContention } from './testing/lock-watch.js';

describe('withKeyLock', () => {
  it('runs actions on one key one at a time, and on different keys side by side', async () => {
    const lockSettings = await makeLockSettings();
    let inside = 0;
    let most = 0;
    const action = async () => {
      inside += 1;
      most = Math.max(most, inside);
      await sleep(5);
      inside -= 1;
    };
    await Promise.all(Array.from({ length: 8 }, () => withKeyLock(lockSettings, 'same', action)));
    expect(most).toBe(1);
    // Different keys: every action waits until all have started, which only ends if they
    // really run side by side (one at a time, the first would wait forever).
    let started = 0;
    let allStarted: () => void = () => {};
    const everyoneIn = new Promise<void>((resolve) => {
      allStarted = resolve;
    });
    most = 0;
    await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        withKeyLock(lockSettings, `key-${index}`, async () => {
          started += 1;
          if (started === 8) allStarted();
          await everyoneIn;
          await action();
        }),
      ),
    );
    expect(most).toBeGreaterThan(1);
  });

  it('holds a lock file named by the key hash, with a random token, and removes it after, even on failure', async () => {
    const lockSettings = await makeLockSettings();
    const path = lockPathOf(lockSettings.lockDirectory, 'runs/a');
    const tokens: string[] = [];
    for (let round = 0; round < 2; round++) {
      await withKeyLock(lockSettings, 'runs/a', async (lock) => {
        const content = JSON.parse(await readFile(path, 'utf8'));
        expect(content).toMatchObject({ pid: process.pid, key: 'runs/a' });
        expect(content.token).toMatch(/^[0-9a-f]{32}$/);
        tokens.push(content.token);
        expect(lock.path).toBe(path);
        expect(await lock.isHeld()).toBe(true);
      });
    }
    expect(tokens[0]).not.toBe(tokens[1]);
    await expect(
      withKeyLock(lockSettings, 'runs/a', async () => {
        throw new Error('action failed');
      }),
    ).rejects.toThrow('action failed');
    expect(await readdir(lockSettings.lockDirectory)).toEqual([]);
  });

  it('breaks a lock whose process is gone', async () => {
    const lockSettings = await makeLockSettings();
    await writeLock(lockSettings, 'k', JSON.stringify({ pid: await deadProcessId(), key: 'k' }));
    expect(await withKeyLock(lockSettings, 'k', async () => 'ran')).toBe('ran');
    expect(await readdir(lockSettings.lockDirectory)).toEqual([]);
  });

  it('waits for a live holder and gives up with TRANSIENT_IO after the timeout', async () => {
    const lockSettings = await makeLockSettings({ timeoutMs: 200 });
    const path = await writeLock(lockSettings, 'k', JSON.stringify({ pid: process.pid }));
    let ran = false;
    const error = await expectCairnError(
      withKeyLock(lockSettings, 'k', async () => {
        ran = true;
      }),
      'TRANSIENT_IO',
    );
    expect(ran).toBe(false);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(path);
    expect(await readFile(path, 'utf8')).toContain(String(process.pid));
  });

  it('runs once a live holder releases, not before', async () => {
    const base = await makeLockSettings();
    const path = await writeLock(base, 'k', JSON.stringify({ pid: process.pid }));
    const watch = watchLockContention(path);
    const order: string[] = [];
    const waiting = withKeyLock({ ...base, fileSystem: watch.fileSystem }, 'k', async () => {
      order.push('waiter ran');
    });
    // The waiter has found the lock taken: from here on it can only run after the release.
    await watch.contended;
    order.push('holder released');
    await unlink(path);
    await waiting;
    expect(order).toEqual(['holder released', 'waiter ran']);
  });

  it('breaks a lock older than staleAfterMs even if its process id is alive', async () => {
    const lockSettings = await makeLockSettings({ staleAfterMs: 1_000 });
    const path = await writeLock(lockSettings, 'k', JSON.stringify({ pid: process.pid }));
    const old = new Date(Date.now() - 10_000);
    await utimes(path, old, old);
    expect(await withKeyLock(lockSettings, 'k', async () => 'ran')).toBe('ran');
  });

  it('respects an empty lock (its owner is still writing it) until it is stale', async () => {
    const lockSettings = await makeLockSettings({ timeoutMs: 100, staleAfterMs: 1_000 });
    const path = await writeLock(lockSettings, 'k', '');
    await expectCairnError(
      withKeyLock(lockSettings, 'k', async () => 'ran'),
      'TRANSIENT_IO',
    );
    const old = new Date(Date.now() - 10_000);
    await utimes(path, old, old);
    expect(await withKeyLock(lockSettings, 'k', async () => 'ran')).toBe('ran');
  });

  it('stops waiting with ABORTED when the signal fires, leaving the holder its lock', async () => {
    const base = await makeLockSettings({ timeoutMs: 10_000 });
    const held = JSON.stringify({ pid: process.pid });
    const path = await writeLock(base, 'k', held);
    const watch = watchLockContention(path);
    const controller = new AbortController();
    void watch.contended.then(() => controller.abort(new Error('caller gave up')));
    let ran = false;
    await expectCairnError(
      withKeyLock(
        { ...base, fileSystem: watch.fileSystem },
        'k',
        async () => {
          ran = true;
        },
        controller.signal,
      ),
      'ABORTED',
    );
    expect(ran).toBe(false);
    expect(await readFile(path, 'utf8')).toBe(held);
  });
});

describe('withKeyLock: a holder that outlives staleAfterMs', () => {
  it('refreshes its lock while held, so a contender does not break it past staleAfterMs', async () => {
    const staleAfterMs = 300;
    const lockSettings = await makeLockSettings({ staleAfterMs });
    await withKeyLock(lockSettings, 'slow', async (lock) => {
      const taken = (await lstat(lock.path)).mtimeMs;
      // Hold the lock until its file shows a refresh made after the stale age had passed
      // since it was taken; without refreshes this loop never ends and the test fails.
      let refreshed = taken;
      for (let poll = 0; refreshed - taken <= staleAfterMs; poll++) {
        if (poll > 500) throw new Error('the held lock was never refreshed');
        await sleep(20);
        refreshed = (await lstat(lock.path)).mtimeMs;
      }
      // What another process would decide now: our pid is alive and the file is fresh.
      expect(await breakLockIfStale(lockSettings, lock.path)).toBe(false);
      expect(await lock.isHeld()).toBe(true);
      await lock.assertHeld();
    });
    expect(await readdir(lockSettings.lockDirectory)).toEqual([]);
  });

  it('notices a lock broken as stale and taken by the next writer, and leaves that lock alone', async () => {
    const lockSettings = await makeLockSettings();
    const next = JSON.stringify({ pid: process.pid, key: 'k', token: 'next-writer' });
    let path = '';
    const failure = await expectCairnError(
      withKeyLock(lockSettings, 'k', async (lock) => {
        path = lock.path;
        // This holder stalled: another process with a shorter stale age breaks its lock …
        const old = new Date(Date.now() - 10_000);
        await utimes(lock.path, old, old);
        expect(await breakLockIfStale({ ...lockSettings, staleAfterMs: 1_000 }, lock.path)).toBe(
          true,
        );
        // … and the next writer takes the lock.
        await writeFile(lock.path, next, { flag: 'wx' });
        expect(await lock.isHeld()).toBe(false);
        await lock.assertHeld();
        return 'changed something';
      }),
      'CONFLICT',
    );
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain('taken over by another writer');
    expect(failure.message).toContain('Nothing was changed');
    expect(failure.details).toMatchObject({ key: 'k', path });
    // Releasing ours did not delete the next writer's lock.
    expect(await readFile(path, 'utf8')).toBe(next);
    expect(await readdir(lockSettings.lockDirectory)).toEqual([
      path.slice(path.lastIndexOf('/') + 1),
    ]);
  });

  it('does not delete a lock that replaced its own, even when the action succeeds', async () => {
    const lockSettings = await makeLockSettings();
    const next = JSON.stringify({ pid: process.pid, key: 'k', token: 'next-writer' });
    let path = '';
    const result = await withKeyLock(lockSettings, 'k', async (lock) => {
      path = lock.path;
      await rename(lock.path, `${lock.path}.moved`);
      await writeFile(lock.path, next, { flag: 'wx' });
      await unlink(`${lock.path}.moved`);
      return 'done';
    });
    expect(result).toBe('done');
    expect(await readFile(path, 'utf8')).toBe(next);
  });

  it('a lock whose file was removed is no longer held', async () => {
    const lockSettings = await makeLockSettings();
    await expectCairnError(
      withKeyLock(lockSettings, 'k', async (lock) => {
        await unlink(lock.path);
        expect(await lock.isHeld()).toBe(false);
        await lock.assertHeld();
      }),
      'CONFLICT',
    );
    expect(await readdir(lockSettings.lockDirectory)).toEqual([]);
  });
});
