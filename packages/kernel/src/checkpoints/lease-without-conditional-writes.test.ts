import { describe, expect, it } from 'vitest';
import { definePipeline } from '../pipelines/define-pipeline.js';
import { readRunRecord } from '../runs/run-status.js';
import { startRun } from '../runs/start-run.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { keysOf } from '../testing/checkpoints-fixtures.js';
import { quietRunOptions } from '../testing/quiet-run-options.js';
import { rejection } from '../testing/rejection.js';
import { createCheckpointStore } from './create-checkpoint-store.js';

/** A memory store that declares no conditional writes, as storage-s3 with conditionalWrites: false. */
function withoutConditionalWrites(): Storage {
  const memory = createMemoryStorage();
  return { ...memory, capabilities: { ...memory.capabilities, conditionalWrites: false } };
}

describe('run leases on a storage without conditional writes', () => {
  it('refuses a save given a lease, before writing anything, and says what to do', async () => {
    const storage = withoutConditionalWrites();
    const run = await startRun(quietRunOptions(storage));
    expect(run.lease.enforceable).toBe(false);
    const checkpoints = createCheckpointStore({ storage });
    const refused = await rejection(
      checkpoints.save({ run: run.id, step: 'epoch', state: 1, lease: run.lease }),
    );
    expect(refused.code).toBe('UNSUPPORTED');
    expect(refused.retryable).toBe(false);
    expect(refused.message).toContain('compare-and-swap');
    expect(refused.message).toContain('without a lease');
    expect(await keysOf(storage, 'checkpoints/')).toEqual([]);

    // One writer per run, without a lease, still works.
    const saved = await checkpoints.save({ run: run.id, step: 'epoch', state: 1 });
    expect(saved.leaseGeneration).toBeUndefined();
    await run.finish('COMPLETED');
  });

  it('refuses to confirm such a lease', async () => {
    const storage = withoutConditionalWrites();
    const run = await startRun(quietRunOptions(storage));
    expect((await rejection(run.lease.confirm())).code).toBe('UNSUPPORTED');
    expect(run.signal.aborted).toBe(false);
    await run.finish('COMPLETED');
  });

  it('refuses a forced takeover of a live run: its owner would go on overwriting the record', async () => {
    const storage = withoutConditionalWrites();
    const live = await startRun(quietRunOptions(storage));
    const refused = await rejection(
      startRun({ ...quietRunOptions(storage), resume: live.id, force: true }),
    );
    expect(refused.code).toBe('UNSUPPORTED');
    expect(refused.message).toContain('heartbeat');
    expect(refused.message).toContain('conditional writes');
    // The run is left as it was: still the live owner's.
    expect((await readRunRecord(storage, live.id))?.record.owner).toEqual(live.record.owner);
    await live.finish('COMPLETED');
  });

  it('still resumes a run whose owner stopped (force changes nothing there)', async () => {
    const storage = withoutConditionalWrites();
    const first = await startRun(quietRunOptions(storage));
    await first.finish('INTERRUPTED');
    const again = await startRun({ ...quietRunOptions(storage), resume: first.id, force: true });
    expect(again.attempt).toBe(2);
    await again.finish('COMPLETED');
  });

  it('lets the pipeline engine run and resume without fencing its saves', async () => {
    const storage = withoutConditionalWrites();
    let failFirst = true;
    const pipeline = definePipeline('unfenced')
      .step('first', async ({ checkpoints }) => {
        await checkpoints.save({ state: { inside: true } });
        return 1;
      })
      .step('second', () => {
        if (failFirst) {
          failFirst = false;
          throw new Error('second step fails once');
        }
        return 2;
      });
    expect((await rejection(pipeline.run({ storage, environment: 0 }))).message).toContain(
      'second step fails once',
    );
    const result = await pipeline.run({ storage, environment: 0 });
    expect(result.state).toBe('COMPLETED');
    expect(result.attempt).toBe(2);
    expect(result.skipped.map((skipped) => skipped.step)).toEqual(['first']);
    const generations = [];
    for await (const record of createCheckpointStore({ storage }).list({ run: result.run })) {
      generations.push(record.leaseGeneration);
    }
    // The step's own save and the two step outputs, none fenced.
    expect(generations).toEqual([undefined, undefined, undefined]);
  });
});
