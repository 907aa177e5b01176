import type {
  CheckpointRecord,
  CheckpointStore,
  PruneReport,
  RetentionRule,
  SaveInput,
} from '../checkpoints/index.js';
import type { EnvironmentLevel } from '../environment/environment-record.js';
import type { ItemContext, MapItemsResult } from '../items/index.js';
import type { Coverage, JournalEntry } from '../journal/journal-events.js';
import type { Logger } from '../logging/logger.js';
import type { TimeIdGenerator } from '../naming/time-id.js';
import type { RetryPolicy, RetryPolicyOptions } from '../retry/index.js';
import type { Storage } from '../storage/storage.js';

/** Options for {@link StepContext.map}. */
export interface StepMapOptions {
  /** Items run at once; default the run's `concurrency` (4). */
  readonly concurrency?: number;
  /** Per-item retry policy; default the run's `retry`. */
  readonly retry?: RetryPolicyOptions | RetryPolicy;
  /**
   * A parameter sweep: named lists of values whose combinations are handed to items
   * round-robin (item i gets combination i modulo the number of combinations).
   */
  readonly grid?: Readonly<Record<string, readonly unknown[]>>;
  /** On resume, run again the items whose last attempt failed; default true. */
  readonly retryFailed?: boolean;
  /** Needed when one step maps more than once: tells the item sets apart in storage. */
  readonly name?: string;
}

/** Checkpoints of the current run and step. */
export interface StepCheckpoints {
  /** Saves a checkpoint of this run and step (e.g. each epoch of a training step). */
  save(input: StepSaveInput): Promise<CheckpointRecord>;
  /**
   * The latest committed checkpoint this step saved in this run, if any (for resuming inside a
   * step); never the pipeline's record of a step's output.
   */
  latest(): Promise<CheckpointRecord | undefined>;
  /**
   * Loads a checkpoint by id, verified, and protects it: no prune of this process deletes it,
   * and no prune anywhere deletes the latest checkpoint of a step loaded this way (the run's
   * record lists them in `resumedFrom`).
   */
  load<T = unknown>(id: string): Promise<T>;
  /** Protects a checkpoint from every prune, as {@link StepCheckpoints.load} does. */
  protect(id: string): Promise<void>;
  /** Applies retention rules to this run and step's checkpoints. */
  prune(
    keep: readonly RetentionRule[],
    options?: { readonly dryRun?: boolean },
  ): Promise<PruneReport>;
}

/** What {@link StepCheckpoints.save} takes: a save without run and step. */
export type StepSaveInput = SaveInput extends infer Input
  ? Input extends unknown
    ? Omit<Input, 'run' | 'step'>
    : never
  : never;

/** What a step's function receives. */
export interface StepContext<Outputs> {
  /** Outputs of the steps before this one, by name (loaded from checkpoints when resumed). */
  readonly outputs: Outputs;
  /** The step's name. */
  readonly step: string;
  /** The run: its id, its attempt, and whether this attempt resumed it. */
  readonly run: { readonly id: string; readonly attempt: number; readonly resumed: boolean };
  /** Aborted on Ctrl+C/SIGTERM or when the run is lost: stop early, keep what is done. */
  readonly signal: AbortSignal;
  /** The run's logger. */
  readonly logger: Logger;
  /**
   * Runs `worker` over `items` with bounded concurrency; each item's result is stored as it
   * finishes, a failing item is recorded and the rest go on, and a resumed step runs only the
   * missing (and failed) items. Results come back in input order.
   */
  map<Item, Result>(
    items: readonly Item[],
    worker: (item: Item, context: ItemContext) => Promise<Result>,
    options?: StepMapOptions,
  ): Promise<MapItemsResult<Result>>;
  /** Reports progress of a step that does not use `map` (`step-progress` events). */
  progress(done: number, total: number): void;
  /** Checkpoints of this run and step. */
  readonly checkpoints: StepCheckpoints;
  /** Adds a `custom` event to the run's journal. */
  emit(name: string, data?: unknown): void;
}

/** A step: a name and the function that computes its output. */
export interface StepDefinition {
  /** The step's name (a key segment: letters, digits, `_`, `-`, `.`). */
  readonly name: string;
  /** Computes the output from the earlier outputs. The output must be JSON-like. */
  readonly run: (context: StepContext<Record<string, unknown>>) => unknown;
}

/** Options for {@link Pipeline.run}. */
export interface RunPipelineOptions {
  /** Where checkpoints, runs and journals live. */
  readonly storage: Storage;
  /**
   * `true` (default): continue the latest run of this pipeline unless it completed;
   * a run id: continue that run; `false`: always start a new run.
   */
  readonly resume?: boolean | string;
  /**
   * Take over a run whose heartbeat is still fresh (its process is known dead). Refused with
   * `UNSUPPORTED` on a storage without conditional writes (see `StartRunOptions.force`).
   */
  readonly force?: boolean;
  /**
   * When the latest run completed with failed items, continue it: the first step with failures
   * runs again, retrying only its failed items (done ones are kept), and the steps after it
   * run on the new results. Default true; false starts a new run instead.
   */
  readonly retryFailed?: boolean;
  /** Stops the run as INTERRUPTED, keeping what finished. */
  readonly signal?: AbortSignal;
  /**
   * Handle SIGINT/SIGTERM (and uncaught errors) for the duration of the run: the first signal
   * finishes what is in flight and ends the run INTERRUPTED; a second one exits at once.
   */
  readonly handleSignals?: boolean;
  /** Environment capture level (0–3); default 1. */
  readonly environment?: EnvironmentLevel;
  /** Where git and package versions are read from; default the current directory. */
  readonly projectDirectory?: string;
  /** Default item concurrency of `map`; default 4. */
  readonly concurrency?: number;
  /** Default per-item retry policy of `map`. */
  readonly retry?: RetryPolicyOptions | RetryPolicy;
  /** Heartbeat interval of the run record. */
  readonly heartbeatIntervalMs?: number;
  /** How often the journal writes what was appended. */
  readonly journalFlushIntervalMs?: number;
  /** Called with every journal entry as it is appended. */
  readonly onEntry?: (entry: JournalEntry) => void;
  /** Human-readable lines (what was skipped on resume, how it ended). Default: none. */
  readonly print?: (line: string) => void;
  /** Logger; silent by default. */
  readonly logger?: Logger;
  /** Time source in milliseconds. */
  readonly now?: () => number;
  /** Id source. */
  readonly timeIds?: TimeIdGenerator;
  /** Extra checkpoint-store settings (codecs). */
  readonly checkpointStore?: (storage: Storage) => CheckpointStore;
}

/** What one step did in an attempt. */
export interface StepSummary {
  /** The step. */
  readonly step: string;
  /** Ran to completion, loaded from a checkpoint, or stopped part-way. */
  readonly outcome: 'completed' | 'skipped' | 'interrupted';
  /** The checkpoint of its output (completed and skipped steps). */
  readonly checkpoint?: string;
  /** How long it ran in this attempt. */
  readonly durationMs?: number;
  /** Items of its `map` calls: done (including earlier attempts), failed, total. */
  readonly items?: { readonly done: number; readonly failed: number; readonly total: number };
  /** Per parameter value of a sweep: items done and failed. */
  readonly coverage?: Coverage;
}

/** How a pipeline run ended (a FAILED run throws instead). */
export interface PipelineResult<Outputs> {
  /** The run id. */
  readonly run: string;
  /** The attempt that just ended. */
  readonly attempt: number;
  /** COMPLETED, or INTERRUPTED when stopped by a signal or abort. */
  readonly state: 'COMPLETED' | 'INTERRUPTED';
  /** The outputs computed or loaded so far. */
  readonly outputs: Partial<Outputs>;
  /** Steps loaded from checkpoints instead of run, in order. */
  readonly skipped: readonly { readonly step: string; readonly checkpoint: string }[];
  /** What each step did in this attempt, in order: the run's summary. */
  readonly steps: readonly StepSummary[];
  /** Why it was interrupted (`SIGINT`, `SIGTERM`, `aborted`). */
  readonly reason?: string;
  /** 0 when completed; 130 for SIGINT, 143 for SIGTERM, 130 for other interruptions. */
  readonly exitCode: number;
}
