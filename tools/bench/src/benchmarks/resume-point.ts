import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createCheckpointStore,
  findResumePoint,
  loadItemProgress,
  mapItems,
  runKeys,
  startRun,
} from '@cairn/kernel';
import { createFsStorage } from '@cairn/storage-fs';
import type { Benchmark } from '../benchmark.js';
import { runSideBySide } from '../side-by-side.js';
import { summarize } from '../statistics.js';
import { withTemporaryDirectory } from '../temporary-directory.js';

const stepCount = Number(process.env.CAIRN_BENCH_RESUME_STEPS ?? 1000);
const itemCount = Number(process.env.CAIRN_BENCH_RESUME_ITEMS ?? 100_000);
const warmupRounds = 1;
const rounds = 7;
const pipeline = 'resume-bench';
const itemStep = 'generate';

/**
 * P5: how long a resume takes to find where to start in a run with 1,000 completed steps and
 * 100,000 completed items in the step it stopped in. Cairn reads the run record and the step's
 * item segments; the limit is what any listing-based resume must do at least: `readdir` of
 * the folders holding the 100,000 item records.
 */
export const resumePointBenchmark: Benchmark = {
  name: 'p5 resume point',
  run: () =>
    withTemporaryDirectory('resume-point', async (directory) => {
      // fsync off only to build the run faster: finding the resume point reads what is there.
      const storage = createFsStorage({ root: directory, fsync: false });
      const steps = Array.from({ length: stepCount }, (_, index) => `step-${index}`);
      const run = await startRun({ storage, pipeline, steps: [...steps, itemStep] });
      const checkpoints = createCheckpointStore({ storage });
      for (const step of steps) {
        const record = await checkpoints.save({ run: run.id, step, state: { step } });
        await run.updateStep(step, {
          state: 'COMPLETED',
          checkpoint: record.id,
          finishedAt: new Date().toISOString(),
        });
      }
      await run.updateStep(itemStep, { state: 'RUNNING' });
      const items = Array.from({ length: itemCount }, (_, index) => index);
      const mapped = await mapItems({
        storage,
        run: run.id,
        step: itemStep,
        items,
        worker: async (item) => item * 2,
        concurrency: 32,
      });
      if (mapped.done !== itemCount) {
        throw new Error(`setup: ${mapped.done} items done, ${mapped.failed} failed`);
      }
      // The process "dies" here: the step never completed.
      await run.finish('INTERRUPTED', { reason: 'benchmark' });
      const itemFolder = join(directory, runKeys(run.id).step(itemStep).itemsPrefix);

      const samples = await runSideBySide(
        {
          run: async () => {
            const point = await findResumePoint({
              storage,
              pipeline,
              steps: [...steps, itemStep],
            });
            if (point.action !== 'resume' || point.nextStep !== itemStep) {
              throw new Error(`expected to resume at ${itemStep}, got ${JSON.stringify(point)}`);
            }
            if (point.completed.length !== stepCount) {
              throw new Error(
                `expected ${stepCount} completed steps, got ${point.completed.length}`,
              );
            }
            const progress = await loadItemProgress(storage, run.id, itemStep);
            if (progress.done !== itemCount) {
              const { items: _items, uncovered: _uncovered, ...facts } = progress;
              throw new Error(`expected ${itemCount} done items, got ${JSON.stringify(facts)}`);
            }
          },
        },
        {
          run: async () => {
            let count = 0;
            for (const folder of await readdir(itemFolder)) {
              count += (await readdir(join(itemFolder, folder))).length;
            }
            if (count < itemCount) throw new Error(`readdir found ${count} items`);
          },
        },
        { warmupRounds, rounds },
      );
      await storage.close?.();
      return {
        title: `P5: resume point of a run with ${stepCount.toLocaleString('en')} completed steps and ${itemCount.toLocaleString('en')} completed items (storage-fs)`,
        description:
          'Cairn: `findResumePoint` (reads the run record) + `loadItemProgress` (lists and reads the item segments, then lists the records after the last segment). Limit: `readdir` of the folders holding the item records (1,000 per folder), the least a listing-based resume must do. Target: Cairn ≤ 200 ms.',
        rounds,
        warmupRounds,
        rows: [
          {
            measure: 'find the resume point (ms)',
            cairn: summarize(samples.cairn.durationsMs),
            limit: summarize(samples.limit.durationsMs),
          },
        ],
      };
    }),
};
