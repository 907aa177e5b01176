import type { CheckpointRecord, CheckpointStore } from '../checkpoints/index.js';
import { CairnError } from '../errors/cairn-error.js';
import { mapItems } from '../items/index.js';
import type { Coverage } from '../journal/journal-events.js';
import type { Logger } from '../logging/logger.js';
import type { Run } from '../runs/start-run.js';
import type { RunPipelineOptions, StepContext, StepMapOptions } from './pipeline-types.js';

/** Item counts of the step's map calls, for the run record and `step-completed`. */
export interface StepItemCounts {
  current: { done: number; failed: number; total: number } | undefined;
  coverage?: Coverage;
}

/** What {@link createStepContext} needs. */
export interface StepContextSetup {
  readonly run: Run;
  readonly step: string;
  readonly outputs: Record<string, unknown>;
  readonly checkpoints: CheckpointStore;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly options: RunPipelineOptions;
  readonly counts: StepItemCounts;
  readonly now: () => number;
}

/** Metadata `kind` of the checkpoint holding a step's output, saved by the pipeline. */
export const stepOutputKind = 'step-output';

/**
 * The lease a pipeline's saves pass: the run's, where it can fence. On a storage without
 * conditional writes a save would refuse it, and the pipeline runs as one writer per run.
 */
export function fencedBy(run: Run): { readonly lease?: Run['lease'] } {
  return run.lease.enforceable ? { lease: run.lease } : {};
}

/** Whether a checkpoint holds a step's output (saved by the pipeline, not by the step). */
export function isStepOutput(record: CheckpointRecord): boolean {
  return record.metadata.kind === stepOutputKind;
}

/** Smallest gap between two `step-progress` events from {@link StepContext.progress}. */
const progressIntervalMs = 1000;

/** Builds the context a step function receives. */
export function createStepContext(setup: StepContextSetup): StepContext<Record<string, unknown>> {
  const { run, step, checkpoints, options, counts, now } = setup;
  // What a step resumes from must outlive any prune, in this process (protect) and in others
  // (the run record's resumedFrom, which every prune reads).
  const protect = async (id: string): Promise<void> => {
    checkpoints.protect(id);
    await run.update((record) =>
      record.resumedFrom?.includes(id)
        ? record
        : { ...record, resumedFrom: [...(record.resumedFrom ?? []), id] },
    );
  };
  const mapNames = new Set<string>();
  const started = now();
  let lastProgress = Number.NEGATIVE_INFINITY;
  return {
    outputs: setup.outputs,
    step,
    run: { id: run.id, attempt: run.attempt, resumed: run.attempt > 1 },
    signal: setup.signal,
    logger: setup.logger,
    async map(items, worker, mapOptions: StepMapOptions = {}) {
      const itemsStep = mapOptions.name === undefined ? step : `${step}.${mapOptions.name}`;
      if (mapNames.has(itemsStep)) {
        throw new CairnError({
          code: 'INVALID_OPTIONS',
          message: `Step "${step}" maps over items twice${mapOptions.name === undefined ? '' : ` under the name "${mapOptions.name}"`}; give each map call its own { name } so their items are stored apart.`,
        });
      }
      mapNames.add(itemsStep);
      const concurrency = mapOptions.concurrency ?? options.concurrency;
      const retry = mapOptions.retry ?? options.retry;
      const result = await mapItems({
        storage: options.storage,
        run: run.id,
        step: itemsStep,
        items,
        worker,
        signal: setup.signal,
        onEvent: run.emit,
        logger: setup.logger,
        now,
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(retry !== undefined ? { retry } : {}),
        ...(mapOptions.grid !== undefined ? { grid: mapOptions.grid } : {}),
        ...(mapOptions.retryFailed !== undefined ? { retryFailed: mapOptions.retryFailed } : {}),
      });
      const previous = counts.current ?? { done: 0, failed: 0, total: 0 };
      counts.current = {
        // `done` already counts items finished by earlier attempts.
        done: previous.done + result.done,
        failed: previous.failed + result.failed,
        total: previous.total + items.length,
      };
      if (result.coverage) counts.coverage = result.coverage;
      return result;
    },
    progress(done, total) {
      const at = now();
      // The journal is for people and the monitor: one event a second is plenty.
      if (done < total && at - lastProgress < progressIntervalMs) return;
      lastProgress = at;
      const elapsedMs = Math.max(0, at - started);
      const itemsPerSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
      run.emit({
        type: 'step-progress',
        step,
        done,
        failed: 0,
        total,
        itemsPerSecond,
        elapsedMs,
        ...(itemsPerSecond > 0
          ? { etaMs: (Math.max(0, total - done) / itemsPerSecond) * 1000 }
          : {}),
      });
    },
    checkpoints: {
      // Fenced by the run's lease: a step of a run taken over cannot commit into it.
      save: (input) => checkpoints.save({ ...input, run: run.id, step, ...fencedBy(run) } as never),
      latest: async () => {
        const latest = await checkpoints.latest({ step, run: run.id });
        if (latest === undefined || !isStepOutput(latest)) return latest;
        // The pipeline's own record of the step's output is not the step's state: the newest
        // checkpoint the step saved itself is.
        let found: CheckpointRecord | undefined;
        for await (const record of checkpoints.list({ step, run: run.id })) {
          if (!isStepOutput(record) && (found?.sequence ?? 0) <= (record.sequence ?? 0)) {
            found = record;
          }
        }
        return found;
      },
      load: async (id) => {
        const loaded = await checkpoints.load({ id });
        await protect(id);
        return loaded.state as never;
      },
      protect,
      prune: (keep, pruneOptions = {}) =>
        checkpoints.prune({
          run: run.id,
          step,
          keep,
          ...(pruneOptions.dryRun !== undefined ? { dryRun: pruneOptions.dryRun } : {}),
        }),
    },
    emit(name, data) {
      run.emit({ type: 'custom', name, ...(data !== undefined ? { data } : {}) });
    },
  };
}
