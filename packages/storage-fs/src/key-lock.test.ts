import { readdir, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { nodeFileSystem } from './file-system.js';
import { breakLockIfStale, type KeyLockSettings, lockPathOf, withKeyLock } from './key-lock.js';
import { deadProcessId } from './testing/dead-process.js';
import { expectCairnError } from './testing/expect-cairn-error.js';
import { temporaryRoot } from './testing/temporary-root.js';

async function settings(overrides: Partial<KeyLockSettings> = {}): Promise<KeyLockSettings> {
  return {
    fileSystem: nodeFileSystem,
    lockDirectory: join(await temporaryRoot(), 'locks'),
    timeoutMs: 5_000,
    staleAfterMs: 60_000,
    ...overrides,
  };
}

async function writeLock(lockSettings: KeyLockSettings, key: string, content: string) {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(lockSettings.lockDirectory, { recursive: true });
  const path = lockPathOf(lockSettings.lockDirectory, key);
  await writeFile(path, content);
  return path;
}

describe('withKeyLock', () => {
  it('runs actions on one key one at a time, and on different keys side by side', async () => {
    const lockSettings = await settings();
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

  it('holds a lock file named by the key hash while running and removes it after, even on failure', async () => {
    const lockSettings = await settings();
    const path = lockPathOf(lockSettings.lockDirectory, 'runs/a');
    await withKeyLock(lockSettings, 'runs/a', async () => {
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ pid: process.pid, key: 'runs/a' });
    });
    await expect(
      withKeyLock(lockSettings, 'runs/a', async () => {
        throw new Error('action failed');
      }),
    ).rejects.toThrow('action failed');
    expect(await readdir(lockSettings.lockDirectory)).toEqual([]);
  });

  it('breaks a lock whose process is gone', async () => {
    const lockSettings = await settings();
    await writeLock(lockSettings, 'k', JSON.stringify({ pid: await deadProcessId(), key: 'k' }));
    expect(await withKeyLock(lockSettings, 'k', async () => 'ran')).toBe('ran');
    expect(await readdir(lockSettings.lockDirectory)).toEqual([]);
  });

  it('waits for a live holder and gives up with TRANSIENT_IO after the timeout', async () => {
    const lockSettings = await settings({ timeoutMs: 200 });
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

  it('runs as soon as a live holder releases', async () => {
    const lockSettings = await settings();
    const path = await writeLock(lockSettings, 'k', JSON.stringify({ pid: process.pid }));
    const order: string[] = [];
    const waiting = withKeyLock(lockSettings, 'k', async () => {
      order.push('waiter ran');
    });
    await sleep(30);
    order.push('holder released');
    const { unlink } = await import('node:fs/promises');
    await unlink(path);
    await waiting;
    expect(order).toEqual(['holder released', 'waiter ran']);
  });

  it('breaks a lock older than staleAfterMs even if its process id is alive', async () => {
    const lockSettings = await settings({ staleAfterMs: 1_000 });
    const path = await writeLock(lockSettings, 'k', JSON.stringify({ pid: process.pid }));
    const old = new Date(Date.now() - 10_000);
    await utimes(path, old, old);
    expect(await withKeyLock(lockSettings, 'k', async () => 'ran')).toBe('ran');
  });

  it('respects an empty lock (its owner is still writing it) until it is stale', async () => {
    const lockSettings = await settings({ timeoutMs: 100, staleAfterMs: 1_000 });
    const path = await writeLock(lockSettings, 'k', '');
    await expectCairnError(
      withKeyLock(lockSettings, 'k', async () => 'ran'),
      'TRANSIENT_IO',
    );
    const old = new Date(Date.now() - 10_000);
    await utimes(path, old, old);
    expect(await withKeyLock(lockSettings, 'k', async () => 'ran')).toBe('ran');
  });

  it('stops waiting with ABORTED when the signal fires', async () => {
    const lockSettings = await settings({ timeoutMs: 10_000 });
    await writeLock(lockSettings, 'k', JSON.stringify({ pid: process.pid }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('caller gave up')), 30);
    await expectCairnError(
      withKeyLock(lockSettings, 'k', async () => 'ran', controller.signal),
      'ABORTED',
    );
  });
});

describe('breakLockIfStale', () => {
  it('puts back a fresh lock that replaced the stale one while it was being broken', async () => {
    const base = await settings();
    const path = await writeLock(base, 'k', JSON.stringify({ pid: await deadProcessId() }));
    const fresh = JSON.stringify({ pid: process.pid, key: 'k' });
    // Another process breaks the stale lock and takes its own just before our move.
    const racing: KeyLockSettings = {
      ...base,
      fileSystem: {
        ...nodeFileSystem,
        rename: (async (from: string, to: string) => {
          if (from === path) {
            const { unlink } = await import('node:fs/promises');
            await unlink(path);
            await writeFile(path, fresh);
          }
          return rename(from, to);
        }) as typeof nodeFileSystem.rename,
      },
    };
    expect(await breakLockIfStale(racing, path)).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(fresh);
    expect((await readdir(base.lockDirectory)).length).toBe(1);
  });

  it('leaves a live young lock alone', async () => {
    const lockSettings = await settings();
    const path = await writeLock(lockSettings, 'k', JSON.stringify({ pid: process.pid }));
    expect(await breakLockIfStale(lockSettings, path)).toBe(false);
    expect((await stat(path)).isFile()).toBe(true);
  });
});
