import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkpointKeys, runKeys } from '../naming/layout.js';
import { createTimeIdGenerator } from '../naming/time-id.js';
import { type RunRecord, serialiseRunRecord } from '../runs/run-record.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { recordingDeletes } from '../testing/checkpoints-faulty-storage.js';
import {
  bytesAt,
  keysOf,
  otherRun,
  storeOver,
  testRun,
  testStart,
} from '../testing/checkpoints-fixtures.js';
import { rejection } from '../testing/rejection.js';
import type { CheckpointRecord } from './checkpoint-record.js';
import { createCheckpointStore } from './create-checkpoint-store.js';
import type { PruneRequest } from './retention.js';
import { keepBest, keepEvery, keepLast } from './retention.js';

async function withCheckpoints(count: number, storage: Storage = createMemoryStorage()) {
  const fixture = storeOver(storage);
  const saved: CheckpointRecord[] = [];
  for (let index = 0; index < count; index++) {
    saved.push(
      await fixture.store.save({
        run: testRun,
        step: 'train',
        state: { epoch: index },
        metrics: { loss: [0.9, 0.3, 0.6, 0.2, 0.8, 0.7][index % 6] ?? 1 },
      }),
    );
    await fixture.clock.advance(1000);
  }
  return { ...fixture, saved };
}

async function committedIds(fixture: {
  store: { list: (query: object) => AsyncIterable<CheckpointRecord> };
}) {
  const ids: string[] = [];
  for await (const record of fixture.store.list({ step: 'train', run: testRun }))
    ids.push(record.id);
  return ids;
}

describe('prune', () => {
  it('deletes what no rule keeps and reports kept (with reasons) and deleted (with sizes)', async () => {
    const fixture = await withCheckpoints(6);
    const { store, saved, storage } = fixture;
    const report = await store.prune({ run: testRun, step: 'train', keep: [keepLast(2)] });
    expect(report.dryRun).toBe(false);
    expect(report.kept).toEqual([
      { id: saved[4]?.id, reasons: ['keepLast(2)'] },
      { id: saved[5]?.id, reasons: ['keepLast(2)'] },
    ]);
    expect(report.deleted).toEqual(
      saved.slice(0, 4).map((record) => ({ id: record.id, size: record.size })),
    );
    expect(await committedIds(fixture)).toEqual([saved[4]?.id, saved[5]?.id]);
    // Payloads went too, not only sidecars.
    expect(await keysOf(storage, 'checkpoints/')).toHaveLength(4);
    // One change record, written before the first deletion, names every deleted checkpoint.
    const changes = await keysOf(storage, 'catalog/changes/checkpoints/train/');
    expect(changes).toHaveLength(1);
    const change = parse((await bytesAt(storage, changes[0] as string)).toString());
    expect(change.removed).toEqual(saved.slice(0, 4).map((record) => record.id));
  });

  it('a dry run records no catalog change', async () => {
    const fixture = await withCheckpoints(3);
    await fixture.store.prune({ run: testRun, step: 'train', keep: [keepLast(1)], dryRun: true });
    expect(await keysOf(fixture.storage, 'catalog/')).toEqual([]);
  });

  it('composes rules: kept if any rule keeps it', async () => {
    const fixture = await withCheckpoints(6);
    const { store, saved } = fixture;
    const report = await store.prune({
      run: testRun,
      step: 'train',
      keep: [keepLast(1), keepBest(1, 'loss', 'min'), keepEvery(3)],
    });
    // losses 0.9 0.3 0.6 0.2 0.8 0.7: best is the 4th; every 3rd is the 3rd and 6th; last is the 6th.
    expect(report.kept.map((entry) => entry.id)).toEqual([
      saved[2]?.id,
      saved[3]?.id,
      saved[5]?.id,
    ]);
    expect(await committedIds(fixture)).toEqual([saved[2]?.id, saved[3]?.id, saved[5]?.id]);
  });

  it('keepEvery keeps the same checkpoints across repeated prunes while saving goes on', async () => {
    const fixture = await withCheckpoints(4);
    const { store, clock } = fixture;
    await store.prune({ run: testRun, step: 'train', keep: [keepEvery(2), keepLast(1)] });
    for (let index = 4; index < 8; index++) {
      await store.save({ run: testRun, step: 'train', state: index });
      await clock.advance(1000);
      await store.prune({ run: testRun, step: 'train', keep: [keepEvery(2), keepLast(1)] });
    }
    const kept: (number | undefined)[] = [];
    for await (const record of store.list({ step: 'train' })) kept.push(record.sequence);
    expect(kept).toEqual([2, 4, 6, 8]);
  });

  it('a dry run deletes nothing and reports the same lists', async () => {
    const fixture = await withCheckpoints(5);
    const { store, storage } = fixture;
    const before = await keysOf(storage);
    const request: PruneRequest = {
      run: testRun,
      step: 'train',
      keep: [keepBest(2, 'loss', 'max')],
    };
    const dry = await store.prune({ ...request, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(await keysOf(storage)).toEqual(before);
    const real = await store.prune(request);
    expect({ ...real, dryRun: true }).toEqual(dry);
    expect(dry.deleted).toHaveLength(3);
  });

  it('never deletes protected checkpoints, given in the request or to protect()', async () => {
    const fixture = await withCheckpoints(5);
    const { store, saved } = fixture;
    store.protect(saved[0]?.id ?? '');
    const report = await store.prune({
      run: testRun,
      step: 'train',
      keep: [keepLast(1)],
      protect: [saved[2]?.id ?? ''],
    });
    expect(report.kept).toEqual([
      { id: saved[0]?.id, reasons: ['protected'] },
      { id: saved[2]?.id, reasons: ['protected'] },
      { id: saved[4]?.id, reasons: ['keepLast(1)'] },
    ]);
    expect(await committedIds(fixture)).toEqual([saved[0]?.id, saved[2]?.id, saved[4]?.id]);
  });

  it('never touches other runs, other steps or uncommitted payloads', async () => {
    const storage = createMemoryStorage();
    const fixture = await withCheckpoints(3, storage);
    const { store, clock } = fixture;
    const other = await store.save({ run: otherRun, step: 'train', state: 'other run' });
    const otherStep = await store.save({ run: testRun, step: 'eval', state: 'other step' });
    await clock.advance(1000);
    const orphan = checkpointKeys('train/20250810T150000.000Z-aaaaaa').payload;
    await storage.put(orphan, 'being written');
    await store.prune({ run: testRun, step: 'train', keep: [keepLast(1)] });
    expect((await store.get(other.id)).id).toBe(other.id);
    expect((await store.get(otherStep.id)).id).toBe(otherStep.id);
    expect(await storage.head(orphan)).toBeDefined();
  });

  it('reads no sidecar of runs that began well before the pruned one', async () => {
    const memory = createMemoryStorage();
    await withCheckpoints(5, memory);
    const sidecarReads: string[] = [];
    const { store, clock } = storeOver({
      ...memory,
      get: (key, options) => {
        if (key.endsWith('/checkpoint.yaml')) sidecarReads.push(key);
        return memory.get(key, options);
      },
    });
    const lateRun = 'research/20250810T154000.000Z-q1w2e3';
    await clock.advance(2 * 60 * 60 * 1000);
    const first = await store.save({ run: lateRun, step: 'train', state: 1 });
    const second = await store.save({ run: lateRun, step: 'train', state: 2 });
    sidecarReads.length = 0;
    const report = await store.prune({ run: lateRun, step: 'train', keep: [keepLast(1)] });
    expect(report.deleted.map((entry) => entry.id)).toEqual([first.id]);
    expect(report.kept.map((entry) => entry.id)).toEqual([second.id]);
    expect(sidecarReads).toHaveLength(2);
    expect(await committedIds(storeOver(memory))).toHaveLength(5);
  });

  it('never deletes a checkpoint committed while the prune runs', async () => {
    const memory = createMemoryStorage();
    let saveDuringPrune: (() => Promise<CheckpointRecord>) | undefined;
    let savedDuringPrune: CheckpointRecord | undefined;
    const storage: Storage = {
      ...memory,
      delete: async (key, options) => {
        if (saveDuringPrune !== undefined) {
          const save = saveDuringPrune;
          saveDuringPrune = undefined;
          savedDuringPrune = await save();
        }
        return memory.delete(key, options);
      },
    };
    const fixture = await withCheckpoints(3, storage);
    const { store, clock } = fixture;
    await clock.advance(1000);
    saveDuringPrune = () => store.save({ run: testRun, step: 'train', state: 'late' });
    const report = await store.prune({ run: testRun, step: 'train', keep: [keepLast(1)] });
    expect(savedDuringPrune).toBeDefined();
    expect(report.deleted).toHaveLength(2);
    expect((await store.get(savedDuringPrune?.id ?? '')).id).toBe(savedDuringPrune?.id);
  });

  it('honours protect() called while the prune is deleting', async () => {
    const memory = createMemoryStorage();
    let onFirstDelete: (() => void) | undefined;
    const storage: Storage = {
      ...memory,
      delete: async (key, options) => {
        onFirstDelete?.();
        onFirstDelete = undefined;
        return memory.delete(key, options);
      },
    };
    const fixture = await withCheckpoints(4, storage);
    const { store, saved } = fixture;
    onFirstDelete = () => store.protect(saved[1]?.id ?? '');
    const report = await store.prune({ run: testRun, step: 'train', keep: [keepLast(1)] });
    expect(report.deleted.map((entry) => entry.id)).toEqual([saved[0]?.id, saved[2]?.id]);
    expect(report.kept.map((entry) => entry.id)).toEqual([saved[1]?.id, saved[3]?.id]);
  });

  it('deletes the sidecar (uncommitting) before the payload', async () => {
    const storage = recordingDeletes(createMemoryStorage());
    const { store } = await withCheckpoints(2, storage);
    await store.prune({ run: testRun, step: 'train', keep: [keepLast(1)] });
    expect(storage.deleted.map((key) => key.split('/').at(-1))).toEqual([
      'checkpoint.yaml',
      'payload',
    ]);
  });

  it('stops between deletions when the signal fires, leaving the rest intact', async () => {
    const memory = createMemoryStorage();
    const controller = new AbortController();
    const storage: Storage = {
      ...memory,
      delete: async (key, options) => {
        await memory.delete(key, options);
        if (key.endsWith('/payload')) controller.abort();
      },
    };
    const fixture = await withCheckpoints(4, storage);
    const error = await rejection(
      fixture.store.prune({
        run: testRun,
        step: 'train',
        keep: [keepLast(1)],
        signal: controller.signal,
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect(error.message).toContain('after deleting 1 checkpoint(s)');
    expect(await committedIds(fixture)).toHaveLength(3);
  });

  it("never deletes a checkpoint the run's record depends on, whichever process prunes", async () => {
    const fixture = await withCheckpoints(4);
    const { storage, saved } = fixture;
    const time = new Date(testStart).toISOString();
    // The run completed step "train" with saved[0] as its output.
    const record: RunRecord = {
      format: 'cairn.run/v1',
      id: testRun,
      pipeline: 'research',
      state: 'INTERRUPTED',
      attempt: 2,
      startedAt: time,
      attemptStartedAt: time,
      heartbeatAt: time,
      heartbeatIntervalMs: 10_000,
      owner: { host: 'elsewhere', pid: 1, token: 'token' },
      steps: [{ name: 'train', state: 'COMPLETED', startedAt: time, checkpoint: saved[0]?.id }],
      // It resumed from saved[2] first, then from saved[1]: only the latest is kept for that.
      resumedFrom: [saved[2]?.id as string, saved[1]?.id as string],
    };
    await storage.put(runKeys(testRun).record, serialiseRunRecord(record));
    // A store in another process: it has protected nothing itself.
    const report = await storeOver(storage).store.prune({
      run: testRun,
      step: 'train',
      keep: [keepLast(1)],
    });
    expect(report.deleted.map((entry) => entry.id)).toEqual([saved[2]?.id]);
    expect(report.kept).toEqual([
      { id: saved[0]?.id, reasons: ['protected'] },
      { id: saved[1]?.id, reasons: ['protected'] },
      { id: saved[3]?.id, reasons: ['keepLast(1)'] },
    ]);
  });

  it('keeps the last saved, not the last stamped, when a resume ran on a machine whose clock is behind', async () => {
    const fixture = await withCheckpoints(3);
    const { storage, saved } = fixture;
    // Another machine, two minutes behind the first, saves the run's newest checkpoint.
    const behind = testStart - 2 * 60_000;
    const store = createCheckpointStore({
      storage,
      now: () => behind,
      timeIds: createTimeIdGenerator({ now: () => behind }),
    });
    const newest = await store.save({ run: testRun, step: 'train', state: { epoch: 3 } });
    expect(newest.sequence).toBe(4);
    expect(newest.id < (saved[0]?.id as string)).toBe(true);
    const report = await store.prune({ run: testRun, step: 'train', keep: [keepLast(2)] });
    expect(report.deleted.map((entry) => entry.id)).toEqual([saved[0]?.id, saved[1]?.id]);
    expect(report.kept.map((entry) => entry.id).sort()).toEqual([newest.id, saved[2]?.id].sort());
  });

  it('numbers on from the highest sequence, not the newest id, when a store on a machine behind starts later', async () => {
    const fixture = await withCheckpoints(3);
    const { storage } = fixture;
    const behind = testStart - 2 * 60_000;
    const storeBehind = (offsetMs: number) =>
      createCheckpointStore({
        storage,
        now: () => behind + offsetMs,
        timeIds: createTimeIdGenerator({ now: () => behind + offsetMs }),
      });
    const first = await storeBehind(0).save({ run: testRun, step: 'train', state: { epoch: 3 } });
    // A fresh store (a new process) on the same machine: the newest id is still the first machine's.
    const second = await storeBehind(1_000).save({
      run: testRun,
      step: 'train',
      state: { epoch: 4 },
    });
    expect([first.sequence, second.sequence]).toEqual([4, 5]);
    const report = await storeBehind(2_000).prune({
      run: testRun,
      step: 'train',
      keep: [keepLast(1)],
    });
    expect(report.kept.map((entry) => entry.id)).toEqual([second.id]);
  });

  it.each([
    ['an empty keep list', { keep: [] }, 'every checkpoint would be deleted'],
    ['no keep list', { keep: undefined }, 'at least one retention rule'],
    ['a bad rule', { keep: [{ kind: 'last', count: 0 }] }, 'Invalid retention rule'],
    ['a bad run id', { run: 'nope' }, 'is not a run id'],
    ['a bad step', { step: '' }, 'The step name "" is not valid'],
    ['protect that is not a list of ids', { protect: 'x' }, '`protect` must be an array'],
    ['a dryRun that is not a boolean', { dryRun: 'yes' }, '`dryRun` must be true or false'],
  ])('refuses %s and deletes nothing', async (_name, change, expected) => {
    const fixture = await withCheckpoints(3);
    const error = await rejection(
      fixture.store.prune({
        run: testRun,
        step: 'train',
        keep: [keepLast(1)],
        ...change,
      } as PruneRequest),
    );
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain(expected);
    expect(await committedIds(fixture)).toHaveLength(3);
  });

  it('refuses to protect something that is not a checkpoint id', () => {
    const { store } = storeOver();
    expect(() => store.protect('not an id')).toThrow(/is not a checkpoint id/);
  });
});
