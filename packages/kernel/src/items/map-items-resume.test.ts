import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import {
  itemsTestRun,
  recordingLogger,
  storedItemRecords,
  storedItemSegments,
  watchedStorage,
} from '../testing/items-support.js';
import { itemIdentity, loadItemProgress } from './load-item-progress.js';
import { mapItems } from './map-items.js';

const run = itemsTestRun;

/** A worker that counts its calls per item and doubles numbers. */
function countingWorker(failing: ReadonlySet<number> = new Set()) {
  const calls = new Map<number, number>();
  const worker = async (item: number) => {
    calls.set(item, (calls.get(item) ?? 0) + 1);
    if (failing.has(item)) throw new Error(`item ${item} failed`);
    return item * 2;
  };
  return { calls, worker };
}

describe('mapItems on a resume', () => {
  it('runs only the items without a record and reads the others back', async () => {
    const storage = createMemoryStorage();
    const first = countingWorker();
    await mapItems({ storage, run, step: 'grow', items: [0, 1, 2, 3, 4], worker: first.worker });

    const second = countingWorker();
    const result = await mapItems({
      storage,
      run,
      step: 'grow',
      items: [0, 1, 2, 3, 4, 5, 6, 7],
      worker: second.worker,
    });
    expect([...second.calls.keys()].sort()).toEqual([5, 6, 7]);
    expect(result.values).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    expect(result).toMatchObject({ done: 8, failed: 0, skipped: 5 });
    expect(result.outcomes.map((outcome) => outcome.resumed)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    // A third call runs nothing at all.
    const third = countingWorker();
    const again = await mapItems({
      storage,
      run,
      step: 'grow',
      items: [0, 1, 2, 3, 4, 5, 6, 7],
      worker: third.worker,
    });
    expect(third.calls.size).toBe(0);
    expect(again.values).toEqual(result.values);
    expect(await storedItemRecords(storage, 'grow')).toHaveLength(8);
  });

  it('runs failed items again by default, and keeps their failure with retryFailed false', async () => {
    const storage = createMemoryStorage();
    const items = [0, 1, 2, 3];
    const first = countingWorker(new Set([1, 3]));
    const firstResult = await mapItems({
      storage,
      run,
      step: 'failed',
      items,
      worker: first.worker,
    });
    expect(firstResult.failed).toBe(2);

    const kept = countingWorker();
    const keptResult = await mapItems({
      storage,
      run,
      step: 'failed',
      items,
      retryFailed: false,
      worker: kept.worker,
    });
    expect(kept.calls.size).toBe(0);
    expect(keptResult).toMatchObject({ done: 2, failed: 2, skipped: 4 });
    expect(keptResult.outcomes[3]).toEqual({
      index: 3,
      status: 'failed',
      error: { name: 'Error', message: 'item 3 failed' },
      resumed: true,
    });

    const rerun = countingWorker();
    const rerunResult = await mapItems({
      storage,
      run,
      step: 'failed',
      items,
      worker: rerun.worker,
    });
    expect([...rerun.calls.keys()].sort()).toEqual([1, 3]);
    expect(rerunResult).toMatchObject({ done: 4, failed: 0, skipped: 2 });
    expect(rerunResult.values).toEqual([0, 2, 4, 6]);
    // The new records win over the failed ones.
    const progress = await loadItemProgress(storage, run, 'failed');
    expect(progress).toMatchObject({ done: 4, failed: 0 });
  });

  it('runs again the items whose input changed, with a warning', async () => {
    const storage = createMemoryStorage();
    await mapItems({
      storage,
      run,
      step: 'changed',
      items: [{ n: 1 }, { n: 2 }, { n: 3 }],
      worker: async (item) => item.n,
    });
    const { logger, warnings } = recordingLogger();
    const ran: number[] = [];
    const result = await mapItems({
      storage,
      run,
      step: 'changed',
      // Item 1 changed; item 2 is the same data with its keys in another order.
      items: [{ n: 1 }, { n: 20 }, { n: 3 }],
      logger,
      worker: async (item, { index }) => {
        ran.push(index);
        return item.n;
      },
    });
    expect(ran).toEqual([1]);
    expect(result.values).toEqual([1, 20, 3]);
    expect(warnings).toContainEqual({
      fields: expect.objectContaining({ changed: 1, first: [1] }),
      message: expect.stringContaining('changed'),
    });
  });

  it('treats the same data in another key order as unchanged', async () => {
    const storage = createMemoryStorage();
    await mapItems({
      storage,
      run,
      step: 'key-order',
      items: [{ a: 1, b: { c: 2, d: 3 } }],
      worker: async () => 'first',
    });
    const result = await mapItems({
      storage,
      run,
      step: 'key-order',
      items: [{ b: { d: 3, c: 2 }, a: 1 }],
      worker: async () => 'second',
    });
    expect(result.values).toEqual(['first']);
  });

  it('matches items by key when the list is reordered; by index it would redo them', async () => {
    const storage = createMemoryStorage();
    const prompts = ['alpha', 'beta', 'gamma'];
    await mapItems({
      storage,
      run,
      step: 'keyed',
      items: prompts,
      key: (prompt) => prompt,
      worker: async (prompt) => prompt.length,
    });
    const ran: string[] = [];
    const result = await mapItems({
      storage,
      run,
      step: 'keyed',
      items: ['delta', 'gamma', 'alpha', 'beta'],
      key: (prompt) => prompt,
      worker: async (prompt) => {
        ran.push(prompt);
        return prompt.length;
      },
    });
    expect(ran).toEqual(['delta']);
    expect(result.values).toEqual([5, 5, 5, 4]);
    expect(result.outcomes.map((outcome) => outcome.key)).toEqual([
      'delta',
      'gamma',
      'alpha',
      'beta',
    ]);

    const byIndex = createMemoryStorage();
    await mapItems({ storage: byIndex, run, step: 'keyed', items: prompts, worker: async () => 0 });
    const redone: string[] = [];
    await mapItems({
      storage: byIndex,
      run,
      step: 'keyed',
      items: ['gamma', 'alpha', 'beta'],
      worker: async (prompt) => {
        redone.push(prompt);
        return 0;
      },
    });
    expect(redone.sort()).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('finds the items of a call that crashed before writing any segment', async () => {
    const storage = watchedStorage();
    // Every segment write fails, as if the process died right after each item record.
    storage.failPut = (key) =>
      key.includes('/item-segments/')
        ? new CairnError({ code: 'PERMANENT_IO', backend: 'test', message: 'crashed' })
        : undefined;
    await mapItems({
      storage,
      run,
      step: 'crash',
      items: [0, 1, 2, 3, 4, 5],
      worker: async (item) => item,
    });
    expect(await storedItemSegments(storage.memory, 'crash')).toEqual([]);
    expect(await storedItemRecords(storage.memory, 'crash')).toHaveLength(6);

    storage.failPut = undefined;
    const second = countingWorker();
    const result = await mapItems({
      storage,
      run,
      step: 'crash',
      items: [0, 1, 2, 3, 4, 5, 6],
      worker: second.worker,
    });
    expect([...second.calls.keys()]).toEqual([6]);
    expect(result.values).toEqual([0, 1, 2, 3, 4, 5, 12]);
    // The leftovers are folded into the new segment, so the next load reads no record.
    const segments = await storedItemSegments(storage.memory, 'crash');
    expect(segments.map((segment) => [segment.firstSequence, segment.lastSequence])).toEqual([
      [1, 7],
    ]);
    const progress = await loadItemProgress(storage, run, 'crash');
    expect(progress).toMatchObject({ done: 7, recordsRead: 0, nextSequence: 8 });
  });

  it('runs again an item whose record turned out corrupt; the new record wins', async () => {
    const storage = createMemoryStorage();
    await mapItems({
      storage,
      run,
      step: 'corrupt',
      items: [0, 1, 2],
      worker: async (item) => item,
    });
    const records = await storedItemRecords(storage, 'corrupt');
    const sequenceOfOne = records.find((record) => record.index === 1)?.sequence ?? 0;
    storage.corrupt(runKeys(run).step('corrupt').item(sequenceOfOne), '{"broken":');

    const { logger, warnings } = recordingLogger();
    const second = countingWorker();
    const result = await mapItems({
      storage,
      run,
      step: 'corrupt',
      items: [0, 1, 2],
      logger,
      worker: second.worker,
    });
    expect([...second.calls.keys()]).toEqual([1]);
    expect(result.values).toEqual([0, 2, 2]);
    expect(warnings.some((warning) => warning.message?.includes('unusable'))).toBe(true);
    const progress = await loadItemProgress(storage, run, 'corrupt');
    expect(progress.items.get(itemIdentity(1, undefined))).toMatchObject({
      sequence: 4,
      status: 'done',
    });
  });

  it('runs again the items of a deleted record, and of a corrupt segment nothing else', async () => {
    const storage = createMemoryStorage();
    await mapItems({
      storage,
      run,
      step: 'damaged',
      items: [0, 1, 2, 3, 4, 5],
      segmentMaxItems: 2,
      concurrency: 1,
      worker: async (item) => item,
    });
    const keys = runKeys(run).step('damaged');
    storage.corrupt(keys.segment(2), 'not json');
    await storage.delete(keys.item(5));
    const second = countingWorker();
    const result = await mapItems({
      storage,
      run,
      step: 'damaged',
      items: [0, 1, 2, 3, 4, 5],
      worker: second.worker,
    });
    // Item 4 (sequence 5) lost its record; the corrupt segment's items come from their records.
    expect([...second.calls.keys()]).toEqual([4]);
    expect(result.values).toEqual([0, 1, 2, 3, 8, 5]);
  });

  it('runs every item again when the grid changes their parameters', async () => {
    const storage = createMemoryStorage();
    await mapItems({
      storage,
      run,
      step: 'grid-change',
      items: [0, 1, 2, 3],
      grid: { temperature: [0.2, 0.7] },
      worker: async (item) => item,
    });
    const same = countingWorker();
    await mapItems({
      storage,
      run,
      step: 'grid-change',
      items: [0, 1, 2, 3],
      grid: { temperature: [0.2, 0.7] },
      worker: same.worker,
    });
    expect(same.calls.size).toBe(0);
    const changed = countingWorker();
    await mapItems({
      storage,
      run,
      step: 'grid-change',
      items: [0, 1, 2, 3],
      grid: { temperature: [0.2, 0.9] },
      worker: changed.worker,
    });
    // Items 1 and 3 got 0.7 before and 0.9 now; items 0 and 2 still get 0.2.
    expect([...changed.calls.keys()].sort()).toEqual([1, 3]);
  });

  it('keeps separate steps apart', async () => {
    const storage = createMemoryStorage();
    await mapItems({ storage, run, step: 'one', items: [1, 2], worker: async (item) => item });
    const other = countingWorker();
    await mapItems({ storage, run, step: 'two', items: [1, 2], worker: other.worker });
    expect(other.calls.size).toBe(2);
  });
});
