import { describe, expect, it } from 'vitest';
import { verifyJournal } from '../journal/journal-verify.js';
import { runKeys } from '../naming/layout.js';
import { readAll } from '../storage/body.js';
import { createMemoryStorage, type MemoryStorage } from '../storage/memory-storage.js';
import { rejection } from '../testing/rejection.js';
import { readRunRecord } from './run-status.js';
import { type Run, startRun } from './start-run.js';

const never = 3_600_000;

/** Everything stored under the run, key by key: what a refused resume must leave alone. */
async function snapshot(storage: MemoryStorage, run: string): Promise<Map<string, string>> {
  const objects = new Map<string, string>();
  for await (const info of storage.list({ prefix: runKeys(run).folder })) {
    objects.set(info.key, (await readAll((await storage.get(info.key)).body)).toString('utf8'));
  }
  return objects;
}

/** A run interrupted after three journal segments. */
async function interruptedRun(storage: MemoryStorage): Promise<Run> {
  const run = await startRun({
    storage,
    pipeline: 'resumable',
    heartbeatIntervalMs: never,
    journalFlushIntervalMs: never,
  });
  run.emit({ type: 'custom', name: 'one' });
  await run.journal.flush();
  run.emit({ type: 'custom', name: 'two' });
  await run.journal.flush();
  await run.finish('INTERRUPTED', { reason: 'SIGINT' });
  return run;
}

describe('resuming a run whose journal is not what the run recorded', () => {
  it('refuses when the last segment was deleted, and leaves the run as it was', async () => {
    const storage = createMemoryStorage();
    const first = await interruptedRun(storage);
    expect(first.record.journal?.entries).toBe(4);
    await storage.delete(runKeys(first.id).journalSegment(3));
    const before = await snapshot(storage, first.id);

    const refused = await rejection(
      startRun({ storage, pipeline: 'resumable', resume: first.id, journalFlushIntervalMs: never }),
    );
    expect(refused.code).toBe('CORRUPT_DATA');
    expect(refused.message).toContain('recorded 4 entries');
    expect(refused.message).toContain('the last entry is missing');
    expect(refused.message).toContain('resume: false');
    expect(await snapshot(storage, first.id)).toEqual(before);
    expect((await readRunRecord(storage, first.id))?.record).toMatchObject({
      state: 'INTERRUPTED',
      attempt: 1,
    });
  });

  it('refuses a damaged last segment before claiming the run, so it can be resumed once repaired', async () => {
    const storage = createMemoryStorage();
    const first = await interruptedRun(storage);
    const last = runKeys(first.id).journalSegment(3);
    const intact = (await readAll((await storage.get(last)).body)).toString('utf8');
    storage.corrupt(last, intact.slice(0, 20));
    const before = await snapshot(storage, first.id);

    const refused = await rejection(startRun({ storage, pipeline: 'resumable', resume: first.id }));
    expect(refused.code).toBe('CORRUPT_DATA');
    expect(refused.message).toContain(last);
    expect(await snapshot(storage, first.id)).toEqual(before);

    storage.corrupt(last, intact);
    const second = await startRun({
      storage,
      pipeline: 'resumable',
      resume: first.id,
      heartbeatIntervalMs: never,
    });
    expect(second.attempt).toBe(2);
    const record = await second.finish('COMPLETED');
    expect(record.journal?.entries).toBe(6);
    expect(
      (
        await verifyJournal(storage, first.id, {
          expectedHead: record.journal ?? second.journal.head,
        })
      ).ok,
    ).toBe(true);
  });
});
