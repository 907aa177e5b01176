import { describe, expect, it } from 'vitest';
import {
  mirrorOf,
  mirrorOver,
  recordWindowStorage,
  text,
  withoutDigests,
} from '../testing/mirrored-storage-support.js';
import { sha256Of } from './body.js';
import { createMemoryStorage, type MemoryStorage } from './memory-storage.js';
import { digestMetadataKey, primaryEtagMetadataKey } from './mirrored-storage-digest.js';

describe('mirror scrub and versions', () => {
  it('never rewrites a primary that has not recorded the digest of its newer bytes yet', async () => {
    const primaryMemory = createMemoryStorage();
    const primary = recordWindowStorage(primaryMemory);
    const backup = createMemoryStorage();
    const { mirror, events } = mirrorOver([primary, backup]);
    await mirror.put('a', 'OLD');
    await primaryMemory.put('a', 'NEW');
    primary.withoutRecord.add('a');

    const report = await mirror.scrub();
    expect(report).toEqual({
      checked: 1,
      healthy: 0,
      findings: [{ key: 'a', copy: 0, copyName: 'memory', problem: 'stale', repaired: false }],
      unrecoverable: [],
    });
    expect(events.map((event) => event.type)).toEqual(['copy-stale']);
    expect(await text(primaryMemory, 'a')).toBe('NEW');
    expect(await text(backup, 'a')).toBe('OLD');

    // Once the record is written, the primary is trusted and the backup brought up to date.
    primary.withoutRecord.delete('a');
    const next = await mirror.scrub();
    expect(next.findings).toEqual([
      { key: 'a', copy: 1, copyName: 'memory', problem: 'stale', repaired: true },
    ]);
    expect(await text(backup, 'a')).toBe('NEW');
  });

  it('never trusts a backup over the version a corrupt primary recorded', async () => {
    const { mirror, copies } = mirrorOf();
    const [primary, backup] = copies as [MemoryStorage, MemoryStorage];
    await mirror.put('a', 'A');
    await primary.put('a', 'B');
    primary.corrupt('a', 'rot');

    const report = await mirror.scrub();
    expect(report.unrecoverable).toEqual(['a']);
    expect(await text(primary, 'a')).toBe('rot');
    expect(await text(backup, 'a')).toBe('A');
  });

  it('records on a backup it rewrites from the primary which primary version it copied', async () => {
    const primaryMemory = createMemoryStorage();
    const backup = createMemoryStorage();
    const { mirror } = mirrorOver([withoutDigests(primaryMemory, false), backup]);
    await mirror.put('a', 'v1');
    await backup.delete('a');

    expect((await mirror.scrub()).findings).toEqual([
      { key: 'a', copy: 1, copyName: 'memory', problem: 'missing', repaired: true },
    ]);
    expect((await backup.head('a'))?.metadata).toEqual({
      [digestMetadataKey]: sha256Of('v1'),
      [primaryEtagMetadataKey]: (await primaryMemory.head('a'))?.etag,
    });
    // That record lets the next scrub verify the primary, which keeps no digest, and repair it.
    primaryMemory.corrupt('a', 'rot');
    expect((await mirror.scrub()).findings).toEqual([
      { key: 'a', copy: 0, copyName: 'memory', problem: 'corrupt', repaired: true },
    ]);
    expect(await text(primaryMemory, 'a')).toBe('v1');
  });
});
