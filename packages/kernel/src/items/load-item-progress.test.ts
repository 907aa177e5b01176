import { describe, expect, it } from 'vitest';
import { CairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { itemsTestRun, recordingLogger, watchedStorage } from '../testing/items-support.js';
import { rejection } from '../testing/rejection.js';
import { digestPrefix, inputDigestOf } from './item-digest.js';
import type { ItemRecord } from './item-record.js';
import { encodeItemSegment, type ItemSegmentEntry } from './item-segment.js';
import { itemIdentity, loadItemProgress } from './load-item-progress.js';

const run = itemsTestRun;
const step = 'progress';
const keys = runKeys(run).step(step);

function recordOf(sequence: number, index: number, status: 'done' | 'failed' = 'done'): ItemRecord {
  return {
    v: 1,
    sequence,
    index,
    inputDigest: inputDigestOf(index, index, undefined),
    status,
    ...(status === 'done'
      ? { value: index * 10 }
      : { error: { name: 'Error', message: `item ${index} failed` } }),
    attempt: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
  };
}

function entryOf(record: ItemRecord): ItemSegmentEntry {
  return [
    record.index,
    record.sequence,
    record.status === 'done' ? 0 : 1,
    digestPrefix(record.inputDigest),
  ];
}

async function putRecord(storage: Storage, record: ItemRecord): Promise<void> {
  await storage.put(keys.item(record.sequence), JSON.stringify(record), { ifNoneMatch: '*' });
}

async function putSegment(
  storage: Storage,
  segment: number,
  firstSequence: number,
  lastSequence: number,
  records: readonly ItemRecord[],
): Promise<void> {
  await storage.put(
    keys.segment(segment),
    encodeItemSegment({ v: 1, segment, firstSequence, lastSequence, items: records.map(entryOf) }),
    { ifNoneMatch: '*' },
  );
}

/** Records 1..count for items 0..count-1, summarised in segments of `perSegment`. */
async function summarised(storage: Storage, count: number, perSegment: number) {
  const records = Array.from({ length: count }, (_, position) => recordOf(position + 1, position));
  for (const record of records) await putRecord(storage, record);
  for (let first = 1, segment = 1; first <= count; first += perSegment, segment += 1) {
    const last = Math.min(count, first + perSegment - 1);
    await putSegment(storage, segment, first, last, records.slice(first - 1, last));
  }
  return records;
}

describe('loadItemProgress', () => {
  it('starts at sequence 1 and segment 1 for a step with nothing stored', async () => {
    const progress = await loadItemProgress(createMemoryStorage(), run, step);
    expect(progress).toMatchObject({
      done: 0,
      failed: 0,
      nextSequence: 1,
      nextSegment: 1,
      coveredThrough: 0,
      uncovered: [],
      segmentsRead: 0,
      recordsRead: 0,
      unusable: 0,
    });
    expect(progress.items.size).toBe(0);
  });

  it('reads the segments and none of the records they cover', async () => {
    const storage = watchedStorage();
    await summarised(storage.memory, 25, 10);
    const progress = await loadItemProgress(storage, run, step);
    expect(progress).toMatchObject({
      done: 25,
      nextSequence: 26,
      nextSegment: 4,
      coveredThrough: 25,
      segmentsRead: 3,
      recordsRead: 0,
    });
    expect(storage.gets).toEqual([keys.segment(1), keys.segment(2), keys.segment(3)]);
    expect(progress.items.get(itemIdentity(7, undefined))).toEqual({
      index: 7,
      sequence: 8,
      status: 'done',
      digestPrefix: digestPrefix(inputDigestOf(7, 7, undefined)),
    });
    // The tail is listed from just after the last covered sequence.
    expect(storage.lists).toContainEqual({ prefix: keys.itemsPrefix, startAfter: keys.item(25) });
  });

  it('finds the records written after the last segment (a crash before its segment)', async () => {
    const storage = watchedStorage();
    await summarised(storage.memory, 10, 10);
    await putRecord(storage.memory, recordOf(11, 10));
    await putRecord(storage.memory, recordOf(12, 11, 'failed'));
    const progress = await loadItemProgress(storage, run, step);
    expect(progress).toMatchObject({
      done: 11,
      failed: 1,
      nextSequence: 13,
      nextSegment: 2,
      coveredThrough: 10,
      recordsRead: 2,
    });
    expect(progress.uncovered.map((entry) => entry.sequence)).toEqual([11, 12]);
    expect(storage.gets.filter((key) => key.startsWith(keys.itemsPrefix))).toEqual([
      keys.item(11),
      keys.item(12),
    ]);
  });

  it('finds every record when no segment was ever written', async () => {
    const storage = createMemoryStorage();
    for (let sequence = 1; sequence <= 5; sequence += 1) {
      await putRecord(storage, recordOf(sequence, sequence - 1));
    }
    const progress = await loadItemProgress(storage, run, step);
    expect(progress).toMatchObject({ done: 5, nextSequence: 6, nextSegment: 1, recordsRead: 5 });
  });

  it('keeps the latest record of an item: a later sequence wins', async () => {
    const storage = createMemoryStorage();
    const first = recordOf(1, 0, 'failed');
    const second = recordOf(2, 1);
    const retried = recordOf(3, 0);
    for (const record of [first, second, retried]) await putRecord(storage, record);
    await putSegment(storage, 1, 1, 2, [first, second]);
    const progress = await loadItemProgress(storage, run, step);
    expect(progress.items.get(itemIdentity(0, undefined))).toMatchObject({
      sequence: 3,
      status: 'done',
    });
    expect(progress).toMatchObject({ done: 2, failed: 0 });

    // The same when both records are in segments, in either order of segments.
    const later = createMemoryStorage();
    for (const record of [first, second, retried]) await putRecord(later, record);
    await putSegment(later, 1, 1, 2, [first, second]);
    await putSegment(later, 2, 3, 3, [retried]);
    expect(
      (await loadItemProgress(later, run, step)).items.get(itemIdentity(0, undefined))?.status,
    ).toBe('done');
  });

  it('reads the records of a corrupt segment from its neighbours’ gap, and says so', async () => {
    const storage = watchedStorage();
    await summarised(storage.memory, 30, 10);
    storage.memory.corrupt(keys.segment(2), '{"v":1,"segment":2,"firstSeq');
    const { logger, warnings } = recordingLogger();
    const progress = await loadItemProgress(storage, run, step, { logger });
    expect(progress).toMatchObject({
      done: 30,
      nextSequence: 31,
      nextSegment: 4,
      coveredThrough: 30,
      segmentsRead: 2,
      recordsRead: 10,
      unusable: 1,
    });
    expect(progress.uncovered).toEqual([]);
    const recordReads = storage.gets.filter((key) => key.startsWith(keys.itemsPrefix));
    expect(recordReads).toEqual(Array.from({ length: 10 }, (_, offset) => keys.item(11 + offset)));
    expect(warnings.map((warning) => warning.fields)).toEqual([
      expect.objectContaining({ key: keys.segment(2) }),
    ]);
  });

  it('skips quietly a segment replaced between the listing and the read', async () => {
    const storage = watchedStorage();
    await summarised(storage.memory, 20, 10);
    storage.failGet = (key) =>
      key === keys.segment(2)
        ? new CairnError({ code: 'NOT_FOUND', backend: 'memory', message: 'gone' })
        : undefined;
    const { logger, warnings } = recordingLogger();
    const progress = await loadItemProgress(storage, run, step, { logger });
    // Its records are read instead, as records after the last segment.
    expect(progress).toMatchObject({ done: 20, unusable: 0, segmentsRead: 1, recordsRead: 10 });
    expect(warnings).toEqual([]);
  });

  it('treats a segment that decodes but lies about itself as corrupt', async () => {
    for (const bad of [
      { v: 1, segment: 9, firstSequence: 1, lastSequence: 1, items: [] },
      { v: 2, segment: 1, firstSequence: 1, lastSequence: 1, items: [] },
      { v: 1, segment: 1, firstSequence: 3, lastSequence: 2, items: [] },
      { v: 1, segment: 1, firstSequence: 1, lastSequence: 2, items: [[0, 5, 0, 'ab']] },
      {
        v: 1,
        segment: 1,
        firstSequence: 1,
        lastSequence: 2,
        items: [
          [0, 2, 0, 'a'],
          [1, 1, 0, 'b'],
        ],
      },
      { v: 1, segment: 1, firstSequence: 1, lastSequence: 1, items: [[0, 1, 3, 'a']] },
      { v: 1, segment: 1, firstSequence: 1, lastSequence: 1, items: [[0, 1, 0, 'a', 7]] },
      { v: 1, segment: 1, firstSequence: 1, lastSequence: 1, items: [[-1, 1, 0, 'a']] },
      { v: 1, segment: 1, firstSequence: 1, lastSequence: 1 },
      [1, 2, 3],
    ]) {
      const storage = createMemoryStorage();
      await putRecord(storage, recordOf(1, 0));
      await storage.put(keys.segment(1), JSON.stringify(bad));
      const progress = await loadItemProgress(storage, run, step);
      expect(progress, JSON.stringify(bad)).toMatchObject({
        unusable: 1,
        segmentsRead: 0,
        recordsRead: 1,
        done: 1,
        nextSegment: 2,
      });
    }
  });

  it('ignores a corrupt record but never reuses its sequence', async () => {
    const storage = createMemoryStorage();
    await putRecord(storage, recordOf(1, 0));
    await putRecord(storage, recordOf(2, 1));
    storage.corrupt(keys.item(2), '{"v":1,"sequence":2,"index":1,"inputDigest":"');
    const progress = await loadItemProgress(storage, run, step);
    expect(progress).toMatchObject({ done: 1, nextSequence: 3, unusable: 1, recordsRead: 1 });
    expect(progress.items.has(itemIdentity(1, undefined))).toBe(false);
  });

  it('treats a record whose bytes changed but still parse as corrupt', async () => {
    const storage = createMemoryStorage();
    await putRecord(storage, recordOf(1, 0));
    storage.corrupt(keys.item(1), JSON.stringify({ ...recordOf(1, 0), value: 'tampered' }));
    const progress = await loadItemProgress(storage, run, step);
    expect(progress).toMatchObject({ done: 0, unusable: 1, nextSequence: 2 });
  });

  it('retries a transient read and fails on a permanent one', async () => {
    const storage = watchedStorage();
    await summarised(storage.memory, 3, 3);
    let failures = 1;
    storage.failGet = () => {
      if (failures === 0) return undefined;
      failures -= 1;
      return new CairnError({ code: 'TRANSIENT_IO', backend: 'flaky', message: 'reset' });
    };
    expect((await loadItemProgress(storage, run, step)).done).toBe(3);
    storage.failGet = () =>
      new CairnError({ code: 'PERMANENT_IO', backend: 'flaky', message: 'no access' });
    expect((await rejection(loadItemProgress(storage, run, step))).code).toBe('PERMANENT_IO');
  });

  it('stops with ABORTED when its signal aborts', async () => {
    const storage = createMemoryStorage();
    await summarised(storage, 3, 3);
    const controller = new AbortController();
    controller.abort();
    expect(
      (await rejection(loadItemProgress(storage, run, step, { signal: controller.signal }))).code,
    ).toBe('ABORTED');
  });

  it('loads 100,000 items from 100 segments, reading only the records after them', async () => {
    const memory = createMemoryStorage();
    const perSegment = 1000;
    const prefixes = Array.from({ length: 100_000 }, (_, index) =>
      // Cheap distinct prefixes: the loader compares them, it does not recompute them.
      index.toString(16).padStart(16, '0'),
    );
    for (let segment = 1; segment <= 100; segment += 1) {
      const first = (segment - 1) * perSegment + 1;
      const items: ItemSegmentEntry[] = [];
      for (let sequence = first; sequence < first + perSegment; sequence += 1) {
        const index = sequence - 1;
        // Every 97th item failed.
        items.push([index, sequence, index % 97 === 0 ? 1 : 0, prefixes[index] as string]);
      }
      await memory.put(
        keys.segment(segment),
        encodeItemSegment({
          v: 1,
          segment,
          firstSequence: first,
          lastSequence: first + 999,
          items,
        }),
      );
    }
    // Three records after the last segment: item 5 redone (done now), two more sequences.
    await putRecord(memory, { ...recordOf(100_001, 0), inputDigest: 'f'.repeat(64) });
    await putRecord(memory, recordOf(100_002, 100_000));
    await putRecord(memory, recordOf(100_003, 100_001, 'failed'));
    const storage = watchedStorage(memory);
    const progress = await loadItemProgress(storage, run, step);

    const failedBefore = Math.ceil(100_000 / 97);
    expect(progress).toMatchObject({
      // Item 0 failed in the segments and is done in the tail.
      done: 100_000 - failedBefore + 1 + 1,
      failed: failedBefore - 1 + 1,
      nextSequence: 100_004,
      nextSegment: 101,
      coveredThrough: 100_000,
      segmentsRead: 100,
      recordsRead: 3,
      unusable: 0,
    });
    expect(progress.items.size).toBe(100_002);
    expect(progress.items.get(itemIdentity(0, undefined))).toMatchObject({
      sequence: 100_001,
      status: 'done',
      digestPrefix: 'f'.repeat(16),
    });
    expect(progress.items.get(itemIdentity(99_999, undefined))).toEqual({
      index: 99_999,
      sequence: 100_000,
      status: 'done',
      digestPrefix: prefixes[99_999],
    });
    for (let index = 1; index < 100_000; index += 1) {
      const entry = progress.items.get(itemIdentity(index, undefined));
      if (
        entry?.sequence !== index + 1 ||
        entry.status !== (index % 97 === 0 ? 'failed' : 'done')
      ) {
        throw new Error(`item ${index} loaded as ${JSON.stringify(entry)}`);
      }
    }
    const recordReads = storage.gets.filter((key) => key.startsWith(keys.itemsPrefix));
    expect(recordReads).toEqual([keys.item(100_001), keys.item(100_002), keys.item(100_003)]);
  });

  it('matches items by key when the records have one', async () => {
    const storage = createMemoryStorage();
    const keyed: ItemRecord = { ...recordOf(1, 4), key: 'prompt-a' };
    await putRecord(storage, keyed);
    await storage.put(
      keys.segment(1),
      encodeItemSegment({
        v: 1,
        segment: 1,
        firstSequence: 1,
        lastSequence: 1,
        items: [[4, 1, 0, digestPrefix(keyed.inputDigest), 'prompt-a']],
      }),
    );
    const progress = await loadItemProgress(storage, run, step);
    expect(progress.items.get(itemIdentity(0, 'prompt-a'))).toMatchObject({
      index: 4,
      key: 'prompt-a',
    });
    expect(progress.items.has(itemIdentity(4, undefined))).toBe(false);
  });

  it('rejects a bad run id or step name', async () => {
    const storage = createMemoryStorage();
    expect((await rejection(loadItemProgress(storage, 'nope', step))).code).toBe('INVALID_OPTIONS');
    expect((await rejection(loadItemProgress(storage, run, 'a/b'))).code).toBe('INVALID_OPTIONS');
  });
});
