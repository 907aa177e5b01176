import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import { createManualClock } from '../retry/manual-clock.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import {
  itemsTestRun,
  settle,
  storedItemRecords,
  storedItemSegments,
  watchedStorage,
} from '../testing/items-support.js';
import { createGate } from '../testing/mirrored-storage-support.js';
import { rejection } from '../testing/rejection.js';
import { digestPrefix } from './item-digest.js';
import { loadItemProgress } from './load-item-progress.js';
import { mapItems } from './map-items.js';

const run = itemsTestRun;

function transient(): CairnError {
  return new CairnError({ code: 'TRANSIENT_IO', backend: 'flaky', message: 'reset' });
}

describe('mapItems storage', () => {
  it('writes segments that cover exactly every record, in order, without gaps or overlaps', async () => {
    const storage = createMemoryStorage();
    let counter = 0;
    await mapItems({
      storage,
      run,
      step: 'coverage',
      items: Array.from({ length: 250 }, (_, index) => index),
      concurrency: 7,
      segmentMaxItems: 40,
      // Time stands still: only full blocks and the end flush, whatever the machine's speed.
      clock: createManualClock(),
      worker: async (item) => {
        // Finish out of order: every few items yields a few turns.
        for (let turn = 0; turn < (item * 7) % 5; turn += 1) await settle();
        counter += 1;
        if (item % 11 === 0) throw new Error('unlucky');
        return item;
      },
    });
    expect(counter).toBe(250);
    const records = await storedItemRecords(storage, 'coverage');
    const segments = await storedItemSegments(storage, 'coverage');
    expect(segments.length).toBeGreaterThanOrEqual(Math.ceil(250 / 40));
    let expectedFirst = 1;
    for (const [position, segment] of segments.entries()) {
      expect(segment.segment).toBe(position + 1);
      expect(segment.firstSequence).toBe(expectedFirst);
      expect(segment.items.length).toBeLessThanOrEqual(40);
      expectedFirst = segment.lastSequence + 1;
    }
    expect(expectedFirst).toBe(251);
    const entries = segments.flatMap((segment) => segment.items);
    expect(entries).toEqual(
      records.map((record) => [
        record.index,
        record.sequence,
        record.status === 'done' ? 0 : 1,
        digestPrefix(record.inputDigest),
      ]),
    );
  });

  it('writes a segment once the flush interval has passed when an item finishes', async () => {
    const storage = watchedStorage();
    const clock = createManualClock();
    const result = mapItems({
      storage,
      run,
      step: 'interval',
      items: [0, 1, 2, 3, 4],
      concurrency: 1,
      clock,
      flushIntervalMs: 1000,
      worker: async (item) => {
        await clock.sleep(400);
        return item;
      },
    });
    const segmentPuts = () => storage.puts.filter((key) => key.includes('/item-segments/'));
    const finished = async (count: number) => {
      while ((await storedItemRecords(storage.memory, 'interval')).length < count) {
        if (clock.pendingSleeps > 0) await clock.advance(400);
        else await settle();
      }
      await settle();
    };
    await finished(2); // t = 800
    expect(segmentPuts()).toEqual([]);
    await finished(3); // t = 1200: a second has passed
    expect(segmentPuts()).toEqual([runKeys(run).step('interval').segment(1)]);
    await clock.advance(400);
    await clock.advance(400);
    await result;
    // The end's segment summarises the whole block and replaced the first one.
    const segments = await storedItemSegments(storage.memory, 'interval');
    expect(
      segments.map((segment) => [segment.segment, segment.firstSequence, segment.lastSequence]),
    ).toEqual([[2, 1, 5]]);
  });

  it('leaves one segment per block of segmentMaxItems however often it flushes', async () => {
    const storage = watchedStorage();
    const clock = createManualClock();
    const result = mapItems({
      storage,
      run,
      step: 'blocks',
      items: [0, 1, 2, 3, 4, 5, 6],
      concurrency: 1,
      clock,
      flushIntervalMs: 10,
      segmentMaxItems: 3,
      worker: async (item) => {
        await clock.sleep(100);
        return item;
      },
    });
    while (!(await Promise.race([result.then(() => true), settle().then(() => false)]))) {
      if (clock.pendingSleeps > 0) await clock.advance(100);
    }
    const segmentPuts = storage.puts.filter((key) => key.includes('/item-segments/'));
    // A flush after every item: seven segment writes…
    expect(segmentPuts).toHaveLength(7);
    // …but what stays is one segment per block, each covering its block exactly.
    const segments = await storedItemSegments(storage.memory, 'blocks');
    expect(segments.map((segment) => [segment.firstSequence, segment.lastSequence])).toEqual([
      [1, 3],
      [4, 6],
      [7, 7],
    ]);
    expect(segments.map((segment) => segment.items.length)).toEqual([3, 3, 1]);
    const progress = await loadItemProgress(storage.memory, run, 'blocks');
    expect(progress).toMatchObject({ done: 7, segmentsRead: 3, recordsRead: 0 });
  });

  it('keeps going when a replaced segment cannot be deleted; readers take the union', async () => {
    const memory = createMemoryStorage();
    const failingDeletes = {
      ...memory,
      delete: async () => {
        throw new CairnError({ code: 'PERMANENT_IO', backend: 'disk', message: 'denied' });
      },
    };
    const clock = createManualClock();
    const result = mapItems({
      storage: failingDeletes,
      run,
      step: 'undeleted',
      items: [0, 1, 2, 3],
      concurrency: 1,
      clock,
      flushIntervalMs: 10,
      worker: async (item) => {
        await clock.sleep(100);
        return item;
      },
    });
    while (!(await Promise.race([result.then(() => true), settle().then(() => false)]))) {
      if (clock.pendingSleeps > 0) await clock.advance(100);
    }
    const segments = await storedItemSegments(memory, 'undeleted');
    expect(segments.map((segment) => [segment.firstSequence, segment.lastSequence])).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
      [1, 4],
    ]);
    const progress = await loadItemProgress(memory, run, 'undeleted');
    expect(progress).toMatchObject({ done: 4, recordsRead: 0, unusable: 0, nextSequence: 5 });
  });

  it('never lets a segment claim a record that is not durable yet', async () => {
    const storage = watchedStorage();
    const keys = runKeys(run).step('held');
    const held = createGate();
    storage.holdPut = (key) => (key === keys.item(1) ? held.pass() : undefined);
    const result = mapItems({
      storage,
      run,
      step: 'held',
      items: [0, 1, 2, 3, 4, 5],
      concurrency: 3,
      segmentMaxItems: 1,
      worker: async (item) => item,
    });
    await held.reached;
    // Let everything else finish while sequence 1 is still being written.
    for (let turn = 0; turn < 20; turn += 1) await settle();
    expect(storage.puts.filter((key) => key.includes('/item-segments/'))).toEqual([]);
    held.open();
    await result;
    const segments = await storedItemSegments(storage.memory, 'held');
    expect(segments[0]?.firstSequence).toBe(1);
    expect(segments.at(-1)?.lastSequence).toBe(6);
  });

  it('retries a transient record write and stores the item once', async () => {
    const storage = watchedStorage();
    let failures = 2;
    storage.failPut = (key) => {
      if (!key.includes('/items/') || failures === 0) return undefined;
      failures -= 1;
      return transient();
    };
    const result = await mapItems({
      storage,
      run,
      step: 'transient-write',
      items: ['a'],
      worker: async (item) => item,
    });
    expect(result.values).toEqual(['a']);
    expect(await storedItemRecords(storage.memory, 'transient-write')).toHaveLength(1);
  });

  it('moves to the next sequence when a lost answer left its record behind', async () => {
    const storage = watchedStorage(createMemoryStorage(), transient);
    const keys = runKeys(run).step('lost-answer');
    storage.failPut = (key) => (key === keys.item(1) ? 'lose-answer' : undefined);
    const result = await mapItems({
      storage,
      run,
      step: 'lost-answer',
      items: ['a', 'b'],
      concurrency: 1,
      worker: async (item) => item,
    });
    expect(result.values).toEqual(['a', 'b']);
    // Item a's record landed at 1 (the answer was lost), then again at 2; b took 3.
    const records = await storedItemRecords(storage.memory, 'lost-answer');
    expect(records.map((record) => [record.sequence, record.index])).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
    ]);
    // The segment leaves out the sequence whose write looked failed.
    const segments = await storedItemSegments(storage.memory, 'lost-answer');
    expect(segments.flatMap((segment) => segment.items.map((entry) => entry[1]))).toEqual([2, 3]);
    const progress = await loadItemProgress(storage.memory, run, 'lost-answer');
    expect(progress).toMatchObject({ done: 2, nextSequence: 4 });
  });

  it('skips a sequence a leftover record already holds', async () => {
    const storage = createMemoryStorage();
    const keys = runKeys(run).step('leftover');
    // A record that appeared after the map listed (e.g. a write that landed late).
    const original = storage.list.bind(storage);
    let listed = false;
    const late: typeof storage = {
      ...storage,
      list: (options) => {
        if (!listed && options?.prefix === keys.itemsPrefix) {
          listed = true;
          void storage.put(keys.item(1), '{"late":true}');
        }
        return original(options);
      },
    };
    const result = await mapItems({
      storage: late,
      run,
      step: 'leftover',
      items: ['a'],
      worker: async (item) => item,
    });
    expect(result.values).toEqual(['a']);
    const progress = await loadItemProgress(storage, run, 'leftover');
    expect(progress).toMatchObject({ done: 1, nextSequence: 3 });
  });

  it('stops, keeps what was stored and names the item when a record cannot be written', async () => {
    const storage = watchedStorage();
    storage.failPut = (key) =>
      key.endsWith('000000000004.json') && key.includes('/items/')
        ? new CairnError({ code: 'PERMANENT_IO', backend: 'disk', message: 'no space left' })
        : undefined;
    let started = 0;
    const error = await rejection(
      mapItems({
        storage,
        run,
        step: 'disk-full',
        items: Array.from({ length: 10 }, (_, index) => index),
        concurrency: 1,
        worker: async (item) => {
          started += 1;
          return item;
        },
      }),
    );
    expect(error.code).toBe('PERMANENT_IO');
    expect(error.retryable).toBe(false);
    expect(error.details).toMatchObject({ step: 'disk-full', index: 3, stored: 3 });
    expect(error.message).toContain('no space left');
    expect(started).toBe(4);
    // What was stored is summarised, and a second call does the rest.
    const segments = await storedItemSegments(storage.memory, 'disk-full');
    expect(segments.flatMap((segment) => segment.items.map((entry) => entry[0]))).toEqual([
      0, 1, 2,
    ]);
    storage.failPut = undefined;
    const ran: number[] = [];
    const result = await mapItems({
      storage,
      run,
      step: 'disk-full',
      items: Array.from({ length: 10 }, (_, index) => index),
      worker: async (item) => {
        ran.push(item);
        return item;
      },
    });
    expect(ran.sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(result.done).toBe(10);
  });

  it('goes on when a segment cannot be written; a resume reads those records instead', async () => {
    const storage = watchedStorage();
    const keys = runKeys(run).step('no-segment');
    storage.failPut = (key) =>
      key === keys.segment(1)
        ? new CairnError({ code: 'PERMANENT_IO', backend: 'disk', message: 'denied' })
        : undefined;
    await mapItems({
      storage,
      run,
      step: 'no-segment',
      items: [0, 1, 2, 3],
      concurrency: 1,
      segmentMaxItems: 2,
      clock: createManualClock(),
      worker: async (item) => item,
    });
    const segments = await storedItemSegments(storage.memory, 'no-segment');
    expect(segments.map((segment) => segment.segment)).not.toContain(1);
    const progress = await loadItemProgress(storage.memory, run, 'no-segment');
    expect(progress).toMatchObject({ done: 4, nextSequence: 5 });
    expect(progress.nextSegment).toBe(segments.length + 2);
  });

  it('fails with the storage error when progress cannot be loaded, running nothing', async () => {
    const storage = watchedStorage();
    await mapItems({ storage, run, step: 'unreadable', items: [1], worker: async (item) => item });
    storage.failGet = () =>
      new CairnError({ code: 'PERMANENT_IO', backend: 'disk', message: 'denied' });
    let ran = 0;
    const error = await rejection(
      mapItems({
        storage,
        run,
        step: 'unreadable',
        items: [1, 2],
        worker: async () => {
          ran += 1;
        },
      }),
    );
    expect(error.code).toBe('PERMANENT_IO');
    expect(ran).toBe(0);
  });
});
