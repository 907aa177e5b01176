import { describe, expect, it } from 'vitest';
import { keepBest } from '../checkpoints/retention.js';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { loadItemProgress } from '../items/load-item-progress.js';
import type { JournalEntry } from '../journal/journal-events.js';
import { readJournal } from '../journal/journal-reader.js';
import { checkpointKeys } from '../naming/layout.js';
import { readRun } from '../runs/run-status.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { rejection } from '../testing/rejection.js';
import { definePipeline } from './define-pipeline.js';
import { findResumePoint } from './resume-point.js';

const quiet = { environment: 0 as const };

async function events(storage: Storage, run: string): Promise<JournalEntry['event'][]> {
  const all: JournalEntry['event'][] = [];
  for await (const entry of readJournal(storage, run)) all.push(entry.event);
  return all;
}

describe('pipelines', () => {
  it('runs steps in order, each receiving the earlier outputs, and checkpoints every output', async () => {
    const storage = createMemoryStorage();
    const seen: unknown[] = [];
    const pipeline = definePipeline('research')
      .step('generate', () => [1, 2, 3])
      .step('square', ({ outputs }) => outputs.generate.map((value) => value * value))
      .step('sum', ({ outputs }) => {
        seen.push(outputs);
        return outputs.square.reduce((total, value) => total + value, 0);
      });
    const result = await pipeline.run({ storage, ...quiet });
    expect(result).toMatchObject({ state: 'COMPLETED', exitCode: 0, attempt: 1, skipped: [] });
    expect(result.outputs.sum).toBe(14);
    expect(seen).toEqual([{ generate: [1, 2, 3], square: [1, 4, 9] }]);
    const run = await readRun(storage, result.run);
    expect(run?.state).toBe('COMPLETED');
    expect(run?.record.steps.map((step) => [step.name, step.state])).toEqual([
      ['generate', 'COMPLETED'],
      ['square', 'COMPLETED'],
      ['sum', 'COMPLETED'],
    ]);
    const types = (await events(storage, result.run)).map((event) => event.type);
    expect(types.filter((type) => type === 'checkpoint-saved')).toHaveLength(3);
    expect(types.at(-1)).toBe('run-finished');
  });

  it('a failing step marks the run FAILED with an error record; the rerun resumes at that step', async () => {
    const storage = createMemoryStorage();
    const calls: string[] = [];
    let failCompress = true;
    const pipeline = definePipeline('flaky')
      .step('generate', () => {
        calls.push('generate');
        return { candidates: ['a', 'b'] };
      })
      .step('compress', ({ outputs }) => {
        calls.push('compress');
        if (failCompress) throw new Error('compressor crashed');
        return outputs.generate.candidates.join('+');
      })
      .step('report', ({ outputs }) => {
        calls.push('report');
        return `report of ${outputs.compress}`;
      });

    const failure = await rejection(pipeline.run({ storage, ...quiet }));
    expect(failure.code).toBe('STEP_FAILED');
    expect(failure.message).toContain('Step "compress"');
    expect(failure.message).toContain('compressor crashed');
    expect((failure.cause as Error).message).toBe('compressor crashed');
    const runId = String(failure.details?.run);
    const failed = await readRun(storage, runId);
    expect(failed?.state).toBe('FAILED');
    const errorRecord = failed?.record.error?.record;
    expect(errorRecord).toBeDefined();
    expect((await storage.head(String(errorRecord)))?.size).toBeGreaterThan(0);

    failCompress = false;
    const lines: string[] = [];
    const result = await pipeline.run({ storage, ...quiet, print: (line) => lines.push(line) });
    expect(result).toMatchObject({ run: runId, attempt: 2, state: 'COMPLETED' });
    expect(result.skipped.map((step) => step.step)).toEqual(['generate']);
    expect(result.outputs.report).toBe('report of a+b');
    expect(calls).toEqual(['generate', 'compress', 'compress', 'report']);
    expect(lines.join('\n')).toContain('Skipped generate');

    // The latest run completed: the next run is a new one.
    const third = await pipeline.run({ storage, ...quiet });
    expect(third.run).not.toBe(runId);
    expect(third.attempt).toBe(1);
  });

  it('an abort mid-map keeps finished items; the rerun runs each missing item exactly once', async () => {
    const storage = createMemoryStorage();
    const items = Array.from({ length: 40 }, (_, index) => index);
    const runs = new Map<number, number>();
    const controller = new AbortController();
    const pipeline = definePipeline('items').step('generate', async ({ map }) => {
      const result = await map(
        items,
        async (item, context) => {
          runs.set(item, (runs.get(item) ?? 0) + 1);
          if (item === 10) controller.abort();
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (context.signal.aborted && item > 12) throw context.signal.reason;
          return item * 2;
        },
        { concurrency: 3 },
      );
      return result.values;
    });
    const first = await pipeline.run({ storage, ...quiet, signal: controller.signal });
    expect(first.state).toBe('INTERRUPTED');
    expect(first.exitCode).toBe(130);
    expect((await readRun(storage, first.run))?.record.steps[0]?.state).toBe('INTERRUPTED');
    const ranFirst = [...runs.keys()].length;
    expect(ranFirst).toBeLessThan(items.length);
    // What the first attempt stored as done is what must never run again.
    const stored = await loadItemProgress(storage, first.run, 'generate');
    const doneFirst = [...stored.items.values()]
      .filter((entry) => entry.status === 'done')
      .map((entry) => entry.index);
    expect(doneFirst.length).toBeGreaterThan(0);
    expect(doneFirst.length).toBeLessThan(items.length);

    const second = await pipeline.run({ storage, ...quiet });
    expect(second).toMatchObject({ run: first.run, state: 'COMPLETED' });
    expect(second.outputs.generate).toEqual(items.map((item) => item * 2));
    // Items finished by the first attempt are counted once.
    expect((await readRun(storage, second.run))?.record.steps[0]?.items).toEqual({
      done: 40,
      failed: 0,
      total: 40,
    });
    // Every item ran, and none that finished the first time ran again.
    expect([...runs.keys()].sort((a, b) => a - b)).toEqual(items);
    for (const item of doneFirst) expect(runs.get(item), `item ${item}`).toBe(1);
    // Those not stored as done ran again at most once more.
    for (const [item, count] of runs) expect(count, `item ${item}`).toBeLessThanOrEqual(2);
  });

  it('a run that completed with failed items is continued: only those items run again, then the steps after', async () => {
    const storage = createMemoryStorage();
    const calls = new Map<number, number>();
    const broken = new Set([3, 7]);
    let reports = 0;
    const pipeline = definePipeline('retry-failed')
      .step('generate', ({ map }) =>
        map(
          Array.from({ length: 10 }, (_, index) => index),
          async (item) => {
            calls.set(item, (calls.get(item) ?? 0) + 1);
            if (broken.has(item)) throw new Error(`item ${item} is broken`);
            return item * 10;
          },
          { retry: { maxAttempts: 1 } },
        ),
      )
      .step('report', ({ outputs }) => {
        reports += 1;
        return outputs.generate.values.filter((value) => value !== null).length;
      });
    const lines: string[] = [];
    const first = await pipeline.run({ storage, ...quiet, print: (line) => lines.push(line) });
    expect(first).toMatchObject({ state: 'COMPLETED', attempt: 1 });
    expect(first.outputs.report).toBe(8);
    expect(lines.join('\n')).toContain('Failed items: 2 in generate');

    broken.delete(3);
    lines.length = 0;
    const second = await pipeline.run({ storage, ...quiet, print: (line) => lines.push(line) });
    expect(second).toMatchObject({ run: first.run, state: 'COMPLETED', attempt: 2 });
    expect(lines.join('\n')).toContain('retrying the 2 failed item(s) of generate');
    expect(second.outputs.report).toBe(9);
    expect(reports).toBe(2);
    // The eight items that succeeded ran once; the failed ones once more.
    for (const [item, count] of calls) {
      expect(count, `item ${item}`).toBe(item === 3 || item === 7 ? 2 : 1);
    }

    // Item 7 still fails: one more reopen retries it, and when that fixes nothing the next
    // run starts anew instead of paying for it (and the steps after) forever.
    lines.length = 0;
    const third = await pipeline.run({ storage, ...quiet, print: (line) => lines.push(line) });
    expect(third).toMatchObject({ run: first.run, attempt: 3 });
    expect(calls.get(7)).toBe(3);
    expect(lines.join('\n')).toContain('Retrying did not fix them, so the next run starts anew');
    lines.length = 0;
    const fourth = await pipeline.run({ storage, ...quiet, print: (line) => lines.push(line) });
    expect(fourth.run).not.toBe(first.run);
    expect(lines.join('\n')).toContain('left as many failed');
    expect(calls.get(0)).toBe(2);

    // retryFailed: false starts a new run at once, paying for every item again.
    const fresh = await pipeline.run({ storage, ...quiet, retryFailed: false });
    expect(fresh.run).not.toBe(fourth.run);
    expect(calls.get(0)).toBe(3);
  });

  it('a step that runs again makes the steps after it stale: a stop before they start does not skip them later', async () => {
    const storage = createMemoryStorage();
    const broken = new Set([3]);
    let controller: AbortController | undefined;
    const pipeline = definePipeline('stale-later')
      .step('generate', async ({ map }) => {
        const result = await map(
          [0, 1, 2, 3, 4],
          async (item) => {
            if (broken.has(item)) throw new Error(`item ${item} is broken`);
            return item;
          },
          { retry: { maxAttempts: 1 } },
        );
        // Stopped right after this step, before the next one starts.
        controller?.abort();
        return result.values;
      })
      .step('report', ({ outputs }) => outputs.generate.filter((value) => value !== null).length);
    const first = await pipeline.run({ storage, ...quiet });
    expect(first.outputs.report).toBe(4);

    broken.clear();
    controller = new AbortController();
    const second = await pipeline.run({ storage, ...quiet, signal: controller.signal });
    expect(second).toMatchObject({ run: first.run, state: 'INTERRUPTED' });
    controller = undefined;

    const third = await pipeline.run({ storage, ...quiet });
    expect(third).toMatchObject({ run: first.run, state: 'COMPLETED' });
    expect(third.skipped.map((step) => step.step)).toEqual(['generate']);
    expect(third.outputs.report).toBe(5);
  });

  it('a completed step whose output checkpoint is gone runs again, and so do the steps after it', async () => {
    const storage = createMemoryStorage();
    const calls: string[] = [];
    let failLast = true;
    const latestSeen: unknown[] = [];
    const pipeline = definePipeline('lost')
      .step('generate', () => {
        calls.push('generate');
        return [1, 2];
      })
      .step('double', async ({ outputs, checkpoints }) => {
        calls.push('double');
        // Its output from the first run is there, but it is not the step's own saved state.
        latestSeen.push((await checkpoints.latest())?.id);
        return outputs.generate.map((value) => value * 2);
      })
      .step('sum', ({ outputs }) => {
        calls.push('sum');
        if (failLast) throw new Error('not yet');
        return outputs.double.reduce((total, value) => total + value, 0);
      });
    const failure = await rejection(pipeline.run({ storage, ...quiet }));
    const runId = String(failure.details?.run);
    const record = (await readRun(storage, runId))?.record;
    const lost = record?.steps.find((step) => step.name === 'generate')?.checkpoint;
    if (lost === undefined) throw new Error('no checkpoint for generate');
    await storage.delete(checkpointKeys(lost).sidecar);

    failLast = false;
    const lines: string[] = [];
    const result = await pipeline.run({ storage, ...quiet, print: (line) => lines.push(line) });
    expect(result).toMatchObject({ run: runId, state: 'COMPLETED' });
    expect(result.outputs.sum).toBe(6);
    expect(result.skipped).toEqual([]);
    expect(calls).toEqual(['generate', 'double', 'sum', 'generate', 'double', 'sum']);
    expect(latestSeen).toEqual([undefined, undefined]);
    expect(lines.join('\n')).toContain(
      `Running generate again: its output checkpoint ${lost} is missing`,
    );
  });

  it('a step that returned before the process died is not run again: its saved output is adopted', async () => {
    const memory = createMemoryStorage();
    let recordWritesFail = false;
    // The process "dies" right after the output checkpoint of "train" commits: no later write
    // of the run record (marking the step completed) gets through.
    const storage: Storage = {
      ...memory,
      put: async (key, body, options) => {
        if (recordWritesFail && key.endsWith('/run.json')) {
          throw new CairnError({ code: 'TRANSIENT_IO', backend: 'test', message: 'process died' });
        }
        const info = await memory.put(key, body, options);
        if (key.endsWith('/checkpoint.yaml') && key.startsWith('checkpoints/train/')) {
          recordWritesFail = true;
        }
        return info;
      },
    };
    const calls: string[] = [];
    const pipeline = definePipeline('adopt')
      .step('train', async ({ map }) => {
        calls.push('train');
        const result = await map(
          [0.5, 0.25, -1],
          async (weight) => {
            if (weight < 0) throw new Error('negative weight');
            return weight;
          },
          { retry: { maxAttempts: 1 } },
        );
        return { weights: result.values.filter((value) => value !== null) };
      })
      .step('evaluate', ({ outputs }) => {
        calls.push('evaluate');
        return outputs.train.weights.length;
      });
    await expect(pipeline.run({ storage, ...quiet })).rejects.toThrow('process died');
    expect(calls).toEqual(['train']);

    recordWritesFail = false;
    const lines: string[] = [];
    const result = await pipeline.run({
      storage,
      ...quiet,
      force: true,
      print: (line) => lines.push(line),
    });
    expect(result).toMatchObject({ state: 'COMPLETED', attempt: 2 });
    expect(result.outputs.evaluate).toBe(2);
    expect(calls).toEqual(['train', 'evaluate']);
    expect(result.skipped.map((step) => step.step)).toEqual(['train']);
    expect(lines.join('\n')).toContain('Skipped train: it finished before the run stopped');
    const steps = (await readRun(storage, result.run))?.record.steps;
    expect(steps?.find((step) => step.name === 'train')).toMatchObject({
      state: 'COMPLETED',
      // The counts came with the adopted output: the failed item is not forgotten.
      items: { done: 2, failed: 1, total: 3 },
    });
  });

  it("inside a step, latest() is the step's own state and a loaded checkpoint survives any prune", async () => {
    const storage = createMemoryStorage();
    let failAfterEpochs = true;
    const resumedFrom: unknown[] = [];
    const pipeline = definePipeline('training').step('train', async ({ checkpoints }) => {
      const latest = await checkpoints.latest();
      let epoch = 0;
      if (latest !== undefined) {
        const state = await checkpoints.load<{ epoch: number }>(latest.id);
        resumedFrom.push(state);
        epoch = state.epoch + 1;
      }
      for (; epoch < 4; epoch++) {
        // The loss gets worse after epoch 1: keepBest would drop the resumed-from checkpoint.
        await checkpoints.save({ state: { epoch }, metrics: { loss: epoch <= 1 ? 0.1 : 0.9 } });
        if (failAfterEpochs && epoch === 2) throw new Error('out of memory');
      }
      const report = await checkpoints.prune([keepBest(1, 'loss', 'min')]);
      return { deleted: report.deleted.length, kept: report.kept.map((entry) => entry.reasons) };
    });
    const failure = await rejection(pipeline.run({ storage, ...quiet }));
    const runId = String(failure.details?.run);
    failAfterEpochs = false;
    const result = await pipeline.run({ storage, ...quiet });
    expect(result.run).toBe(runId);
    expect(resumedFrom).toEqual([{ epoch: 2 }]);
    const stored = await readRun(storage, runId);
    const resumedId = stored?.record.resumedFrom?.[0];
    expect(resumedId).toBeDefined();
    // Epoch 2 (resumed from) and epoch 0 (best loss, earliest kept on a tie) stay; 1 and 3 go.
    expect(result.outputs.train).toMatchObject({ deleted: 2 });
    expect(result.outputs.train?.kept).toContainEqual(['protected']);
  });

  it('summarises each step: items, sweep coverage per value, and what was skipped on resume', async () => {
    const storage = createMemoryStorage();
    let failReport = true;
    const pipeline = definePipeline('sweep')
      .step('generate', async ({ map }) => {
        const result = await map(
          [0, 1, 2, 3, 4, 5],
          async (item, context) => {
            if (item === 5) throw new Error('item 5 always fails');
            return `${item}@${String(context.parameters.temperature)}`;
          },
          { grid: { temperature: [0.2, 0.7] }, retry: { maxAttempts: 1 } },
        );
        return result.values;
      })
      .step('report', ({ outputs }) => {
        if (failReport) throw new Error('not yet');
        return outputs.generate.filter((value) => value !== null).length;
      });
    const failure = await rejection(pipeline.run({ storage, ...quiet }));
    expect(failure.code).toBe('STEP_FAILED');

    failReport = false;
    const result = await pipeline.run({ storage, ...quiet, resume: true });
    expect(result.outputs.report).toBe(5);
    expect(result.steps).toEqual([
      { step: 'generate', outcome: 'skipped', checkpoint: result.skipped[0]?.checkpoint },
      expect.objectContaining({ step: 'report', outcome: 'completed' }),
    ]);
    const completed = (await events(storage, result.run)).find(
      (event) => event.type === 'step-completed' && event.step === 'generate',
    );
    expect(completed).toMatchObject({
      items: { done: 5, failed: 1, total: 6 },
      coverage: {
        temperature: { '0.2': { done: 3, failed: 0 }, '0.7': { done: 2, failed: 1 } },
      },
    });
  });

  it('refuses to resume a run another live process is running, and finds the resume point', async () => {
    const storage = createMemoryStorage();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pipeline = definePipeline('busy')
      .step('first', () => 1)
      .step('wait', async () => {
        await gate;
        return 2;
      });
    const running = pipeline.run({ storage, ...quiet });
    let point = await findResumePoint({ storage, pipeline: 'busy', steps: ['first', 'wait'] });
    for (let tries = 0; point.action !== 'busy' && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      point = await findResumePoint({ storage, pipeline: 'busy', steps: ['first', 'wait'] });
    }
    expect(point.action).toBe('busy');
    const conflict = await rejection(pipeline.run({ storage, ...quiet }));
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.message).toContain('still running');
    release();
    expect((await running).state).toBe('COMPLETED');
    expect((await findResumePoint({ storage, pipeline: 'busy', steps: ['first'] })).action).toBe(
      'new',
    );
  });

  it('SIGINT while handling signals ends the run INTERRUPTED with exit code 130', async () => {
    const storage = createMemoryStorage();
    const pipeline = definePipeline('signals')
      .step('one', () => 'done')
      .step('two', async ({ signal }) => {
        process.emit('SIGINT');
        if (signal.aborted) throw signal.reason;
        return 'not reached';
      })
      .step('three', () => 'never');
    const listenersBefore = process.listenerCount('SIGINT');
    const result = await pipeline.run({ storage, ...quiet, handleSignals: true });
    expect(result).toMatchObject({ state: 'INTERRUPTED', reason: 'SIGINT', exitCode: 130 });
    expect(result.outputs).toEqual({ one: 'done' });
    expect(process.listenerCount('SIGINT')).toBe(listenersBefore);
    const record = (await readRun(storage, result.run))?.record;
    expect(record).toMatchObject({ state: 'INTERRUPTED', reason: 'SIGINT' });
  });

  it('refuses duplicate step names and bad names, and a step that maps twice without a name', async () => {
    const storage = createMemoryStorage();
    const duplicate = await rejection(
      definePipeline('dup')
        .step('a', () => 1)
        .step('a', () => 2)
        .run({ storage, ...quiet }),
    );
    expect(duplicate.code).toBe('INVALID_OPTIONS');
    expect(() => definePipeline('x').step('no spaces', () => 1)).toThrow(/not valid/);
    const twice = await rejection(
      definePipeline('twice')
        .step('a', async ({ map }) => {
          await map([1], async (item) => item);
          await map([2], async (item) => item);
        })
        .run({ storage, ...quiet }),
    );
    expect(twice.code).toBe('STEP_FAILED');
    expect(isCairnError(twice.cause, 'INVALID_OPTIONS')).toBe(true);
  });
});
