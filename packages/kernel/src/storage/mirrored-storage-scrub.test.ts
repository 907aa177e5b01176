import { describe, expect, it } from 'vitest';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { mirrorOver, text } from '../testing/mirrored-storage-support.js';
import { sha256Of } from './body.js';
import { createMemoryStorage } from './memory-storage.js';
import type { Storage } from './storage.js';

describe('mirrored storage scrub', () => {
  it('reports a healthy mirror as healthy', async () => {
    const { mirror, events } = mirrorOver([createMemoryStorage(), createMemoryStorage()]);
    await mirror.put('a', '1');
    await mirror.put('b', '2');
    expect(await mirror.scrub()).toEqual({
      checked: 2,
      healthy: 2,
      findings: [],
      unrecoverable: [],
    });
    expect(events).toEqual([]);
  });

  it('finds and repairs missing, corrupt and stale copies, and objects only backups hold', async () => {
    const [primary, backup] = [createMemoryStorage(), createMemoryStorage()];
    const { mirror, events } = mirrorOver([primary, backup]);
    for (const key of ['corrupt', 'missing', 'stale', 'lost', 'fine']) await mirror.put(key, key);
    backup.corrupt('corrupt', 'rot');
    await backup.delete('missing');
    await backup.put('stale', 'an older version');
    await primary.delete('lost');

    const report = await mirror.scrub();
    expect(report.checked).toBe(5);
    expect(report.healthy).toBe(1);
    expect(report.unrecoverable).toEqual([]);
    expect(report.findings).toEqual([
      { key: 'corrupt', copy: 1, copyName: 'memory', problem: 'corrupt', repaired: true },
      { key: 'lost', copy: 0, copyName: 'memory', problem: 'missing', repaired: true },
      { key: 'missing', copy: 1, copyName: 'memory', problem: 'missing', repaired: true },
      { key: 'stale', copy: 1, copyName: 'memory', problem: 'stale', repaired: true },
    ]);
    expect(events.find((event) => event.type === 'copy-stale')).toMatchObject({
      key: 'stale',
      expected: sha256Of('stale'),
      actual: sha256Of('an older version'),
    });
    for (const key of ['corrupt', 'missing', 'stale', 'lost']) {
      expect(await text(primary, key)).toBe(key);
      expect(await text(backup, key)).toBe(key);
    }
    expect((await mirror.scrub()).healthy).toBe(5);
  });

  it('trusts the first intact backup when the primary is corrupt', async () => {
    const copies = [createMemoryStorage(), createMemoryStorage(), createMemoryStorage()];
    const { mirror } = mirrorOver(copies);
    await mirror.put('a', 'truth');
    copies[0]?.corrupt('a', 'lies');
    const report = await mirror.scrub();
    expect(report.findings).toEqual([
      { key: 'a', copy: 0, copyName: 'memory', problem: 'corrupt', repaired: true },
    ]);
    expect(await text(copies[0] as Storage, 'a')).toBe('truth');
  });

  it('only reports when repair is off, and stays under the prefix', async () => {
    const [primary, backup] = [createMemoryStorage(), createMemoryStorage()];
    const { mirror } = mirrorOver([primary, backup]);
    await mirror.put('runs/a', 'x');
    await mirror.put('other/b', 'y');
    backup.corrupt('runs/a', 'z');
    backup.corrupt('other/b', 'z');

    const report = await mirror.scrub({ prefix: 'runs/', repair: false });
    expect(report).toEqual({
      checked: 1,
      healthy: 0,
      findings: [
        { key: 'runs/a', copy: 1, copyName: 'memory', problem: 'corrupt', repaired: false },
      ],
      unrecoverable: [],
    });
    expect(await text(backup, 'runs/a')).toBe('z');
  });

  it('lists objects with no good copy as unrecoverable', async () => {
    const [primary, backup] = [createMemoryStorage(), createMemoryStorage()];
    const { mirror } = mirrorOver([primary, backup]);
    await mirror.put('a', 'x');
    primary.corrupt('a', 'p');
    backup.corrupt('a', 'q');
    const report = await mirror.scrub();
    expect(report.unrecoverable).toEqual(['a']);
    expect(report.findings).toEqual([]);
  });

  it('records a failed repair and an unreadable copy without stopping', async () => {
    const memory = createMemoryStorage();
    const broken: Storage = {
      ...memory,
      put: async () => {
        throw new CairnError({ code: 'PERMANENT_IO', backend: 'memory', message: 'Read-only.' });
      },
    };
    const primary = createMemoryStorage();
    const { mirror } = mirrorOver([primary, broken]);
    await primary.put('a', 'x');
    const unreadableMemory = createMemoryStorage();
    const unreadable: Storage = {
      ...unreadableMemory,
      get: async () => {
        throw new CairnError({ code: 'TRANSIENT_IO', backend: 'memory', message: 'Reset.' });
      },
    };
    const second = mirrorOver([createMemoryStorage(), unreadable]).mirror;
    await second.put('b', 'y');

    expect((await mirror.scrub()).findings).toEqual([
      {
        key: 'a',
        copy: 1,
        copyName: 'memory',
        problem: 'missing',
        repaired: false,
        error: { code: 'PERMANENT_IO', message: '[cairn] [memory] Read-only.' },
      },
    ]);
    expect((await second.scrub()).findings).toEqual([
      { key: 'b', copy: 1, copyName: 'memory', problem: 'unreadable', repaired: false },
    ]);
  });

  it('does not repair from an object that changed while it was scrubbed', async () => {
    const memory = createMemoryStorage();
    let reads = 0;
    const busy: Storage = {
      ...memory,
      get: async (key, options) => {
        reads += 1;
        // A writer replaces the object between the scrub's examination and its repair.
        if (reads === 2) await memory.put(key, 'newer');
        return memory.get(key, options);
      },
    };
    const backup = createMemoryStorage();
    const { mirror } = mirrorOver([busy, backup]);
    await memory.put('a', 'older');
    const [finding] = (await mirror.scrub()).findings;
    expect(finding).toMatchObject({ key: 'a', problem: 'missing', repaired: false });
    expect(finding?.error?.code).toBe('CONFLICT');
    expect(await backup.head('a')).toBeUndefined();
  });

  it('stops between objects when aborted', async () => {
    const { mirror } = mirrorOver([createMemoryStorage(), createMemoryStorage()]);
    await mirror.put('a', 'x');
    const error = await mirror.scrub({ signal: AbortSignal.abort() }).catch((caught) => caught);
    expect(isCairnError(error, 'ABORTED')).toBe(true);
  });

  it('refuses an invalid prefix', async () => {
    const { mirror } = mirrorOver([createMemoryStorage(), createMemoryStorage()]);
    await expect(mirror.scrub({ prefix: '/etc' })).rejects.toThrow(/absolute path/);
  });
});
