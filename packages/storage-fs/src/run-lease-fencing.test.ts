import { createCheckpointStore, isCairnError, startRun } from '@cairn/kernel';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from './index.js';
import { filesBelow, temporaryRoot } from './testing/temporary-root.js';

const never = 3_600_000;

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Error)) throw new Error('expected the promise to reject');
  return error;
}

describe('checkpoint saves fenced by the run lease on storage-fs', () => {
  it('refuses a second writer, refuses the stale owner after a takeover, commits the new owner', async () => {
    const root = await temporaryRoot();
    const storage = createFsStorage({ root });
    const options = {
      storage,
      pipeline: 'train',
      heartbeatIntervalMs: never,
      journalFlushIntervalMs: never,
    };
    const checkpoints = createCheckpointStore({ storage });
    const stale = await startRun(options);
    const second = await refusal(startRun({ ...options, resume: stale.id }));
    expect(isCairnError(second, 'CONFLICT')).toBe(true);

    // The owner's own record writes (a heartbeat's) do not trip the fence.
    await stale.update((record) => ({ ...record, heartbeatAt: new Date().toISOString() }));
    const kept = await checkpoints.save({
      run: stale.id,
      step: 'epoch',
      state: { epoch: 1 },
      lease: stale.lease,
    });
    expect(kept.leaseGeneration).toBe(1);

    const owner = await startRun({ ...options, resume: stale.id, force: true });
    const refused = await refusal(
      checkpoints.save({ run: stale.id, step: 'epoch', state: { epoch: 2 }, lease: stale.lease }),
    );
    expect(isCairnError(refused, 'CONFLICT')).toBe(true);
    expect(refused.message).toContain('taken over by process');
    const checkpointFiles = (await filesBelow(root)).filter((file) =>
      file.startsWith('checkpoints/'),
    );
    expect(checkpointFiles).toEqual([
      `checkpoints/${kept.id}/checkpoint.yaml`,
      `checkpoints/${kept.id}/payload`,
    ]);

    const saved = await checkpoints.save({
      run: owner.id,
      step: 'epoch',
      state: { epoch: 2 },
      lease: owner.lease,
    });
    expect(saved.leaseGeneration).toBe(2);
    expect((await checkpoints.latest({ step: 'epoch', run: owner.id }))?.id).toBe(saved.id);
    await owner.finish('COMPLETED');
    await storage.close?.();
  });
});
