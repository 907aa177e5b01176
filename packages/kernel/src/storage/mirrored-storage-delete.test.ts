import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors/cairn-error.js';
import {
  createGate,
  heldPuts,
  mirrorOver,
  text,
  transientError,
} from '../testing/mirrored-storage-support.js';
import { rejection } from '../testing/rejection.js';
import { createMemoryStorage } from './memory-storage.js';
import type { Storage } from './storage.js';

/** `memory` with its deletes waiting at a gate, once `gate.armed` is set. */
function pausingDeletes(memory: Storage) {
  const control = { armed: false, gate: createGate() };
  const storage: Storage = {
    ...memory,
    delete: async (key, options) => {
      if (control.armed) {
        control.armed = false;
        await control.gate.pass();
      }
      return memory.delete(key, options);
    },
  };
  return { storage, control };
}

describe('mirrored deletes racing repairs', () => {
  it('does not let a scrub between the backup and the primary deletes bring the object back', async () => {
    const primaryMemory = createMemoryStorage();
    const backup = createMemoryStorage();
    const primary = pausingDeletes(primaryMemory);
    const { mirror } = mirrorOver([primary.storage, backup]);
    await mirror.put('a', 'doomed');

    primary.control.armed = true;
    const deleting = mirror.delete('a');
    await primary.control.gate.reached;
    // The backup is gone, the primary not yet: a scrub finds a missing backup and restores it.
    expect((await mirror.scrub()).findings).toEqual([
      { key: 'a', copy: 1, copyName: 'memory', problem: 'missing', repaired: true },
    ]);
    expect(await text(backup, 'a')).toBe('doomed');
    primary.control.gate.open();
    await deleting;

    expect(await primaryMemory.head('a')).toBeUndefined();
    expect(await backup.head('a')).toBeUndefined();
    expect(await mirror.scrub()).toEqual({
      checked: 0,
      healthy: 0,
      findings: [],
      unrecoverable: [],
    });
  });

  it('undoes a scrub repair that lands after the delete, its source being gone', async () => {
    const primary = createMemoryStorage();
    const backupMemory = createMemoryStorage();
    const repairGate = createGate();
    const { mirror, events } = mirrorOver([primary, heldPuts(backupMemory, repairGate)]);
    await primary.put('a', 'doomed');

    const scrubbing = mirror.scrub();
    await repairGate.reached;
    await mirror.delete('a');
    repairGate.open();
    const report = await scrubbing;

    expect(await backupMemory.head('a')).toBeUndefined();
    expect(await primary.head('a')).toBeUndefined();
    const [finding] = report.findings;
    expect(finding).toMatchObject({ key: 'a', copy: 1, problem: 'missing', repaired: false });
    expect(finding?.error?.code).toBe('CONFLICT');
    expect(finding?.error?.message).toContain('the repair was undone');
    expect(events.map((event) => event.type)).toEqual(['copy-missing', 'repair-failed']);
  });

  it('undoes a read repair of the primary when a delete removed its source meanwhile', async () => {
    const primaryMemory = createMemoryStorage();
    const backup = createMemoryStorage();
    const repairGate = createGate();
    const { mirror, events } = mirrorOver([heldPuts(primaryMemory, repairGate), backup]);
    repairGate.open();
    await mirror.put('a', 'doomed');
    await primaryMemory.delete('a');

    const slowRepair = createGate();
    const { mirror: reader, events: readerEvents } = mirrorOver([
      heldPuts(primaryMemory, slowRepair),
      backup,
    ]);
    const reading = text(reader, 'a');
    await slowRepair.reached;
    await mirror.delete('a');
    slowRepair.open();

    // The read began before the delete, so it may still see the object.
    expect(await reading).toBe('doomed');
    expect(await primaryMemory.head('a')).toBeUndefined();
    expect(await backup.head('a')).toBeUndefined();
    expect(readerEvents.map((event) => event.type)).toEqual(['copy-missing', 'repair-failed']);
    const failed = readerEvents[1] as { error: unknown };
    expect(isCairnError(failed.error, 'CONFLICT')).toBe(true);
    expect(events).toEqual([]);
  });

  it('says so when undoing a repair fails, as the deleted object is then back on that copy', async () => {
    const primary = createMemoryStorage();
    const backupMemory = createMemoryStorage();
    const repairGate = createGate();
    let refuseDeletes = false;
    const backup: Storage = {
      ...heldPuts(backupMemory, repairGate),
      delete: async (key, options) => {
        if (refuseDeletes) throw transientError();
        return backupMemory.delete(key, options);
      },
    };
    const { mirror } = mirrorOver([primary, backup]);
    await primary.put('a', 'doomed');

    const scrubbing = mirror.scrub();
    await repairGate.reached;
    await mirror.delete('a');
    refuseDeletes = true;
    repairGate.open();
    const [finding] = (await scrubbing).findings;

    expect(finding).toMatchObject({ key: 'a', copy: 1, repaired: false });
    expect(finding?.error?.code).toBe('CONFLICT');
    expect(finding?.error?.message).toContain('undoing the repair failed (');
    expect(finding?.error?.message).toContain(`Delete "a" again`);
    expect(await text(backupMemory, 'a')).toBe('doomed');
  });

  it('keeps a repair when its source cannot be looked at again, rather than guess', async () => {
    const primaryMemory = createMemoryStorage();
    let heads = 0;
    const primary: Storage = {
      ...primaryMemory,
      head: async () => {
        heads += 1;
        throw transientError();
      },
    };
    const backup = createMemoryStorage();
    const { mirror } = mirrorOver([primary, backup]);
    await primaryMemory.put('a', 'kept');

    expect((await mirror.scrub()).findings).toEqual([
      { key: 'a', copy: 1, copyName: 'memory', problem: 'missing', repaired: true },
    ]);
    expect(heads).toBe(1);
    expect(await text(backup, 'a')).toBe('kept');
  });

  it('says the primary is gone when the second sweep of a backup fails', async () => {
    const backupMemory = createMemoryStorage();
    let deletes = 0;
    const flaky: Storage = {
      ...backupMemory,
      delete: async (key, options) => {
        deletes += 1;
        if (deletes === 2) throw transientError();
        return backupMemory.delete(key, options);
      },
    };
    const primary = createMemoryStorage();
    const { mirror } = mirrorOver([primary, flaky]);
    await mirror.put('a', 'x');
    const error = await rejection(mirror.delete('a'));
    expect(error.code).toBe('TRANSIENT_IO');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('was deleted from every copy');
    expect(error.details).toMatchObject({ key: 'a', copy: 1, primaryDeleted: true });
    expect(await primary.head('a')).toBeUndefined();
    await mirror.delete('a');
    expect(deletes).toBe(4);
  });
});
