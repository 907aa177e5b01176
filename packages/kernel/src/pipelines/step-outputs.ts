import type { CheckpointRecord, CheckpointStore } from '../checkpoints/index.js';
import { isCairnError } from '../errors/cairn-error.js';
import { type StepRecord, stepRecordSchema } from '../runs/run-record.js';
import { isStepOutput } from './step-context.js';

/** A completed step's output as a resume finds it. */
export type LoadedStepOutput =
  | { readonly found: true; readonly state: unknown }
  | { readonly found: false; readonly problem: string };

/**
 * Loads the output a completed step left in `checkpoint`. A checkpoint that is gone or whose
 * every copy is damaged is not an error here: the step is run again, which is the one way
 * left to get its output back. Other failures (storage down, abort) are thrown.
 */
export async function loadStepOutput(
  checkpoints: CheckpointStore,
  checkpoint: string,
): Promise<LoadedStepOutput> {
  try {
    const loaded = await checkpoints.load({ id: checkpoint });
    return { found: true, state: loaded.state };
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) return { found: false, problem: 'is missing' };
    if (isCairnError(error, 'CORRUPT_DATA')) {
      return { found: false, problem: `is damaged (${error.message})` };
    }
    throw error;
  }
}

/**
 * The output a step saved in its latest attempt but did not get to record as completed (the
 * process died between the commit of the output checkpoint and the run record's update), or
 * undefined. Only an output committed after that attempt started counts: an older one belongs
 * to an attempt whose result was superseded.
 */
export async function findUnrecordedOutput(
  checkpoints: CheckpointStore,
  run: string,
  step: StepRecord | undefined,
): Promise<CheckpointRecord | undefined> {
  if (step === undefined || step.state === 'COMPLETED') return undefined;
  const latest = await checkpoints.latest({ step: step.name, run });
  if (latest === undefined || !isStepOutput(latest)) return undefined;
  return Date.parse(latest.createdAt) >= Date.parse(step.startedAt) ? latest : undefined;
}

/** The item counts an output checkpoint carries, as a step record holds them. */
export function itemCountsOf(record: CheckpointRecord): Pick<StepRecord, 'items'> {
  const parsed = stepRecordSchema.shape.items.safeParse(record.metadata.items);
  return parsed.success && parsed.data !== undefined ? { items: parsed.data } : {};
}
