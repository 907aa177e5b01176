import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runKeys } from '../naming/layout.js';
import { createManualClock } from '../retry/manual-clock.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import {
  heartbeat,
  journalTestRun as run,
  scriptedStorage,
  storedLines,
} from '../testing/journal-storage.js';
import { createGate } from '../testing/mirrored-storage-support.js';
import { expectCairnError, rejection } from '../testing/rejection.js';
import type { JournalEntry, JournalEvent } from './journal-events.js';
import { genesisHashOf, journalHashOf } from './journal-hash.js';
import { readJournal } from './journal-reader.js';
import { verifyJournal } from './journal-verify.js';
import { maxJournalEntryBytes, openJournalWriter } from './journal-writer.js';

const keys = runKeys(run);
const never = 3_600_000;

async function readAllEntries(storage: Storage): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = [];
  for await (const entry of readJournal(storage, run)) entries.push(entry);
  return entries;
}

describe('journalHashOf and genesisHashOf', () => {
  it('hash the exact UTF-8 bytes with SHA-256', () => {
    expect(journalHashOf('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(journalHashOf('é')).toBe(
      createHash('sha256')
        .update(Buffer.from([0xc3, 0xa9]))
        .digest('hex'),
    );
    expect(genesisHashOf(run)).toBe(journalHashOf(`cairn.journal/v1:${run}`));
  });
});

describe('openJournalWriter', () => {
  it('writes entries chained from the genesis hash, one create-only segment per flush', async () => {
    const storage = scriptedStorage(createMemoryStorage());
    const writer = await openJournalWriter({
      storage,
      run,
      flushIntervalMs: never,
      now: () => Date.UTC(2025, 7, 10, 14, 30, 22, 123),
    });
    const first = writer.append({
      type: 'run-started',
      pipeline: 'research',
      attempt: 1,
      host: 'h',
      pid: 7,
    });
    writer.append(heartbeat);
    await writer.flush();
    writer.append({ type: 'run-finished', state: 'COMPLETED', durationMs: 5 });
    await writer.close();

    expect(first).toEqual({
      v: 1,
      seq: 1,
      time: '2025-08-10T14:30:22.123Z',
      prev: genesisHashOf(run),
      event: { type: 'run-started', pipeline: 'research', attempt: 1, host: 'h', pid: 7 },
    });
    expect(storage.puts.map((put) => put.key)).toEqual([
      keys.journalSegment(1),
      keys.journalSegment(2),
    ]);
    const one = await storedLines(storage, keys.journalSegment(1));
    const two = await storedLines(storage, keys.journalSegment(2));
    expect(one).toHaveLength(2);
    expect(two).toHaveLength(1);
    expect(JSON.parse(one[1] as string).prev).toBe(journalHashOf(one[0] as string));
    expect(JSON.parse(two[0] as string).prev).toBe(journalHashOf(one[1] as string));
    expect(writer.head).toEqual({ entries: 3, hash: journalHashOf(two[0] as string) });
    expect((await readAllEntries(storage)).map((entry) => entry.event.type)).toEqual([
      'run-started',
      'run-heartbeat',
      'run-finished',
    ]);
  });

  it('does no I/O on append and reports what is durable separately from what is buffered', async () => {
    const storage = scriptedStorage(createMemoryStorage());
    const writer = await openJournalWriter({ storage, run, flushIntervalMs: never });
    for (let count = 0; count < 5; count += 1) writer.append(heartbeat);
    expect(storage.puts).toHaveLength(0);
    expect(writer.head).toEqual({ entries: 0, hash: genesisHashOf(run) });
    expect(writer.buffered).toBe(5);
    await writer.flush();
    expect(writer.buffered).toBe(0);
    expect(writer.head.entries).toBe(5);
    await writer.flush();
    expect(storage.puts).toHaveLength(1);
    await writer.close();
  });

  it('returns the entry as readers will see it', async () => {
    const storage = createMemoryStorage();
    const writer = await openJournalWriter({ storage, run, flushIntervalMs: never });
    const returned = writer.append({
      type: 'custom',
      name: 'note',
      data: { when: new Date(0), missing: undefined, list: [1, undefined] },
      extra: 'dropped by the schema',
    } as JournalEvent);
    await writer.close();
    const [stored] = await readAllEntries(storage);
    expect(returned).toEqual(stored);
    expect(returned.event).toEqual({
      type: 'custom',
      name: 'note',
      data: { when: '1970-01-01T00:00:00.000Z', list: [1, null] },
    });
  });

  it('refuses an invalid event with INVALID_OPTIONS and appends nothing', async () => {
    const storage = createMemoryStorage();
    const writer = await openJournalWriter({ storage, run, flushIntervalMs: never });
    const error = expectCairnError(
      () => writer.append({ type: 'step-started', step: 'generate', index: -1 }),
      'INVALID_OPTIONS',
    );
    expect(error.message).toContain('index');
    expectCairnError(
      () => writer.append({ type: 'nonsense' } as unknown as JournalEvent),
      'INVALID_OPTIONS',
    );
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expectCairnError(
      () => writer.append({ type: 'custom', name: 'cycle', data: cycle }),
      'INVALID_OPTIONS',
    );
    expectCairnError(
      () => writer.append({ type: 'custom', name: 'big', data: 10n }),
      'INVALID_OPTIONS',
    );
    const huge = expectCairnError(
      () => writer.append({ type: 'custom', name: 'huge', data: 'x'.repeat(maxJournalEntryBytes) }),
      'INVALID_OPTIONS',
    );
    expect(huge.message).toContain('its own object');
    const badClock = await openJournalWriter({
      storage: createMemoryStorage(),
      run,
      now: () => Number.NaN,
    });
    expect(expectCairnError(() => badClock.append(heartbeat), 'INVALID_OPTIONS').message).toContain(
      'now',
    );
    expect(writer.buffered).toBe(0);
    expect(writer.append(heartbeat).seq).toBe(1);
    await writer.close();
    expect(await verifyJournal(storage, run)).toMatchObject({ ok: true, entries: 1 });
  });

  it('validates its options', async () => {
    const storage = createMemoryStorage();
    const bad = await rejection(openJournalWriter({ storage, run, flushIntervalMs: -1 }));
    expect(bad.code).toBe('INVALID_OPTIONS');
    expect(bad.message).toContain('flushIntervalMs');
    expect((await rejection(openJournalWriter({ storage: {} as never, run }))).message).toContain(
      'storage',
    );
    expect((await rejection(openJournalWriter({ storage, run: 'not a run id' }))).code).toBe(
      'INVALID_OPTIONS',
    );
    expect(
      (await rejection(openJournalWriter({ storage, run, maxBufferedEntries: 0 }))).message,
    ).toContain('maxBufferedEntries');
  });

  it('flushes by itself flushIntervalMs after an append', async () => {
    const clock = createManualClock();
    const storage = scriptedStorage(createMemoryStorage());
    const writer = await openJournalWriter({ storage, run, clock, flushIntervalMs: 250 });
    writer.append(heartbeat);
    writer.append(heartbeat);
    await clock.advance(249);
    expect(storage.puts).toHaveLength(0);
    await clock.advance(1);
    await expect.poll(() => writer.head.entries).toBe(2);
    expect(storage.puts).toHaveLength(1);
    expect(clock.pendingSleeps).toBe(0);
    await writer.close();
  });

  it('flushes early when maxBufferedEntries are waiting, never more in one segment', async () => {
    const clock = createManualClock();
    const storage = scriptedStorage(createMemoryStorage());
    const writer = await openJournalWriter({ storage, run, clock, maxBufferedEntries: 3 });
    for (let count = 0; count < 3; count += 1) writer.append(heartbeat);
    await expect.poll(() => writer.head.entries).toBe(3);
    expect(clock.now()).toBe(0);
    for (let count = 0; count < 7; count += 1) writer.append(heartbeat);
    await writer.close();
    const sizes = await Promise.all(
      storage.puts.map(async (put) => (await storedLines(storage, put.key)).length),
    );
    expect(sizes.every((size) => size <= 3)).toBe(true);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(10);
    expect(await verifyJournal(storage, run, { expectedHead: writer.head })).toMatchObject({
      ok: true,
      entries: 10,
    });
  });

  it('flushes a full buffer as soon as the write in flight ends, without waiting for the timer', async () => {
    const clock = createManualClock();
    const gate = createGate();
    const storage = scriptedStorage(createMemoryStorage());
    storage.hold = gate;
    const writer = await openJournalWriter({ storage, run, clock, maxBufferedEntries: 2 });
    writer.append(heartbeat);
    writer.append(heartbeat);
    await gate.reached;
    writer.append(heartbeat);
    writer.append(heartbeat);
    gate.open();
    await expect.poll(() => writer.head.entries).toBe(4);
    expect(clock.now()).toBe(0);
    expect(storage.puts).toHaveLength(2);
    await writer.close();
  });

  it('coalesces concurrent flushes and writes what arrives meanwhile in the next segment', async () => {
    const gate = createGate();
    const storage = scriptedStorage(createMemoryStorage());
    storage.hold = gate;
    const writer = await openJournalWriter({ storage, run, flushIntervalMs: never });
    writer.append(heartbeat);
    const first = writer.flush();
    const second = writer.flush();
    await gate.reached;
    writer.append(heartbeat);
    const third = writer.flush();
    gate.open();
    await Promise.all([first, second, third]);
    expect(storage.puts.map((put) => put.key)).toEqual([
      keys.journalSegment(1),
      keys.journalSegment(2),
    ]);
    expect(writer.head.entries).toBe(2);
    await writer.close();
  });

  it('writes 20,000 appends in segments that verify', async () => {
    const storage = createMemoryStorage();
    const writer = await openJournalWriter({ storage, run, flushIntervalMs: never });
    for (let index = 0; index < 20_000; index += 1) {
      writer.append({
        type: 'item-completed',
        step: 'generate',
        item: index,
        attempt: 1,
        durationMs: 3,
      });
      if (index % 4999 === 0) await writer.flush();
    }
    await writer.close();
    const verification = await verifyJournal(storage, run, { expectedHead: writer.head });
    expect(verification.ok).toBe(true);
    expect(verification.entries).toBe(20_000);
    expect(verification.segments).toBeGreaterThanOrEqual(20);
  });
});
