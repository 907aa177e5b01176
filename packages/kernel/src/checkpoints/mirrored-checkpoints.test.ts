import { describe, expect, it } from 'vitest';
import { checkpointKeys } from '../naming/layout.js';
import { createMemoryStorage, type MemoryStorage } from '../storage/memory-storage.js';
import { bytesAt, flipBit, keysOf, storeOver, testRun } from '../testing/checkpoints-fixtures.js';
import {
  mirrorOf,
  mirrorOver,
  refusingPuts,
  transientError,
} from '../testing/mirrored-storage-support.js';
import { rejection } from '../testing/rejection.js';

const state = {
  candidates: Array.from({ length: 40 }, (_, index) => ({ index, text: `c${index}` })),
};

type Damage = (copy: MemoryStorage, key: string, good: Buffer) => Promise<void>;

const damages: [string, Damage][] = [
  ['deleted', async (copy, key) => copy.delete(key)],
  ['truncated', async (copy, key, good) => copy.corrupt(key, good.subarray(0, good.length >> 1))],
  ['bit-flipped', async (copy, key, good) => copy.corrupt(key, flipBit(good, 7))],
];

async function savedOnMirror() {
  const { mirror, copies } = mirrorOf(2);
  const fixture = storeOver(mirror);
  const record = await fixture.store.save({ run: testRun, step: 'gen', state });
  const keys = checkpointKeys(record.id);
  const good = {
    payload: await bytesAt(copies[0] as MemoryStorage, keys.payload),
    sidecar: await bytesAt(copies[0] as MemoryStorage, keys.sidecar),
  };
  return {
    ...fixture,
    mirror,
    primary: copies[0] as MemoryStorage,
    backup: copies[1] as MemoryStorage,
    record,
    keys,
    good,
  };
}

describe('checkpoints on a mirrored storage', () => {
  it('keeps every checkpoint on both copies', async () => {
    const { primary, backup, keys, good } = await savedOnMirror();
    expect((await bytesAt(backup, keys.payload)).equals(good.payload)).toBe(true);
    expect((await bytesAt(backup, keys.sidecar)).equals(good.sidecar)).toBe(true);
    expect(await primary.head(keys.sidecar)).toBeDefined();
  });

  for (const part of ['payload', 'sidecar'] as const) {
    for (const [name, damage] of damages) {
      it(`loads from the backup when the primary ${part} is ${name}, reports it and repairs the primary`, async () => {
        const fixture = await savedOnMirror();
        const { store, primary, keys, good, record, events, warnings } = fixture;
        await damage(primary, keys[part], good[part]);
        events.length = 0;

        const loaded = await store.load({ id: record.id });
        expect(loaded.state).toEqual(state);
        const problems = loaded.problems.map((problem) => [
          problem.problem,
          problem.key,
          problem.copy,
        ]);
        expect(problems).toContainEqual([
          name === 'deleted' ? 'copy-missing' : 'copy-corrupt',
          keys[part],
          'copy 0 (memory, primary)',
        ]);
        expect(problems).toContainEqual(['copy-repaired', keys[part], 'copy 0 (memory, primary)']);
        expect(loaded.problems.every((problem) => problem.key === keys[part])).toBe(true);

        // Journal events and warnings say the same.
        const reported = events.filter((event) => event.type === 'storage-problem');
        expect(reported.map((event) => event.type === 'storage-problem' && event.problem)).toEqual(
          loaded.problems.map((problem) => problem.problem),
        );
        expect(reported[0]).toMatchObject({ key: keys[part], copy: 'copy 0 (memory, primary)' });
        expect(warnings.some((warning) => warning.fields.checkpoint === record.id)).toBe(true);

        // The primary holds the good bytes again, and the next load finds nothing to report.
        expect((await bytesAt(primary, keys[part])).equals(good[part])).toBe(true);
        expect((await store.load({ id: record.id })).problems).toEqual([]);
      });
    }
  }

  it('loads from the backup when both the primary payload and the primary sidecar are damaged', async () => {
    const { store, primary, keys, good, record } = await savedOnMirror();
    primary.corrupt(keys.sidecar, flipBit(good.sidecar, 9));
    await primary.delete(keys.payload);
    const loaded = await store.load({ id: record.id });
    expect(loaded.state).toEqual(state);
    expect(loaded.problems.map((problem) => [problem.problem, problem.key])).toEqual([
      ['copy-corrupt', keys.sidecar],
      ['copy-repaired', keys.sidecar],
      ['copy-missing', keys.payload],
      ['copy-repaired', keys.payload],
    ]);
    expect((await bytesAt(primary, keys.sidecar)).equals(good.sidecar)).toBe(true);
    expect((await bytesAt(primary, keys.payload)).equals(good.payload)).toBe(true);
  });

  it('commits nothing when a copy refuses the payload', async () => {
    const primary = createMemoryStorage();
    const backup = createMemoryStorage();
    const { mirror } = mirrorOver([primary, refusingPuts(backup, transientError())]);
    const { store } = storeOver(mirror);
    const error = await rejection(store.save({ run: testRun, step: 'gen', state }));
    expect(error.code).toBe('TRANSIENT_IO');
    expect(await keysOf(primary)).toEqual([]);
    expect(await store.latest({ step: 'gen' })).toBeUndefined();
  });

  it('reports a repair found while loading the latest checkpoint of a step', async () => {
    const { store, primary, keys, good } = await savedOnMirror();
    primary.corrupt(keys.payload, flipBit(good.payload, 0));
    const loaded = await store.load({ step: 'gen', run: testRun });
    expect(loaded.problems.map((problem) => problem.problem)).toEqual([
      'copy-corrupt',
      'copy-repaired',
    ]);
    expect(loaded.problems[0]?.detail).toMatch(
      /^expected SHA-256 [0-9a-f]{64}, found [0-9a-f]{64}$/,
    );
  });

  it('reports a sidecar repaired while finding the latest checkpoint of a step', async () => {
    const { store, primary, keys, good } = await savedOnMirror();
    primary.corrupt(keys.sidecar, flipBit(good.sidecar, 5));
    const loaded = await store.load({ step: 'gen' });
    expect(loaded.problems.map((problem) => [problem.problem, problem.key])).toEqual([
      ['copy-corrupt', keys.sidecar],
      ['copy-repaired', keys.sidecar],
    ]);
    expect((await bytesAt(primary, keys.sidecar)).equals(good.sidecar)).toBe(true);
  });

  it('leaves out problems of other checkpoints met on the way to the latest', async () => {
    const { store, primary, backup, clock, record } = await savedOnMirror();
    await clock.advance(1000);
    const newer = await store.save({ run: testRun, step: 'gen', state: 'newer' });
    const newerSidecar = checkpointKeys(newer.id).sidecar;
    const bytes = await bytesAt(primary, newerSidecar);
    primary.corrupt(newerSidecar, flipBit(bytes, 3));
    backup.corrupt(newerSidecar, flipBit(bytes, 4));
    const loaded = await store.load({ step: 'gen' });
    expect(loaded.record.id).toBe(record.id);
    expect(loaded.problems).toEqual([]);
  });

  it('open reports the problems the mirror found before handing over the body', async () => {
    const { store, primary, keys, good } = await savedOnMirror();
    await primary.delete(keys.payload);
    const opened = await store.open({ id: (await store.latest({ step: 'gen' }))?.id ?? '' });
    expect(opened.problems.map((problem) => problem.problem)).toEqual([
      'copy-missing',
      'copy-repaired',
    ]);
    opened.body.destroy();
    expect((await bytesAt(primary, keys.payload)).equals(good.payload)).toBe(true);
  });

  for (const [name, damage] of damages) {
    it(`refuses a payload ${name} on both copies with the mirror's error naming both`, async () => {
      const { store, primary, backup, keys, good, record } = await savedOnMirror();
      await damage(primary, keys.payload, good.payload);
      await damage(backup, keys.payload, good.payload);
      const error = await rejection(store.load({ id: record.id }));
      expect(error.code).toBe('CORRUPT_DATA');
      expect(error.message).toContain(record.id);
      expect(error.message).toContain('copy 0 (memory, primary)');
      expect(error.message).toContain('copy 1 (memory)');
      expect((await rejection(store.load({ step: 'gen' }))).message).toContain('copy 1 (memory)');
    });

    it(`refuses a sidecar ${name} on both copies by id, naming both, and skips it in listings`, async () => {
      const { store, primary, backup, keys, good, record } = await savedOnMirror();
      await damage(primary, keys.sidecar, good.sidecar);
      await damage(backup, keys.sidecar, good.sidecar);
      const error = await rejection(store.get(record.id));
      if (name === 'deleted') {
        expect(error.code).toBe('NOT_FOUND');
      } else {
        expect(error.code).toBe('CORRUPT_DATA');
        expect(error.message).toContain('copy 0 (memory, primary)');
        expect(error.message).toContain('copy 1 (memory)');
      }
      expect(await store.latest({ step: 'gen' })).toBeUndefined();
    });
  }

  it('damage on the backup alone does not disturb a load (the primary is good)', async () => {
    const { store, backup, keys, good, record } = await savedOnMirror();
    backup.corrupt(keys.payload, flipBit(good.payload, 3));
    const loaded = await store.load({ id: record.id });
    expect(loaded.state).toEqual(state);
    expect(loaded.problems).toEqual([]);
  });

  it('stops listening to the mirror once a load is over', async () => {
    const { store, primary, keys, good, record, events, mirror } = await savedOnMirror();
    await store.load({ id: record.id });
    primary.corrupt(keys.payload, flipBit(good.payload, 1));
    events.length = 0;
    // A read that does not go through the store is not reported as the store's.
    await bytesAt(mirror, keys.payload);
    expect(events).toEqual([]);
  });
});
