import { isCairnError } from '../errors/cairn-error.js';
import { layout, pipelineRunsPrefix, runKeys } from '../naming/layout.js';
import { readAll } from '../storage/body.js';
import type { Storage } from '../storage/storage.js';
import { parseRunRecord, type RunRecord, type RunState } from './run-record.js';

/** A RUNNING run whose heartbeat is older than this many intervals is reported INTERRUPTED. */
export const staleHeartbeatIntervals = 3;

/** A run record as read, with its etag for compare-and-swap. */
export interface StoredRunRecord {
  /** The record. */
  readonly record: RunRecord;
  /** The etag of the stored record; pass it to `ifMatch` to replace only this version. */
  readonly etag: string;
}

/** Reads a run record, or undefined when the run does not exist. */
export async function readRunRecord(
  storage: Storage,
  run: string,
): Promise<StoredRunRecord | undefined> {
  const key = runKeys(run).record;
  let result: Awaited<ReturnType<Storage['get']>>;
  try {
    result = await storage.get(key);
  } catch (error) {
    if (isCairnError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
  const text = (await readAll(result.body)).toString('utf8');
  return { record: parseRunRecord(text, key), etag: result.info.etag };
}

/** A run as a reader sees it: the stored record and the state it is in now. */
export interface RunStatus {
  /** The stored record. */
  readonly record: RunRecord;
  /**
   * The state to report: the stored one, except a RUNNING run whose heartbeat is stale,
   * which is INTERRUPTED (its process died without saying so).
   */
  readonly state: RunState;
  /** True when the record says RUNNING but the heartbeat is stale. */
  readonly stale: boolean;
  /** Milliseconds since the last heartbeat. */
  readonly heartbeatAgeMs: number;
}

/** Options for {@link describeRun}. */
export interface DescribeRunOptions {
  /** Current time in milliseconds; defaults to `Date.now()`. */
  readonly now?: number;
  /**
   * How old a heartbeat may be before a RUNNING run counts as interrupted; defaults to
   * {@link staleHeartbeatIntervals} times the run's own interval.
   */
  readonly staleAfterMs?: number;
}

/** Judges a run record: is its RUNNING state still true? */
export function describeRun(record: RunRecord, options: DescribeRunOptions = {}): RunStatus {
  const now = options.now ?? Date.now();
  const heartbeatAgeMs = Math.max(0, now - Date.parse(record.heartbeatAt));
  const staleAfterMs = options.staleAfterMs ?? record.heartbeatIntervalMs * staleHeartbeatIntervals;
  const stale = record.state === 'RUNNING' && heartbeatAgeMs > staleAfterMs;
  return { record, state: stale ? 'INTERRUPTED' : record.state, stale, heartbeatAgeMs };
}

/** Reads a run and judges its state, or undefined when it does not exist. */
export async function readRun(
  storage: Storage,
  run: string,
  options: DescribeRunOptions = {},
): Promise<RunStatus | undefined> {
  const stored = await readRunRecord(storage, run);
  return stored && describeRun(stored.record, options);
}

/** The ids of a pipeline's runs, oldest first, from the keys alone. */
export async function* listRunIds(
  storage: Storage,
  pipeline: string,
  options: { readonly signal?: AbortSignal } = {},
): AsyncIterable<string> {
  const prefix = pipelineRunsPrefix(pipeline);
  let cursor: string | undefined;
  do {
    const page = await storage.listPage({
      prefix,
      delimiter: '/',
      ...(cursor !== undefined ? { cursor } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for (const folder of page.prefixes) {
      yield folder.slice(layout.runsRoot.length, -1);
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** The names of every pipeline that has runs, sorted. */
export async function listPipelines(
  storage: Storage,
  options: { readonly signal?: AbortSignal } = {},
): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.listPage({
      prefix: layout.runsRoot,
      delimiter: '/',
      ...(cursor !== undefined ? { cursor } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for (const folder of page.prefixes) names.push(folder.slice(layout.runsRoot.length, -1));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return names;
}

/**
 * A pipeline's runs with their states, oldest first. A run whose record is missing (a run
 * that crashed before writing it) or corrupt is skipped; `onSkipped` hears why.
 */
export async function* listRuns(
  storage: Storage,
  pipeline: string,
  options: DescribeRunOptions & {
    readonly signal?: AbortSignal;
    readonly onSkipped?: (run: string, reason: string) => void;
  } = {},
): AsyncIterable<RunStatus> {
  for await (const run of listRunIds(storage, pipeline, options)) {
    try {
      const status = await readRun(storage, run, options);
      if (status) yield status;
      else options.onSkipped?.(run, 'it has no run record');
    } catch (error) {
      if (!isCairnError(error, 'CORRUPT_DATA')) throw error;
      options.onSkipped?.(run, error.message);
    }
  }
}

/** The most recent run of a pipeline that has a readable record, or undefined. */
export async function latestRun(
  storage: Storage,
  pipeline: string,
  options: DescribeRunOptions & { readonly signal?: AbortSignal } = {},
): Promise<RunStatus | undefined> {
  const ids: string[] = [];
  for await (const run of listRunIds(storage, pipeline, options)) ids.push(run);
  // Newest first; a newer run without a readable record (it crashed while starting) does not
  // hide the one before it.
  for (let index = ids.length - 1; index >= 0; index--) {
    const id = ids[index];
    if (id === undefined) continue;
    try {
      const status = await readRun(storage, id, options);
      if (status) return status;
    } catch (error) {
      if (!isCairnError(error, 'CORRUPT_DATA')) throw error;
    }
  }
  return undefined;
}
