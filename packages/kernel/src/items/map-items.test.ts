import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import {
  concurrencyProbe,
  itemsTestRun,
  settle,
  storedItemRecords,
  storedItemSegments,
} from '../testing/items-support.js';
import { createGate, type Gate } from '../testing/mirrored-storage-support.js';
import { rejection } from '../testing/rejection.js';
import { inputDigestOf } from './item-digest.js';
import { mapItems } from './map-items.js';

const run = itemsTestRun;

describe('mapItems', () => {
  it('returns values in input order however the workers finish', async () => {
    const storage = createMemoryStorage();
    const gates = Array.from({ length: 6 }, () => createGate());
    const result = mapItems({
      storage,
      run,
      step: 'order',
      items: [10, 11, 12, 13, 14, 15],
      concurrency: 6,
      worker: async (item, { index }) => {
        await (gates[index] as Gate).pass();
        return item * 2;
      },
    });
    // Release the last item first, the first item last.
    for (const gate of [...gates].reverse()) {
      await gate.reached;
      gate.open();
      await settle();
    }
    const { values, outcomes, done, failed, skipped } = await result;
    expect(values).toEqual([20, 22, 24, 26, 28, 30]);
    expect(outcomes.map((outcome) => outcome.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect({ done, failed, skipped }).toEqual({ done: 6, failed: 0, skipped: 0 });
    // The records are numbered in completion order: the last item finished first.
    const records = await storedItemRecords(storage, 'order');
    expect(records.map((record) => record.index)).toEqual([5, 4, 3, 2, 1, 0]);
  });

  it('never runs more workers at once than the concurrency, and reaches it', async () => {
    const storage = createMemoryStorage();
    const probe = concurrencyProbe();
    const gates = Array.from({ length: 20 }, () => createGate());
    const observed: number[] = [];
    const result = mapItems({
      storage,
      run,
      step: 'bounded',
      items: gates.map((_, index) => index),
      concurrency: 3,
      worker: (item) =>
        probe.during(async () => {
          observed.push(probe.current);
          await (gates[item] as Gate).pass();
          return item;
        }),
    });
    // Release in a scrambled order, letting the map start the next ones in between.
    const order = [2, 0, 1, 5, 3, 4, 8, 7, 6, 11, 9, 10, 14, 12, 13, 17, 15, 16, 19, 18];
    for (const index of order) {
      await (gates[index] as Gate).reached;
      expect(probe.current).toBeLessThanOrEqual(3);
      (gates[index] as Gate).open();
      await settle();
    }
    await result;
    expect(probe.highest).toBe(3);
    expect(Math.max(...observed)).toBe(3);
  });

  it('runs four workers at once by default', async () => {
    const probe = concurrencyProbe();
    const gate = createGate();
    const result = mapItems({
      storage: createMemoryStorage(),
      run,
      step: 'default-concurrency',
      items: Array.from({ length: 10 }, (_, index) => index),
      worker: (item) =>
        probe.during(async () => {
          await gate.pass();
          return item;
        }),
    });
    await gate.reached;
    await settle();
    expect(probe.current).toBe(4);
    gate.open();
    await result;
    expect(probe.highest).toBe(4);
  });

  it('records a failing item with its error and goes on with the others', async () => {
    const storage = createMemoryStorage();
    const result = await mapItems({
      storage,
      run,
      step: 'failures',
      items: [0, 1, 2, 3, 4, 5],
      concurrency: 2,
      worker: async (item) => {
        if (item % 2 === 1) throw new TypeError(`item ${item} is odd`);
        return `even ${item}`;
      },
    });
    expect(result.done).toBe(3);
    expect(result.failed).toBe(3);
    expect(result.values).toEqual(['even 0', null, 'even 2', null, 'even 4', null]);
    expect(result.outcomes[1]).toEqual({
      index: 1,
      status: 'failed',
      error: { name: 'TypeError', message: 'item 1 is odd' },
      resumed: false,
    });
    const records = await storedItemRecords(storage, 'failures');
    expect(records).toHaveLength(6);
    const failedRecord = records.find((record) => record.index === 3);
    expect(failedRecord?.status).toBe('failed');
    expect(failedRecord?.error?.message).toBe('item 3 is odd');
    expect(failedRecord?.error?.stack).toContain('TypeError: item 3 is odd');
    expect(failedRecord?.value).toBeUndefined();
  });

  it('stores each item as it finishes, before the others are done', async () => {
    const storage = createMemoryStorage();
    const slow = createGate();
    const result = mapItems({
      storage,
      run,
      step: 'as-it-finishes',
      items: ['fast', 'slow'],
      worker: async (item) => {
        if (item === 'slow') await slow.pass();
        return item.toUpperCase();
      },
    });
    await slow.reached;
    await settle();
    const records = await storedItemRecords(storage, 'as-it-finishes');
    expect(records.map((record) => [record.index, record.status, record.value])).toEqual([
      [0, 'done', 'FAST'],
    ]);
    slow.open();
    await result;
  });

  it('writes the record fields: digest, attempt, times and create-only keys', async () => {
    const storage = createMemoryStorage();
    let now = Date.UTC(2026, 0, 1, 12);
    await mapItems({
      storage,
      run,
      step: 'fields',
      items: [{ prompt: 'a', seed: 1 }],
      now: () => {
        now += 1000;
        return now;
      },
      worker: async (item) => ({ echo: item.prompt }),
    });
    const [record] = await storedItemRecords(storage, 'fields');
    expect(record).toEqual({
      v: 1,
      sequence: 1,
      index: 0,
      inputDigest: inputDigestOf({ seed: 1, prompt: 'a' }, 0, undefined),
      status: 'done',
      value: { echo: 'a' },
      attempt: 1,
      startedAt: '2026-01-01T12:00:01.000Z',
      finishedAt: '2026-01-01T12:00:02.000Z',
      durationMs: expect.any(Number),
    });
    const head = await storage.head(runKeys(run).step('fields').item(1));
    expect(head).toBeDefined();
    // Create-only: the record cannot be overwritten by accident.
    const overwrite = await rejection(
      storage.put(runKeys(run).step('fields').item(1), '{}', { ifNoneMatch: '*' }),
    );
    expect(overwrite.code).toBe('PRECONDITION_FAILED');
  });

  it('returns values as they read back from JSON, and fails an item whose result is not JSON', async () => {
    const result = await mapItems({
      storage: createMemoryStorage(),
      run,
      step: 'json',
      items: ['date', 'bigint', 'nothing'],
      worker: async (item): Promise<unknown> => {
        if (item === 'date') return { at: new Date(Date.UTC(2026, 0, 1)) };
        if (item === 'bigint') return { big: 10n };
        return undefined;
      },
    });
    expect(result.values[0]).toEqual({ at: '2026-01-01T00:00:00.000Z' });
    expect(result.outcomes[1]).toMatchObject({
      status: 'failed',
      error: { name: 'CairnError', code: 'UNSUPPORTED' },
    });
    expect(result.outcomes[2]).toMatchObject({ status: 'done', value: undefined });
  });

  it('catches a worker that throws synchronously without an unhandled rejection', async () => {
    const result = await mapItems({
      storage: createMemoryStorage(),
      run,
      step: 'sync-throw',
      items: [1, 2, 3],
      worker: (item) => {
        if (item === 2) throw new Error('sync');
        return Promise.reject(new Error(`async ${item}`));
      },
    });
    expect(result.failed).toBe(3);
    expect(
      result.outcomes.map((outcome) => outcome.status === 'failed' && outcome.error.message),
    ).toEqual(['async 1', 'sync', 'async 3']);
  });

  it('handles an empty item list, still writing nothing', async () => {
    const storage = createMemoryStorage();
    const result = await mapItems({
      storage,
      run,
      step: 'empty',
      items: [],
      worker: async () => 1,
    });
    expect(result).toMatchObject({ outcomes: [], values: [], done: 0, failed: 0, skipped: 0 });
    expect(await storedItemSegments(storage, 'empty')).toEqual([]);
  });

  it('passes the index, key, attempt, parameters and a signal to the worker', async () => {
    const contexts: unknown[] = [];
    await mapItems({
      storage: createMemoryStorage(),
      run,
      step: 'context',
      items: [{ id: 'a' }],
      key: (item) => item.id,
      worker: async (_item, context) => {
        contexts.push({ ...context, signal: context.signal instanceof AbortSignal });
      },
    });
    expect(contexts).toEqual([{ index: 0, key: 'a', attempt: 1, parameters: {}, signal: true }]);
  });

  describe('rejects bad options before running anything', () => {
    const storage = createMemoryStorage();
    const base = { storage, run, step: 'bad', items: [1], worker: async () => 1 };

    it.each([
      ['a concurrency of 0', { concurrency: 0 }, 'concurrency'],
      ['an unknown option', { concurency: 2 }, 'unknown option "concurency"'],
      ['a missing worker', { worker: undefined }, 'worker'],
      ['items that are not a list', { items: 'abc' }, 'items'],
      ['a storage without list', { storage: { name: 'x', put: () => {} } }, 'storage'],
    ])('%s', async (_name, change, mentioned) => {
      const error = await rejection(mapItems({ ...base, ...change } as never));
      expect(error.code).toBe('INVALID_OPTIONS');
      expect(error.message).toContain(mentioned);
    });

    it('a run id that is not <pipeline>/<time id>', async () => {
      const error = await rejection(mapItems({ ...base, run: 'not-a-run' }));
      expect(error.code).toBe('INVALID_OPTIONS');
      expect(error.message).toContain('is not a run id');
    });

    it('a step name that cannot be a key', async () => {
      const error = await rejection(mapItems({ ...base, step: '../up' }));
      expect(error.code).toBe('INVALID_OPTIONS');
    });

    it('an invalid retry policy', async () => {
      const error = await rejection(mapItems({ ...base, retry: { maxAttempts: 0 } }));
      expect(error.code).toBe('INVALID_OPTIONS');
      expect(error.message).toContain('maxAttempts');
    });

    it('an item that cannot be written as JSON', async () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const error = await rejection(mapItems({ ...base, items: [1, circular] }));
      expect(error.code).toBe('INVALID_OPTIONS');
      expect(error.details).toMatchObject({ index: 1 });
    });

    it('keys that repeat, are empty or are not strings', async () => {
      const repeated = await rejection(mapItems({ ...base, items: [1, 2], key: () => 'same' }));
      expect(repeated.message).toContain('items 0 and 1 both got "same"');
      const empty = await rejection(mapItems({ ...base, key: () => '' }));
      expect(empty.code).toBe('INVALID_OPTIONS');
      const notText = await rejection(mapItems({ ...base, key: (() => 7) as never }));
      expect(notText.message).toContain('item 0 got 7');
      const long = await rejection(mapItems({ ...base, key: () => 'k'.repeat(513) }));
      expect(long.message).toContain('513 characters');
    });

    it('and writes nothing for any of them', async () => {
      expect(storage.size).toBe(0);
    });
  });

  it('throws ABORTED without touching storage when the signal is already aborted', async () => {
    const storage = createMemoryStorage();
    const controller = new AbortController();
    controller.abort(new CairnError({ code: 'ABORTED', message: 'stop' }));
    let ran = 0;
    const error = await rejection(
      mapItems({
        storage,
        run,
        step: 'pre-aborted',
        items: [1],
        signal: controller.signal,
        worker: async () => {
          ran += 1;
        },
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect(ran).toBe(0);
    expect(storage.size).toBe(0);
  });
});
