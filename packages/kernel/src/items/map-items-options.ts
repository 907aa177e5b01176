import { z } from 'zod';
import { CairnError } from '../errors/cairn-error.js';
import type { JournalEvent } from '../journal/journal-events.js';
import { type Logger, silentLogger } from '../logging/logger.js';
import { runKeys } from '../naming/layout.js';
import { type Clock, systemClock } from '../retry/clock.js';
import {
  type RetryPolicy,
  type RetryPolicyOptions,
  resolveRetryPolicy,
} from '../retry/retry-policy.js';
import { scrubErrorText } from '../secrets/scrub-error-text.js';
import type { Storage } from '../storage/storage.js';
import { isStorage } from '../storage/storage-shape.js';
import { createParameterGrid, type ParameterGrid } from './parameter-grid.js';

/** What a worker receives with each item. */
export interface ItemContext {
  /** Position of the item in `items`. */
  readonly index: number;
  /** The item's key, when the map has a `key` function. */
  readonly key?: string;
  /** The attempt number, from 1 (retries come from the map's `retry` policy). */
  readonly attempt: number;
  /** The sweep parameters dealt to this item (empty without a `grid`). */
  readonly parameters: Readonly<Record<string, unknown>>;
  /**
   * Aborts when the map's `signal` does. Pass it on to the work (an LLM call, a fetch): the
   * map waits for workers in flight before it stores what finished and stops.
   */
  readonly signal: AbortSignal;
}

/** Does the work for one item; its result must be plain JSON data. */
export type ItemWorker<Item, Result> = (
  item: Item,
  context: ItemContext,
) => Promise<Result> | Result;

/** Options of {@link mapItems}. */
export interface MapItemsOptions<Item, Result> {
  /** Where item records and segments are written (a mirrored storage keeps them twice). */
  readonly storage: Storage;
  /** The run id, `<pipeline>/<time id>`. */
  readonly run: string;
  /** The step the items belong to. */
  readonly step: string;
  /** The items, as plain data (their JSON digest tells a resume whether one changed). */
  readonly items: readonly Item[];
  /** Does one item. A failure (after retries) is recorded and the other items go on. */
  readonly worker: ItemWorker<Item, Result>;
  /** Workers running at once (1 to 10,000; default 4). */
  readonly concurrency?: number;
  /**
   * Retries per item, through the kernel's `retry()` (default: one attempt, no retry). Only
   * failures the policy's classifier deems transient are retried; each scheduled retry is a
   * `retry-scheduled` event. Its clock defaults to the map's `clock`.
   */
  readonly retry?: RetryPolicyOptions | RetryPolicy;
  /**
   * A parameter sweep: every combination of the named lists, item `i` getting combination
   * `i % combinations` (round-robin). Passed to the worker as `context.parameters`, stored in
   * each record, and counted per value in `coverage`.
   */
  readonly grid?: Record<string, readonly unknown[]>;
  /** On a resume, run again the items whose latest record failed (default true). */
  readonly retryFailed?: boolean;
  /**
   * A stable identity per item (at most 512 characters, unique in `items`), so a resume
   * matches items by key rather than by position: use it when the list may be reordered or
   * grow in the middle. Default: the index.
   */
  readonly key?: (item: Item, index: number) => string;
  /**
   * Stops the map: no new item starts, workers in flight see `context.signal`, what finished
   * is stored (segment included), then the map throws `ABORTED`. Calling again resumes.
   */
  readonly signal?: AbortSignal;
  /**
   * Receives `item-completed`, `item-failed`, `retry-scheduled`, `step-progress` (at the start,
   * at most once per `progressIntervalMs` as items finish, and at the end) and, with a grid,
   * `sweep-coverage` with each progress event. Called synchronously; an exception it throws is
   * logged and ignored.
   */
  readonly onEvent?: (event: JournalEvent) => void;
  /** Wall-clock time for the records' `startedAt`/`finishedAt` (default `Date.now`). */
  readonly now?: () => number;
  /** Where warnings go (changed items, unusable records, segment write failures). */
  readonly logger?: Logger;
  /** Time source for durations, rates, throttling and retry waits (default system clock). */
  readonly clock?: Clock;
  /**
   * A segment is written when an item finishes and this long has passed since the last one
   * (default 1,000 ms), when `segmentMaxItems` records wait, and at the end. Segments bound
   * what a resume reads after a crash: the records after the last segment.
   */
  readonly flushIntervalMs?: number;
  /**
   * Most records one segment summarises (default 5,000, about 150 KB). Until a segment is that
   * full, each flush replaces it with a larger one, so a resume reads about one segment per this
   * many items: 20 reads for 100,000 items.
   */
  readonly segmentMaxItems?: number;
  /** Least time between two throttled progress events (default 1,000 ms). */
  readonly progressIntervalMs?: number;
  /** Reads in flight at once when loading progress and earlier results (default 16). */
  readonly readConcurrency?: number;
  /**
   * Applied to every error message and stack before it is stored or emitted, e.g. to hide
   * secrets only you know of. Secrets Cairn recognises are hidden whatever this does: its
   * result goes through `scrubErrorText` (which sees the original text when this is absent).
   */
  readonly redact?: (text: string) => string;
}

const functionSchema = (message = 'expected a function') =>
  z.custom<(...values: never[]) => unknown>((value) => typeof value === 'function', { message });

const loggerSchema = z.custom<Logger>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    ['debug', 'info', 'warn', 'error', 'child'].every(
      (level) => typeof (value as Record<string, unknown>)[level] === 'function',
    ),
  { message: 'expected a logger with debug, info, warn, error and child methods (pino works)' },
);

const milliseconds = z.number().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * The zod schema of {@link MapItemsOptions}' shape (the run id, step name, grid and retry
 * policy get their own checks after it). Unknown fields are rejected so a misspelt option is
 * reported instead of ignored.
 */
export const mapItemsOptionsSchema = z.strictObject({
  storage: z.custom<Storage>(isStorage, {
    message: 'expected a Storage (name, capabilities, put, get, head, list, listPage, delete)',
  }),
  run: z.string(),
  step: z.string(),
  items: z.custom<readonly unknown[]>((value) => Array.isArray(value), {
    message: 'expected an array of items',
  }),
  worker: functionSchema('expected a worker function (item, context) => Promise<result>'),
  concurrency: z.number().int().min(1).max(10_000).default(4),
  retry: z
    .custom<RetryPolicyOptions | RetryPolicy>(
      (value) => typeof value === 'object' && value !== null,
      { message: 'expected retry policy options' },
    )
    .optional(),
  grid: z
    .custom<Record<string, readonly unknown[]>>(
      (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
      { message: 'expected an object of parameter lists' },
    )
    .optional(),
  retryFailed: z.boolean().default(true),
  key: functionSchema('expected a function (item, index) => string').optional(),
  signal: z
    .custom<AbortSignal>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as AbortSignal).aborted === 'boolean' &&
        typeof (value as AbortSignal).addEventListener === 'function',
      { message: 'expected an AbortSignal' },
    )
    .optional(),
  onEvent: functionSchema().optional(),
  now: functionSchema().optional(),
  logger: loggerSchema.optional(),
  clock: z
    .custom<Clock>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as Clock).now === 'function' &&
        typeof (value as Clock).sleep === 'function',
      { message: 'expected a Clock with now() and sleep()' },
    )
    .optional(),
  flushIntervalMs: milliseconds.default(1_000),
  segmentMaxItems: z.number().int().min(1).max(100_000).default(5_000),
  progressIntervalMs: milliseconds.default(1_000),
  readConcurrency: z.number().int().min(1).max(1_000).default(16),
  redact: functionSchema().optional(),
});

/** The options of a map after validation, every default filled in. */
export interface ResolvedMapItemsOptions<Item, Result> {
  readonly storage: Storage;
  readonly run: string;
  readonly step: string;
  readonly items: readonly Item[];
  readonly worker: ItemWorker<Item, Result>;
  readonly concurrency: number;
  /** The per-item policy before the map adds its signal and listener. */
  readonly retry: RetryPolicyOptions;
  readonly grid: ParameterGrid | undefined;
  readonly gridLists: Record<string, readonly unknown[]> | undefined;
  readonly retryFailed: boolean;
  readonly key: ((item: Item, index: number) => string) | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onEvent: ((event: JournalEvent) => void) | undefined;
  readonly now: () => number;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly flushIntervalMs: number;
  readonly segmentMaxItems: number;
  readonly progressIntervalMs: number;
  readonly readConcurrency: number;
  /** The caller's `redact`, if any, then `scrubErrorText`. */
  readonly redact: (text: string) => string;
}

/**
 * The caller's hook runs first, on the original text, so it can match secrets it knows whole;
 * the built-in scrub runs last so nothing the hook leaves (or adds) escapes it.
 */
function withDefaultScrubbing(redact: ((text: string) => string) | undefined) {
  if (redact === undefined) return (text: string) => scrubErrorText(text);
  return (text: string) => scrubErrorText(redact(text));
}

function invalidOptions(problems: readonly string[]): CairnError {
  return new CairnError({
    code: 'INVALID_OPTIONS',
    backend: 'items',
    message: `Invalid map options: ${problems.join('; ')}. Fix them in the call to mapItems (context.map in a pipeline step).`,
    details: { problems },
  });
}

/**
 * Validates the options of {@link mapItems} and fills in the defaults.
 *
 * @throws CairnError `INVALID_OPTIONS` naming every problem with its option.
 */
export function resolveMapItemsOptions<Item, Result>(
  options: MapItemsOptions<Item, Result>,
): ResolvedMapItemsOptions<Item, Result> {
  const parsed = mapItemsOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw invalidOptions(
      parsed.error.issues.map((issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown option ${issue.keys.map((key) => `"${key}"`).join(', ')}`
          : `${issue.path.length === 0 ? 'options' : issue.path.join('.')}: ${issue.message}`,
      ),
    );
  }
  const value = parsed.data;
  // The layout validates the run id and the step name and explains what a valid one is.
  runKeys(value.run).step(value.step);
  const clock = value.clock ?? systemClock;
  const retryGiven = value.retry ?? { maxAttempts: 1 };
  // Validated now, so a bad policy fails before any item runs. A built policy keeps its own
  // clock; plain options get the map's.
  const built = resolveRetryPolicy(retryGiven);
  const retry: RetryPolicyOptions =
    built === retryGiven ? built : { ...retryGiven, clock: retryGiven.clock ?? clock };
  return {
    storage: value.storage,
    run: value.run,
    step: value.step,
    items: value.items as readonly Item[],
    worker: value.worker as ItemWorker<Item, Result>,
    concurrency: value.concurrency,
    retry,
    grid: value.grid === undefined ? undefined : createParameterGrid(value.grid),
    gridLists: value.grid,
    retryFailed: value.retryFailed,
    key: value.key as ((item: Item, index: number) => string) | undefined,
    signal: value.signal,
    onEvent: value.onEvent as ((event: JournalEvent) => void) | undefined,
    now: (value.now as (() => number) | undefined) ?? Date.now,
    logger: value.logger ?? silentLogger,
    clock,
    flushIntervalMs: value.flushIntervalMs,
    segmentMaxItems: value.segmentMaxItems,
    progressIntervalMs: value.progressIntervalMs,
    readConcurrency: value.readConcurrency,
    redact: withDefaultScrubbing(value.redact as ((text: string) => string) | undefined),
  };
}
