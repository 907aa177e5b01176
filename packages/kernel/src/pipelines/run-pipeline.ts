import { setMaxListeners } from 'node:events';
import { type CheckpointStore, createCheckpointStore } from '../checkpoints/index.js';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { summariseError } from '../journal/journal-events.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { validateName } from '../naming/names.js';
import { type Run, startRun } from '../runs/start-run.js';
import { scrubErrorText } from '../secrets/scrub-error-text.js';
import type {
  PipelineResult,
  RunPipelineOptions,
  StepDefinition,
  StepSummary,
} from './pipeline-types.js';
import { handleProcessSignals, type StopReason, signalExitCodes } from './process-signals.js';
import { findResumePoint } from './resume-point.js';
import { captureRunEnvironment } from './run-environment.js';
import {
  createStepContext,
  fencedBy,
  type StepItemCounts,
  stepOutputKind,
} from './step-context.js';
import { findUnrecordedOutput, itemCountsOf, loadStepOutput } from './step-outputs.js';

/** Describes a stop reason for records and messages. */
function describeStop(reason: StopReason): string {
  if (reason.kind === 'signal') return reason.signal;
  if (reason.kind === 'uncaught') return 'uncaught error';
  return 'aborted';
}

/**
 * Runs a pipeline's steps in order, checkpointing each step's output; see
 * {@link Pipeline.run}. Exported for the pipeline builder, not for direct use.
 */
export async function runPipeline<Outputs>(
  name: string,
  steps: readonly StepDefinition[],
  options: RunPipelineOptions,
): Promise<PipelineResult<Outputs>> {
  validateName('pipeline', name);
  const names = steps.map((step) => step.name);
  for (const stepName of names) validateName('step', stepName);
  const duplicate = names.find((stepName, index) => names.indexOf(stepName) !== index);
  if (duplicate !== undefined) {
    throw new CairnError({
      code: 'INVALID_OPTIONS',
      message: `Pipeline "${name}" has two steps named "${duplicate}"; step names must be unique (their outputs are checkpointed under them).`,
    });
  }
  const { storage } = options;
  const logger: Logger = (options.logger ?? silentLogger).child({ pipeline: name });
  const print = options.print ?? (() => {});
  const now = options.now ?? Date.now;

  // Stop requests from every source end up here; the first one wins.
  const stopper = new AbortController();
  // Everything the run does in parallel listens to it (items, reads, retries): no listener cap.
  setMaxListeners(0, stopper.signal);
  let stopReason: StopReason | undefined;
  const stop = (reason: StopReason) => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    stopper.abort(reason.kind === 'uncaught' ? reason.error : new Error(describeStop(reason)));
  };
  const removeSignalHandlers = options.handleSignals ? handleProcessSignals(stop) : () => {};
  const onCallerAbort = () => stop({ kind: 'aborted', reason: options.signal?.reason });
  if (options.signal?.aborted) onCallerAbort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });

  try {
    const resume = options.resume ?? true;
    const point =
      resume === false
        ? undefined
        : await findResumePoint({
            storage,
            pipeline: name,
            steps: names,
            now: now(),
            ...(typeof resume === 'string' ? { run: resume } : {}),
            ...(options.retryFailed !== undefined ? { retryFailed: options.retryFailed } : {}),
          });
    if (point?.action === 'busy' && options.force !== true) {
      const { host, pid } = point.run.record.owner;
      throw new CairnError({
        code: 'CONFLICT',
        retryable: false,
        message: `The latest run of "${name}", ${point.run.record.id}, is still running (process ${pid} on ${host}, heartbeat ${Math.round(point.run.heartbeatAgeMs / 1000)} s ago). Wait for it, stop it, start a new run with resume: false, or pass force if that process is dead.`,
        details: { run: point.run.record.id, host, pid },
      });
    }
    const resumeId =
      point?.action === 'resume' || point?.action === 'busy' ? point.run.record.id : undefined;
    if (point?.action === 'new' && point.latest !== undefined)
      print(`Starting a new run: ${point.reason}.`);
    if (point?.action === 'resume' && point.retrying !== undefined) {
      print(
        `Continuing run ${point.run.record.id}: retrying the ${point.retrying.failed} failed item(s) of ${point.retrying.step} (its done items are kept), then the steps after it. Pass resume: false for a new run.`,
      );
    }

    const run = await startRun({
      storage,
      pipeline: name,
      steps: names,
      logger,
      ...(resumeId !== undefined ? { resume: resumeId, force: options.force === true } : {}),
      ...(options.heartbeatIntervalMs !== undefined
        ? { heartbeatIntervalMs: options.heartbeatIntervalMs }
        : {}),
      ...(options.journalFlushIntervalMs !== undefined
        ? { journalFlushIntervalMs: options.journalFlushIntervalMs }
        : {}),
      ...(options.onEntry ? { onEntry: options.onEntry } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.timeIds ? { timeIds: options.timeIds } : {}),
    });
    run.signal.addEventListener(
      'abort',
      () => stop({ kind: 'aborted', reason: run.signal.reason }),
      {
        once: true,
      },
    );
    await captureRunEnvironment(run, options, logger, print);
    if (point?.action === 'resume' && point.retrying !== undefined) {
      const retrying = point.retrying;
      await run.update((record) => ({ ...record, retriedFailedItems: retrying }));
    }

    const checkpoints =
      options.checkpointStore?.(storage) ??
      createCheckpointStore({
        storage,
        logger,
        onEvent: run.emit,
        ...(options.now ? { now: options.now } : {}),
        ...(options.timeIds ? { timeIds: options.timeIds } : {}),
      });
    return await executeSteps<Outputs>(run, steps, point, checkpoints, {
      options,
      logger,
      print,
      now,
      stopper,
      stopReason: () => stopReason,
    });
  } finally {
    options.signal?.removeEventListener('abort', onCallerAbort);
    removeSignalHandlers();
  }
}

interface ExecuteContext {
  readonly options: RunPipelineOptions;
  readonly logger: Logger;
  readonly print: (line: string) => void;
  readonly now: () => number;
  readonly stopper: AbortController;
  readonly stopReason: () => StopReason | undefined;
}

async function executeSteps<Outputs>(
  run: Run,
  steps: readonly StepDefinition[],
  point: Awaited<ReturnType<typeof findResumePoint>> | undefined,
  checkpoints: CheckpointStore,
  context: ExecuteContext,
): Promise<PipelineResult<Outputs>> {
  const { print, now, stopper } = context;
  const outputs: Record<string, unknown> = {};
  const skipped: { step: string; checkpoint: string }[] = [];
  const summaries: StepSummary[] = [];
  const completed = point?.action === 'resume' || point?.action === 'busy' ? point.completed : [];

  const interrupted = async (): Promise<PipelineResult<Outputs>> => {
    const reason = context.stopReason();
    if (reason?.kind === 'uncaught') return failed(reason.error, undefined);
    const why = reason ? describeStop(reason) : 'aborted';
    await run.finish('INTERRUPTED', { reason: why });
    print(`Run ${run.id} interrupted (${why}); run again to resume.`);
    return {
      run: run.id,
      attempt: run.attempt,
      state: 'INTERRUPTED',
      outputs: outputs as Partial<Outputs>,
      skipped,
      steps: summaries,
      reason: why,
      exitCode: reason?.kind === 'signal' ? signalExitCodes[reason.signal] : signalExitCodes.SIGINT,
    };
  };
  const failed = async (error: unknown, step: string | undefined): Promise<never> => {
    let errorRecord: string | undefined;
    try {
      errorRecord = await run.recordError(error, step);
    } catch (recordError) {
      context.logger.error(
        { run: run.id, error: summariseError(recordError) },
        'the error record could not be stored',
      );
    }
    if (step !== undefined) {
      run.emit({
        type: 'step-failed',
        step,
        error: summariseError(error),
        ...(errorRecord !== undefined ? { errorRecord } : {}),
      });
      await run
        .updateStep(step, {
          state: 'FAILED',
          finishedAt: new Date(now()).toISOString(),
          ...(errorRecord !== undefined ? { errorRecord } : {}),
        })
        .catch(() => {});
    }
    await run.finish('FAILED', {
      reason: step !== undefined ? `step ${step} failed` : 'uncaught error',
      error,
      ...(errorRecord !== undefined ? { errorRecord } : {}),
    });
    // The caller may log or print it: it says what failed without what the error quoted.
    const message = scrubErrorText(error instanceof Error ? error.message : String(error));
    throw new CairnError({
      code: 'STEP_FAILED',
      message: `${step !== undefined ? `Step "${step}"` : 'The pipeline'} of run ${run.id} failed: ${message}${errorRecord !== undefined ? ` (error record: ${errorRecord})` : ''}. Fix the cause and run again: the run resumes at this step.`,
      cause: error,
      details: { run: run.id, ...(step !== undefined ? { step } : {}), errorRecord },
    });
  };

  try {
    // Once a completed step's output is lost, every later step is recomputed: their outputs
    // came from the lost one.
    let trustEarlierOutputs = true;
    const skip = (name: string, checkpoint: string, state: unknown, how: string) => {
      outputs[name] = state;
      checkpoints.protect(checkpoint);
      skipped.push({ step: name, checkpoint });
      summaries.push({ step: name, outcome: 'skipped', checkpoint });
      run.emit({ type: 'step-skipped', step: name, checkpoint });
      print(`Skipped ${name}: ${how}, output loaded from ${checkpoint}.`);
    };
    for (const [index, step] of steps.entries()) {
      const done = trustEarlierOutputs ? completed[index] : undefined;
      if (done !== undefined && done.step === step.name) {
        const loaded = await loadStepOutput(checkpoints, done.checkpoint);
        if (loaded.found) {
          skip(step.name, done.checkpoint, loaded.state, 'completed earlier');
          continue;
        }
        trustEarlierOutputs = false;
        print(
          `Running ${step.name} again: its output checkpoint ${done.checkpoint} ${loaded.problem}. The steps after it run again too.`,
        );
        context.logger.warn(
          { run: run.id, step: step.name, checkpoint: done.checkpoint, problem: loaded.problem },
          'a completed step is run again: its output checkpoint cannot be loaded',
        );
      } else if (
        trustEarlierOutputs &&
        index === completed.length &&
        (point?.action === 'resume' || point?.action === 'busy')
      ) {
        const stepRecord = point.run.record.steps.find((each) => each.name === step.name);
        const unrecorded = await findUnrecordedOutput(checkpoints, run.id, stepRecord);
        const loaded = unrecorded && (await loadStepOutput(checkpoints, unrecorded.id));
        if (unrecorded !== undefined && loaded?.found === true) {
          await run.updateStep(step.name, {
            state: 'COMPLETED',
            finishedAt: unrecorded.createdAt,
            checkpoint: unrecorded.id,
            ...itemCountsOf(unrecorded),
          });
          skip(step.name, unrecorded.id, loaded.state, 'it finished before the run stopped');
          continue;
        }
      }
      if (stopper.signal.aborted) return await interrupted();

      // The steps after this one are based on its output: once it runs again, what they
      // completed before is stale, and a later resume must not skip them.
      const later = new Set(steps.slice(index + 1).map((each) => each.name));
      if (run.record.steps.some((each) => later.has(each.name))) {
        await run.update((record) => ({
          ...record,
          steps: record.steps.filter((each) => !later.has(each.name)),
        }));
      }
      const started = now();
      run.emit({ type: 'step-started', step: step.name, index });
      await run.updateStep(step.name, {
        state: 'RUNNING',
        startedAt: new Date(started).toISOString(),
        finishedAt: undefined,
        errorRecord: undefined,
      });
      const counts: StepItemCounts = { current: undefined };
      const stepContext = createStepContext({
        run,
        step: step.name,
        outputs: { ...outputs },
        checkpoints,
        signal: stopper.signal,
        logger: context.logger.child({ step: step.name }),
        options: context.options,
        counts,
        now,
      });
      let output: unknown;
      try {
        output = await step.run(stepContext);
      } catch (error) {
        if (stopper.signal.aborted) {
          summaries.push({
            step: step.name,
            outcome: 'interrupted',
            durationMs: Math.max(0, now() - started),
            ...(counts.current ? { items: counts.current } : {}),
            ...(counts.coverage ? { coverage: counts.coverage } : {}),
          });
          await run
            .updateStep(step.name, {
              state: 'INTERRUPTED',
              finishedAt: new Date(now()).toISOString(),
              ...(counts.current ? { items: counts.current } : {}),
            })
            .catch(() => {});
          return await interrupted();
        }
        return await failed(error, step.name);
      }
      // What the step returned is finished work: it is saved even when a stop came meanwhile.
      let record: Awaited<ReturnType<CheckpointStore['save']>>;
      try {
        record = await checkpoints.save({
          run: run.id,
          step: step.name,
          ...fencedBy(run),
          state: output === undefined ? null : output,
          // The item counts travel with the output, so an output adopted after a crash still
          // says how many items failed (and a later run can retry them).
          metadata: {
            kind: stepOutputKind,
            pipeline: run.pipeline,
            ...(counts.current ? { items: { ...counts.current } } : {}),
          },
        });
      } catch (error) {
        // An output that cannot be stored (not JSON, storage down) fails the step: without its
        // checkpoint a resume could not skip it.
        return await failed(error, step.name);
      }
      outputs[step.name] = output;
      await run.updateStep(step.name, {
        state: 'COMPLETED',
        finishedAt: new Date(now()).toISOString(),
        checkpoint: record.id,
        ...(counts.current ? { items: counts.current } : {}),
      });
      run.emit({
        type: 'step-completed',
        step: step.name,
        durationMs: Math.max(0, now() - started),
        checkpoint: record.id,
        ...(counts.current ? { items: counts.current } : {}),
        ...(counts.coverage ? { coverage: counts.coverage } : {}),
      });
      summaries.push({
        step: step.name,
        outcome: 'completed',
        checkpoint: record.id,
        durationMs: Math.max(0, now() - started),
        ...(counts.current ? { items: counts.current } : {}),
        ...(counts.coverage ? { coverage: counts.coverage } : {}),
      });
      await run.journal.flush();
    }
  } catch (error) {
    if (isCairnError(error, 'STEP_FAILED')) throw error;
    if (stopper.signal.aborted && context.stopReason()?.kind !== 'uncaught') {
      return await interrupted();
    }
    // Something outside a step's own code failed (storage, a checkpoint load).
    return await failed(error, undefined);
  }
  if (stopper.signal.aborted && context.stopReason()?.kind === 'uncaught') {
    return await interrupted();
  }
  await run.finish('COMPLETED');
  print(
    `Run ${run.id} completed${skipped.length > 0 ? ` (${skipped.length} step${skipped.length === 1 ? '' : 's'} resumed from checkpoints)` : ''}.`,
  );
  const withFailures = summaries.filter((summary) => (summary.items?.failed ?? 0) > 0);
  if (withFailures.length > 0) {
    const counts = withFailures.map((summary) => `${summary.items?.failed} in ${summary.step}`);
    const retried = run.record.retriedFailedItems;
    const stuck = withFailures.some(
      (summary) => summary.step === retried?.step && (summary.items?.failed ?? 0) >= retried.failed,
    );
    print(
      stuck
        ? `Failed items: ${counts.join(', ')} (each recorded with its error). Retrying did not fix them, so the next run starts anew; fix the cause first.`
        : `Failed items: ${counts.join(', ')} (each recorded with its error). Run again to retry only those; resume: false starts a new run.`,
    );
  }
  return {
    run: run.id,
    attempt: run.attempt,
    state: 'COMPLETED',
    outputs: outputs as Partial<Outputs>,
    skipped,
    steps: summaries,
    exitCode: 0,
  };
}
