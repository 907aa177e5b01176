import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors/cairn-error.js';
import { readJournal } from '../journal/journal-reader.js';
import { verifyJournal } from '../journal/journal-verify.js';
import { runKeys } from '../naming/layout.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { rejection } from '../testing/rejection.js';
import { readRunRecord } from './run-status.js';
import { startRun } from './start-run.js';

const never = 3_600_000;

/** Each entry as `seq:type` (`seq:name` for custom events), in journal order. */
async function journalOutline(storage: Storage, run: string): Promise<string[]> {
  const outline: string[] = [];
  for await (const entry of readJournal(storage, run)) {
    outline.push(
      `${entry.seq}:${entry.event.type === 'custom' ? entry.event.name : entry.event.type}`,
    );
  }
  return outline;
}

async function segmentKeys(storage: Storage, run: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of storage.list({ prefix: runKeys(run).journalPrefix })) {
    keys.push(info.key);
  }
  return keys;
}

describe('a run taken over while its old owner still writes', () => {
  it('keeps the old owner from breaking the new owner’s journal', async () => {
    const storage = createMemoryStorage();
    const options = {
      storage,
      pipeline: 'takeover',
      heartbeatIntervalMs: never,
      journalFlushIntervalMs: never,
    };
    const old = await startRun(options);
    old.emit({ type: 'custom', name: 'old before' });
    await old.journal.flush();

    const owner = await startRun({ ...options, resume: old.id, force: true });
    // The old owner has not noticed and stores the next segment before the new owner does.
    old.emit({ type: 'custom', name: 'old after' });
    await old.journal.flush();

    owner.emit({ type: 'custom', name: 'new 1' });
    await owner.journal.flush();
    owner.emit({ type: 'custom', name: 'new 2' });
    await owner.journal.flush();
    expect(owner.signal.aborted).toBe(false);

    // The old owner's next segment meets the new owner's: the run record says it lost the run.
    old.emit({ type: 'custom', name: 'old late' });
    const stopped = await rejection(old.journal.flush());
    expect(stopped.code).toBe('CONFLICT');
    expect(old.signal.aborted).toBe(true);
    expect(isCairnError(old.signal.reason, 'CONFLICT')).toBe(true);
    expect((old.signal.reason as Error).message).toContain('taken over');
    const segmentsBefore = await segmentKeys(storage, old.id);
    old.emit({ type: 'custom', name: 'old ignored' });
    expect(await segmentKeys(storage, old.id)).toEqual(segmentsBefore);

    const record = await owner.finish('COMPLETED');
    expect(record).toMatchObject({ state: 'COMPLETED', attempt: 2 });
    expect(await journalOutline(storage, owner.id)).toEqual([
      '1:run-started',
      '2:old before',
      '3:old after',
      '4:run-started',
      '5:new 1',
      '6:new 2',
      '7:run-finished',
    ]);
    const stored = (await readRunRecord(storage, owner.id))?.record;
    expect(stored?.journal?.entries).toBe(7);
    expect(
      await verifyJournal(
        storage,
        owner.id,
        stored?.journal ? { expectedHead: stored.journal } : {},
      ),
    ).toMatchObject({ ok: true, entries: 7 });
  });

  it('stops the old owner’s journal once a record write finds the run taken over', async () => {
    const storage = createMemoryStorage();
    const options = {
      storage,
      pipeline: 'takeover',
      heartbeatIntervalMs: never,
      journalFlushIntervalMs: never,
    };
    const old = await startRun(options);
    await old.journal.flush();
    const owner = await startRun({ ...options, resume: old.id, force: true });
    old.emit({ type: 'custom', name: 'old buffered' });
    expect((await rejection(old.updateStep('a', { state: 'RUNNING' }))).code).toBe('CONFLICT');
    expect(old.signal.aborted).toBe(true);
    // Buffered before the loss, never written after it.
    expect(old.journal.buffered).toBe(1);
    expect((await rejection(old.journal.flush())).code).toBe('CONFLICT');
    expect(await segmentKeys(storage, old.id)).toEqual([runKeys(old.id).journalSegment(1)]);

    await owner.finish('COMPLETED');
    expect(await journalOutline(storage, owner.id)).toEqual([
      '1:run-started',
      '2:run-started',
      '3:run-finished',
    ]);
  });
});
