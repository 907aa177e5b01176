import { isCairnError } from '../errors/cairn-error.js';
import { latestRun, type RunStatus, readRun } from '../runs/run-status.js';
import type { Storage } from '../storage/storage.js';

/** A step a resume will not run again: its output is in this checkpoint. */
export interface CompletedStep {
  /** The step. */
  readonly step: string;
  /** The checkpoint holding its output. */
  readonly checkpoint: string;
  /** When it completed. */
  readonly completedAt: string | undefined;
}

/** Where a run of a pipeline would start. */
export type ResumePoint =
  | {
      /** No run to continue: none exists, the latest completed, or resuming was not asked. */
      readonly action: 'new';
      /** Why a new run. */
      readonly reason: string;
      /** The latest run, when there is one. */
      readonly latest: RunStatus | undefined;
    }
  | {
      /** Continue `run` at `nextStep`. */
      readonly action: 'resume';
      /** The run to continue. */
      readonly run: RunStatus;
      /** Steps whose outputs are loaded from checkpoints instead of recomputed, in order. */
      readonly completed: readonly CompletedStep[];
      /** The first step to run; undefined when every known step completed. */
      readonly nextStep: string | undefined;
      /**
       * Set when the run had completed and is continued to retry the failed items of
       * `nextStep` (the steps after it run again on the new results).
       */
      readonly retrying?: { readonly step: string; readonly failed: number };
    }
  | {
      /**
       * The run to continue is still running in another process (fresh heartbeat); taking it
       * over (`force`) would continue it as `resume` does.
       */
      readonly action: 'busy';
      /** That run. */
      readonly run: RunStatus;
      /** Steps a takeover would load from checkpoints, in order. */
      readonly completed: readonly CompletedStep[];
      /** The first step a takeover would run. */
      readonly nextStep: string | undefined;
    };

/** Options for {@link findResumePoint}. */
export interface FindResumePointOptions {
  /** The storage the runs live in. */
  readonly storage: Storage;
  /** The pipeline's name. */
  readonly pipeline: string;
  /** The pipeline's steps, in order. */
  readonly steps: readonly string[];
  /** A specific run to continue instead of the latest one. */
  readonly run?: string;
  /**
   * Continue a run that completed with failed items, at the first step that has some (its
   * done items are kept; only the failed ones run again). Default true; false starts a new run
   * after a completed one, failures or not.
   */
  readonly retryFailed?: boolean;
  /** Current time, for heartbeat staleness. */
  readonly now?: number;
  /** Cancels the lookup. */
  readonly signal?: AbortSignal;
}

/**
 * Finds where a pipeline would resume, reading only the run records (one object per run
 * visited; no checkpoint payload, no item record): the latest run unless it completed (with
 * no failed items left to retry), and within it the longest prefix of `steps` that completed
 * with a checkpoint (up to the first step with failed items, for a completed run).
 */
export async function findResumePoint(options: FindResumePointOptions): Promise<ResumePoint> {
  const describe = { ...(options.now !== undefined ? { now: options.now } : {}) };
  let status: RunStatus | undefined;
  if (options.run !== undefined) {
    status = await readRun(options.storage, options.run, describe);
    if (status === undefined) {
      return { action: 'new', reason: `run "${options.run}" does not exist`, latest: undefined };
    }
  } else {
    try {
      status = await latestRun(options.storage, options.pipeline, {
        ...describe,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (!isCairnError(error, 'NOT_FOUND')) throw error;
    }
    if (status === undefined) {
      return { action: 'new', reason: 'no earlier run of this pipeline', latest: undefined };
    }
    if (status.state === 'COMPLETED' && stepWithFailedItems(status, options) === undefined) {
      const retried = status.record.retriedFailedItems;
      return {
        action: 'new',
        reason:
          retried !== undefined && hasFailedItems(status)
            ? `the latest run ${status.record.id} completed, and retrying its ${retried.failed} failed item(s) of ${retried.step} left as many failed`
            : `the latest run ${status.record.id} completed`,
        latest: status,
      };
    }
  }
  const byName = new Map(status.record.steps.map((step) => [step.name, step]));
  const retrying = status.state === 'COMPLETED' ? stepWithFailedItems(status, options) : undefined;
  const completed: CompletedStep[] = [];
  let nextStep: string | undefined;
  for (const name of options.steps) {
    const step = byName.get(name);
    if (step?.state !== 'COMPLETED' || step.checkpoint === undefined || name === retrying?.step) {
      nextStep = name;
      break;
    }
    completed.push({ step: name, checkpoint: step.checkpoint, completedAt: step.finishedAt });
  }
  if (status.state === 'RUNNING') return { action: 'busy', run: status, completed, nextStep };
  return { action: 'resume', run: status, completed, nextStep, ...(retrying ? { retrying } : {}) };
}

/**
 * The first of the pipeline's steps that completed with failed items, when failed items are
 * to be retried: a completed run with failures is not done, and rerunning it must not pay
 * again for the items that succeeded.
 */
function stepWithFailedItems(
  status: RunStatus,
  options: FindResumePointOptions,
): { readonly step: string; readonly failed: number } | undefined {
  if (options.retryFailed === false) return undefined;
  const byName = new Map(status.record.steps.map((step) => [step.name, step]));
  for (const name of options.steps) {
    const failed = byName.get(name)?.items?.failed ?? 0;
    if (failed === 0) continue;
    // Failures that survived a retry (an item that always fails, a map that does not retry
    // failures) would be paid for on every run, and every later step with them.
    const retried = status.record.retriedFailedItems;
    if (retried?.step === name && failed >= retried.failed) return undefined;
    return { step: name, failed };
  }
  return undefined;
}

function hasFailedItems(status: RunStatus): boolean {
  return status.record.steps.some((step) => (step.items?.failed ?? 0) > 0);
}
