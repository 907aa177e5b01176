import { describe, expect, it } from 'vitest';
import { runKeys } from '../naming/layout.js';
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
import type { JournalEvent } from './journal-events.js';
import { readJournal } from './journal-reader.js';
import { verifyJournal } from './journal-verify.js';
import { maxSegmentTakenInARow, openJournalWriter } from './journal-writer.js';

const keys = runKeys(run);
const never = 3_600_000;

function note(name: string): JournalEvent {
  return { type: 'custom', name };
}

/** The names of the custom events stored, in journal order, with their sequence numbers. */
async function storedNotes(storage: Storage): Promise<string[]> {
  const notes: string[] = [];
  for await (const entry of readJournal(storage, run)) {
    if (entry.event.type === 'custom') notes.push(`${entry.seq}:${entry.event.name}`);
  }
  return notes;
}

describe('journal writers that meet another writer of the same run', () => {
  it('continues the chain after the segment another writer stored first, keeping its entries', async () => {
    const storage = createMemoryStorage();
    const old = await openJournalWriter({ storage, run, flushIntervalMs: never });
    old.append(note('old 1'));
    old.append(note('old 2'));
    await old.flush();

    // The new owner opens after segment 1 and starts writing segment 2 (two entries make a
    // full segment); the old one, not knowing, stores its own segment 2 first.
    const ownerStorage = scriptedStorage(storage);
    const ownerWrites = createGate();
    ownerStorage.hold = ownerWrites;
    const owner = await openJournalWriter({
      storage: ownerStorage,
      run,
      resume: true,
      flushIntervalMs: never,
      maxBufferedEntries: 2,
    });
    const returned = owner.append(note('new 1'));
    owner.append(note('new 2'));
    await ownerWrites.reached;
    owner.append(note('new 3'));
    expect(returned.seq).toBe(3);
    old.append(note('old 3'));
    await old.flush();
    const oldSegment = await storedLines(storage, keys.journalSegment(2));

    ownerWrites.open();
    await owner.flush();
    expect(owner.head.entries).toBe(6);
    expect(owner.buffered).toBe(0);
    // Later appends go on as usual.
    owner.append(note('new 4'));
    await owner.close();

    expect(await storedLines(storage, keys.journalSegment(2))).toEqual(oldSegment);
    expect(await storedNotes(storage)).toEqual([
      '1:old 1',
      '2:old 2',
      '3:old 3',
      '4:new 1',
      '5:new 2',
      '6:new 3',
      '7:new 4',
    ]);
    expect(await verifyJournal(storage, run, { expectedHead: owner.head })).toMatchObject({
      ok: true,
      entries: 7,
      segments: 5,
    });
  });

  it('re-chains entries appended while it reads the stored tail', async () => {
    const memory = createMemoryStorage();
    const reading = createGate();
    // Only finding the journal's end reads a segment back (memory storage gives digests).
    const storage: Storage = {
      ...memory,
      get: async (key, options) => {
        await reading.pass();
        return memory.get(key, options);
      },
    };
    const first = await openJournalWriter({ storage: memory, run, flushIntervalMs: never });
    const second = await openJournalWriter({ storage, run, flushIntervalMs: never });
    first.append(note('first'));
    second.append(note('second'));
    await first.flush();
    const flushing = second.flush();
    await reading.reached;
    second.append(note('meanwhile'));
    reading.open();
    await flushing;
    await second.flush();
    expect(await storedNotes(memory)).toEqual(['1:first', '2:second', '3:meanwhile']);
    expect((await verifyJournal(memory, run, { expectedHead: second.head })).ok).toBe(true);
  });

  it('gives up with a clear CONFLICT when another writer takes every segment first', async () => {
    const memory = createMemoryStorage();
    const rival = await openJournalWriter({ storage: memory, run, flushIntervalMs: never });
    // Before each of this writer's segment writes, the rival stores one of its own.
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        rival.append(heartbeat);
        await rival.flush();
        return memory.put(key, body, options);
      },
    };
    const writer = await openJournalWriter({ storage, run, flushIntervalMs: never });
    writer.append(note('never stored'));
    const gaveUp = await rejection(writer.flush());
    expect(gaveUp.code).toBe('CONFLICT');
    expect(gaveUp.retryable).toBe(false);
    expect(gaveUp.message).toContain(`${maxSegmentTakenInARow + 1} times in a row`);
    expect(gaveUp.message).toContain('stop one of them');
    expectCairnError(() => writer.append(heartbeat), 'CONFLICT');
    expect(await storedNotes(memory)).toEqual([]);
    expect(await verifyJournal(memory, run, { expectedHead: rival.head })).toMatchObject({
      ok: true,
      entries: maxSegmentTakenInARow + 1,
    });
  });

  it('writes nothing more once its lease is lost, and refuses appends', async () => {
    const storage = scriptedStorage(createMemoryStorage());
    const lease = new AbortController();
    const writer = await openJournalWriter({
      storage,
      run,
      flushIntervalMs: never,
      leaseLost: lease.signal,
    });
    writer.append(heartbeat);
    await writer.flush();
    writer.append(heartbeat);
    lease.abort(new Error('taken over'));
    const refused = await rejection(writer.flush());
    expect(refused.code).toBe('CONFLICT');
    expect(refused.retryable).toBe(false);
    expect(refused.message).toContain('taken over');
    expect(refused.message).toContain('1 entry');
    expectCairnError(() => writer.append(heartbeat), 'CONFLICT');
    expect((await rejection(writer.close())).code).toBe('CONFLICT');
    expect(storage.puts.map((put) => put.key)).toEqual([keys.journalSegment(1)]);
    expect(writer.head.entries).toBe(1);
  });

  it('stops instead of continuing after another writer when it no longer owns the run', async () => {
    const storage = scriptedStorage(createMemoryStorage());
    const owner = await openJournalWriter({ storage, run, flushIntervalMs: never });
    let asked = 0;
    const old = await openJournalWriter({
      storage,
      run,
      flushIntervalMs: never,
      resume: true,
      checkOwnership: async () => {
        asked += 1;
        return false;
      },
    });
    owner.append(note('owner'));
    old.append(note('old'));
    await owner.flush();
    const stopped = await rejection(old.flush());
    expect(asked).toBe(1);
    expect(stopped.code).toBe('CONFLICT');
    expect(stopped.retryable).toBe(false);
    expect(stopped.message).toContain('no longer owns');
    expectCairnError(() => old.append(heartbeat), 'CONFLICT');
    expect(storage.puts.filter((put) => put.key === keys.journalSegment(2))).toEqual([]);
    expect(await storedNotes(storage)).toEqual(['1:owner']);
  });
});
