import { describe, expect, it } from 'vitest';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { runKeys } from '../naming/layout.js';
import { definePipeline } from '../pipelines/define-pipeline.js';
import { readRunRecord } from '../runs/run-status.js';
import { type Run, startRun } from '../runs/start-run.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { keysOf } from '../testing/checkpoints-fixtures.js';
import { quietRunOptions } from '../testing/quiet-run-options.js';
import { rejection } from '../testing/rejection.js';
import { createCheckpointStore } from './create-checkpoint-store.js';

/** Checkpoint keys only: the run's own folder is not what a fenced save may leave. */
async function checkpointKeysIn(storage: Storage): Promise<string[]> {
  return keysOf(storage, 'checkpoints/');
}

describe('checkpoint saves fenced by the run lease', () => {
  it('refuses a second writer of a live run without force', async () => {
    const storage = createMemoryStorage();
    const first = await startRun(quietRunOptions(storage));
    const error = await rejection(startRun({ ...quietRunOptions(storage), resume: first.id }));
    expect(error.code).toBe('CONFLICT');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('still running');
    expect(first.signal.aborted).toBe(false);
    await first.finish('COMPLETED');
  });

  it('after a forced takeover, refuses the stale owner’s save and commits the new owner’s', async () => {
    const storage = createMemoryStorage();
    const checkpoints = createCheckpointStore({ storage });
    const stale = await startRun(quietRunOptions(storage));
    const before = await checkpoints.save({
      run: stale.id,
      step: 'epoch',
      state: { epoch: 1 },
      lease: stale.lease,
    });
    expect(before.leaseGeneration).toBe(1);

    const owner = await startRun({ ...quietRunOptions(storage), resume: stale.id, force: true });
    expect(owner.lease.generation).toBe(2);
    const refused = await rejection(
      checkpoints.save({ run: stale.id, step: 'epoch', state: { epoch: 2 }, lease: stale.lease }),
    );
    expect(refused.code).toBe('CONFLICT');
    expect(refused.retryable).toBe(false);
    expect(refused.message).toContain('was not committed');
    expect(refused.message).toContain(`taken over by process ${process.pid}`);
    expect(refused.message).toContain('attempt 2');
    expect(stale.signal.aborted).toBe(true);
    // Nothing of the refused save is left: only the checkpoint saved before the takeover.
    expect(await checkpointKeysIn(storage)).toEqual([
      `checkpoints/${before.id}/checkpoint.yaml`,
      `checkpoints/${before.id}/payload`,
    ]);

    const saved = await checkpoints.save({
      run: owner.id,
      step: 'epoch',
      state: { epoch: 2 },
      lease: owner.lease,
    });
    expect(saved.leaseGeneration).toBe(2);
    const listed = [];
    for await (const record of checkpoints.list({ run: owner.id })) listed.push(record.id);
    expect(listed).toEqual([before.id, saved.id]);
    await owner.finish('COMPLETED');
  });

  it('takes the sidecar back when the run is taken over between the check and the commit', async () => {
    const memory = createMemoryStorage();
    let takeover: Promise<Run> | undefined;
    let staleId = '';
    // The takeover lands while the stale owner's sidecar is on its way: after its check.
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        if (key.endsWith('/checkpoint.yaml') && takeover === undefined) {
          takeover = startRun({ ...quietRunOptions(memory), resume: staleId, force: true });
          await takeover;
        }
        return memory.put(key, body, options);
      },
    };
    const stale = await startRun(quietRunOptions(memory));
    staleId = stale.id;
    const checkpoints = createCheckpointStore({ storage });
    const refused = await rejection(
      checkpoints.save({ run: stale.id, step: 'epoch', state: { epoch: 1 }, lease: stale.lease }),
    );
    expect(takeover).toBeDefined();
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toContain('its sidecar was taken back');
    expect(await checkpointKeysIn(memory)).toEqual([]);
    expect(await checkpoints.latest({ step: 'epoch' })).toBeUndefined();
    await (await takeover)?.finish('COMPLETED');
  });

  it('keeps a stale commit the new owner already resumed from, and still refuses the save', async () => {
    const memory = createMemoryStorage();
    let staleId = '';
    let owner: Run | undefined;
    // The new owner takes over right after the stale owner's sidecar landed, and resumes from it
    // before the stale owner checks its lease again.
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        const info = await memory.put(key, body, options);
        if (key.endsWith('/checkpoint.yaml') && owner === undefined) {
          owner = await startRun({ ...quietRunOptions(memory), resume: staleId, force: true });
          const id = key.slice('checkpoints/'.length, -'/checkpoint.yaml'.length);
          await owner.update((record) => ({ ...record, resumedFrom: [id] }));
        }
        return info;
      },
    };
    const stale = await startRun(quietRunOptions(memory));
    staleId = stale.id;
    const checkpoints = createCheckpointStore({ storage });
    const refused = await rejection(
      checkpoints.save({ run: stale.id, step: 'epoch', state: { epoch: 1 }, lease: stale.lease }),
    );
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toContain('kept');
    expect(refused.message).toContain('resumed from it');
    const kept = await checkpoints.latest({ step: 'epoch' });
    expect(kept?.leaseGeneration).toBe(1);
    expect((await readRunRecord(memory, stale.id))?.record.resumedFrom).toEqual([kept?.id]);
    expect((await checkpoints.load<{ epoch: number }>({ id: kept?.id ?? '' })).state).toEqual({
      epoch: 1,
    });
    await owner?.finish('COMPLETED');
  });

  it('is not tripped by the owner’s own record writes, and reads the record only when the etag moved', async () => {
    const memory = createMemoryStorage();
    const reads: string[] = [];
    let pretendOtherEtag = false;
    const storage: Storage = {
      ...memory,
      get: (key, options) => {
        reads.push(key);
        return memory.get(key, options);
      },
      head: async (key) => {
        const info = await memory.head(key);
        // As when a heartbeat has landed but its put has not returned to the writer yet.
        return pretendOtherEtag && info !== undefined ? { ...info, etag: 'moved' } : info;
      },
    };
    const run = await startRun(quietRunOptions(storage));
    const checkpoints = createCheckpointStore({ storage });
    const etagAtStart = (await memory.head(runKeys(run.id).record))?.etag;
    // A heartbeat's write: the record's etag changes, the lease does not.
    await run.update((record) => ({ ...record, heartbeatAt: new Date().toISOString() }));
    expect((await memory.head(runKeys(run.id).record))?.etag).not.toBe(etagAtStart);

    reads.length = 0;
    const first = await checkpoints.save({
      run: run.id,
      step: 'epoch',
      state: 1,
      lease: run.lease,
    });
    expect(first.leaseGeneration).toBe(1);
    expect(reads).not.toContain(runKeys(run.id).record);

    pretendOtherEtag = true;
    const second = await checkpoints.save({
      run: run.id,
      step: 'epoch',
      state: 2,
      lease: run.lease,
    });
    expect(second.leaseGeneration).toBe(1);
    expect(reads).toContain(runKeys(run.id).record);
    expect(run.signal.aborted).toBe(false);
    await run.finish('COMPLETED');
  });

  it('keeps beating: saves after real heartbeats still commit', async () => {
    const storage = createMemoryStorage();
    const run = await startRun({ ...quietRunOptions(storage), heartbeatIntervalMs: 10 });
    const checkpoints = createCheckpointStore({ storage });
    const firstBeat = (await readRunRecord(storage, run.id))?.record.heartbeatAt;
    // Wait for the heartbeat to rewrite the record (no timing is asserted, only the event).
    while ((await readRunRecord(storage, run.id))?.record.heartbeatAt === firstBeat) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const saved = await checkpoints.save({
      run: run.id,
      step: 'epoch',
      state: 1,
      lease: run.lease,
    });
    expect(saved.leaseGeneration).toBe(1);
    await run.finish('COMPLETED');
  });

  it('says a save was not committed when the lease could not be confirmed before it', async () => {
    const memory = createMemoryStorage();
    let failRecordReads = false;
    const storage: Storage = {
      ...memory,
      head: async (key) => {
        if (failRecordReads && key.endsWith('/run.json')) {
          throw new CairnError({ code: 'TRANSIENT_IO', backend: 'test', message: 'Timed out.' });
        }
        return memory.head(key);
      },
    };
    const run = await startRun(quietRunOptions(storage));
    const checkpoints = createCheckpointStore({ storage });
    failRecordReads = true;
    const refused = await rejection(
      checkpoints.save({ run: run.id, step: 'epoch', state: 1, lease: run.lease }),
    );
    expect(refused.code).toBe('TRANSIENT_IO');
    expect(refused.retryable).toBe(true);
    expect(refused.message).toMatch(/Checkpoint "epoch\/[^"]+" was not committed/);
    expect(refused.message).toContain('the run lease could not be confirmed (');
    expect(refused.message).toContain('Timed out.');
    expect(refused.message).toContain('save again');
    expect(isCairnError(refused.cause, 'TRANSIENT_IO')).toBe(true);
    // Neither lost nor committed: nothing is left, and the run is still this process's.
    expect(run.signal.aborted).toBe(false);
    expect(await checkpointKeysIn(memory)).toEqual([]);
    failRecordReads = false;
    await run.finish('COMPLETED');
  });

  it('refuses a lease of another run', async () => {
    const storage = createMemoryStorage();
    const run = await startRun(quietRunOptions(storage));
    const other = await startRun(quietRunOptions(storage));
    const checkpoints = createCheckpointStore({ storage });
    const error = await rejection(
      checkpoints.save({ run: run.id, step: 'epoch', state: 1, lease: other.lease }),
    );
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toContain(other.id);
    await run.finish('COMPLETED');
    await other.finish('COMPLETED');
  });

  it('fences the pipeline engine’s saves by itself', async () => {
    const storage = createMemoryStorage();
    const pipeline = definePipeline('fenced')
      .step('first', ({ checkpoints }) => checkpoints.save({ state: { inside: true } }))
      .step('second', () => 'done');
    const result = await pipeline.run({ storage, environment: 0 });
    expect(result.state).toBe('COMPLETED');
    const checkpoints = createCheckpointStore({ storage });
    const generations = [];
    for await (const record of checkpoints.list({ run: result.run })) {
      generations.push(record.leaseGeneration);
    }
    // The step's own save and the two step outputs.
    expect(generations).toEqual([1, 1, 1]);
  });
});
