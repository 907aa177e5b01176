import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from './index.js';
import { lockPathOf } from './key-lock.js';
import { deadProcessId } from './testing/dead-process.js';
import { temporaryRoot } from './testing/temporary-root.js';

describe('cleanup on open', () => {
  it('removes temporary files of dead or long-stalled writers and keeps live ones', async () => {
    const root = await temporaryRoot();
    const temporary = join(root, '.cairn-tmp');
    await mkdir(join(temporary, 'locks'), { recursive: true });
    const dead = await deadProcessId();
    const files = {
      deadWriter: `${dead}-00aa11bb22cc33dd`,
      liveWriter: `${process.pid}-00aa11bb22cc33de`,
      liveButOld: `${process.pid}-00aa11bb22cc33df`,
      notOurs: 'notes.txt',
    };
    for (const name of Object.values(files)) await writeFile(join(temporary, name), 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(join(temporary, files.liveButOld), twoHoursAgo, twoHoursAgo);

    const logged: Array<[object | string, string | undefined]> = [];
    const logger = {
      ...silentLogger,
      info: (fields: object | string, message?: string) => {
        logged.push([fields, message]);
      },
    };
    const storage = createFsStorage({ root }, { logger });
    expect(await readdir(temporary)).toHaveLength(5);
    await storage.head('first-operation');
    expect((await readdir(temporary)).sort()).toEqual(
      [files.liveWriter, files.notOurs, 'locks'].sort(),
    );
    expect(logged).toEqual([
      [
        { backend: 'fs', root, temporaryFiles: 2, locks: 0 },
        'Removed temporary files and locks left by writers that crashed',
      ],
    ]);
  });

  it('honours cleanupTemporaryFilesOlderThanMs', async () => {
    const root = await temporaryRoot();
    const temporary = join(root, '.cairn-tmp');
    await mkdir(temporary, { recursive: true });
    const name = `${process.pid}-0123456789abcdef`;
    await writeFile(join(temporary, name), 'partial');
    const tenSecondsAgo = new Date(Date.now() - 10_000);
    await utimes(join(temporary, name), tenSecondsAgo, tenSecondsAgo);
    await createFsStorage({ root, cleanupTemporaryFilesOlderThanMs: 60_000 }).head('k');
    expect(await readdir(temporary)).toContain(name);
    await createFsStorage({ root, cleanupTemporaryFilesOlderThanMs: 5_000 }).head('k');
    expect(await readdir(temporary)).not.toContain(name);
  });

  it('removes stale locks and leftovers of broken locks, keeping live locks', async () => {
    const root = await temporaryRoot();
    const locks = join(root, '.cairn-tmp', 'locks');
    await mkdir(locks, { recursive: true });
    const deadLock = lockPathOf(locks, 'dead');
    const liveLock = lockPathOf(locks, 'live');
    await writeFile(deadLock, JSON.stringify({ pid: await deadProcessId() }));
    await writeFile(liveLock, JSON.stringify({ pid: process.pid }));
    const leftover = `${lockPathOf(locks, 'x')}.broken-abcdef`;
    await writeFile(leftover, '{}');
    const old = new Date(Date.now() - 10 * 60 * 1000);
    await utimes(leftover, old, old);
    await createFsStorage({ root }).head('k');
    expect(await readdir(locks)).toEqual([liveLock.slice(locks.length + 1)]);
  });

  it('removes a lock a dead writer never linked into place, at once, and keeps a live one', async () => {
    const root = await temporaryRoot();
    const locks = join(root, '.cairn-tmp', 'locks');
    await mkdir(locks, { recursive: true });
    const dead = `${lockPathOf(locks, 'a')}.broken-pending-${await deadProcessId()}-00aa11`;
    const live = `${lockPathOf(locks, 'b')}.broken-pending-${process.pid}-00aa12`;
    await writeFile(dead, JSON.stringify({ pid: 1 }));
    await writeFile(live, JSON.stringify({ pid: process.pid }));
    await createFsStorage({ root }).head('k');
    expect(await readdir(locks)).toEqual([live.slice(locks.length + 1)]);
  });
});
