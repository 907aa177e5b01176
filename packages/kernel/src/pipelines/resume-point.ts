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
  /** Current time, for heartbeat staleness. */
  readonly now?: number;
  /** Cancels the lookup. */
  readonly signal?: AbortSignal;
}

/**
 * Finds where a pipeline would resume, reading only the run records (one object per run
 * visited; no checkpoint payload, no item record): the latest run unless it completed, and
 * within it the longest prefix of `steps` that completed with a checkpoint.
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
    if (status.state === 'COMPLETED') {
      return {
        action: 'new',
        reason: `the latest run ${status.record.id} completed`,
        latest: status,
      };
    }
  }
  const byName = new Map(status.record.steps.map((step) => [step.name, step]));
  const completed: CompletedStep[] = [];
  let nextStep: string | undefined;
  for (const name of options.steps) {
    const step = byName.get(name);
    if (step?.state !== 'COMPLETED' || step.checkpoint === undefined) {
      nextStep = name;
      break;
    }
    completed.push({ step: name, checkpoint: step.checkpoint, completedAt: step.finishedAt });
  }
  return {
    action: status.state === 'RUNNING' ? 'busy' : 'resume',
    run: status,
    completed,
    nextStep,
  };
}
