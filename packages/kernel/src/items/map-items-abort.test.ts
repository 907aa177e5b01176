import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import { createManualClock } from '../retry/manual-clock.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import {
  itemsTestRun,
  settle,
  storedItemRecords,
  storedItemSegments,
} from '../testing/items-support.js';
import { rejection } from '../testing/rejection.js';
import { loadItemProgress } from './load-item-progress.js';
import { mapItems } from './map-items.js';

const run = itemsTestRun;

/** Rejects with the reason when `signal` aborts; never settles otherwise. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

describe('mapItems when aborted', () => {
  it('keeps what finished, throws ABORTED, and a second call does exactly the rest', async () => {
    const storage = createMemoryStorage();
    const items = Array.from({ length: 30 }, (_, index) => index);
    const completions = new Map<number, number>();
    const complete = (item: number) => completions.set(item, (completions.get(item) ?? 0) + 1);
    const controller = new AbortController();
    let waiting = 0;
    let allWaiting: () => void = () => {};
    const threeWaiting = new Promise<void>((resolve) => {
      allWaiting = resolve;
    });

    const first = mapItems({
      storage,
      run,
      step: 'interrupted',
      items,
      concurrency: 3,
      signal: controller.signal,
      worker: async (item, { signal }) => {
        if (item >= 10) {
          waiting += 1;
          if (waiting === 3) allWaiting();
          await aborted(signal);
        }
        complete(item);
        return item * 3;
      },
    });
    await threeWaiting;
    const reason = new Error('Ctrl+C');
    controller.abort(reason);
    const error = await rejection(first);
    expect(error.code).toBe('ABORTED');
    expect(error.cause).toBe(reason);
    expect(error.details).toMatchObject({ finished: 10, total: 30, step: 'interrupted' });
    expect(error.message).toContain('call again');
    // No item after the 13th even started.
    expect(waiting).toBe(3);

    const records = await storedItemRecords(storage, 'interrupted');
    expect(records.map((record) => record.index).sort((a, b) => a - b)).toEqual(items.slice(0, 10));
    // The final segment covers every stored record.
    const segments = await storedItemSegments(storage, 'interrupted');
    expect(
      segments.flatMap((segment) => segment.items.map((entry) => entry[0])).sort((a, b) => a - b),
    ).toEqual(items.slice(0, 10));

    const second = await mapItems({
      storage,
      run,
      step: 'interrupted',
      items,
      concurrency: 3,
      worker: async (item) => {
        complete(item);
        return item * 3;
      },
    });
    expect(second.values).toEqual(items.map((item) => item * 3));
    expect(second).toMatchObject({ done: 30, skipped: 10 });
    // Every item completed exactly once over both calls: none twice, none missing.
    expect([...completions.keys()].sort((a, b) => a - b)).toEqual(items);
    expect([...completions.values()].every((count) => count === 1)).toBe(true);
    expect(await storedItemRecords(storage, 'interrupted')).toHaveLength(30);
  });

  it('stores a value a worker still returns after the abort, and never runs that item again', async () => {
    const storage = createMemoryStorage();
    const controller = new AbortController();
    let started: () => void = () => {};
    const workerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const first = mapItems({
      storage,
      run,
      step: 'late-value',
      items: ['a', 'b'],
      concurrency: 1,
      signal: controller.signal,
      worker: async (item, { signal }) => {
        started();
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        // The answer arrived anyway: it must not be paid for twice.
        return `${item}!`;
      },
    });
    await workerStarted;
    controller.abort();
    expect((await rejection(first)).details).toMatchObject({ finished: 1, total: 2 });

    const ran: string[] = [];
    const second = await mapItems({
      storage,
      run,
      step: 'late-value',
      items: ['a', 'b'],
      worker: async (item) => {
        ran.push(item);
        return `${item}?`;
      },
    });
    expect(ran).toEqual(['b']);
    expect(second.values).toEqual(['a!', 'b?']);
  });

  it('returns the result when the abort comes after every item finished', async () => {
    const controller = new AbortController();
    const result = await mapItems({
      storage: createMemoryStorage(),
      run,
      step: 'late-abort',
      items: [1, 2, 3],
      concurrency: 1,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'item-completed' && event.item === 2) controller.abort();
      },
      worker: async (item) => item,
    });
    expect(result.values).toEqual([1, 2, 3]);
  });

  it('does not record an item whose retry wait was cut short by the abort', async () => {
    const storage = createMemoryStorage();
    const clock = createManualClock();
    const controller = new AbortController();
    let attempts = 0;
    const first = mapItems({
      storage,
      run,
      step: 'abort-in-wait',
      items: ['flaky'],
      clock,
      retry: { maxAttempts: 5, initialDelayMs: 1000, jitter: 'none' },
      signal: controller.signal,
      worker: async () => {
        attempts += 1;
        throw new CairnError({ code: 'TRANSIENT_IO', message: 'reset' });
      },
    });
    while (clock.pendingSleeps === 0) await settle();
    controller.abort();
    expect((await rejection(first)).code).toBe('ABORTED');
    expect(attempts).toBe(1);
    expect(await storedItemRecords(storage, 'abort-in-wait')).toEqual([]);
    expect((await loadItemProgress(storage, run, 'abort-in-wait')).items.size).toBe(0);
  });

  it('does not record an item whose worker failed because of the abort', async () => {
    const storage = createMemoryStorage();
    const controller = new AbortController();
    let started: () => void = () => {};
    const workerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const first = mapItems({
      storage,
      run,
      step: 'abort-failure',
      items: [1],
      signal: controller.signal,
      worker: async (_item, { signal }) => {
        started();
        await aborted(signal).catch(() => {
          throw new Error('request cancelled');
        });
      },
    });
    await workerStarted;
    controller.abort();
    expect((await rejection(first)).details).toMatchObject({ finished: 0 });
    expect(await storedItemRecords(storage, 'abort-failure')).toEqual([]);
  });
  it("takes the listeners of many items in flight without touching the caller's signal or making Node warn", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const failedOnce = new Set<number>();
      const result = await mapItems({
        storage: createMemoryStorage(),
        run,
        step: 'listeners',
        items: Array.from({ length: 24 }, (_, index) => index),
        concurrency: 24,
        signal: controller.signal,
        // Every item fails once, so 24 retry waits listen for an abort at the same time.
        retry: { maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 20, jitter: 'none' },
        worker: async (item) => {
          if (!failedOnce.has(item)) {
            failedOnce.add(item);
            throw new CairnError({ code: 'TRANSIENT_IO', backend: 'test', message: 'busy' });
          }
          return item;
        },
      });
      expect(result.done).toBe(24);
      // Warnings are emitted on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
