import { setMaxListeners } from 'node:events';
import { abortedError } from '../errors/aborted-error.js';
import { CairnError, isCairnError } from '../errors/cairn-error.js';
import { type ErrorSummary, type JournalEvent, summariseError } from '../journal/journal-events.js';
import type { AttemptEvent } from '../retry/attempt.js';
import { retry } from '../retry/retry.js';
import { createRetryPolicy } from '../retry/retry-policy.js';
import { runBounded } from './bounded-concurrency.js';
import { type PlannedItem, planItems } from './item-plan.js';
import { createProgressReporter } from './item-progress-reporter.js';
import type { StoredItemError } from './item-record.js';
import { createItemWriter } from './item-writer.js';
import { loadItemProgress } from './load-item-progress.js';
import {
  type MapItemsOptions,
  type ResolvedMapItemsOptions,
  resolveMapItemsOptions,
} from './map-items-options.js';
import type { ItemOutcome, MapItemsResult } from './map-items-result.js';
import { createCoverageCounter } from './parameter-grid.js';
import { reuseFinishedItems } from './reuse-finished-items.js';

type Finished<Result> =
  | { readonly status: 'done'; readonly value: Result }
  | { readonly status: 'failed'; readonly error: unknown };

function storedErrorOf(error: unknown, redact: (text: string) => string): StoredItemError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: redact(error.message),
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof error.stack === 'string' ? { stack: redact(error.stack) } : {}),
    };
  }
  return { name: 'NonError', message: redact(String(error)) };
}

function summaryOf(error: StoredItemError): ErrorSummary {
  return {
    name: error.name,
    message: error.message,
    ...(error.code === undefined ? {} : { code: error.code }),
  };
}

/**
 * The result as it will be read back: JSON.parse(JSON.stringify(value)), so a fresh call and a
 * resumed one return the same thing.
 */
function storedValueOf<Result>(value: Result, index: number): Result {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new CairnError({
      code: 'UNSUPPORTED',
      backend: 'items',
      message: `The worker's result for item ${index} cannot be stored as JSON (${error instanceof Error ? error.message : String(error)}). Return plain data: objects, arrays, strings, numbers, booleans and null.`,
      cause: error,
      details: { index },
    });
  }
  return (text === undefined ? undefined : JSON.parse(text)) as Result;
}

function storeFailedError(error: unknown, step: string, index: number, stored: number): CairnError {
  return new CairnError({
    code: isCairnError(error) ? error.code : 'PERMANENT_IO',
    retryable: false,
    backend: 'items',
    message: `Could not store the result of item ${index} of step "${step}": ${error instanceof Error ? error.message : String(error)}. The ${stored} item(s) stored before it are kept; fix the storage and call again to do the rest.`,
    cause: error,
    details: { step, index, stored },
  });
}

/**
 * Runs `worker` over `items` with at most `concurrency` workers at once, storing every item as
 * it finishes, and returns the outcomes in input order.
 *
 * - Each finished item (done or failed after its retries) is its own record, written
 *   create-only before the next event about it; segments summarise the records so a resume
 *   stays fast with 100,000 items.
 * - A failing item is recorded with its error and the other items go on.
 * - Called again for the same run and step, it runs only the items without a record, those
 *   whose input changed (with a warning), and failed ones unless `retryFailed` is false; the
 *   others' values are read back from their records.
 * - When `signal` aborts: no new item starts, workers in flight get `context.signal` and are
 *   awaited, whatever finished is stored and summarised, and then the call throws `ABORTED`
 *   (a worker that still returns a value is stored as done; one that throws is not recorded,
 *   so the next call runs it again). If every item had finished, the result is returned.
 *
 * @throws CairnError `INVALID_OPTIONS` for bad options, items that are not JSON, or bad keys;
 *   `ABORTED` as above; the storage's error (with the item) when a record cannot be stored,
 *   after stopping and storing what finished.
 *
 * @example
 * const { values } = await mapItems({
 *   storage, run, step: 'generate',
 *   items: prompts,
 *   concurrency: 8,
 *   retry: { maxAttempts: 3 },
 *   grid: { temperature: [0.2, 0.7] },
 *   worker: (prompt, { parameters, signal }) => generate(prompt, parameters, signal),
 * });
 */
export async function mapItems<Item, Result>(
  options: MapItemsOptions<Item, Result>,
): Promise<MapItemsResult<Result>> {
  const resolved = resolveMapItemsOptions(options);
  // Every item in flight and every concurrent read listens to the signal; Node warns past 10
  // listeners on one signal. A follower of the caller's signal takes them all, without
  // changing the caller's own signal.
  const signal = resolved.signal === undefined ? undefined : AbortSignal.any([resolved.signal]);
  if (signal !== undefined) setMaxListeners(0, signal);
  const settings = signal === undefined ? resolved : { ...resolved, signal };
  const { storage, run, step, clock } = settings;
  const logger = settings.logger.child({ run, step });
  const startedAt = clock.now();
  if (signal?.aborted) throw abortedMap(settings, signal.reason, 0, 'before it started');

  const emit = (event: JournalEvent): void => {
    if (settings.onEvent === undefined) return;
    try {
      settings.onEvent(event);
    } catch (error) {
      logger.warn(
        { error: summariseError(error), event: event.type },
        'A map event listener threw; ignoring it.',
      );
    }
  };

  const plan = planItems(settings);
  const progress = await loadItemProgress(storage, run, step, {
    logger,
    clock,
    readConcurrency: settings.readConcurrency,
    ...(signal === undefined ? {} : { signal }),
  });
  const { reused, toRun } = await reuseFinishedItems(settings, plan, progress);

  const outcomes: (ItemOutcome<Result> | undefined)[] = new Array(plan.length);
  const coverage =
    settings.grid === undefined || settings.gridLists === undefined
      ? undefined
      : createCoverageCounter(settings.gridLists, settings.grid.names);
  const reporter = createProgressReporter({
    step,
    total: plan.length,
    clock,
    startedAt,
    intervalMs: settings.progressIntervalMs,
    coverage,
    emit,
  });
  for (const [index, outcome] of reused) {
    outcomes[index] = outcome;
    reporter.resumed(outcome.status);
    if (outcome.parameters !== undefined) coverage?.add(outcome.parameters, outcome.status);
  }
  reporter.report();

  const writer = createItemWriter({
    storage,
    run,
    step,
    progress,
    clock,
    logger,
    flushIntervalMs: settings.flushIntervalMs,
    segmentMaxItems: settings.segmentMaxItems,
  });
  // Workers always get a signal; one that never aborts when the caller gave none.
  const workerSignal = signal ?? new AbortController().signal;
  let stored = 0;

  const runItem = async (planned: PlannedItem<Item>): Promise<void> => {
    const itemStartedAt = clock.now();
    const startedAtTime = new Date(settings.now()).toISOString();
    const parameters = planned.parameters ?? {};
    let attempt = 1;
    const onAttempt = (event: AttemptEvent): void => {
      settings.retry.onAttempt?.(event);
      if (event.outcome !== 'failure' || event.delayMs === undefined) return;
      emit({
        type: 'retry-scheduled',
        step,
        item: planned.index,
        attempt: event.attempt,
        delayMs: event.delayMs,
        error: summaryOf(storedErrorOf(event.error, settings.redact)),
      });
    };
    const policySignal =
      settings.retry.signal === undefined
        ? workerSignal
        : AbortSignal.any([settings.retry.signal, workerSignal]);
    const policy = createRetryPolicy({ ...settings.retry, signal: policySignal, onAttempt });

    let finished: Finished<Result>;
    try {
      const value = await retry(async (attemptContext) => {
        attempt = attemptContext.attempt;
        return settings.worker(planned.item, {
          index: planned.index,
          ...(planned.key === undefined ? {} : { key: planned.key }),
          attempt: attemptContext.attempt,
          parameters,
          signal: attemptContext.signal,
        });
      }, policy);
      finished = { status: 'done', value };
    } catch (error) {
      // Stopped by the caller, not failed: not recorded, so the next call runs it again.
      if (workerSignal.aborted) return;
      finished = { status: 'failed', error };
    }
    if (finished.status === 'done') {
      try {
        finished = { status: 'done', value: storedValueOf(finished.value, planned.index) };
      } catch (error) {
        finished = { status: 'failed', error };
      }
    }

    const storedError =
      finished.status === 'failed' ? storedErrorOf(finished.error, settings.redact) : undefined;
    const durationMs = Math.max(0, clock.now() - itemStartedAt);
    try {
      await writer.write({
        v: 1,
        index: planned.index,
        ...(planned.key === undefined ? {} : { key: planned.key }),
        inputDigest: planned.inputDigest,
        status: finished.status,
        ...(finished.status === 'done' && finished.value !== undefined
          ? { value: finished.value }
          : {}),
        ...(storedError === undefined ? {} : { error: storedError }),
        attempt,
        ...(planned.parameters === undefined ? {} : { parameters: planned.parameters }),
        startedAt: startedAtTime,
        finishedAt: new Date(settings.now()).toISOString(),
        durationMs,
      });
    } catch (error) {
      throw storeFailedError(error, step, planned.index, stored);
    }
    stored += 1;

    const common = {
      index: planned.index,
      ...(planned.key === undefined ? {} : { key: planned.key }),
      ...(planned.parameters === undefined ? {} : { parameters: planned.parameters }),
    };
    if (finished.status === 'done') {
      outcomes[planned.index] = {
        ...common,
        status: 'done',
        value: finished.value,
        resumed: false,
      };
      emit({
        type: 'item-completed',
        step,
        item: planned.index,
        attempt,
        durationMs,
        ...parametersField(planned),
      });
    } else {
      const error = summaryOf(storedError as StoredItemError);
      outcomes[planned.index] = { ...common, status: 'failed', error, resumed: false };
      emit({
        type: 'item-failed',
        step,
        item: planned.index,
        attempt,
        error,
        ...parametersField(planned),
      });
    }
    reporter.finished(finished.status);
    if (planned.parameters !== undefined) coverage?.add(planned.parameters, finished.status);
    reporter.maybeReport();
    writer.maybeFlush();
  };

  let failure: { readonly error: unknown } | undefined;
  try {
    await runBounded(
      toRun.length,
      settings.concurrency,
      (position) => runItem(toRun[position] as PlannedItem<Item>),
      { shouldStop: () => workerSignal.aborted },
    );
  } catch (error) {
    failure = { error };
  }
  await writer.close();
  reporter.report();
  if (failure !== undefined) throw failure.error;

  const { done, failed, skipped } = reporter.counts;
  if (done + failed < plan.length) {
    throw abortedMap(
      settings,
      workerSignal.reason,
      done + failed,
      `after ${done + failed} of ${plan.length} items had finished`,
    );
  }
  const complete = outcomes as ItemOutcome<Result>[];
  return {
    outcomes: complete,
    values: complete.map((outcome) => (outcome.status === 'done' ? outcome.value : null)),
    done,
    failed,
    skipped,
    ...(coverage === undefined ? {} : { coverage: coverage.snapshot() }),
    durationMs: Math.max(0, clock.now() - startedAt),
  };
}

function parametersField(planned: PlannedItem<unknown>): { parameters?: Record<string, unknown> } {
  return planned.parameters === undefined ? {} : { parameters: { ...planned.parameters } };
}

function abortedMap(
  settings: Pick<ResolvedMapItemsOptions<unknown, unknown>, 'items' | 'run' | 'step'>,
  reason: unknown,
  finished: number,
  when: string,
): CairnError {
  return abortedError(
    'items',
    reason,
    `Mapping ${settings.items.length} items of step "${settings.step}" in run "${settings.run}"`,
    {
      when,
      hint: `The ${finished} finished item(s) are stored; call again with the same run and step to do only the rest.`,
      details: { run: settings.run, step: settings.step, finished, total: settings.items.length },
    },
  );
}
