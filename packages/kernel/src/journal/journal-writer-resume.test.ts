import { describe, expect, it } from 'vitest';
import { runKeys } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import {
  heartbeat,
  journalTestRun as run,
  scriptedStorage,
  storedLines,
  writeTestJournal,
} from '../testing/journal-storage.js';
import { rejection } from '../testing/rejection.js';
import { genesisHashOf } from './journal-hash.js';
import { verifyJournal } from './journal-verify.js';
import { openJournalWriter } from './journal-writer.js';

const keys = runKeys(run);
const never = 3_600_000;

describe('resuming a journal against the head its run recorded', () => {
  it('refuses a journal whose last segments were removed, writing nothing', async () => {
    const memory = createMemoryStorage();
    const recorded = await writeTestJournal(memory, [2, 3, 1]);
    await memory.delete(keys.journalSegment(3));
    await memory.delete(keys.journalSegment(2));
    const storage = scriptedStorage(memory);
    const refused = await rejection(
      openJournalWriter({ storage, run, resume: true, expectedHead: recorded }),
    );
    expect(refused.code).toBe('CORRUPT_DATA');
    expect(refused.message).toContain('ends at entry 2');
    expect(refused.message).toContain('recorded 6 entries');
    expect(refused.message).toContain('the last 4 entries are missing');
    expect(refused.message).toContain('resume: false');
    expect(refused.details).toMatchObject({ entries: 2, recordedEntries: 6 });
    expect(storage.puts).toEqual([]);

    await memory.delete(keys.journalSegment(1));
    const empty = await rejection(
      openJournalWriter({ storage, run, resume: true, expectedHead: recorded }),
    );
    expect(empty.code).toBe('CORRUPT_DATA');
    expect(empty.message).toContain('has no segments');
  });

  it('refuses a journal whose last entry is not the recorded one', async () => {
    const storage = createMemoryStorage();
    const recorded = await writeTestJournal(storage, [2]);
    const [first, second] = await storedLines(storage, keys.journalSegment(1));
    const edited = (second as string).replace('run-heartbeat', 'run-heartbeat","extra":"x');
    storage.corrupt(keys.journalSegment(1), `${first}\n${edited}\n`);
    const refused = await rejection(
      openJournalWriter({ storage, run, resume: true, expectedHead: recorded }),
    );
    expect(refused.code).toBe('CORRUPT_DATA');
    expect(refused.message).toContain('entry 2 is not the one the run recorded');
  });

  it('continues a journal that reaches or passes the recorded head', async () => {
    const storage = createMemoryStorage();
    const recorded = await writeTestJournal(storage, [2]);
    // Entries stored after the record was last written: a crash between the two.
    const later = await openJournalWriter({ storage, run, resume: true, flushIntervalMs: never });
    later.append(heartbeat);
    await later.close();
    for (const expectedHead of [recorded, later.head]) {
      const writer = await openJournalWriter({
        storage,
        run,
        resume: true,
        flushIntervalMs: never,
        expectedHead,
      });
      expect(writer.head).toEqual(later.head);
    }
    const fresh = createMemoryStorage();
    const writer = await openJournalWriter({
      storage: fresh,
      run,
      resume: true,
      expectedHead: { entries: 0, hash: genesisHashOf(run) },
    });
    writer.append(heartbeat);
    await writer.close();
    expect((await verifyJournal(fresh, run, { expectedHead: writer.head })).ok).toBe(true);
  });
});
