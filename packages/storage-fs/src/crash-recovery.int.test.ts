import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readAll } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from './index.js';
import { startStorageChild } from './testing/run-child.js';
import { temporaryRoot } from './testing/temporary-root.js';

/** Waits until a temporary file in `.cairn-tmp` holds at least `bytes`, and names it. */
async function temporaryFileReaching(root: string, bytes: number): Promise<string> {
  const directory = join(root, '.cairn-tmp');
  for (let attempt = 0; attempt < 600; attempt++) {
    for (const name of await readdir(directory).catch(() => [] as string[])) {
      if (name === 'locks') continue;
      const size = await stat(join(directory, name)).then(
        (found) => found.size,
        () => 0,
      );
      if (size >= bytes) return name;
    }
    await sleep(50);
  }
  throw new Error(`no temporary file reached ${bytes} bytes`);
}

/** Starts a child that puts an endless body at `key`, and SIGKILLs it mid-write. */
async function killMidWrite(root: string, key: string) {
  const child = startStorageChild(['put-forever', root, key]);
  expect(await child.firstReport).toMatchObject({ started: true });
  const temporaryName = await temporaryFileReaching(root, 8 * 1024 * 1024);
  child.process.kill('SIGKILL');
  expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
  return { temporaryName, childProcessId: child.process.pid };
}

describe('crash safety with a real process killed mid-write', () => {
  it('an overwrite killed with SIGKILL leaves the old object, and the next open removes its debris', async () => {
    const root = await temporaryRoot();
    const before = createFsStorage({ root });
    const original = await before.put('models/checkpoint.bin', 'the last good checkpoint');

    const { temporaryName, childProcessId } = await killMidWrite(root, 'models/checkpoint.bin');
    expect(temporaryName.startsWith(`${childProcessId}-`)).toBe(true);
    // On disk right after the crash: the old bytes at the key, the partial file in .cairn-tmp.
    expect(await readFile(join(root, 'models', 'checkpoint.bin'), 'utf8')).toBe(
      'the last good checkpoint',
    );
    expect(await readdir(join(root, '.cairn-tmp'))).toContain(temporaryName);

    const after = createFsStorage({ root });
    const { info, body } = await after.get('models/checkpoint.bin');
    expect((await readAll(body)).toString()).toBe('the last good checkpoint');
    expect(info.etag).toBe(original.etag);
    expect(info.sha256).toBe(original.sha256);
    expect(await readdir(join(root, '.cairn-tmp'))).toEqual(['locks']);
  });

  it('a new key killed mid-write never appears, in get, head or listings', async () => {
    const root = await temporaryRoot();
    await killMidWrite(root, 'runs/r1/huge.bin');
    const after = createFsStorage({ root });
    expect(await after.head('runs/r1/huge.bin')).toBeUndefined();
    const listed = [];
    for await (const info of after.list()) listed.push(info.key);
    expect(listed).toEqual([]);
    expect(await after.listPage({ delimiter: '/' })).toEqual({ objects: [], prefixes: [] });
    expect(await readdir(join(root, '.cairn-tmp'))).toEqual(['locks']);
    // The storage works normally afterwards.
    await after.put('runs/r1/huge.bin', 'small after all');
    expect((await readAll((await after.get('runs/r1/huge.bin')).body)).toString()).toBe(
      'small after all',
    );
  });
});
