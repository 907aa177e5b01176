import { describe, expect, it } from 'vitest';
import {
  createGate,
  heldPuts,
  mirrorOf,
  mirrorOver,
  recordWindowStorage,
  text,
  withoutDigests,
} from '../testing/mirrored-storage-support.js';
import { rejection } from '../testing/rejection.js';
import { sha256Of } from './body.js';
import { createMemoryStorage, type MemoryStorage } from './memory-storage.js';

const sha = sha256Of;

describe('mirror reads of a copy that recorded no digest', () => {
  it('never rolls a primary back to an older backup while its record is being written', async () => {
    const primaryMemory = createMemoryStorage();
    const primary = recordWindowStorage(primaryMemory);
    const backupMemory = createMemoryStorage();
    const backupGate = createGate();
    const { mirror, events } = mirrorOver([primary, heldPuts(backupMemory, backupGate)]);
    backupGate.open();
    await mirror.put('a', 'OLD');

    // put('NEW'): the primary has committed its bytes but not yet its record, and the backup
    // has not been written yet, as with fs + a slower remote backup.
    const primaryGate = createGate();
    const slowBackup = createGate();
    primary.holdPuts = primaryGate;
    const { mirror: racing, events: racingEvents } = mirrorOver([
      primary,
      heldPuts(backupMemory, slowBackup),
    ]);
    const writing = racing.put('a', 'NEW');
    await primaryGate.reached;
    // Only that put stays in the window; anything else written to the primary goes through.
    primary.holdPuts = undefined;

    expect(await text(racing, 'a')).toBe('OLD');
    expect(racingEvents).toEqual([
      {
        type: 'copy-stale',
        key: 'a',
        copy: 0,
        copyName: 'memory',
        expected: sha('OLD'),
        actual: sha('NEW'),
      },
    ]);
    // head cannot vouch for the primary's bytes with the backup's digest either.
    expect((await racing.head('a'))?.sha256).toBeUndefined();
    expect(await text(primaryMemory, 'a')).toBe('NEW');

    primaryGate.open();
    slowBackup.open();
    const written = await writing;
    expect(written.sha256).toBe(sha('NEW'));
    expect(await text(primaryMemory, 'a')).toBe('NEW');
    expect(await text(backupMemory, 'a')).toBe('NEW');
    expect(await text(mirror, 'a')).toBe('NEW');
    expect(events).toEqual([]);
  });

  it('serves the unproven copy, flagged, only when no copy verifies', async () => {
    const primaryMemory = createMemoryStorage();
    const primary = recordWindowStorage(primaryMemory);
    const backup = createMemoryStorage();
    const { mirror, events } = mirrorOver([primary, backup]);
    await mirror.put('a', 'OLD');
    await primaryMemory.put('a', 'NEW');
    primary.withoutRecord.add('a');
    backup.corrupt('a', 'rot');

    expect(await text(mirror, 'a')).toBe('NEW');
    expect(events.map((event) => [event.type, event.copy])).toEqual([
      ['copy-stale', 0],
      ['copy-corrupt', 1],
      ['copy-unverified', 0],
    ]);
    // Nothing was rewritten from bytes no digest vouched for.
    expect(await text(backup, 'a')).toBe('rot');
    expect(await text(primaryMemory, 'a')).toBe('NEW');
  });

  it('trusts a lent digest only for the primary version the backup copied', async () => {
    const primaryMemory = createMemoryStorage();
    const backup = createMemoryStorage();
    const { mirror, events } = mirrorOver([withoutDigests(primaryMemory, false), backup]);
    await mirror.put('a', 'v1');
    // The backup recorded the primary's etag, so its digest is the primary's too.
    expect((await mirror.head('a'))?.sha256).toBe(sha('v1'));

    // Replaced around the mirror: the backup's digest now describes another version.
    await primaryMemory.put('a', 'v2');
    expect((await mirror.head('a'))?.sha256).toBeUndefined();
    expect(await text(mirror, 'a')).toBe('v1');
    expect(events.map((event) => event.type)).toEqual(['copy-stale']);
    expect(await text(primaryMemory, 'a')).toBe('v2');
  });
});

describe('mirror reads past a corrupt primary', () => {
  it('refuses a backup holding another version than the one the primary recorded', async () => {
    const { mirror, copies, events } = mirrorOf();
    const [primary, backup] = copies as [MemoryStorage, MemoryStorage];
    await mirror.put('a', 'A');
    // A later write reached only the primary (its backup copy failed), then the primary rots.
    await primary.put('a', 'B');
    primary.corrupt('a', 'rot');

    const error = await rejection(mirror.get('a'));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toContain(`copy 1 (memory) holds other bytes (SHA-256 ${sha('A')}`);
    expect(events.map((event) => [event.type, event.copy])).toEqual([
      ['copy-corrupt', 0],
      ['copy-stale', 1],
    ]);
    // The older version was not copied over the primary, and the backup was left as it was.
    expect(await text(primary, 'a')).toBe('rot');
    expect((await primary.head('a'))?.sha256).toBe(sha('B'));
    expect(await text(backup, 'a')).toBe('A');
  });

  it('skips a stale backup for one holding the recorded version, and repairs only the primary', async () => {
    const { mirror, copies, events } = mirrorOf(3);
    const [primary, stale, good] = copies as [MemoryStorage, MemoryStorage, MemoryStorage];
    await mirror.put('a', 'A');
    for (const copy of [primary, good]) await copy.put('a', 'B');
    primary.corrupt('a', 'rot');

    expect(await text(mirror, 'a')).toBe('B');
    expect(events.map((event) => [event.type, event.copy])).toEqual([
      ['copy-corrupt', 0],
      ['copy-stale', 1],
      ['copy-repaired', 0],
    ]);
    expect(await text(primary, 'a')).toBe('B');
    // Left for scrub, which compares every copy.
    expect(await text(stale, 'a')).toBe('A');
  });
});
