import { describe, expect, it } from 'vitest';
import { createCheckpointStore } from '../checkpoints/create-checkpoint-store.js';
import { CairnError } from '../errors/cairn-error.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { rejection } from '../testing/rejection.js';
import { RunRecordWriter } from './run-record-writer.js';
import { readRunRecord } from './run-status.js';
import { startRun } from './start-run.js';

const never = 3_600_000;

/**
 * A view of `memory` whose next run-record put lands but reports a timeout, as when the
 * answer to a write is lost on the way back.
 */
function losingOneAnswer(memory: Storage): { storage: Storage; loseNext: () => void } {
  let lose = false;
  const storage: Storage = {
    ...memory,
    put: async (key, body, options) => {
      const info = await memory.put(key, body, options);
      if (lose && key.endsWith('/run.json')) {
        lose = false;
        throw new CairnError({
          code: 'TRANSIENT_IO',
          backend: 'test',
          message: 'The answer was lost after the write landed.',
        });
      }
      return info;
    },
  };
  return { storage, loseNext: () => (lose = true) };
}

describe('run record writes whose answer was lost', () => {
  it('a heartbeat that landed unanswered does not make the run look taken over', async () => {
    const memory = createMemoryStorage();
    const { storage, loseNext } = losingOneAnswer(memory);
    const run = await startRun({
      storage,
      pipeline: 'train',
      heartbeatIntervalMs: never,
      journalFlushIntervalMs: never,
    });
    loseNext();
    const lost = await rejection(run.update((record) => ({ ...record, reason: 'first beat' })));
    expect(lost.code).toBe('TRANSIENT_IO');
    // The write landed: the stored record is this process's own.
    expect((await readRunRecord(memory, run.id))?.record.reason).toBe('first beat');

    // The next write finds the etag moved by its own earlier write, and goes on.
    await run.update((record) => ({ ...record, reason: 'second beat' }));
    expect(run.signal.aborted).toBe(false);
    expect((await readRunRecord(memory, run.id))?.record.reason).toBe('second beat');

    const checkpoints = createCheckpointStore({ storage });
    const saved = await checkpoints.save({
      run: run.id,
      step: 'epoch',
      state: 1,
      lease: run.lease,
    });
    expect(saved.leaseGeneration).toBe(1);
    expect((await run.finish('COMPLETED')).state).toBe('COMPLETED');
  });

  it('a create that landed unanswered is followed by a replace, not a conflict', async () => {
    const memory = createMemoryStorage();
    const { storage, loseNext } = losingOneAnswer(memory);
    const run = await startRun({
      storage: memory,
      pipeline: 'train',
      heartbeatIntervalMs: never,
      journalFlushIntervalMs: never,
    });
    const record = { ...run.record, id: `${run.pipeline}/20250810T143022.123Z-k3f9a2` };
    const writer = new RunRecordWriter(storage, record, undefined);
    loseNext();
    expect((await rejection(writer.update((stored) => stored))).code).toBe('TRANSIENT_IO');
    await writer.update((stored) => ({ ...stored, reason: 'written again' }));
    const stored = await readRunRecord(memory, record.id);
    expect(stored?.record.reason).toBe('written again');
    expect(writer.etag).toBe(stored?.etag);
    await run.finish('COMPLETED');
  });

  it('still reports a run another process took over', async () => {
    const storage = createMemoryStorage();
    const options = {
      storage,
      pipeline: 'train',
      heartbeatIntervalMs: never,
      journalFlushIntervalMs: never,
    } as const;
    const stale = await startRun(options);
    const owner = await startRun({ ...options, resume: stale.id, force: true });
    const refused = await rejection(stale.update((record) => ({ ...record, reason: 'late' })));
    expect(refused.code).toBe('CONFLICT');
    expect(stale.signal.aborted).toBe(true);
    expect((await readRunRecord(storage, stale.id))?.record.owner).toEqual(owner.record.owner);
    await owner.finish('COMPLETED');
  });
});
