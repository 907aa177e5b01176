import { describe, expect, it } from 'vitest';
import { runKeys } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import {
  journalTestRun as run,
  scriptedStorage,
  storedLines,
  writeTestJournal,
} from '../testing/journal-storage.js';
import { rejection } from '../testing/rejection.js';
import type { JournalEntry } from './journal-events.js';
import { type ReadJournalOptions, readJournal } from './journal-reader.js';

const keys = runKeys(run);

async function collect(
  storage: Storage,
  options: ReadJournalOptions = {},
): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = [];
  for await (const entry of readJournal(storage, run, options)) entries.push(entry);
  return entries;
}

describe('readJournal', () => {
  it('yields every stored entry in order, or only those after afterSequence', async () => {
    const storage = createMemoryStorage();
    await writeTestJournal(storage, [2, 3, 1], { finished: true });
    expect((await collect(storage)).map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await collect(storage, { afterSequence: 4 })).map((entry) => entry.seq)).toEqual([
      5, 6, 7,
    ]);
    expect((await collect(storage)).at(-1)?.event.type).toBe('run-finished');
  });

  it('yields nothing for a run without a journal', async () => {
    expect(await collect(createMemoryStorage())).toEqual([]);
  });

  it('reads one segment at a time, only as far as the caller goes', async () => {
    const storage = scriptedStorage(createMemoryStorage());
    await writeTestJournal(storage, [2, 2, 2]);
    for await (const entry of readJournal(storage, run)) {
      expect(entry.seq).toBe(1);
      break;
    }
    expect(storage.gets).toEqual([keys.journalSegment(1)]);
  });

  it('throws CORRUPT_DATA naming the segment and line of a damaged, cut or misplaced line', async () => {
    const damages: [string, (lines: string[]) => string][] = [
      ['not a JSON line', (lines) => `${lines[0]}\n{"v":\n`],
      ['cut off', (lines) => `${lines[0]}\n${lines[1]?.slice(0, 10)}`],
      ['has seq 2 where 3 was expected', (lines) => `${lines[0]}\n${lines[0]}\n`],
    ];
    for (const [message, damage] of damages) {
      const storage = createMemoryStorage();
      await writeTestJournal(storage, [1, 2]);
      storage.corrupt(
        keys.journalSegment(2),
        damage(await storedLines(storage, keys.journalSegment(2))),
      );
      const error = await rejection(collect(storage));
      expect(error.code).toBe('CORRUPT_DATA');
      expect(error.message).toContain(message);
      expect(error.details).toMatchObject({ key: keys.journalSegment(2), line: 2 });
    }
  });

  it('stops with ABORTED when its signal fires, before or during the reading', async () => {
    const storage = createMemoryStorage();
    await writeTestJournal(storage, [3]);
    const before = new AbortController();
    before.abort(new Error('stop'));
    expect((await rejection(collect(storage, { signal: before.signal }))).code).toBe('ABORTED');
    const during = new AbortController();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const entry of readJournal(storage, run, { signal: during.signal })) {
        seen.push(entry.seq);
        during.abort(new Error('stop'));
      }
    })();
    expect((await rejection(reading)).code).toBe('ABORTED');
    expect(seen).toEqual([1]);
  });

  it('refuses a run id that is not one', async () => {
    const error = await rejection(readJournal(createMemoryStorage(), 'nope').next());
    expect(error.code).toBe('INVALID_OPTIONS');
  });
});
