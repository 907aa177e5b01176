import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { readJournal } from './journal-reader.js';
import { verifyJournal } from './journal-verify.js';
import { openJournalWriter } from './journal-writer.js';

const run = 'research/20250810T143022.123Z-k3f9a2';

describe('openJournalWriter', () => {
  it('writes appended entries as one segment per flush that reads back and verifies', async () => {
    const storage = createMemoryStorage();
    const writer = await openJournalWriter({ storage, run, flushIntervalMs: 60_000 });
    writer.append({ type: 'run-heartbeat' });
    writer.append({ type: 'run-heartbeat' });
    await writer.flush();
    writer.append({ type: 'run-finished', state: 'COMPLETED', durationMs: 5 });
    await writer.close();
    const entries = [];
    for await (const entry of readJournal(storage, run)) entries.push(entry);
    expect(entries.map((entry) => entry.seq)).toEqual([1, 2, 3]);
    const verification = await verifyJournal(storage, run, { expectedHead: writer.head });
    expect(verification).toMatchObject({ ok: true, entries: 3, segments: 2, problems: [] });
  });
});
